"""その他(電話・FAX): orders come in through the TEMPOSTAR-format order CSV."""

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.sections import SenderMail


@register
class Other(Connector):
    code = "other"
    label = "その他(電話・FAX)"
    imports_order_mail = False
    imports_order_csv = True
    order = 140
    summary = _(
        "Phone and fax orders, and malls with no link: orders come in as the TEMPOSTAR-format "
        "order CSV."
    )
    description = _(
        "Phone and fax orders, and orders from malls with no link, "
        "imported from the TEMPOSTAR-format order CSV."
    )
    sections = (SenderMail(),)

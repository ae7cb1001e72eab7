"""ぐるなび食市場: only the sender e-mail.

Whether ぐるなび食市場 still operates could not be verified from public sources here: no
closure is declared (closed_on) until a source for the date is found.
"""

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.sections import SenderMail


@register
class Gurunavi(Connector):
    code = "gurunavi"
    label = "ぐるなび食市場"
    imports_order_mail = False
    order = 80
    summary = _(
        "Only the sender address of order management's mails to buyers: no product or stock "
        "linkage."
    )
    sections = (SenderMail(),)

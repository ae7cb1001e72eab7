from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register


@register
class Amazon(Connector):
    code = "amazon"
    label = "Amazon"
    imports_order_mail = False
    order = 40
    description = _("Links with Seller Central through SP-API (MWS was retired on 2024-04-01).")

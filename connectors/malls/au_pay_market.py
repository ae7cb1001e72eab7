from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register


@register
class AuPayMarket(Connector):
    code = "au_pay_market"
    label = "au PAY マーケット"
    imports_order_mail = True
    order = 30
    description = _("Formerly Wowma!. Links with the shop manager (FTP, API key).")

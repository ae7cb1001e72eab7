from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register


@register
class YahooShopping(Connector):
    code = "yahoo_shopping"
    label = "Yahoo!ショッピング"
    imports_order_mail = True
    order = 20
    description = _("Links with Store Creator Pro (FTP, Yahoo! JAPAN ID sign-in).")

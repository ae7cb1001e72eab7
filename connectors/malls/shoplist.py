from connectors.base import Connector, register


@register
class Shoplist(Connector):
    code = "shoplist"
    label = "SHOPLIST"
    imports_order_mail = True
    order = 70

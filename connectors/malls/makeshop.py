from connectors.base import Connector, register


@register
class Makeshop(Connector):
    code = "makeshop"
    label = "MakeShop"
    imports_order_mail = False
    order = 110

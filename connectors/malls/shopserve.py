from connectors.base import Connector, register


@register
class Shopserve(Connector):
    code = "shopserve"
    label = "ショップサーブ"
    imports_order_mail = True
    order = 120

from connectors.base import Connector, register


@register
class Colorme(Connector):
    code = "colorme"
    label = "カラーミーショップ"
    imports_order_mail = True
    order = 130

from connectors.base import Connector, register


@register
class Ponparemall(Connector):
    code = "ponparemall"
    label = "ポンパレモール"
    imports_order_mail = True
    order = 50

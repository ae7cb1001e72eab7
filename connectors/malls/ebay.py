from connectors.base import Connector, register


@register
class Ebay(Connector):
    code = "ebay"
    label = "eBay"
    imports_order_mail = False
    order = 100

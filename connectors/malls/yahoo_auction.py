from connectors.base import Connector, register


@register
class YahooAuction(Connector):
    code = "yahoo_auction"
    label = "ヤフオク!"
    imports_order_mail = False
    order = 60

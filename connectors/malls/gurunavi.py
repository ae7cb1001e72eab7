from connectors.base import Connector, register


@register
class Gurunavi(Connector):
    code = "gurunavi"
    label = "ぐるなび食市場"
    imports_order_mail = False
    order = 80

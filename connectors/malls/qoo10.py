from connectors.base import Connector, register


@register
class Qoo10(Connector):
    code = "qoo10"
    label = "Qoo10"
    imports_order_mail = False
    order = 90

"""ぐるなび食市場: only the sender e-mail."""

from connectors.base import Connector, register
from connectors.sections import SenderMail


@register
class Gurunavi(Connector):
    code = "gurunavi"
    label = "ぐるなび食市場"
    imports_order_mail = False
    order = 80
    sections = (SenderMail(),)

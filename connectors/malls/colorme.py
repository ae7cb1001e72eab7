from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.sections import STOCK, OAuthGrant, SenderMail


@register
class Colorme(Connector):
    code = "colorme"
    label = "カラーミーショップ"
    imports_order_mail = True
    order = 130
    sections = (
        OAuthGrant(
            "colorme_api",
            _("Color Me Shop API settings"),
            _("Open the API linkage screen"),
            features=(STOCK,),
            note=_("Authorize this console in Color Me Shop. The authorization does not expire."),
        ),
        SenderMail(),
    )

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.sections import HOST, ORDER, SECRET, STOCK, Field, Section, SenderMail


@register
class Makeshop(Connector):
    code = "makeshop"
    label = "MakeShop"
    imports_order_mail = False
    order = 110
    sections = (
        Section(
            "makeshop_api",
            _("MakeShop linkage settings"),
            (
                Field(
                    "host",
                    _("Host address"),
                    HOST,
                    required=True,
                    help=_(
                        "The host address of your MakeShop linkage (a host name such "
                        "as shop.example.jp, without https://)."
                    ),
                ),
                Field(
                    "auth_code",
                    _("Linkage authentication code"),
                    SECRET,
                    required=True,
                    help=_("The authentication code issued for the MakeShop linkage."),
                ),
            ),
            (ORDER, STOCK),
        ),
        SenderMail(),
    )

"""SHOPLIST: FTP upload and the SHOPLIST shop code.

SHOPLIST still operates (CROSS MALL's current CSV manual lists it,
https://support.crossmall.jp/hc/ja/articles/360040567853: SECONDARY). The FTP host
ftp.shop-list.com is the TEMPOSTAR manual's; it could not be verified in public sources.
"""

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.fields import PRODUCT, STOCK, Field
from connectors.sections import FileTransfer, ProductKey, Section, SenderMail


@register
class Shoplist(Connector):
    code = "shoplist"
    label = "SHOPLIST"
    imports_order_mail = True
    order = 70
    sources = ("https://support.crossmall.jp/hc/ja/articles/360040567853",)
    summary = _("Products and stock by FTP, and order mails.")
    help_url = "https://shop-list.com/"
    sections = (
        FileTransfer(
            host="ftp.shop-list.com",
            protocols={"ftp": 21},
            passive=True,
            user_help=_("The FTP user ID given by SHOPLIST. If you do not know it, ask them."),
            password_help=_("The FTP password given by SHOPLIST. If you do not know it, ask them."),
        ),
        Section(
            "shoplist",
            _("SHOPLIST items"),
            (
                Field(
                    "shop_code",
                    _("SHOPLIST shop code"),
                    required=True,
                    help=_("Your shop code at SHOPLIST."),
                ),
            ),
            features=(PRODUCT, STOCK),
        ),
        SenderMail(),
        ProductKey(
            (
                ("product_code", _("Product code")),
                ("jan_code", _("JAN code")),
            )
        ),
    )

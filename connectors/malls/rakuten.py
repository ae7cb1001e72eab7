from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.sections import (
    CARD,
    HOST,
    ORDER,
    PORT,
    SECRET,
    STOCK,
    Field,
    FileTransfer,
    ProductKey,
    Section,
    SenderMail,
    store_id,
)

# https://www.rakuten.co.jp/savaway/ -> savaway
RAKUTEN_STORE = store_id(r"rakuten\.co\.jp/([A-Za-z0-9_-]+)")


@register
class Rakuten(Connector):
    code = "rakuten"
    label = "楽天市場"
    imports_order_mail = True
    order = 10
    description = _("Links with Rakuten RMS (FTP/SFTP, RMS API).")
    sections = (
        # The manual says FTP port 21 + passive; Rakuten now serves SFTP on 22, the default.
        FileTransfer(
            host="upload.rakuten.ne.jp",
            protocols={"sftp": 22, "ftp": 21},
            passive=True,
            user_from_url=RAKUTEN_STORE,
            user_help=_(
                "The store ID part of the shop's top page URL: for "
                "https://www.rakuten.co.jp/savaway/ enter savaway."
            ),
            password_help=_(
                "The FTP password for the user ID above. If you do not know it, issue it "
                "again in RMS."
            ),
        ),
        Section(
            "rakuten_api",
            _("Rakuten API settings"),
            (
                Field(
                    "store_id",
                    _("Store URL (store ID)"),
                    required=True,
                    derive=RAKUTEN_STORE,
                    pattern=r"[A-Za-z0-9_-]+",
                    pattern_message=_("Enter the store ID only, such as savaway."),
                    help=_(
                        "The store ID part of the shop's top page URL: for "
                        "https://www.rakuten.co.jp/savaway/ enter savaway."
                    ),
                ),
                Field(
                    "service_secret",
                    "serviceSecret",
                    SECRET,
                    required=True,
                    help=_("The serviceSecret issued in RMS (WEB API service)."),
                ),
                Field(
                    "license_key",
                    "licenseKey",
                    SECRET,
                    required=True,
                    help=_(
                        "The licenseKey issued in RMS. It is valid for 3 months: renew "
                        "it before it expires."
                    ),
                ),
            ),
            (STOCK, ORDER),
            _("Set this when stock or order management uses the API."),
        ),
        Section(
            "rakuten_card",
            _("Rakuten API settings (card)"),
            (),
            (CARD,),
            _("Not needed when you use Rakuten Pay (楽天ペイ)."),
        ),
        SenderMail(),
        Section(
            "anshin_mail",
            _("Rakuten Anshin mail address service"),
            (
                Field(
                    "server", _("Server name"), HOST, required=True, help=_("As shown in R-Login.")
                ),
                Field("user", _("User ID"), required=True, help=_("As shown in R-Login.")),
                Field(
                    "password", _("Password"), SECRET, required=True, help=_("As shown in R-Login.")
                ),
                Field("port", _("Port"), PORT, required=True, help=_("As shown in R-Login.")),
            ),
            (ORDER,),
            _("Set this when you use order management."),
        ),
        ProductKey(
            (
                ("item_url", _("Item management number (商品管理番号)")),
                ("item_number", _("Item number (商品番号)")),
                ("sku", _("SKU number for system linkage (システム連携用SKU番号)")),
            )
        ),
    )

"""Yahoo!ショッピング: Store Creator Pro (FTP) and the Shopping API (Yahoo! JAPAN ID sign-in)."""

from datetime import timedelta

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.expiry import Expiry
from connectors.fields import DATE, INT, KEY_PEM, ORDER, STOCK, Field, store_id
from connectors.oauth import OAuthProvider
from connectors.sections import FileTransfer, OAuthGrant, SenderMail, together

# YConnect v2, shared with Yahoo!オークション.
YAHOO = OAuthProvider(
    "YAHOO",
    "Yahoo! JAPAN ID",
    authorize_url="https://auth.login.yahoo.co.jp/yconnect/v2/authorization",
    token_url="https://auth.login.yahoo.co.jp/yconnect/v2/token",
    scope="openid",
    pkce=True,
    sources=("https://developer.yahoo.co.jp/yconnect/v2/authorization_code/",),
)


def yahoo_grant_lifetime(values):
    """28 days with the store's public key and its version registered, 12 hours without."""
    if values.get("public_key") and values.get("public_key_version"):
        return timedelta(days=28)
    return timedelta(hours=12)


# https://store.shopping.yahoo.co.jp/savaway/ -> savaway
YAHOO_STORE = r"store\.shopping\.yahoo\.co\.jp/([A-Za-z0-9_-]+)"


@register
class YahooShopping(Connector):
    code = "yahoo_shopping"
    label = "Yahoo!ショッピング"
    imports_order_mail = True
    order = 20
    summary = _(
        "Products and stock by FTP, orders and stock through the Yahoo! Shopping API (Yahoo! "
        "JAPAN ID sign-in), and order mails."
    )
    help_url = "https://developer.yahoo.co.jp/webapi/shopping/help.html"
    description = _("Links with Store Creator Pro (FTP, Yahoo! JAPAN ID sign-in).")
    sections = (
        FileTransfer(
            host="ftp.castle.yahoofs.jp",
            protocols={"ftp": 21},
            passive=True,
            user_from_url=store_id(YAHOO_STORE, prefix="store-"),
            user_help=_(
                '"store-" followed by the store ID of the shop\'s top page URL: for '
                "https://store.shopping.yahoo.co.jp/savaway/ enter store-savaway."
            ),
            password_help=_(
                "The FTP password for the user ID above. If you do not know it, issue it "
                "again in Store Creator Pro."
            ),
        ),
        SenderMail(),
        OAuthGrant(
            "yahoo_api",
            _("Yahoo! Shopping API settings"),
            "Yahoo! JAPAN IDでログイン",
            provider=YAHOO,
            fields=(
                Field(
                    "store_account",
                    _("Store account to use"),
                    required=True,
                    derive=store_id(YAHOO_STORE),
                    pattern=r"[A-Za-z0-9_-]+",
                    pattern_message=_("Enter the store ID only, such as savaway."),
                    help=_(
                        "The store ID of the shop's top page URL: for "
                        "https://store.shopping.yahoo.co.jp/savaway/ enter savaway."
                    ),
                ),
                Field(
                    "public_key",
                    _("Public key"),
                    KEY_PEM,
                    max_length=4000,
                    help=_(
                        "The public key registered in Store Creator Pro. With a public "
                        "key and its version, a sign-in lasts 28 days instead of 12 "
                        "hours. The key itself is valid for 1 year."
                    ),
                ),
                Field(
                    "public_key_version",
                    _("Public key version"),
                    INT,
                    help=_("The version number shown next to the public key."),
                ),
                Field(
                    "public_key_issued_on",
                    _("Public key registration date"),
                    DATE,
                    help=_("The day the public key was registered. The key is valid for 1 year."),
                ),
            ),
            features=(ORDER, STOCK),
            note=_(
                "Set this when stock or order management uses the API. Sign in with "
                '"Yahoo! JAPAN IDでログイン" and renew the sign-in before it expires: once it '
                "lapses, stock and orders stop syncing."
            ),
            lifetime=yahoo_grant_lifetime,
            expiry_label=_("Yahoo! JAPAN ID sign-in"),
            renew=_(
                'Press "Yahoo! JAPAN IDでログイン" on this page and sign in '
                "with the store's account."
            ),
            expiries=(
                Expiry(
                    "public_key",
                    _("Public key"),
                    timedelta(days=365),
                    requires="public_key",
                    issued_from="public_key_issued_on",
                    renew=_(
                        "Store Creator Pro: register a new public key, then enter it "
                        "and its version here."
                    ),
                ),
            ),
            rules=(together("public_key", "public_key_version"),),
            help_url="https://store-info.yahoo.co.jp/shopping/toolmanual/setup/i/1329.html",
        ),
    )

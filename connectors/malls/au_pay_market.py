"""au PAY マーケット (formerly Wowma!): shop manager FTP and the shop API."""

from datetime import timedelta
from xml.etree import ElementTree

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.checks import CheckResult
from connectors.conf import Endpoint
from connectors.expiry import Expiry
from connectors.fields import DATE, ORDER, SECRET, STOCK, Field, store_id
from connectors.sections import FileTransfer, ProductKey, Section, SenderMail
from connectors.transports import http

WOWMA_API = Endpoint(
    "WOWMA_API_BASE", "https://api.manager.wowma.jp/wmshopapi", "au PAY マーケット shop API"
)


class WowmaApi(Section):
    """Shop API: Bearer API key on a read-only stock search; the answer is XML."""

    check_does = "A read-only stock search (searchStocks) with the API key."
    check_cannot = "Whether the order API is enabled for the key."

    endpoints = (WOWMA_API,)

    def check(self, ctx):
        shop_id, api_key = ctx.get("shop_id"), ctx.secrets.get("api_key")
        if not (shop_id and api_key):
            return CheckResult.untested("not_configured", "shop ID and API key")
        response = http.request(
            "GET",
            WOWMA_API.join("searchStocks"),
            params={"shopId": shop_id, "totalCount": 1},
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=ctx.timeout,
        )
        text = response.text or ""
        expired = "expired" in text.lower() or "有効期限" in text
        if response.status_code in (401, 403):
            return CheckResult.fail(
                "key_expired" if expired else "auth_failed",
                f"shop API: HTTP {response.status_code}",
            )
        if response.status_code != 200:
            return CheckResult.fail("unexpected", f"shop API: HTTP {response.status_code}")
        try:
            root = ElementTree.fromstring(response.content)
        except ElementTree.ParseError:
            return CheckResult.fail("unexpected", "shop API: the answer is not XML")
        status = root.findtext(".//result/status")
        if status == "0":
            return CheckResult.ok("shop API answered status 0")
        code = root.findtext(".//error/code") or "?"
        return CheckResult.fail("key_expired" if expired else "auth_failed", f"shop API: {code}")


# http://www.dena-ec.com/user/1234567 -> 1234567 (the member number)
MEMBER_NUMBER = r"/user/([0-9]+)"


@register
class AuPayMarket(Connector):
    code = "au_pay_market"
    label = "au PAY マーケット"
    imports_order_mail = True
    order = 30
    summary = _(
        "Products by FTP, stock and orders through the Wow!manager API (API key), and order "
        "mails. Formerly Wowma!."
    )
    help_url = "https://manager.wowma.jp/"
    description = _("Formerly Wowma!. Links with the shop manager (FTP, API key).")
    sections = (
        FileTransfer(
            host="csv.manager.wowma.jp",
            protocols={"ftp": 21},
            passive=False,
            user_from_url=store_id(MEMBER_NUMBER, prefix="u"),
            features=("product",),
            note=_("Set this when you use product management."),
            user_help=_(
                '"u" followed by the member number of the shop\'s top page URL: for '
                "http://www.dena-ec.com/user/1234567 enter u1234567."
            ),
            password_help=_(
                "The FTP password for the user ID above. If you do not know it, ask au PAY Market."
            ),
        ),
        WowmaApi(
            "wowma_api",
            _("au PAY Market (Wowma!) API settings"),
            (
                Field(
                    "shop_id",
                    _("Shop ID (member number)"),
                    required=True,
                    derive=store_id(MEMBER_NUMBER),
                    pattern=r"[0-9]+",
                    pattern_message=_("Enter the member number in digits, such as 1234567."),
                    help=_(
                        "The member number in the shop's URL: for "
                        "http://www.dena-ec.com/user/1234567 enter 1234567."
                    ),
                ),
                Field(
                    "api_key",
                    _("API key"),
                    SECRET,
                    required=True,
                    help=_(
                        "The API key issued in the shop manager (Wow!manager). It is "
                        "valid for 90 days, and the IP address of this console must be "
                        "registered with it."
                    ),
                ),
                Field(
                    "api_key_issued_on",
                    _("API key issue date"),
                    DATE,
                    help=_(
                        "The day the API key was issued. Filled with the day you enter a "
                        "new key; correct it if needed."
                    ),
                ),
            ),
            features=(STOCK, ORDER),
            note=_("Set this when you use stock or order management."),
            expiries=(
                Expiry(
                    "api_key",
                    _("API key"),
                    timedelta(days=90),
                    requires="api_key",
                    issued_from="api_key_issued_on",
                    renew=_(
                        "Wow!manager > API settings: issue a new API key (register "
                        "this console's IP address with it), then enter it here."
                    ),
                ),
            ),
        ),
        SenderMail(),
        ProductKey(
            (
                ("item_code", _("Item code (itemCode)")),
                ("lot_number", _("Management ID (lotNumber)")),
            )
        ),
    )

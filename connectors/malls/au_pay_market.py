"""au PAY マーケット (formerly Wowma!): shop manager FTP and the shop API.

The shop API's specification (Wow!manager_API利用説明書.pdf) is handed to registered shops
only; what follows is SECONDARY (public clients that cite it, and tool vendors' manuals):
- Base https://api.manager.wowma.jp/wmshopapi/, `Authorization: Bearer <API key>`; the
  caller's IP address must be registered with the key in Wow!manager (各種お申し込み > API利用
  申請 > 接続元IPアドレス); the key lives 90 days from its issue.
- searchStocks: GET /wmshopapi/searchStocks?shopId=&totalCount=&startCount= (startCount is
  1-based, totalCount at most 500; every client sends both, so the test server requires
  both).
- Every answer is HTTP 200 XML; an error is <response><result><status>1</status><error>
  <code>..</code><message>..</message></error></result></response> (<error> inside
  <result>). The only code seen in public is CME0022 (a wrong shopId). The codes for "IP not
  registered", "wrong key" and "expired key" are NOT public: the check reads the message
  (an IP address named in it means the IP is not registered) and the stored issue date (a
  key past 90 days is expired) instead of guessing codes. The local test server's codes are
  placeholders, named as such.
- FTP host csv.manager.wowma.jp with passive mode off: from the TEMPOSTAR manual, not
  verified on au PAY マーケット's own pages.
"""

import re
from datetime import timedelta
from xml.etree import ElementTree

from django.utils import timezone
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
IP_MESSAGE = re.compile(r"\bIP\b|IPアドレス|ip ?address", re.IGNORECASE)
EXPIRED_MESSAGE = re.compile(r"expired|有効期限", re.IGNORECASE)

WRONG_SHOP_ID = "CME0022"  # the one error code seen in public (see the docstring)


class WowmaApi(Section):
    """Shop API: Bearer API key on a read-only stock search; the answer is XML."""

    # Result codes only this section reports, and what a person reads for them.
    messages = {
        "ip_not_registered": _(
            "The mall refused this console's IP address: register it with the API key at the mall."
        ),
    }

    check_does = (
        "A read-only stock search (searchStocks, startCount 1, totalCount 1) with the API key; "
        "reads the status and error inside <result>."
    )
    check_cannot = (
        "Whether the order API is enabled for the key; an error's exact cause when its "
        "message does not name it (the mall's error codes are not public)."
    )

    endpoints = (WOWMA_API,)

    def check(self, ctx):
        shop_id, api_key = ctx.get("shop_id"), ctx.secrets.get("api_key")
        if not (shop_id and api_key):
            return CheckResult.untested("not_configured", "shop ID and API key")
        response = http.request(
            "GET",
            WOWMA_API.join("searchStocks"),
            params={"shopId": shop_id, "totalCount": 1, "startCount": 1},
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=ctx.timeout,
        )
        try:
            root = ElementTree.fromstring(response.content)
        except ElementTree.ParseError:
            root = None
        status = root.findtext("./result/status") if root is not None else None
        if response.status_code == 200 and status == "0":
            return CheckResult.ok("searchStocks answered status 0")
        code = (root.findtext("./result/error/code") if root is not None else None) or "?"
        message = (root.findtext("./result/error/message") if root is not None else None) or ""
        detail = f"searchStocks: HTTP {response.status_code} status {status} {code}".strip()
        if root is None and response.status_code not in (401, 403):
            return CheckResult.fail("unexpected", f"{detail}: the answer is not XML")
        text = message or response.text[:300]
        if code == WRONG_SHOP_ID:
            return CheckResult.fail("not_found", f"{detail} {message[:120]}".strip())
        if IP_MESSAGE.search(text):
            return CheckResult.fail("ip_not_registered", f"{detail} {message[:120]}".strip())
        if EXPIRED_MESSAGE.search(text) or self._past_expiry(ctx):
            return CheckResult.fail("key_expired", f"{detail} {message[:120]}".strip())
        if response.status_code in (200, 401, 403):
            return CheckResult.fail("auth_failed", f"{detail} {message[:120]}".strip())
        return CheckResult.fail("unexpected", detail)

    def _past_expiry(self, ctx) -> bool:
        known = self.expiry("api_key").expires_at(ctx.values, lambda name: True)
        return bool(known and known[0] <= timezone.now())


# http://www.dena-ec.com/user/1234567 -> 1234567 (the member number)
MEMBER_NUMBER = r"/user/([0-9]+)"


@register
class AuPayMarket(Connector):
    code = "au_pay_market"
    label = "au PAY マーケット"
    imports_order_mail = True
    order = 30
    sources = ("https://alishoppe-members.pages.dev/aupay/API申請方法.html",)
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

"""MakeShop: the next-generation GraphQL API (the old REST API closes around 2025/2026).

Sources:
- https://developers.makeshop.jp/news/notice/api_migration_guide/index.html and
  https://developers.makeshop.jp/faq: "従来APIについては、2025年末〜2026年頭までに閉塞させる予定
  がございます。" (the old API: a fixed host, the shop ID and one 認証コード per kind of data).
  No exact date is published.
- https://developers.makeshop.jp/api/graphql/index.html (VERIFIED): requests carry
  `authorization: Bearer <永続トークン or 一時トークン>`, `x-api-key: <APIキー>` and
  `x-timestamp: <Unix time>` ("Unixtimeを入力してください。有効期限は1時間となります。"; the
  example 1692613424 is in seconds); no signature. The endpoint itself is not published
  ("アプリ開発申請のお手続き完了メールにて通知"): https://app-api.makeshop.jp/v1/graphql is the
  host every public client uses (SECONDARY, six repositories), so it is pinned here and
  MAKESHOP_API_URL overrides it.
- The read-only query: `query { getShop { shop { shopName shopUrl } } }` (getShop, not
  `shop`, as public clients use it for their connection test: SECONDARY). Introspection is
  refused in production (FORBIDDEN).
- Errors are GraphQL's top-level `errors[]`; the HTTP status for a bad token or a stale
  x-timestamp is not documented (clients check both `!res.ok` and `errors`), so the check
  treats an authentication error the same whichever way it comes.

The manual's ホストアドレス is kept as the shop's domain: shown and stored, never connected to.
The old REST API's 認証コード is kept as a retired value.
"""

import time

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.checks import CheckResult
from connectors.conf import Endpoint
from connectors.fields import HOST, ORDER, SECRET, STOCK, Field
from connectors.sections import Section, SenderMail
from connectors.transports import http

GRAPHQL = Endpoint(
    "MAKESHOP_API_URL", "https://app-api.makeshop.jp/v1/graphql", "MakeShop GraphQL API"
)
SHOP_QUERY = "query { getShop { shop { shopName shopUrl } } }"
AUTH_CODES = {"UNAUTHENTICATED", "UNAUTHORIZED", "FORBIDDEN", "INVALID_TOKEN"}


class MakeshopApi(Section):
    """One read-only GraphQL query with the permanent token, the API key and x-timestamp."""

    check_does = (
        "Runs one read-only GraphQL query (getShop) with the permanent token, the API key and "
        "the current Unix time (x-timestamp)."
    )
    check_cannot = (
        "Whether the token's app is allowed to change stock and read orders (only the shop "
        "is read)."
    )
    endpoints = (GRAPHQL,)

    def check(self, ctx):
        token, api_key = ctx.secrets.get("access_token"), ctx.secrets.get("api_key")
        if not (token and api_key):
            return CheckResult.untested("not_configured", "permanent token and API key")
        response = http.request(
            "POST",
            GRAPHQL.url,
            json={"query": SHOP_QUERY},
            headers={
                "authorization": f"Bearer {token}",
                "x-api-key": api_key,
                "x-timestamp": str(int(time.time())),
                "content-type": "application/json",
            },
            timeout=ctx.timeout,
        )
        try:
            body = response.json()
        except ValueError:
            body = None
        body = body if isinstance(body, dict) else {}
        errors = body.get("errors") if isinstance(body.get("errors"), list) else []
        codes = [
            str((e.get("extensions") or {}).get("code", "")) for e in errors if isinstance(e, dict)
        ]
        where = f"getShop: HTTP {response.status_code}" + (f" {','.join(codes)}" if codes else "")
        shop = ((body.get("data") or {}).get("getShop") or {}).get("shop")
        if response.status_code == 200 and isinstance(shop, dict) and not errors:
            return CheckResult.ok(
                f"{where}: the shop answered",
                info={"shop_name": str(shop.get("shopName", ""))[:100]},
            )
        if response.status_code in (401, 403) or AUTH_CODES & set(codes):
            return CheckResult.fail("auth_failed", where)
        return CheckResult.fail("unexpected", where)


@register
class Makeshop(Connector):
    code = "makeshop"
    label = "MakeShop"
    imports_order_mail = False
    order = 110
    help_url = "https://developers.makeshop.jp/api/graphql/index.html"
    sources = (
        "https://developers.makeshop.jp/api/graphql/index.html",
        "https://developers.makeshop.jp/news/notice/api_migration_guide/index.html",
    )
    summary = _("Orders and stock through the MakeShop API.")
    sections = (
        MakeshopApi(
            "makeshop_api",
            _("MakeShop linkage settings"),
            (
                Field(
                    "host",
                    _("Host address (shop domain)"),
                    HOST,
                    help=_(
                        "Your shop's domain, such as shop.example.jp (without https://). Shown "
                        "for reference: the console never connects to it."
                    ),
                ),
                Field(
                    "access_token",
                    _("Permanent token"),
                    SECRET,
                    required=True,
                    help=_(
                        "The permanent token (永続トークン) of your MakeShop app or API "
                        "self-use registration. It lasts until the app is uninstalled."
                    ),
                ),
                Field(
                    "api_key",
                    _("API key"),
                    SECRET,
                    required=True,
                    help=_("The API key (x-api-key) issued with the app."),
                ),
                Field(
                    "auth_code",
                    _("Linkage authentication code"),
                    SECRET,
                    retired=True,
                    help=_(
                        "Used by MakeShop's old REST API, which closes around the turn of "
                        "2025/2026. Kept for reference."
                    ),
                ),
            ),
            features=(ORDER, STOCK),
            note=_(
                "MakeShop's next-generation API (GraphQL) replaces the old API and its "
                "authentication codes: enter the permanent token and the API key."
            ),
        ),
        SenderMail(),
    )

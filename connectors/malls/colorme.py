"""カラーミーショップ: the shop API, authorized through Color Me's OAuth (tokens never expire).

Source: the official client's README, github.com/pepabo/colormeshop-ruby (generated from
https://api.shop-pro.jp/v1/swagger.json; the same text is on shop-pro.jp/?mode=api_started):
- GET https://api.shop-pro.jp/oauth/authorize with client_id, redirect_uri, response_type=code
  and scope (read_products write_products ...); the code lives 10 minutes, once.
- POST https://api.shop-pro.jp/oauth/token with client_id, client_secret, code, grant_type=
  authorization_code and redirect_uri in the form body (the README's curl -d example).
- The answer has no expires_in and no refresh_token: "アクセストークンに有効期限はありません".
- GET https://api.shop-pro.jp/v1/shop.json with a Bearer token reads the shop; errors are
  {"errors": [{"code", "message", "status"}]}. The status and body for a revoked token are
  not documented (401 assumed).
"""

from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.checks import CheckResult
from connectors.conf import Endpoint
from connectors.fields import STOCK
from connectors.oauth import OAuthProvider
from connectors.sections import OAuthGrant, SenderMail
from connectors.transports import http

COLORME = OAuthProvider(
    "COLORME",
    "カラーミーショップ",
    authorize_url="https://api.shop-pro.jp/oauth/authorize",
    token_url="https://api.shop-pro.jp/oauth/token",
    scope="read_products write_products",
    client_auth="client_secret_post",
    sources=("https://github.com/pepabo/colormeshop-ruby",),
)
COLORME_API = Endpoint("COLORME_API_BASE", "https://api.shop-pro.jp", "カラーミーショップ API")


class ColormeApi(OAuthGrant):
    """Color Me tokens do not expire: call the shop API with the stored access token."""

    check_does = "Reads the shop (GET /v1/shop.json) with the stored token."
    check_cannot = "Whether the token's scopes cover stock updates."

    endpoints = (COLORME_API,)

    def check(self, ctx):
        token = ctx.secrets.get("access_token")
        if not token:
            return CheckResult.untested("not_signed_in")
        response = http.request(
            "GET",
            COLORME_API.join("/v1/shop.json"),
            timeout=ctx.timeout,
            headers={"Authorization": f"Bearer {token}"},
        )
        if response.status_code in (401, 403):
            return CheckResult.fail("auth_failed", f"shop API: HTTP {response.status_code}")
        if response.status_code != 200:
            return CheckResult.fail("unexpected", f"shop API: HTTP {response.status_code}")
        return CheckResult.ok("shop API answered")


@register
class Colorme(Connector):
    code = "colorme"
    label = "カラーミーショップ"
    imports_order_mail = True
    order = 130
    sources = COLORME.sources
    summary = _("Stock through the Color Me Shop API (sign-in at Color Me Shop), and order mails.")
    help_url = "https://developer.shop-pro.jp/docs/colorme-api"
    sections = (
        ColormeApi(
            "colorme_api",
            _("Color Me Shop API settings"),
            _("Open the API linkage screen"),
            provider=COLORME,
            features=(STOCK,),
            note=_("Authorize this console in Color Me Shop. The authorization does not expire."),
        ),
        SenderMail(),
    )

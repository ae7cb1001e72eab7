"""カラーミーショップ: the shop API, authorized through Color Me's OAuth (tokens never expire)."""

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
        if response.status_code == 401:
            return CheckResult.fail("auth_failed", "shop API: HTTP 401")
        if response.status_code != 200:
            return CheckResult.fail("unexpected", f"shop API: HTTP {response.status_code}")
        return CheckResult.ok("shop API answered")


@register
class Colorme(Connector):
    code = "colorme"
    label = "カラーミーショップ"
    imports_order_mail = True
    order = 130
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

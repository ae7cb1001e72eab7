from django.conf import settings
from django.utils.translation import gettext_lazy as _

from connectors.base import Connector, register
from connectors.sections import STOCK, OAuthGrant, SenderMail


def check_colorme_api(section, ctx):
    """Color Me tokens do not expire: call the shop API with the stored access token."""
    from connectors.checks import CheckResult
    from connectors.transports import http

    token = ctx.secrets.get("access_token")
    if not token:
        return CheckResult.untested("not_signed_in")
    base = settings.MALL_API["colorme"].rstrip("/")
    response = http.request(
        "GET",
        f"{base}/v1/shop.json",
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
    sections = (
        OAuthGrant(
            "colorme_api",
            _("Color Me Shop API settings"),
            _("Open the API linkage screen"),
            provider="colorme",
            checker=check_colorme_api,
            features=(STOCK,),
            note=_("Authorize this console in Color Me Shop. The authorization does not expire."),
        ),
        SenderMail(),
    )

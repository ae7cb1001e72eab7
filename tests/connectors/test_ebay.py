"""eBay: data and the local token endpoint."""

import pytest

from connectors.malls.ebay import EBAY
from tests.helpers import configure_provider, make_shop, run
from tests.servers import HttpServer

DATA = {"url": "https://www.ebay.com/str/savaway"}


# ---- the local token endpoint -------------------------------------------------------------


pytestmark = pytest.mark.django_db
TOKEN_PATH = "/identity/v1/oauth2/token"


def routes(valid_refresh="refresh-token-ebay-1"):
    def token(request):
        form = dict(p.split("=", 1) for p in request["body"].split("&"))
        if form.get("grant_type") != "refresh_token":
            return 400, {}, {"error": "unsupported_grant_type"}
        if form.get("refresh_token") != valid_refresh:
            return 400, {}, {"error": "invalid_grant"}
        return (
            200,
            {},
            {"access_token": "access-token-new-1", "expires_in": 7200, "token_type": "Bearer"},
        )

    return {("POST", TOKEN_PATH): token}


@pytest.mark.parametrize(
    ("refresh", "status", "code"),
    [
        ("refresh-token-ebay-1", "success", "ok"),
        ("refresh-token-revoked", "failed", "key_expired"),
        (None, "untested", "not_signed_in"),
    ],
)
def test_token_refresh(settings, refresh, status, code):
    with HttpServer(routes()) as provider:
        configure_provider(settings, EBAY, provider.url, token=TOKEN_PATH)
        secrets = {"ebay_api.refresh_token": refresh} if refresh else {}
        check = run(make_shop("ebay", secrets=secrets), "ebay_api")
    assert (check.status, check.code) == (status, code)
    if status == "success":
        assert check.shop.get_secrets()["ebay_api.access_token"] == "access-token-new-1"
        assert "ebay_api.access_expires_at" in check.shop.settings

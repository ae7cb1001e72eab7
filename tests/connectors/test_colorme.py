"""カラーミーショップ: data, a local Color Me OAuth and shop API, and their tests.

The local server follows the official client's README (github.com/pepabo/colormeshop-ruby;
see connectors/malls/colorme.py):
- POST /oauth/token takes client_id, client_secret, code, grant_type=authorization_code and
  redirect_uri in the form body (the README's curl -d); a code works once. The answer has
  no expires_in and no refresh_token. The error shape of the token endpoint is not in the
  README: {"error", "error_description"} (RFC 6749) here; client credentials sent only as
  Basic are refused as invalid_client (an assumption: the README documents the body).
- GET /v1/shop.json needs `Authorization: Bearer <token>`; errors are {"errors": [{"code",
  "message", "status"}]}. The status for a revoked token is not documented: 401 here.
"""

from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.urls import reverse

from connectors.malls.colorme import COLORME, COLORME_API
from tests.connectors.protocol import bearer, form
from tests.helpers import configure_provider, make_shop, run
from tests.servers import HttpServer

DATA = {
    "url": "https://savaway.shop-pro.jp/",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
}

pytestmark = pytest.mark.django_db
CALLBACK = "http://testserver/oauth/callback/"


class ColormeServer(HttpServer):
    def __init__(self):
        self.codes, self.tokens = {"colorme-code-1"}, {"colorme-token"}
        super().__init__(
            {("POST", "/oauth/token"): self.token, ("GET", "/v1/shop.json"): self.shop}
        )

    def token(self, request):
        body = form(request)
        if (body.get("client_id"), body.get("client_secret")) != (
            "console-client",
            "console-secret",
        ):
            return 401, {}, {"error": "invalid_client", "error_description": "client"}
        if body.get("grant_type") != "authorization_code" or body.get("redirect_uri") != CALLBACK:
            return 400, {}, {"error": "invalid_request", "error_description": "request"}
        if body.get("code") not in self.codes:
            return 400, {}, {"error": "invalid_grant", "error_description": "code"}
        self.codes.discard(body["code"])
        self.tokens.add("colorme-token-new")
        return (
            200,
            {},
            {
                "access_token": "colorme-token-new",
                "token_type": "bearer",
                "scope": "read_products write_products",
            },
        )

    def shop(self, request):
        if bearer(request) not in self.tokens:
            error = {"code": 401000, "message": "アクセストークンが無効です。", "status": 401}
            return 401, {}, {"errors": [error]}
        return 200, {}, {"shop": {"id": "PA01", "shop_name": "サバウェイ"}}


@pytest.fixture
def colorme(settings):
    with ColormeServer() as server:
        configure_provider(
            settings, COLORME, server.url, authorize="/oauth/authorize", token="/oauth/token"
        )
        setattr(settings, COLORME_API.setting, server.url)
        settings.SITE_URL = "http://testserver"
        yield server


# ---- the server refuses what Color Me refuses -------------------------------------------------


def test_server_refuses_client_credentials_only_in_a_basic_header(colorme):
    body = {"grant_type": "authorization_code", "code": "colorme-code-1", "redirect_uri": CALLBACK}
    response = requests.post(
        colorme.url + "/oauth/token", data=body, auth=("console-client", "console-secret")
    )
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_server_refuses_the_shop_api_without_a_token(colorme):
    response = requests.get(colorme.url + "/v1/shop.json")
    assert response.status_code == 401 and response.json()["errors"][0]["status"] == 401


# ---- sign-in and check ------------------------------------------------------------------------


def test_sign_in_sends_the_client_in_the_body_and_keeps_a_token_without_expiry(
    admin_client, colorme
):
    shop = make_shop("colorme")
    start = admin_client.post(reverse("shops:oauth_start", args=[shop.code, "colorme_api"]))
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    done = admin_client.get(reverse("oauth_callback"), {"code": "colorme-code-1", "state": state})
    assert done.status_code == 302, done.content[:300]
    shop.refresh_from_db()
    assert shop.get_secrets() == {"colorme_api.access_token": "colorme-token-new"}
    assert "colorme_api.access_expires_at" not in shop.settings
    assert not shop.expiries.exists()  # Color Me tokens do not expire
    assert run(shop, "colorme_api").status == "success"


def test_calls_the_shop_api_with_the_token(colorme):
    good = run(
        make_shop("colorme", secrets={"colorme_api.access_token": "colorme-token"}), "colorme_api"
    )
    bad = run(make_shop("colorme", secrets={"colorme_api.access_token": "revoked"}), "colorme_api")
    assert good.status == "success" and (bad.status, bad.code) == ("failed", "auth_failed")

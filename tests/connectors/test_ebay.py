"""eBay: data, a local eBay OAuth (consent page and token endpoint) and their tests.

The local server follows eBay's OAuth pages (see connectors/malls/ebay.py):
- GET /oauth2/authorize needs client_id, response_type=code and redirect_uri equal to the
  application's RuName (not a URL); it redirects to the RuName's accept URL with code and
  state (and expires_in=299). What eBay shows for a wrong redirect_uri is not documented:
  this server answers 400 {"error": "invalid_request", ...} (an assumption).
- POST /identity/v1/oauth2/token needs `Authorization: Basic base64(client_id:secret)`
  (401 invalid_client without it); the exchange needs redirect_uri equal to the RuName
  (400 invalid_request otherwise, an assumption for the exact code); a refresh may send the
  scope, which must stay within the grant's (400 invalid_scope "The requested scope is
  invalid, unknown, malformed, or exceeds the scope granted to the client"). An unknown
  refresh token is 400 invalid_grant "the provided authorization refresh token is invalid
  or was issued to another client".
"""

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.urls import reverse

from connectors.malls.ebay import EBAY
from tests.connectors.protocol import basic, form, query
from tests.helpers import configure_provider, make_shop, run
from tests.servers import HttpServer

DATA = {"url": "https://www.ebay.com/str/savaway"}

pytestmark = pytest.mark.django_db
AUTHORIZE, TOKEN = "/oauth2/authorize", "/identity/v1/oauth2/token"
RUNAME = "Savaway_Console-Savaway-Consol-abcdefg"
CALLBACK = "http://testserver/oauth/callback/"
CLIENT = ("console-client", "console-secret")
GRANTED = set(EBAY.scope.split())


def error(status, code, description):
    return status, {}, {"error": code, "error_description": description}


class EbayServer(HttpServer):
    def __init__(self):
        self.codes, self.refresh_tokens = set(), {"v^1.1#refresh-live"}
        self.count = 0
        super().__init__({("GET", AUTHORIZE): self.authorize, ("POST", TOKEN): self.token})

    def authorize(self, request):
        q = query(request)
        if q.get("client_id") != CLIENT[0] or q.get("response_type") != "code":
            return error(400, "invalid_request", "Input request parameters are invalid.")
        if q.get("redirect_uri") != RUNAME:
            return error(400, "invalid_request", "Input request parameters are invalid.")
        self.count += 1
        code = f"v^1.1#code-{self.count}"
        self.codes.add(code)
        answer = {"state": q.get("state", ""), "code": code, "expires_in": 299}
        return 302, {"Location": f"{CALLBACK}?{urlencode(answer)}"}, ""

    def token(self, request):
        if basic(request) != CLIENT:
            return error(401, "invalid_client", "client authentication failed")
        body = form(request)
        grant = body.get("grant_type")
        if grant == "authorization_code":
            if body.get("redirect_uri") != RUNAME:
                return error(
                    400, "invalid_request", "request is missing a required parameter or malformed."
                )
            if body.get("code") not in self.codes:
                return error(
                    400,
                    "invalid_grant",
                    "the provided authorization grant code is invalid or was issued to "
                    "another client",
                )
            self.codes.discard(body["code"])
            self.count += 1
            refresh = f"v^1.1#refresh-{self.count}"
            self.refresh_tokens.add(refresh)
            return (
                200,
                {},
                {
                    "access_token": f"v^1.1#access-{self.count}",
                    "expires_in": 7200,
                    "refresh_token": refresh,
                    "refresh_token_expires_in": 47304000,
                    "token_type": "User Access Token",
                },
            )
        if grant == "refresh_token":
            if "scope" in body and not set(body["scope"].split()) <= GRANTED:
                return error(
                    400,
                    "invalid_scope",
                    "The requested scope is invalid, unknown, malformed, or exceeds the "
                    "scope granted to the client",
                )
            if body.get("refresh_token") not in self.refresh_tokens:
                return error(
                    400,
                    "invalid_grant",
                    "the provided authorization refresh token is invalid or was issued to "
                    "another client",
                )
            self.count += 1
            return (
                200,
                {},
                {
                    "access_token": f"v^1.1#access-{self.count}",
                    "expires_in": 7200,
                    "token_type": "User Access Token",
                },
            )
        return error(400, "unsupported_grant_type", "unsupported grant type")


@pytest.fixture
def ebay(settings):
    with EbayServer() as server:
        configure_provider(settings, EBAY, server.url, authorize=AUTHORIZE, token=TOKEN)
        settings.EBAY_RUNAME = RUNAME
        settings.SITE_URL = "http://testserver"
        yield server


# ---- the server refuses what eBay refuses -----------------------------------------------------


def test_consent_refuses_a_redirect_uri_that_is_a_url(ebay):
    params = {"client_id": CLIENT[0], "response_type": "code", "redirect_uri": CALLBACK}
    response = requests.get(ebay.url + AUTHORIZE, params=params, allow_redirects=False)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_token_endpoint_refuses_a_redirect_uri_that_is_a_url(ebay):
    ebay.codes.add("v^1.1#code-x")
    body = {"grant_type": "authorization_code", "code": "v^1.1#code-x", "redirect_uri": CALLBACK}
    response = requests.post(ebay.url + TOKEN, data=body, auth=CLIENT)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_token_endpoint_refuses_client_credentials_in_the_body(ebay):
    body = {
        "grant_type": "refresh_token",
        "refresh_token": "v^1.1#refresh-live",
        "client_id": CLIENT[0],
        "client_secret": CLIENT[1],
    }
    response = requests.post(ebay.url + TOKEN, data=body)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_token_endpoint_refuses_a_scope_beyond_the_grant(ebay):
    body = {
        "grant_type": "refresh_token",
        "refresh_token": "v^1.1#refresh-live",
        "scope": "https://api.ebay.com/oauth/api_scope/sell.finances",
    }
    response = requests.post(ebay.url + TOKEN, data=body, auth=CLIENT)
    assert response.status_code == 400 and response.json()["error"] == "invalid_scope"


# ---- sign-in and check ------------------------------------------------------------------------


def test_sign_in_sends_the_runame_in_the_consent_and_the_exchange(admin_client, ebay):
    shop = make_shop("ebay")
    start = admin_client.post(reverse("shops:oauth_start", args=[shop.code, "ebay_api"]))
    params = parse_qs(urlsplit(start["Location"]).query)
    assert params["redirect_uri"] == [RUNAME] and params["response_type"] == ["code"]
    assert set(params["scope"][0].split()) == GRANTED
    consent = requests.get(start["Location"], allow_redirects=False)
    back = urlsplit(consent.headers["Location"])
    done = admin_client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})
    assert done.status_code == 302, done.content[:300]
    shop.refresh_from_db()
    assert shop.get_secrets()["ebay_api.refresh_token"] == "v^1.1#refresh-2"
    # refresh_token_expires_in (about 18 months) is the grant's expiry.
    assert "ebay_api.refresh_expires_at" in shop.settings
    assert parse_qs(ebay.requests[-1]["body"])["redirect_uri"] == [RUNAME]


def test_without_a_runame_no_browser_leaves(admin_client, ebay, settings):
    settings.EBAY_RUNAME = ""
    shop = make_shop("ebay")
    response = admin_client.post(reverse("shops:oauth_start", args=[shop.code, "ebay_api"]))
    assert response["Location"].startswith(reverse("shops:edit", args=[shop.code]))
    assert "EBAY_RUNAME" in admin_client.get(response["Location"]).content.decode()
    assert ebay.requests == []


@pytest.mark.parametrize(
    ("refresh", "status", "code"),
    [
        ("v^1.1#refresh-live", "success", "ok"),
        ("v^1.1#refresh-revoked", "failed", "key_expired"),
        (None, "untested", "not_signed_in"),
    ],
)
def test_token_refresh(ebay, refresh, status, code):
    secrets = {"ebay_api.refresh_token": refresh} if refresh else {}
    check = run(make_shop("ebay", secrets=secrets), "ebay_api")
    assert (check.status, check.code) == (status, code)
    if status == "success":
        assert check.shop.get_secrets()["ebay_api.access_token"] == "v^1.1#access-1"
        assert "ebay_api.access_expires_at" in check.shop.settings
        sent = parse_qs(ebay.requests[-1]["body"])
        assert set(sent["scope"][0].split()) == GRANTED  # the scopes go on the refresh too


def test_wrong_client_secret_is_the_consoles_problem(ebay, settings):
    settings.EBAY_CLIENT_SECRET = "wrong"
    check = run(
        make_shop("ebay", secrets={"ebay_api.refresh_token": "v^1.1#refresh-live"}), "ebay_api"
    )
    assert (check.status, check.code) == ("failed", "client_rejected")

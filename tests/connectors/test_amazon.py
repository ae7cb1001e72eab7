"""Amazon: data, a local Seller Central consent page and Login with Amazon token endpoint
speaking the SP-API website authorization workflow, and their tests.

The local servers follow the SP-API developer guide's "Website authorization workflow"
(https://developer-docs.amazon.com/sp-api/docs/website-authorization-workflow; the guide in
github.com/amzn/selling-partner-api-docs) and the official SDKs' LWA client:
- GET /apps/authorize/consent needs application_id (the SP-API application's ID) and state;
  version=beta authorizes a draft application, and a draft is only found with it;
  redirect_uri is optional and, when sent, must be a registered one. It answers with a
  redirect carrying state, selling_partner_id and spapi_oauth_code. Amazon's answer to a
  request without application_id is not documented: this server answers 400 with a page.
- POST /auth/o2/token takes a form (or JSON) body with grant_type, code (or refresh_token),
  client_id and client_secret; no Basic. A code works once. Errors are {"error",
  "error_description"}: invalid_grant "The request has an invalid grant parameter : code"
  (400), invalid_client (401, as in the SDK's tests); a missing client_id is
  invalid_request (400). "If you include refresh_token, do not include scope": a refresh
  with a scope is refused as invalid_request (the exact answer is not documented).
"""

import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.urls import reverse

from connectors.malls.amazon import LWA
from tests.conftest import CHROMIUM
from tests.connectors.protocol import form, header, is_form, json_body, query
from tests.helpers import configure_provider, make_shop, run
from tests.servers import HttpServer

DATA = {
    "url": "https://www.amazon.co.jp/shops/A2EXAMPLE12345",
    "sp_api.seller_id": "A2EXAMPLE12345",
    "sp_api.marketplace_id": "A1VC38T7YXB528",
    "mws.seller_token": "amz-mws-seller-0006",
    "mws.auth_token": "amzn.mws.0007-token",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
}

pytestmark = pytest.mark.django_db
APP_ID = "amzn1.sp.solution.example-app-0001"
CLIENT_ID, CLIENT_SECRET = "amzn1.application-oa2-client.console", "lwa-console-secret"
CALLBACK = "http://testserver/oauth/callback/"
PARTNER = "A2EXAMPLE12345"
CONSENT, TOKEN = "/apps/authorize/consent", "/auth/o2/token"


def lwa_error(status, code, description):
    return status, {}, {"error": code, "error_description": description}


class AmazonServer(HttpServer):
    def __init__(self, *, draft=False, partner=PARTNER):
        self.draft, self.partner = draft, partner
        self.codes: dict[str, str] = {}  # code -> redirect_uri it was issued for
        self.refresh_tokens = {"Atzr|live-refresh"}
        self.count = 0
        super().__init__({("GET", CONSENT): self.consent, ("POST", TOKEN): self.token})

    def consent(self, request):
        q = query(request)
        if q.get("application_id") != APP_ID:
            return 400, {"Content-Type": "text/html"}, "<p>アプリケーションが見つかりません</p>"
        if self.draft != (q.get("version") == "beta"):
            return 400, {"Content-Type": "text/html"}, "<p>アプリケーションが見つかりません</p>"
        if not q.get("state"):
            return 400, {"Content-Type": "text/html"}, "<p>state is required</p>"
        redirect_uri = q.get("redirect_uri", CALLBACK)
        if redirect_uri != CALLBACK:
            return 400, {"Content-Type": "text/html"}, "<p>redirect_uri is not registered</p>"
        self.count += 1
        code = f"ANspapi-code-{self.count}"
        self.codes[code] = redirect_uri
        answer = {
            "state": q["state"],
            "selling_partner_id": self.partner,
            "spapi_oauth_code": code,
        }
        return 302, {"Location": f"{redirect_uri}?{urlencode(answer)}"}, ""

    def token(self, request):
        if is_form(request):
            body = form(request)
        elif header(request, "Content-Type").startswith("application/json"):
            body = json_body(request) or {}
        else:
            return lwa_error(400, "invalid_request", "Unsupported content type")
        if "client_id" not in body:
            return lwa_error(400, "invalid_request", "The request is missing client_id")
        if (body.get("client_id"), body.get("client_secret")) != (CLIENT_ID, CLIENT_SECRET):
            return lwa_error(401, "invalid_client", "Client authentication failed")
        grant = body.get("grant_type")
        if grant == "authorization_code":
            issued_for = self.codes.pop(body.get("code", ""), None)
            if issued_for is None:
                return lwa_error(
                    400, "invalid_grant", "The request has an invalid grant parameter : code"
                )
            # The code exchange carries the redirect_uri of the consent request (step 4's
            # parameters; RFC 6749 section 4.1.3).
            if body.get("redirect_uri") != issued_for:
                return lwa_error(400, "invalid_grant", "redirect_uri mismatch")
        elif grant == "refresh_token":
            if "scope" in body:
                return lwa_error(400, "invalid_request", "Do not send scope with refresh_token")
            if body.get("refresh_token") not in self.refresh_tokens:
                return lwa_error(
                    400,
                    "invalid_grant",
                    "The request has an invalid grant parameter : refresh_token",
                )
        else:
            return lwa_error(400, "unsupported_grant_type", "Unsupported grant type")
        self.count += 1
        self.refresh_tokens.add(f"Atzr|refresh-{self.count}")
        return (
            200,
            {},
            {
                "access_token": f"Atza|access-{self.count}",
                "refresh_token": body.get("refresh_token") or f"Atzr|refresh-{self.count}",
                "token_type": "bearer",
                "expires_in": 3600,
            },
        )


@pytest.fixture
def amazon(settings):
    with AmazonServer() as server:
        configure_provider(
            settings,
            LWA,
            server.url,
            authorize=CONSENT,
            token=TOKEN,
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
        )
        settings.AMAZON_APPLICATION_ID = APP_ID
        settings.AMAZON_APP_DRAFT = False
        settings.SITE_URL = "http://testserver"
        yield server


def token_form(**values):
    return {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, **values}


# ---- the local servers refuse what Amazon refuses ---------------------------------------------


def test_consent_page_refuses_a_request_without_application_id(amazon):
    # The shape of the old consent request: OAuth's client_id and response_type.
    old = {"client_id": CLIENT_ID, "response_type": "code", "state": "s1"}
    response = requests.get(amazon.url + CONSENT, params=old, allow_redirects=False)
    assert response.status_code == 400


def test_consent_page_finds_a_draft_application_only_with_version_beta(amazon):
    amazon.draft = True
    params = {"application_id": APP_ID, "state": "s1"}
    assert (
        requests.get(amazon.url + CONSENT, params=params, allow_redirects=False).status_code == 400
    )
    params["version"] = "beta"
    found = requests.get(amazon.url + CONSENT, params=params, allow_redirects=False)
    assert found.status_code == 302 and "spapi_oauth_code=" in found.headers["Location"]


def test_token_endpoint_refuses_client_credentials_in_a_basic_header(amazon):
    response = requests.post(
        amazon.url + TOKEN,
        data={"grant_type": "refresh_token", "refresh_token": "Atzr|live-refresh"},
        auth=(CLIENT_ID, CLIENT_SECRET),
    )
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_token_endpoint_refuses_a_code_used_twice(amazon):
    amazon.codes["ANspapi-once"] = CALLBACK
    body = token_form(grant_type="authorization_code", code="ANspapi-once", redirect_uri=CALLBACK)
    assert requests.post(amazon.url + TOKEN, data=body).status_code == 200
    again = requests.post(amazon.url + TOKEN, data=body)
    assert again.status_code == 400 and again.json() == {
        "error": "invalid_grant",
        "error_description": "The request has an invalid grant parameter : code",
    }


@pytest.mark.parametrize("redirect_uri", [None, "https://elsewhere.example.jp/oauth/callback/"])
def test_token_endpoint_refuses_a_code_exchange_without_its_redirect_uri(amazon, redirect_uri):
    amazon.codes["ANspapi-uri"] = CALLBACK
    body = token_form(grant_type="authorization_code", code="ANspapi-uri")
    if redirect_uri:
        body["redirect_uri"] = redirect_uri
    response = requests.post(amazon.url + TOKEN, data=body)
    assert response.status_code == 400 and response.json()["error"] == "invalid_grant"


def test_token_endpoint_refuses_a_scope_with_a_refresh(amazon):
    body = token_form(
        grant_type="refresh_token", refresh_token="Atzr|live-refresh", scope="sellingpartnerapi"
    )
    response = requests.post(amazon.url + TOKEN, data=body)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_token_endpoint_refuses_a_wrong_client_secret_with_401(amazon):
    body = {**token_form(grant_type="refresh_token", refresh_token="Atzr|live-refresh")}
    body["client_secret"] = "wrong"
    response = requests.post(amazon.url + TOKEN, data=body)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


# ---- the sign-in ------------------------------------------------------------------------------


def sign_in(admin_client, shop):
    start = admin_client.post(reverse("shops:oauth_start", args=[shop.code, "sp_api"]))
    assert start.status_code == 302, start.content[:300]
    consent = requests.get(start["Location"], allow_redirects=False)
    assert consent.status_code == 302, consent.text[:200]
    back = urlsplit(consent.headers["Location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return start, admin_client.get(back.path, {k: v[0] for k, v in parse_qs(back.query).items()})


def test_sign_in_follows_the_website_authorization_workflow(admin_client, amazon):
    shop = make_shop("amazon", {"sp_api.seller_id": PARTNER})
    start, done = sign_in(admin_client, shop)
    consent = urlsplit(start["Location"])
    params = parse_qs(consent.query)
    assert consent.path == CONSENT
    assert params["application_id"] == [APP_ID] and params["redirect_uri"] == [CALLBACK]
    assert "client_id" not in params and "response_type" not in params
    assert "version" not in params  # a published application
    assert done.status_code == 302, done.content[:300]
    shop.refresh_from_db()
    assert shop.get_secrets()["sp_api.refresh_token"].startswith("Atzr|refresh-")
    assert shop.settings["sp_api.selling_partner_id"] == PARTNER
    exchange = amazon.requests[-1]
    sent = parse_qs(exchange["body"])
    assert exchange["path"] == TOKEN and sent["client_secret"] == [CLIENT_SECRET]
    assert sent["grant_type"] == ["authorization_code"]
    assert sent["code"][0].startswith("ANspapi-code-")
    assert "Authorization" not in exchange["headers"]


def test_a_draft_application_adds_version_beta(admin_client, amazon, settings):
    settings.AMAZON_APP_DRAFT = True
    amazon.draft = True
    start, done = sign_in(admin_client, make_shop("amazon", {"sp_api.seller_id": PARTNER}))
    assert parse_qs(urlsplit(start["Location"]).query)["version"] == ["beta"]
    assert done.status_code == 302


def test_without_an_application_id_no_browser_leaves(admin_client, amazon, settings):
    settings.AMAZON_APPLICATION_ID = ""
    shop = make_shop("amazon", {"sp_api.seller_id": PARTNER})
    response = admin_client.post(reverse("shops:oauth_start", args=[shop.code, "sp_api"]))
    assert response["Location"].startswith(reverse("shops:edit", args=[shop.code]))
    html = admin_client.get(response["Location"]).content.decode()
    assert "AMAZON_APPLICATION_ID" in html
    assert amazon.requests == []


def test_a_selling_partner_other_than_the_seller_id_is_flagged(admin_client, amazon):
    amazon.partner = "A9OTHERSELLER9"
    shop = make_shop("amazon", {"sp_api.seller_id": PARTNER})
    _start, done = sign_in(admin_client, shop)
    assert done.status_code == 302
    shop.refresh_from_db()
    assert shop.settings["sp_api.selling_partner_id"] == "A9OTHERSELLER9"
    status = shop.connector.section("sp_api").status(
        {"seller_id": PARTNER, "selling_partner_id": "A9OTHERSELLER9"}, {}
    )
    assert len(status) == 1 and status[0].warning
    assert "A9OTHERSELLER9" in status[0].value and PARTNER in status[0].value
    same = shop.connector.section("sp_api").status(
        {"seller_id": PARTNER, "selling_partner_id": PARTNER}, {}
    )
    assert not same[0].warning


def test_a_forged_selling_partner_id_is_not_kept(admin_client, amazon):
    amazon.partner = "<script>alert(1)</script>"
    shop = make_shop("amazon", {"sp_api.seller_id": PARTNER})
    _start, done = sign_in(admin_client, shop)
    assert done.status_code == 302
    shop.refresh_from_db()
    assert "sp_api.selling_partner_id" not in shop.settings


# ---- the check --------------------------------------------------------------------------------


def signed_in(refresh="Atzr|live-refresh"):
    return make_shop(
        "amazon",
        {"sp_api.seller_id": PARTNER, "sp_api.authorized_at": "2026-11-01T09:00:00+09:00"},
        {"sp_api.refresh_token": refresh},
    )


def test_check_refreshes_with_the_client_in_the_body_and_no_scope(amazon):
    check = run(signed_in(), "sp_api")
    assert check.status == "success", check.detail
    sent = parse_qs(amazon.requests[-1]["body"])
    assert sent["grant_type"] == ["refresh_token"] and "scope" not in sent
    assert sent["client_id"] == [CLIENT_ID]
    assert check.shop.get_secrets()["sp_api.access_token"].startswith("Atza|access-")


@pytest.mark.parametrize(
    ("refresh", "secret", "code"),
    [
        ("Atzr|revoked", CLIENT_SECRET, "key_expired"),
        ("Atzr|live-refresh", "wrong-secret", "client_rejected"),
    ],
)
def test_check_failures(amazon, settings, refresh, secret, code):
    settings.AMAZON_CLIENT_SECRET = secret
    check = run(signed_in(refresh), "sp_api")
    assert (check.status, check.code) == ("failed", code)
    assert secret not in check.detail and "Atzr" not in check.detail


def test_json_token_requests_are_accepted_too(amazon):
    # The official Java SDK posts JSON; the server accepts both, as LWA does.
    body = json.dumps(token_form(grant_type="refresh_token", refresh_token="Atzr|live-refresh"))
    response = requests.post(
        amazon.url + TOKEN, data=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200 and re.match(r"Atza\|", response.json()["access_token"])


# ---- what the administrator sees --------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_the_page_warns_when_amazon_named_another_seller(live_server, page, admin_user):  # noqa: F811
    from playwright.sync_api import expect

    from tests.conftest import PASSWORD

    shop = make_shop(
        "amazon",
        {"sp_api.seller_id": PARTNER, "sp_api.selling_partner_id": "A9OTHERSELLER9"},
        {"sp_api.refresh_token": "Atzr|live-refresh"},
    )
    page.goto(f"{live_server.url}/shops/{shop.code}/edit/")
    page.get_by_label("ユーザー名").fill("admin")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    warning = page.locator("#section-sp_api .status-line.warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("要確認")
    expect(warning).to_contain_text("A9OTHERSELLER9")
    expect(warning).to_contain_text(PARTNER)

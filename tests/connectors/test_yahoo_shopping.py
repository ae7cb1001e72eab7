"""Yahoo!ショッピング: data, a local YConnect (Yahoo! JAPAN ID) provider and Shopping API that
enforce the documented protocol, and their tests.

The local server follows (see connectors/malls/yahoo_shopping.py for the sources):
- POST /token (YConnect v2): a server-side application authenticates with HTTP Basic
  ("Basic認証を用いたクライアント認証が必須です"); client credentials only in the body are refused
  with 401 invalid_client. code_verifier must match the code_challenge (PKCE).
- GET /ShoppingWebService/V1/orderCount?sellerId=<store>: a Bearer token issued by /token
  (else 401 <Error><Message>Please provide valid credentials...</Message></Error>); sellerId
  is required (else 400 px-04001). With X-sws-signature, the server decrypts it with its own
  private key for the X-sws-signature-version named (PKCS#1 v1.5), expects "<sellerId>:<Unix
  time>" within 10 minutes of its clock (the window is not documented: an assumption), and
  answers `X-SWS-Authorize-Status: authorized`; a signature it cannot accept gets
  HTTP 200 with another value (Yahoo's other values are not documented: "unauthorized" here).
  A signature without a version is refused with 403 px-14303 "Use of API is not permitted."
  (SECONDARY).
"""

import base64
import hashlib
import time

import pytest
import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from django.urls import reverse

from connectors.malls.yahoo_shopping import SHOPPING_API, YAHOO, sws_signature
from tests.connectors.protocol import basic, bearer, form, header, query
from tests.helpers import configure_provider, make_shop, run
from tests.servers import HttpServer


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(private_key) -> str:
    return (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
        .strip()
    )


# The store's key pair, version 3 (Yahoo keeps the private half; so does the local server).
STORE_KEY = _key()
OTHER_KEY = _key()  # a key Yahoo never registered
KEY_VERSION = 3

DATA = {
    "url": "https://store.shopping.yahoo.co.jp/savaway/",
    "ftp.host": "ftp.castle.yahoofs.jp",
    "ftp.port": 21,
    "ftp.user": "store-savaway",
    "ftp.password": "yh-ftp-pass-0003",
    "ftp.passive": True,
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
    "yahoo_api.store_account": "savaway",
    "yahoo_api.public_key": _pem(STORE_KEY),
    "yahoo_api.public_key_version": KEY_VERSION,
}
CLIENT = ("console-client", "console-secret")
ORDER_COUNT = "/ShoppingWebService/V1/orderCount"
WINDOW = 600
XML = {"Content-Type": "application/xml"}


def xml_error(status, message, code=""):
    body = f"<Error><Message>{message}</Message>" + (f"<Code>{code}</Code>" if code else "")
    return status, XML, body + "</Error>"


# ---- the local YConnect provider and Shopping API ---------------------------------------------


def provider_routes(store):
    store.setdefault("keys", {KEY_VERSION: STORE_KEY})
    store.setdefault("access_tokens", set())

    def issue(refresh=None):
        # yahoo-access-1 for a sign-in; each refresh then yahoo-access-2, -3, ...
        n = 1 if refresh else store.setdefault("refreshes", 1) + 1
        if not refresh:
            store["refreshes"] = n
        access = f"yahoo-access-{n}"
        store["access_tokens"].add(access)
        body = {"access_token": access, "expires_in": 3600, "token_type": "Bearer"}
        if refresh:
            body["refresh_token"] = refresh
        return 200, {}, body

    def token(request):
        body = form(request)
        store.setdefault("token_requests", []).append(body)
        if basic(request) != CLIENT:
            return 401, {}, {"error": "invalid_client", "error_description": "Basic required"}
        if body.get("grant_type") == "authorization_code":
            if body.get("code") != "auth-code-1":
                return 400, {}, {"error": "invalid_grant"}
            verifier = body.get("code_verifier", "")
            challenge = (
                base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
                .decode()
                .rstrip("=")
            )
            if challenge != store.get("challenge"):
                return 400, {}, {"error": "invalid_grant", "error_description": "PKCE"}
            return issue(refresh="yahoo-refresh-1")
        if body.get("grant_type") == "refresh_token":
            if body.get("refresh_token") == "yahoo-refresh-revoked":
                return 400, {}, {"error": "invalid_grant"}
            return issue()
        return 400, {}, {"error": "unsupported_grant_type"}

    def order_count(request):
        store.setdefault("api_requests", []).append(request)
        if bearer(request) not in store["access_tokens"]:
            return xml_error(
                401,
                'Please provide valid credentials. Bearer realm="yahooapis.jp", '
                'error="invalid_token", error_description="expired token"',
            )
        seller = query(request).get("sellerId")
        if not seller:
            return xml_error(400, "sellerId is not specified", "px-04001")
        ok = 200, {**XML}, "<ResultSet><Result><Count><NewOrder>0</NewOrder></Count></Result>"
        signature = header(request, "X-sws-signature")
        if not signature:
            return ok[0], ok[1], ok[2] + "</ResultSet>"
        version = header(request, "X-sws-signature-version")
        if not version:
            return xml_error(403, "Use of API is not permitted.", "px-14303")
        status = "authorized" if accepts(store, signature, version, seller) else "unauthorized"
        return 200, {**XML, "X-SWS-Authorize-Status": status}, ok[2] + "</ResultSet>"

    return {
        ("POST", "/token"): token,
        ("GET", ORDER_COUNT): order_count,
    }


def accepts(store, signature, version, seller) -> bool:
    key = store["keys"].get(int(version)) if version.isdigit() else None
    if key is None:
        return False
    try:
        plain = key.decrypt(base64.b64decode(signature), padding.PKCS1v15()).decode()
    except ValueError:
        return False
    who, _, when = plain.rpartition(":")
    clock = time.time() + store.get("skew", 0)  # Yahoo!'s clock, as far from ours as a test sets
    return who == seller and when.isdigit() and abs(clock - int(when)) <= WINDOW


@pytest.fixture
def yahoo_provider(settings):
    store = {}
    with HttpServer(provider_routes(store)) as server:
        configure_provider(
            settings, YAHOO, server.url, client_id=CLIENT[0], client_secret=CLIENT[1]
        )
        setattr(settings, SHOPPING_API.setting, server.url + "/ShoppingWebService/V1")
        settings.SITE_URL = "http://testserver"
        store["server"] = server
        yield store


pytestmark = pytest.mark.django_db


def signed_in(**values):
    settings_values = {
        "yahoo_api.store_account": "savaway",
        "yahoo_api.public_key": DATA["yahoo_api.public_key"],
        "yahoo_api.public_key_version": KEY_VERSION,
        "yahoo_api.authorized_at": "2026-11-26T09:00:00+09:00",
    }
    settings_values.update({f"yahoo_api.{k}": v for k, v in values.items()})
    settings_values = {k: v for k, v in settings_values.items() if v is not None}
    return make_shop(
        "yahoo_shopping",
        settings_values,
        {"yahoo_api.refresh_token": "yahoo-refresh-1"},
        url="https://store.shopping.yahoo.co.jp/savaway/",
    )


def signature_for(private_key, text):
    encrypted = private_key.public_key().encrypt(text.encode(), padding.PKCS1v15())
    return base64.b64encode(encrypted).decode()


# ---- the local servers refuse what Yahoo! refuses ---------------------------------------------


def test_token_endpoint_refuses_client_credentials_in_the_body(yahoo_provider):
    server = yahoo_provider["server"]
    body = {"grant_type": "refresh_token", "refresh_token": "r", "client_id": CLIENT[0]}
    body["client_secret"] = CLIENT[1]
    response = requests.post(server.url + "/token", data=body)
    assert response.status_code == 401 and response.json()["error"] == "invalid_client"


def test_shopping_api_refuses_an_unknown_token(yahoo_provider):
    server = yahoo_provider["server"]
    response = requests.get(
        server.url + ORDER_COUNT,
        params={"sellerId": "savaway"},
        headers={"Authorization": "Bearer nope"},
    )
    assert response.status_code == 401 and "invalid_token" in response.text
    assert response.text.startswith("<Error><Message>")


def test_shopping_api_refuses_a_call_without_seller(yahoo_provider):
    yahoo_provider["access_tokens"].add("a-token")
    server = yahoo_provider["server"]
    response = requests.get(server.url + ORDER_COUNT, headers={"Authorization": "Bearer a-token"})
    assert response.status_code == 400 and "<Code>px-04001</Code>" in response.text


@pytest.mark.parametrize(
    ("key", "version", "text", "status"),
    [
        (STORE_KEY, "3", "savaway:{now}", "authorized"),
        (OTHER_KEY, "3", "savaway:{now}", "unauthorized"),  # a key Yahoo never registered
        (STORE_KEY, "4", "savaway:{now}", "unauthorized"),  # a version with no key
        (STORE_KEY, "3", "otherstore:{now}", "unauthorized"),  # another store's account
        (STORE_KEY, "3", "savaway:{stale}", "unauthorized"),  # an hour old
    ],
)
def test_signature_rules(yahoo_provider, key, version, text, status):
    yahoo_provider["access_tokens"].add("a-token")
    now = int(time.time())
    signature = signature_for(key, text.format(now=now, stale=now - 3600))
    response = requests.get(
        yahoo_provider["server"].url + ORDER_COUNT,
        params={"sellerId": "savaway"},
        headers={
            "Authorization": "Bearer a-token",
            "X-sws-signature": signature,
            "X-sws-signature-version": version,
        },
    )
    assert response.status_code == 200
    assert response.headers["X-SWS-Authorize-Status"] == status


def test_shopping_api_refuses_a_signature_without_a_version(yahoo_provider):
    yahoo_provider["access_tokens"].add("a-token")
    response = requests.get(
        yahoo_provider["server"].url + ORDER_COUNT,
        params={"sellerId": "savaway"},
        headers={
            "Authorization": "Bearer a-token",
            "X-sws-signature": signature_for(STORE_KEY, f"savaway:{int(time.time())}"),
        },
    )
    assert response.status_code == 403 and "px-14303" in response.text


# ---- the signature ----------------------------------------------------------------------------


def test_signature_is_the_seller_and_unix_time_encrypted_with_pkcs1_v15():
    signature = sws_signature(DATA["yahoo_api.public_key"], "savaway", 1_800_000_000)
    plain = STORE_KEY.decrypt(base64.b64decode(signature), padding.PKCS1v15())
    assert plain == b"savaway:1800000000"


# ---- the check --------------------------------------------------------------------------------


def test_check_refreshes_and_makes_one_signed_call(yahoo_provider):
    check = run(signed_in(), "yahoo_api")
    assert check.status == "success", check.detail
    assert "authorized" in check.detail and "version 3" in check.detail
    (call,) = yahoo_provider["api_requests"]
    assert query(call) == {"sellerId": "savaway"}
    assert header(call, "X-sws-signature-version") == "3"
    assert bearer(call) == check.shop.get_secrets()["yahoo_api.access_token"]
    # Basic client authentication on the refresh, and no scope with it.
    assert yahoo_provider["token_requests"][-1] == {
        "grant_type": "refresh_token",
        "refresh_token": "yahoo-refresh-1",
    }


def test_a_wrong_public_key_fails_with_a_clear_message(yahoo_provider):
    check = run(signed_in(public_key=_pem(OTHER_KEY)), "yahoo_api")
    assert (check.status, check.code) == ("failed", "signature_refused")
    assert "公開鍵" in check.message and "バージョン" in check.message
    assert "X-SWS-Authorize-Status: unauthorized" in check.detail
    # The refreshed token is kept all the same.
    assert check.shop.get_secrets()["yahoo_api.access_token"].startswith("yahoo-access-")


def test_a_wrong_key_version_fails_with_a_clear_message(yahoo_provider):
    check = run(signed_in(public_key_version=7), "yahoo_api")
    assert (check.status, check.code) == ("failed", "signature_refused")
    assert "version 7" in check.detail and "公開鍵" in check.message


def test_a_key_that_is_not_rsa_is_named(yahoo_provider):
    broken = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0B\n-----END PUBLIC KEY-----"
    check = run(signed_in(public_key=broken), "yahoo_api")
    assert (check.status, check.code) == ("failed", "public_key_unreadable")
    assert "公開鍵" in check.message
    assert "api_requests" not in yahoo_provider  # nothing unsigned was sent instead


def test_a_signature_older_than_the_window_is_refused(yahoo_provider):
    # The console signs with its own clock: an hour behind Yahoo!'s, the signature is stale.
    yahoo_provider["skew"] = 3600
    check = run(signed_in(), "yahoo_api")
    assert (check.status, check.code) == ("failed", "signature_refused")


def test_without_a_public_key_the_call_is_unsigned_and_says_so(yahoo_provider):
    check = run(signed_in(public_key=None, public_key_version=None), "yahoo_api")
    assert check.status == "success", check.detail
    assert "12 hours" in check.detail
    assert header(yahoo_provider["api_requests"][0], "X-sws-signature") == ""


def test_a_revoked_sign_in_is_expired(yahoo_provider):
    shop = signed_in()
    shop.set_secrets({"yahoo_api.refresh_token": "yahoo-refresh-revoked"})
    shop.save()
    check = run(shop, "yahoo_api")
    assert (check.status, check.code) == ("failed", "key_expired")
    assert "api_requests" not in yahoo_provider


def test_sign_in_uses_basic_authentication_and_pkce(admin_client, yahoo_provider):
    from urllib.parse import parse_qs, urlsplit

    shop = signed_in()
    start = admin_client.post(reverse("shops:oauth_start", args=[shop.code, "yahoo_api"]))
    params = {k: v[0] for k, v in parse_qs(urlsplit(start["Location"]).query).items()}
    yahoo_provider["challenge"] = params["code_challenge"]
    done = admin_client.get(
        reverse("oauth_callback"), {"code": "auth-code-1", "state": params["state"]}
    )
    assert done.status_code == 302
    exchange = yahoo_provider["token_requests"][-1]
    assert exchange["grant_type"] == "authorization_code" and "client_secret" not in exchange


def test_a_timeout_of_the_signed_call_keeps_the_refreshed_token(yahoo_provider):
    from tests.servers import slow

    server = yahoo_provider["server"]
    server.routes[("GET", ORDER_COUNT)] = slow(3, server.routes[("GET", ORDER_COUNT)])
    check = run(signed_in(), "yahoo_api")
    assert (check.status, check.code) == ("failed", "timeout")
    assert check.shop.get_secrets()["yahoo_api.access_token"] == "yahoo-access-2"

"""BASE: data, a local BASE API speaking BASE's documented OAuth, and its tests.

The local server follows github.com/baseinc/api-docs (see connectors/malls/base.py):
- POST /1/oauth/token, a form with client_id and client_secret in the body (or Basic):
  authorization_code needs code and redirect_uri; refresh_token needs refresh_token AND
  redirect_uri. Every error is HTTP 400 {"error", "error_description"}, and an unknown or
  expired code or refresh token is invalid_request (BASE does not say invalid_grant).
- GET /1/users/me needs a Bearer token, else 400 invalid_request アクセストークンが無効です。
- Each refresh issues a new refresh token (valid 30 days) and retires the old one.
"""

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.urls import reverse

from connectors.malls.base import API, BASE_OAUTH
from shops.models import CredentialExpiry
from tests.helpers import configure_provider, make_shop, run
from tests.servers import HttpServer

DATA = {
    "url": "https://savaway.thebase.in/",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
}
JST = ZoneInfo("Asia/Tokyo")
CALLBACK = "http://testserver/oauth/callback/"
pytestmark = pytest.mark.django_db


def error(code, description):
    return 400, {}, {"error": code, "error_description": description}


class BaseServer(HttpServer):
    def __init__(self):
        self.codes = {"code-1"}
        self.refresh_tokens, self.access_tokens = set(), set()
        self.count = 0
        super().__init__(
            {("POST", "/1/oauth/token"): self.token, ("GET", "/1/users/me"): self.users_me}
        )

    def _issue(self):
        self.count += 1
        access, refresh = f"base-access-{self.count}", f"base-refresh-{self.count}"
        self.access_tokens.add(access)
        self.refresh_tokens.add(refresh)
        body = {"access_token": access, "token_type": "bearer", "expires_in": 3600}
        return 200, {}, {**body, "refresh_token": refresh}

    def token(self, request):
        form = {k: v[0] for k, v in parse_qs(request["body"]).items()}
        if (form.get("client_id"), form.get("client_secret")) != (
            "console-client",
            "console-secret",
        ):
            return error("unauthorized_client", "クライアントが見つかりませんでした。")
        if form.get("redirect_uri") != CALLBACK:
            return error("invalid_request", "redirect_uriが不正です。")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            if form.get("code") not in self.codes:
                return error("invalid_request", "不正な認可コードです。")
            self.codes.discard(form["code"])
            return self._issue()
        if grant == "refresh_token":
            if form.get("refresh_token") == "base-refresh-expired":
                return error("invalid_request", "リフレッシュトークンの有効期限が切れています。")
            if form.get("refresh_token") not in self.refresh_tokens:
                return error("invalid_request", "不正なリフレッシュトークンです。")
            self.refresh_tokens.discard(form["refresh_token"])
            return self._issue()
        return error("invalid_request", "不正なgrant_typeです。")

    def users_me(self, request):
        token = request["headers"].get("Authorization", "").removeprefix("Bearer ")
        if token not in self.access_tokens:
            return error("invalid_request", "アクセストークンが無効です。")
        return 200, {}, {"user": {"shop_id": "savaway", "shop_name": "サバウェイ BASE店"}}


@pytest.fixture
def base(settings):
    with BaseServer() as server:
        configure_provider(
            settings, BASE_OAUTH, server.url, authorize="/1/oauth/authorize", token="/1/oauth/token"
        )
        setattr(settings, API.setting, server.url)
        settings.SITE_URL = "http://testserver"
        yield server


def signed_in_shop(refresh):
    return make_shop(
        "base",
        {"base_api.authorized_at": "2026-11-01T09:00:00+09:00"},
        {"base_api.refresh_token": refresh, "base_api.access_token": "old-access"},
    )


# ---- the server refuses what BASE refuses -------------------------------------------------------


def test_server_refuses_a_refresh_without_redirect_uri(base):
    import requests

    form = {
        "grant_type": "refresh_token",
        "client_id": "console-client",
        "client_secret": "console-secret",
        "refresh_token": "anything",
    }
    response = requests.post(base.url + "/1/oauth/token", data=form)
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_server_refuses_an_unknown_token_on_users_me(base):
    import requests

    response = requests.get(base.url + "/1/users/me", headers={"Authorization": "Bearer x"})
    assert response.status_code == 400
    assert response.json()["error_description"] == "アクセストークンが無効です。"


# ---- sign-in and check ------------------------------------------------------------------------


def test_sign_in_stores_tokens_and_a_30_day_expiry(admin_client, base):
    shop = make_shop("base")
    day = datetime(2026, 11, 26, 10, 0, tzinfo=JST)
    with time_machine.travel(day, tick=False):
        start = admin_client.post(reverse("shops:oauth_start", args=[shop.code, "base_api"]))
        target = urlsplit(start["Location"])
        query = {k: v[0] for k, v in parse_qs(target.query).items()}
        assert target.path == "/1/oauth/authorize"
        assert query["response_type"] == "code" and query["redirect_uri"] == CALLBACK
        assert "read_items" in query["scope"].split()
        done = admin_client.get(
            reverse("oauth_callback"), {"code": "code-1", "state": query["state"]}
        )
    assert done.status_code == 302, done.content[:300]
    shop.refresh_from_db()
    assert shop.get_secrets()["base_api.refresh_token"] == "base-refresh-1"
    expiry = CredentialExpiry.objects.get(shop=shop, section="base_api")
    assert expiry.expires_at == day + timedelta(days=30)


def test_check_refreshes_with_redirect_uri_and_reads_the_shop(base):
    base.refresh_tokens.add("base-refresh-live")
    shop = signed_in_shop("base-refresh-live")
    day = datetime(2026, 11, 26, 10, 0, tzinfo=JST)
    with time_machine.travel(day, tick=False):
        check = run(shop, "base_api")
    assert check.status == "success", check.detail
    assert check.info["shop_name"] == "サバウェイ BASE店"
    secrets = shop.get_secrets()
    assert secrets["base_api.refresh_token"] == "base-refresh-1"  # the new one replaced it
    # The grant now lives 30 days from the refresh, not from the first sign-in.
    expiry = CredentialExpiry.objects.get(shop=shop, section="base_api")
    assert expiry.expires_at == day + timedelta(days=30)


@pytest.mark.parametrize("refresh", ["base-refresh-expired", "base-refresh-unknown"])
def test_an_expired_or_unknown_refresh_token_says_the_sign_in_lapsed(base, refresh):
    check = run(signed_in_shop(refresh), "base_api")
    assert (check.status, check.code) == ("failed", "key_expired")


def test_a_wrong_client_secret_is_the_consoles_problem(base, settings):
    settings.BASE_CLIENT_SECRET = "wrong"
    base.refresh_tokens.add("base-refresh-live")
    check = run(signed_in_shop("base-refresh-live"), "base_api")
    assert (check.status, check.code) == ("failed", "client_rejected")


def test_a_timeout_after_the_refresh_still_keeps_the_new_refresh_token(base):
    # BASE retires a refresh token when it issues the next: losing the new one would end
    # the sign-in, so a slow users/me must not take it down with it.
    from tests.servers import slow

    base.routes[("GET", "/1/users/me")] = slow(3, base.users_me)  # the timeout is 2 s
    base.refresh_tokens.add("base-refresh-live")
    shop = signed_in_shop("base-refresh-live")
    check = run(shop, "base_api")
    assert (check.status, check.code) == ("failed", "timeout")
    assert shop.get_secrets()["base_api.refresh_token"] == "base-refresh-1"

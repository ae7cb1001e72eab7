"""Secrets in hostile places (issue J, items 4 and 6): every encoded form of a secret is masked
(URL-encoded, base64 of `id:secret`, JSON-escaped), the console's own OAuth client secret
too; a token endpoint that echoes the request stores no client credentials; a token with
characters HTTP cannot carry fails its check with a clear reason; the token refresh batch goes
on past a shop it cannot decrypt or refresh."""

import base64
import io
import json
import logging
from datetime import datetime
from urllib.parse import parse_qs, quote, quote_plus
from zoneinfo import ZoneInfo

import pytest
import time_machine
from cryptography.fernet import Fernet
from django.urls import reverse

from connectors.malls.colorme import COLORME_API
from connectors.malls.rakuten import RMS
from connectors.malls.yahoo_shopping import YAHOO
from shops.checks import refresh_due_tokens
from shops.models import ConnectionCheck, Shop
from tempostar import security
from tempostar.security import MASK, RedactingFormatter, redact, remember_secrets
from tests.helpers import configure_provider, make_shop, run
from tests.servers import HttpServer

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_remembered_secrets")]
JST = ZoneInfo("Asia/Tokyo")
CLIENT_ID, CLIENT_SECRET = "console-client", "console-client-secret-0042"


# ---- every encoded form ----------------------------------------------------------------------

SECRET = "SL000001+lic/key=9&x ü"


@pytest.mark.parametrize(
    "form",
    [
        quote(SECRET, safe=""),
        quote(SECRET),
        quote_plus(SECRET),
        quote_plus(SECRET).lower(),
        json.dumps(SECRET)[1:-1],  # \u00fc
        json.dumps(SECRET)[1:-1].replace("/", "\\/"),  # as PHP's json_encode writes it
        "&quot;" + SECRET.replace("&", "&amp;") + "&quot;",
        base64.b64encode(f"rakuten-service:{SECRET}".encode()).decode(),  # ESA / HTTP Basic
        base64.b64encode(f"x:{SECRET}".encode()).decode(),  # another alignment
        base64.urlsafe_b64encode(f"id:{SECRET}".encode()).decode().rstrip("="),
        base64.b64encode(f"{SECRET}:tail".encode()).decode(),
    ],
)
def test_every_encoded_form_of_a_remembered_secret_is_masked(form):
    remember_secrets([SECRET])
    text = f"GET /api?licenseKey={form} answered 401 (Authorization: Basic {form})"
    masked = redact(text)
    assert form not in masked and MASK in masked
    assert "GET /api?licenseKey=" in masked  # the rest stays readable


def test_ordinary_text_is_left_alone():
    remember_secrets([SECRET])
    text = "Authentication failed for savaway at upload.rakuten.ne.jp (HTTP 401)"
    assert redact(text) == text


def test_a_license_key_in_the_query_string_is_masked_in_the_debug_log(settings):
    """RMS takes licenseKey as a query parameter (its documented protocol): urllib3 logs the
    URL percent-encoded at DEBUG, and the worker's formatter masks that form too."""
    key = "SL000001+licenseKey/value=01&x"
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(name)s: %(message)s"))
    log = logging.getLogger("urllib3")
    previous = log.level
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    try:
        with HttpServer({}) as api:
            setattr(settings, RMS.setting, api.url)
            shop = make_shop(
                "rakuten",
                {"rakuten_api.store_id": "savaway"},
                {"rakuten_api.service_secret": "SP000001_secret", "rakuten_api.license_key": key},
            )
            run(shop, "rakuten_api")
        sent = api.requests[0]["query"]
    finally:
        log.removeHandler(handler)
        log.setLevel(previous)
    output = stream.getvalue()
    assert quote_plus(key) in sent  # the server did get it, encoded
    assert "/expiry-date" in output  # the request was logged...
    assert quote_plus(key) not in output and key not in output  # ...without the key
    assert quote(key, safe="") not in output


def test_the_consoles_client_secret_is_masked_in_every_request_and_task(settings):
    """Not remembered by anyone, yet masked: in a log line, and as HTTP Basic."""
    settings.YAHOO_CLIENT_ID, settings.YAHOO_CLIENT_SECRET = CLIENT_ID, CLIENT_SECRET
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    text = f"client_secret={CLIENT_SECRET} Authorization: Basic {basic}"
    assert CLIENT_SECRET not in redact(text) and basic not in redact(text)
    assert "client_secret=" in redact(text)
    settings.YAHOO_CLIENT_SECRET = "the-next-client-secret"  # a changed setting counts at once
    assert "the-next-client-secret" not in redact("x the-next-client-secret x")


# ---- a token endpoint that echoes the request ------------------------------------------------


def echoing_token_endpoint(kind):
    def token(request):
        auth = request["headers"].get("Authorization", "")
        if kind == "in the error":
            body = {"error": f"invalid_client {auth}", "error_description": request["body"]}
        elif kind == "as the error":
            body = {"error": auth.removeprefix("Basic ")}
        else:  # in the description only
            body = {"error": "invalid_client", "error_description": f"got {auth}"}
        return 401, {}, body

    return {("POST", "/token"): token}


def yahoo_shop(refresh_token="yahoo-refresh-echo-1"):
    return make_shop(
        "yahoo_shopping",
        {"yahoo_api.store_account": "savaway"},
        {"yahoo_api.refresh_token": refresh_token},
        url="https://store.shopping.yahoo.co.jp/savaway/",
    )


@pytest.mark.parametrize("kind", ["in the error", "as the error", "in the description"])
def test_an_echoing_token_endpoint_stores_no_client_credentials(admin_client, settings, kind):
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    with HttpServer(echoing_token_endpoint(kind)) as provider:
        configure_provider(
            settings, YAHOO, provider.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
        )
        shop = yahoo_shop()
        check = run(shop, "yahoo_api")
    assert provider.requests[0]["headers"]["Authorization"] == f"Basic {basic}"  # it was sent
    assert check.status == "failed"
    stored = json.dumps(
        list(ConnectionCheck.objects.values("detail", "info", "code")), ensure_ascii=False
    )
    page = admin_client.get(reverse("shops:check_status", args=[check.pk])).content.decode()
    for leak in (basic[:12], basic[-12:], CLIENT_SECRET, "yahoo-refresh-echo-1"):
        assert leak not in stored and leak not in page, leak


# ---- characters HTTP cannot carry -------------------------------------------------------------


def test_a_token_with_non_ascii_characters_fails_its_check_with_a_clear_reason(
    admin_client, settings
):
    with HttpServer({("GET", "/v1/shop.json"): lambda r: (200, {}, {"shop": {}})}) as api:
        setattr(settings, COLORME_API.setting, api.url)
        shop = make_shop("colorme", secrets={"colorme_api.access_token": "トークン-colorme-1"})
        check = run(shop, "colorme_api")
        assert not api.requests  # refused before sending
    assert (check.status, check.code) == ("failed", "invalid_characters")
    assert "送信できない文字" in check.message and "Authorization" in check.detail
    page = admin_client.get(reverse("shops:edit", args=[shop.code]))
    assert page.status_code == 200 and "送信できない文字" in page.content.decode()
    box = admin_client.get(reverse("shops:check_status", args=[check.pk]), HTTP_HX_REQUEST="true")
    assert box.status_code == 200
    assert "確認中" not in box.content.decode() and "待機中" not in box.content.decode()


def test_a_client_secret_with_non_ascii_characters_fails_the_refresh_clearly(settings):
    with HttpServer({}) as provider:
        configure_provider(settings, YAHOO, provider.url, client_secret="クライアント秘密")
        check = run(yahoo_shop(), "yahoo_api")
    assert (check.status, check.code) == ("failed", "invalid_characters")


def test_a_non_ascii_refresh_token_is_sent_in_the_body_and_works(yahoo_provider):
    check = run(yahoo_shop("リフレッシュ-token-1"), "yahoo_api")
    assert check.status == "success", check.detail
    form = yahoo_provider["token_requests"][-1]
    assert form["refresh_token"] == "リフレッシュ-token-1"


# ---- the token refresh batch ------------------------------------------------------------------


def refreshing_provider():
    def token(request):
        form = {k: v[0] for k, v in parse_qs(request["body"]).items()}
        if form.get("refresh_token") == "revoked-refresh":
            return 400, {}, {"error": "invalid_grant"}
        return 200, {}, {"access_token": f"new-{form['refresh_token']}", "expires_in": 3600}

    return {("POST", "/token"): token}


def due_shop(name, refresh_token):
    shop = yahoo_shop(refresh_token)
    shop.short_name = name
    shop.settings = {**shop.settings, "yahoo_api.access_expires_at": "2026-11-26T09:55:00+09:00"}
    shop.save()
    return shop


def test_the_refresh_batch_goes_on_past_unreadable_and_failing_shops(settings):
    with HttpServer(refreshing_provider()) as provider:
        configure_provider(settings, YAHOO, provider.url)
        first_good = due_shop("first", "good-refresh-1")
        unreadable = due_shop("unreadable", "good-refresh-2")
        revoked = due_shop("revoked", "revoked-refresh")
        last_good = due_shop("last", "good-refresh-3")
        other_key = Fernet(Fernet.generate_key())
        Shop.objects.filter(pk=unreadable.pk).update(
            secrets=other_key.encrypt(b'{"yahoo_api.refresh_token": "x"}').decode()
        )
        with time_machine.travel(datetime(2026, 11, 26, 9, 50, tzinfo=JST), tick=False):
            report = refresh_due_tokens()
    assert report == {"refreshed": 2, "failed": 1, "unreadable": 1}
    for shop, token in ((first_good, "new-good-refresh-1"), (last_good, "new-good-refresh-3")):
        shop.refresh_from_db()
        assert shop.get_secrets()["yahoo_api.access_token"] == token
    revoked.refresh_from_db()
    assert "yahoo_api.access_token" not in revoked.get_secrets()
    assert not ConnectionCheck.objects.exists()  # the batch leaves no check behind


@pytest.mark.django_db(transaction=True)  # as the task runs: no test transaction around it
def test_the_refresh_batch_goes_on_past_a_naive_date_and_a_shop_that_cannot_be_saved(
    settings, monkeypatch
):
    """A stored expiry without a time zone raised TypeError, and a shop deleted during the
    run raised DoesNotExist in the write: either stopped every later shop's refresh."""
    from shops import store

    with HttpServer(refreshing_provider()) as provider:
        configure_provider(settings, YAHOO, provider.url)
        naive = due_shop("naive", "good-refresh-1")
        naive.settings = {**naive.settings, "yahoo_api.access_expires_at": "2026-11-26T09:55"}
        naive.save()
        vanishing = due_shop("vanishing", "good-refresh-2")
        last_good = due_shop("last", "good-refresh-3")
        real_save = store.save_learnt

        def save_learnt(shop_id, *args, **kwargs):
            if shop_id == vanishing.pk:
                Shop.objects.filter(pk=shop_id).delete()  # deleted while the run was on
            return real_save(shop_id, *args, **kwargs)

        monkeypatch.setattr(store, "save_learnt", save_learnt)
        with time_machine.travel(datetime(2026, 11, 26, 9, 50, tzinfo=JST), tick=False):
            report = refresh_due_tokens()
    assert report == {"refreshed": 2, "failed": 1, "unreadable": 0}
    for shop, token in ((naive, "new-good-refresh-1"), (last_good, "new-good-refresh-3")):
        shop.refresh_from_db()
        assert shop.get_secrets()["yahoo_api.access_token"] == token


def test_the_module_keeps_its_own_list_of_encodings():
    forms = security.encoded_forms("a/b c+d")
    assert {"a%2Fb%20c%2Bd", "a/b%20c%2Bd", "a%2Fb+c%2Bd", "a\\/b c+d"} <= forms

"""楽天市場: data, a local RMS WEB SERVICE that enforces what RMS is reported to enforce, and the
checks against it.

RMS's documentation is behind the RMS login; the local server follows the public reports the
connector names (connectors/malls/rakuten.py):
- Every call needs `Authorization: ESA base64(serviceSecret:licenseKey)`; a wrong, expired
  or not yet active key gets 401 {"Results": {"errorCode": "ES01-01", "message":
  "Un-Authorised"}} on every call.
- GET /es/1.0/license-management/license-key/expiry-date also needs ?licenseKey= (400
  DR0005 without it; the same key as the header's, else 401), is GET only (405 to POST),
  refuses a key without the license API enabled (401 ES01-01, as vendors report), and
  answers {"expiryDate": "<date>T23:59:59"} with no offset (JST).
- GET /es/2.0/inventories/manage-numbers/{m}/variants/{v} for an item that does not exist
  answers 404 {"errors": [{"code": "GE0014", ...}]} to a key that authenticates.
"""

import base64
import logging
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pytest
import requests
import time_machine

from connectors.base import registry
from connectors.malls.rakuten import EXPIRY_PATH, PROBE_PATH, RMS
from shops import store
from shops.models import CredentialExpiry
from tests.connectors.protocol import header, query
from tests.helpers import make_shop, run
from tests.servers import HttpServer

DATA = {
    "url": "https://www.rakuten.co.jp/savaway/",
    "ftp.protocol": "sftp",
    "ftp.host": "upload.rakuten.ne.jp",
    "ftp.port": 22,
    "ftp.user": "savaway",
    "ftp.password": "rk-ftp-pass-0001",
    "ftp.passive": True,
    "ftp.password_changed_on": "2026-11-01",
    "ftp.password_expires_on": "2027-01-31",
    "rakuten_api.store_id": "savaway",
    "rakuten_api.service_secret": "SP000001_serviceSecretValue01",
    "rakuten_api.license_key": "SL000001_licenseKeyValue0001",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "bcc@savaway.example.jp",
    "anshin_mail.server": "mail.anshin.example.jp",
    "anshin_mail.user": "savaway-anshin",
    "anshin_mail.password": "rk-anshin-pass-0002",
    "anshin_mail.port": 995,
    "product_key.key": "item_number",
}


# ---- the local RMS server ---------------------------------------------------------------------


pytestmark = pytest.mark.django_db
SECRET, KEY = "SP123456_rakutenServiceSecret", "SL123456_rakutenLicenseKey"
JST = ZoneInfo("Asia/Tokyo")
UNAUTHORISED = 401, {}, {"Results": {"errorCode": "ES01-01", "message": "Un-Authorised"}}


def routes(expiry="2099-12-31T23:59:59", keys=None):
    """RMS with one key (or `keys`: {licenseKey: {expiry, license_api, active}})."""
    keys = keys or {KEY: {"expiry": expiry, "license_api": True, "active": True}}

    def authorized(request):
        value = header(request, "Authorization")
        if not value.startswith("ESA "):
            return None
        try:
            secret, _, key = base64.b64decode(value[4:]).decode().partition(":")
        except ValueError:
            return None
        state = keys.get(key)
        if secret != SECRET or not state or not state["active"]:
            return None
        ends = datetime.fromisoformat(state["expiry"][:19]).replace(tzinfo=JST)
        return key if datetime.now(JST) <= ends else None

    def license_expiry(request):
        q = query(request)
        if "licenseKey" not in q:
            return 400, {}, {"errors": [{"code": "DR0005", "message": "licenseKey is required"}]}
        key = authorized(request)
        if key is None or q["licenseKey"] != key or not keys[key]["license_api"]:
            return UNAUTHORISED
        return 200, {}, {"expiryDate": keys[key]["expiry"]}

    def not_allowed(request):
        return 405, {}, {"errors": [{"code": "ES04-02", "message": "Method Not Allowed"}]}

    def inventory(request):
        if authorized(request) is None:
            return UNAUTHORISED
        return 404, {}, {"errors": [{"code": "GE0014", "message": "Not Found"}]}

    return {
        ("GET", EXPIRY_PATH): license_expiry,
        ("POST", EXPIRY_PATH): not_allowed,
        ("GET", PROBE_PATH): inventory,
    }


@pytest.fixture
def rms(settings):
    def start(**kwargs):
        server = HttpServer(routes(**kwargs)).__enter__()
        setattr(settings, RMS.setting, server.url)
        started.append(server)
        return server

    started = []
    yield start
    for server in started:
        server.__exit__(None, None, None)


def shop(secret=SECRET, key=KEY, **values):
    settings_values = {"rakuten_api.store_id": "savaway"}
    settings_values.update({f"rakuten_api.{k}": v for k, v in values.items()})
    return make_shop(
        "rakuten",
        settings_values,
        {"rakuten_api.service_secret": secret, "rakuten_api.license_key": key},
    )


def esa(secret=SECRET, key=KEY):
    return {"Authorization": "ESA " + base64.b64encode(f"{secret}:{key}".encode()).decode()}


def at(*moment):
    return time_machine.travel(datetime(*moment, tzinfo=JST), tick=False)


# ---- the server refuses what RMS refuses ------------------------------------------------------


def test_server_refuses_a_wrong_esa_header(rms):
    server = rms()
    response = requests.get(
        server.url + EXPIRY_PATH, params={"licenseKey": KEY}, headers=esa(secret="SP-wrong")
    )
    assert response.status_code == 401
    assert response.json()["Results"]["errorCode"] == "ES01-01"


def test_server_refuses_the_expiry_call_without_the_key_in_the_query(rms):
    response = requests.get(rms().url + EXPIRY_PATH, headers=esa())
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "DR0005"


def test_server_refuses_a_query_key_other_than_the_headers(rms):
    response = requests.get(
        rms().url + EXPIRY_PATH, params={"licenseKey": "SL-other"}, headers=esa()
    )
    assert response.status_code == 401


def test_server_allows_get_only(rms):
    response = requests.post(rms().url + EXPIRY_PATH, params={"licenseKey": KEY}, headers=esa())
    assert response.status_code == 405


def test_server_refuses_an_expired_key_on_every_call(rms):
    server = rms(expiry="2026-11-28T23:59:59")
    with at(2026, 11, 29, 0, 0):
        for path in (EXPIRY_PATH, PROBE_PATH):
            response = requests.get(server.url + path, params={"licenseKey": KEY}, headers=esa())
            assert response.status_code == 401, path


# ---- the check --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "expiry", ["2099-12-31T23:59:59", "2099-12-31T23:59:59+09:00", "2099-12-31T23:59:59+0900"]
)
def test_reads_the_expiry_date_as_jst(rms, expiry):
    rms(expiry=expiry)
    check = run(shop(), "rakuten_api")
    assert check.status == "success", check.detail
    assert check.shop.settings["rakuten_api.license_expires_on"] == "2099-12-31"
    row = CredentialExpiry.objects.get(shop=check.shop, credential="license_key")
    assert row.expires_at == datetime(2100, 1, 1, tzinfo=JST) and row.source == "fetched"


def test_wrong_key(rms):
    rms()
    check = run(shop(key="SL-wrong-license-key"), "rakuten_api")
    assert (check.status, check.code) == ("failed", "auth_failed")
    assert "SL-wrong-license-key" not in check.detail
    assert "ES01-01" in check.detail


def test_a_refusal_after_the_fetched_expiry_date_is_an_expired_key(rms):
    server = rms(expiry="2001-01-31T23:59:59")
    check = run(shop(license_expires_on="2001-01-31"), "rakuten_api")
    assert (check.status, check.code) == ("failed", "key_expired")
    assert "有効期限" in check.message and "2001-01-31" in check.detail
    assert len(server.requests) == 1  # no need to ask the inventory API


def test_a_key_issued_8_30_works_through_11_28_then_is_reported_expired(rms):
    rms(expiry="2026-11-28T23:59:59")
    checked = shop(license_issued_on="2026-08-30")
    with at(2026, 11, 28, 23, 0):
        assert run(checked, "rakuten_api").status == "success"
    checked.settings.pop("rakuten_api.license_expires_on")
    checked.save()
    with at(2026, 11, 29, 9, 0):
        # Every call now gets 401: the stored expiry says why (not 認証失敗).
        check = run(checked, "rakuten_api")
    assert (check.status, check.code) == ("failed", "key_expired")
    assert "2026-11-28" in check.detail


def test_a_new_key_within_30_minutes_is_waiting_for_activation(rms):
    rms(keys={KEY: {"expiry": "2099-12-31T23:59:59", "license_api": True, "active": False}})
    changed = shop(license_changed_at="2026-11-26T10:00:00+09:00")
    with at(2026, 11, 26, 10, 20):
        check = run(changed, "rakuten_api")
    assert (check.status, check.code) == ("untested", "activation_pending")
    assert "有効化待ち" in check.message and "20 minutes" in check.detail
    with at(2026, 11, 26, 10, 45):
        check = run(changed, "rakuten_api")
    assert (check.status, check.code) == ("failed", "auth_failed")


def test_a_key_without_the_license_api_says_so(rms):
    rms(keys={KEY: {"expiry": "2099-12-31T23:59:59", "license_api": False, "active": True}})
    check = run(shop(), "rakuten_api")
    assert (check.status, check.code) == ("success", "expiry_api_disabled")
    assert "license.expiryDate.get" in check.message
    assert "GE0014" in check.detail


def test_the_license_key_never_reaches_a_log(rms, caplog):
    odd = "SL+odd/key=with&chars"
    rms(keys={odd: {"expiry": "2099-12-31T23:59:59", "license_api": True, "active": True}})
    caplog.set_level(logging.DEBUG)
    check = run(shop(key=odd), "rakuten_api")
    assert check.status == "success", check.detail
    assert "expiry-date?[query hidden]" in caplog.text  # urllib3 logged the request line
    for form in (odd, quote(odd, safe=""), quote(odd), quote(odd, safe="").lower()):
        assert form not in caplog.text and form not in check.detail


def test_a_new_license_key_starts_its_activation_window_and_life(rms):
    connector = registry.get("rakuten")
    with at(2026, 8, 30, 10, 0):
        created = store.create(
            connector,
            store.Edit(
                common={"name": "楽天", "short_name": "楽天", "url": DATA["url"]},
                values={"rakuten_api.store_id": "savaway"},
                secrets={"rakuten_api.service_secret": SECRET, "rakuten_api.license_key": KEY},
            ),
        )
    assert created.settings["rakuten_api.license_issued_on"] == "2026-08-30"
    assert created.settings["rakuten_api.license_changed_at"].startswith("2026-08-30T")
    row = CredentialExpiry.objects.get(shop=created, credential="license_key")
    # 90 days: issued 8/30, works through 11/28 (RMS: expiryDate 11-28T23:59:59).
    assert row.expires_at == datetime(2026, 11, 29, tzinfo=JST) and row.source == "entered"


def test_sftp_password_expiry_is_entered_and_forgotten_with_a_new_password():
    connector = registry.get("rakuten")
    common = {"name": "楽天", "short_name": "楽天", "url": DATA["url"]}
    with at(2026, 11, 1, 10, 0):
        created = store.create(
            connector,
            store.Edit(
                common=common,
                values={"ftp.user": "savaway", "ftp.password_expires_on": "2027-01-31"},
                secrets={"ftp.password": "rk-ftp-pass-1"},
                entered={"ftp.password_expires_on"},
            ),
        )
    row = CredentialExpiry.objects.get(shop=created, section="ftp", credential="password")
    assert row.expires_at == datetime(2027, 2, 1, tzinfo=JST) and row.source == "entered"
    assert created.settings["ftp.password_changed_on"] == "2026-11-01"
    with at(2026, 12, 1, 10, 0):
        updated, _changes = store.update(
            created,
            store.Edit(
                values={"ftp.password_expires_on": "2027-01-31"},
                secrets={"ftp.password": "rk-ftp-pass-2"},
            ),
        )
    # The old password's expiry date does not carry over to the new password.
    assert "ftp.password_expires_on" not in updated.settings
    assert updated.settings["ftp.password_changed_on"] == "2026-12-01"
    assert not CredentialExpiry.objects.filter(shop=created, section="ftp").exists()


def test_ftp_on_21_is_a_choice(admin_client):
    page = admin_client.get("/shops/new/rakuten/").content.decode()
    assert 'value="sftp" selected' in page or 'value="sftp"' in page
    assert "FTP 21" in page and "SFTP 22" in page

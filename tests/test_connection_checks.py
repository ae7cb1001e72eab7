"""接続確認 against real servers on loopback: FTP, SFTP and each mall's HTTP API."""

import base64
import json
import socket

import pytest
from django.db import connection
from django.urls import reverse

from connectors.base import registry
from connectors.runner import run_check
from connectors.transports import guard
from shops.checks import execute_check
from shops.models import ConnectionCheck, Shop
from tests.servers import FtpServer, HttpServer, SftpServer, free_port, slow

pytestmark = pytest.mark.django_db
FTP_USER, FTP_PASS = "savaway", "ftp-pass-1234"


@pytest.fixture
def ftp_root(tmp_path):
    (tmp_path / "item.csv").write_text("code,name\n")
    return tmp_path


def make_shop(mall, settings=None, secrets=None, **fields):
    shop = Shop(mall=mall, name="テスト", short_name="テスト", url="https://example.jp/", **fields)
    shop.settings = settings or {}
    shop.set_secrets(secrets or {})
    shop.save()
    return shop


def run(shop, section_key):
    """Create a check and run it in this process, as the worker would."""
    check = ConnectionCheck.objects.create(shop=shop, section=section_key)
    execute_check(check.pk)
    check.refresh_from_db()
    shop.refresh_from_db()
    return check


def ftp_shop(port, protocol="ftp", passive=True, password=FTP_PASS, mall="rakuten"):
    return make_shop(
        mall,
        {
            "ftp.protocol": protocol,
            "ftp.host": "127.0.0.1",
            "ftp.port": port,
            "ftp.user": FTP_USER,
            "ftp.passive": passive,
        },
        {"ftp.password": password},
    )


# ---- network guard ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "localhost",
        "10.0.0.1",
        "169.254.169.254",
        "::1",
        "::ffff:127.0.0.1",
        "0.0.0.0",
        "192.168.1.10",
        "172.16.0.5",
        "64:ff9b::a00:1",
        "2002:a00:1::1",
        "::ffff:8.8.8.8",
        "fe80::1",
        "fc00::1",
    ],
)
def test_guard_refuses_internal_addresses(settings, host):
    settings.CONNECTION_GUARD_ALLOW_LOOPBACK = False
    with pytest.raises(guard.GuardRefused):
        guard.checked_address(host, 21)


def test_guard_refuses_a_name_that_resolves_to_a_private_address(settings, monkeypatch):
    settings.CONNECTION_GUARD_ALLOW_LOOPBACK = False
    real = socket.getaddrinfo

    def fake_dns(host, *args, **kwargs):
        if host == "intranet.example.jp":
            return [
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.20.30.40", 21)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", 21)),
            ]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", fake_dns)
    with pytest.raises(guard.GuardRefused, match="10.20.30.40"):
        guard.checked_address("intranet.example.jp", 21)


def test_guard_allows_public_addresses_and_pinned_hosts(settings):
    settings.CONNECTION_GUARD_ALLOW_LOOPBACK = False
    assert guard.checked_address("93.184.216.34", 443) == "93.184.216.34"
    assert guard.checked_address("2606:4700::1111", 443) == "2606:4700::1111"
    assert guard.checked_address("127.0.0.1", 21, pinned=True) == "127.0.0.1"


def test_overridden_ftp_host_is_refused_before_connecting(settings, ftp_root):
    settings.CONNECTION_GUARD_ALLOW_LOOPBACK = False
    with FtpServer(ftp_root, FTP_USER, FTP_PASS) as server:
        check = run(ftp_shop(server.port), "ftp")
    assert check.status == "failed" and check.code == "refused_host"
    assert "内部" in check.message


def test_makeshop_host_is_guarded(settings):
    settings.CONNECTION_GUARD_ALLOW_LOOPBACK = False
    shop = make_shop(
        "makeshop", {"makeshop_api.host": "localhost"}, {"makeshop_api.auth_code": "ms-code-1"}
    )
    check = run(shop, "makeshop_api")
    assert check.code == "refused_host"


# ---- FTP --------------------------------------------------------------------------------


@pytest.mark.parametrize("passive", [True, False])
def test_ftp_good_login_in_passive_and_active_mode(ftp_root, passive):
    with FtpServer(ftp_root, FTP_USER, FTP_PASS) as server:
        check = run(ftp_shop(server.port, passive=passive), "ftp")
    assert check.status == "success", check.detail
    assert ("passive" if passive else "active") in check.detail
    assert check.message == "接続と認証に成功しました。"
    assert check.latency_ms is not None


def test_ftp_wrong_password(ftp_root):
    with FtpServer(ftp_root, FTP_USER, FTP_PASS) as server:
        check = run(ftp_shop(server.port, password="wrong-password"), "ftp")
    assert (check.status, check.code) == ("failed", "auth_failed")
    assert "認証に失敗しました" in check.message


def test_ftp_closed_port():
    check = run(ftp_shop(free_port()), "ftp")
    assert (check.status, check.code) == ("failed", "unreachable")
    assert "接続できません" in check.message


def test_not_configured_is_not_a_success():
    shop = make_shop("rakuten", {"ftp.host": "127.0.0.1", "ftp.port": 21})
    check = run(shop, "ftp")
    assert (check.status, check.code) == ("untested", "not_configured")


# ---- SFTP -------------------------------------------------------------------------------


def test_sftp_pins_the_host_key_then_refuses_a_changed_one(ftp_root):
    with SftpServer(ftp_root, FTP_USER, FTP_PASS) as server:
        port = server.port
        shop = ftp_shop(port, protocol="sftp")
        first = run(shop, "ftp")
        assert first.status == "success", first.detail
        stored = shop.settings["ftp.host_key"]
        assert stored.startswith("ecdsa-sha2-nistp256 SHA256:")
        assert first.info["host_key"] == stored
        assert run(shop, "ftp").status == "success"
    with SftpServer(ftp_root, FTP_USER, FTP_PASS, port=port) as impostor:
        changed = run(shop, "ftp")
        assert (changed.status, changed.code) == ("failed", "host_key_changed")
        assert "ホスト鍵が変わりました" in changed.message
        assert impostor.auth_attempts == []  # the password never reached the new server
        assert shop.settings["ftp.host_key"] == stored


def test_sftp_wrong_password(ftp_root):
    with SftpServer(ftp_root, FTP_USER, FTP_PASS) as server:
        check = run(ftp_shop(server.port, protocol="sftp", password="nope-nope"), "ftp")
        assert (check.status, check.code) == ("failed", "auth_failed")
        assert server.auth_attempts == [FTP_USER]


def test_forget_host_key_lets_the_next_test_learn_the_new_one(admin_client, ftp_root):
    with SftpServer(ftp_root, FTP_USER, FTP_PASS) as server:
        shop = ftp_shop(server.port, protocol="sftp")
        run(shop, "ftp")
    response = admin_client.post(reverse("shops:forget_host_key", args=[shop.code, "ftp"]))
    assert response.status_code == 302
    shop.refresh_from_db()
    assert "ftp.host_key" not in shop.settings


# ---- mall APIs over HTTP ------------------------------------------------------------------

RAKUTEN_SECRET, RAKUTEN_KEY = "SP123456_rakutenServiceSecret", "SL123456_rakutenLicenseKey"


def rakuten_api(expiry="2099-12-31"):
    good = "ESA " + base64.b64encode(f"{RAKUTEN_SECRET}:{RAKUTEN_KEY}".encode()).decode()

    def license_expiry(request):
        if request["headers"].get("Authorization") != good:
            return 401, {}, {"errors": [{"code": "AuthError"}]}
        return 200, {}, {"expiryDate": expiry}

    return {("GET", "/es/1.0/license-management/license-key/expiry-date"): license_expiry}


def rakuten_shop(secret=RAKUTEN_SECRET, key=RAKUTEN_KEY):
    return make_shop(
        "rakuten",
        {"rakuten_api.store_id": "savaway"},
        {"rakuten_api.service_secret": secret, "rakuten_api.license_key": key},
    )


def test_rakuten_esa_header_and_license_expiry(settings):
    with HttpServer(rakuten_api()) as api:
        settings.MALL_API = {**settings.MALL_API, "rakuten": api.url}
        check = run(rakuten_shop(), "rakuten_api")
    assert check.status == "success", check.detail
    assert check.shop.settings["rakuten_api.license_expires_on"] == "2099-12-31"


def test_rakuten_wrong_key(settings):
    with HttpServer(rakuten_api()) as api:
        settings.MALL_API = {**settings.MALL_API, "rakuten": api.url}
        check = run(rakuten_shop(key="SL-wrong-license-key"), "rakuten_api")
    assert (check.status, check.code) == ("failed", "auth_failed")
    assert "SL-wrong-license-key" not in check.detail


def test_rakuten_expired_key(settings):
    with HttpServer(rakuten_api(expiry="2001-01-31")) as api:
        settings.MALL_API = {**settings.MALL_API, "rakuten": api.url}
        check = run(rakuten_shop(), "rakuten_api")
    assert (check.status, check.code) == ("failed", "key_expired")
    assert "有効期限" in check.message
    assert check.shop.settings["rakuten_api.license_expires_on"] == "2001-01-31"


def test_slow_server_hits_the_timeout(settings):
    routes = {k: slow(3, v) for k, v in rakuten_api().items()}  # the timeout is 2 s
    with HttpServer(routes) as api:
        settings.MALL_API = {**settings.MALL_API, "rakuten": api.url}
        check = run(rakuten_shop(), "rakuten_api")
    assert (check.status, check.code) == ("failed", "timeout")
    assert "タイムアウト" in check.message


def test_redirect_to_another_host_is_not_followed(settings):
    routes = {
        ("GET", "/es/1.0/license-management/license-key/expiry-date"): lambda r: (
            302,
            {"Location": "https://elsewhere.example/"},
            "",
        )
    }
    with HttpServer(routes) as api:
        settings.MALL_API = {**settings.MALL_API, "rakuten": api.url}
        check = run(rakuten_shop(), "rakuten_api")
    assert (check.status, check.code) == ("failed", "redirected")
    assert len(api.requests) == 1


AU_KEY = "au-api-key-abcdef123456"


def wowma_api(expired=False):
    def stocks(request):
        if request["headers"].get("Authorization") != f"Bearer {AU_KEY}":
            return 401, {}, "<response><result><status>1</status></result></response>"
        if expired:
            return (
                200,
                {},
                (
                    "<response><result><status>1</status><error><code>PMC0006"
                    "</code><message>API key expired</message></error></result>"
                    "</response>"
                ),
            )
        return (
            200,
            {"Content-Type": "application/xml"},
            ("<response><result><status>0</status></result><totalCount>0</totalCount></response>"),
        )

    return {("GET", "/searchStocks"): stocks}


@pytest.mark.parametrize(
    ("key", "expired", "status", "code"),
    [
        (AU_KEY, False, "success", "ok"),
        ("au-wrong-key-000000", False, "failed", "auth_failed"),
        (AU_KEY, True, "failed", "key_expired"),
    ],
)
def test_au_pay_market_bearer_key(settings, key, expired, status, code):
    with HttpServer(wowma_api(expired)) as api:
        settings.MALL_API = {**settings.MALL_API, "wowma": api.url}
        shop = make_shop(
            "au_pay_market", {"wowma_api.shop_id": "1234567"}, {"wowma_api.api_key": key}
        )
        check = run(shop, "wowma_api")
        assert "shopId=1234567" in api.requests[0]["query"]
    assert (check.status, check.code) == (status, code)


def qoo10_api():
    def certify(request):
        form = dict(p.split("=", 1) for p in request["body"].split("&"))
        ok = (
            request["headers"].get("GiosisCertificationKey") == "qoo10-api-key"
            and form.get("user_id") == "savaway_q"
            and form.get("pwd") == "qoo10-pass"
        )
        if not ok:
            return 200, {}, {"ResultCode": -10001, "ResultMsg": "Invalid user", "ResultObject": ""}
        return (
            200,
            {},
            {"ResultCode": 0, "ResultMsg": "SUCCESS", "ResultObject": "seller-auth-key-from-qoo10"},
        )

    return {("POST", "/CertificationAPI.CreateCertificationKey"): certify}


def test_qoo10_certification_key_is_stored_encrypted(settings):
    with HttpServer(qoo10_api()) as api:
        settings.MALL_API = {**settings.MALL_API, "qoo10": api.url}
        shop = make_shop(
            "qoo10",
            {"qoo10_api.user_id": "savaway_q"},
            {"qoo10_api.api_key": "qoo10-api-key", "qoo10_api.password": "qoo10-pass"},
        )
        check = run(shop, "qoo10_api")
        bad = make_shop(
            "qoo10",
            {"qoo10_api.user_id": "savaway_q"},
            {"qoo10_api.api_key": "qoo10-api-key", "qoo10_api.password": "wrong"},
        )
        failed = run(bad, "qoo10_api")
    assert check.status == "success"
    assert check.shop.get_secrets()["qoo10_api.seller_key"] == "seller-auth-key-from-qoo10"
    assert "seller-auth-key-from-qoo10" not in json.dumps(check.shop.settings)
    assert (failed.status, failed.code) == ("failed", "auth_failed")


def token_endpoint(valid_refresh="refresh-token-ebay-1"):
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

    return {("POST", "/identity/v1/oauth2/token"): token}


@pytest.mark.parametrize(
    ("refresh", "status", "code"),
    [
        ("refresh-token-ebay-1", "success", "ok"),
        ("refresh-token-revoked", "failed", "key_expired"),
        (None, "untested", "not_signed_in"),
    ],
)
def test_ebay_token_refresh(settings, refresh, status, code):
    with HttpServer(token_endpoint()) as provider:
        settings.OAUTH_PROVIDERS = {
            **settings.OAUTH_PROVIDERS,
            "ebay": {
                "token_url": f"{provider.url}/identity/v1/oauth2/token",
                "client_id": "app-id",
                "client_secret": "cert-id",
            },
        }
        secrets = {"ebay_api.refresh_token": refresh} if refresh else {}
        check = run(make_shop("ebay", secrets=secrets), "ebay_api")
    assert (check.status, check.code) == (status, code)
    if status == "success":
        assert check.shop.get_secrets()["ebay_api.access_token"] == "access-token-new-1"
        assert "ebay_api.access_expires_at" in check.shop.settings


def test_colorme_calls_the_shop_api_with_the_token(settings):
    routes = {
        ("GET", "/v1/shop.json"): lambda r: (
            (200, {}, {"shop": {"id": "PA01"}})
            if r["headers"].get("Authorization") == "Bearer colorme-token"
            else (401, {}, {"errors": []})
        )
    }
    with HttpServer(routes) as api:
        settings.MALL_API = {**settings.MALL_API, "colorme": api.url}
        good = run(
            make_shop("colorme", secrets={"colorme_api.access_token": "colorme-token"}),
            "colorme_api",
        )
        bad = run(
            make_shop("colorme", secrets={"colorme_api.access_token": "revoked"}), "colorme_api"
        )
    assert good.status == "success" and (bad.status, bad.code) == ("failed", "auth_failed")


@pytest.mark.parametrize("mall,section", [("ponparemall", "ponpare"), ("shopserve", "shopserve")])
def test_malls_without_a_public_check_say_so(mall, section):
    check = run(make_shop(mall), section)
    assert (check.status, check.code) == ("untested", "not_testable")
    assert "確認する方法がありません" in check.message


def test_gurunavi_has_nothing_to_test(admin_client):
    shop = make_shop("gurunavi")
    page = admin_client.get(reverse("shops:edit", args=[shop.code])).content.decode()
    assert "data-check-url" not in page
    assert not [s for s in registry.get("gurunavi").sections if s.testable]


def test_a_wrong_encryption_key_fails_the_check_without_leaking(settings, ftp_root):
    from cryptography.fernet import Fernet

    shop = ftp_shop(21)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    check = run(shop, "ftp")
    assert (check.status, check.code) == ("failed", "decrypt_failed")


def test_no_secret_in_check_rows(settings, ftp_root):
    with HttpServer(rakuten_api()) as api, FtpServer(ftp_root, FTP_USER, FTP_PASS) as ftp:
        settings.MALL_API = {**settings.MALL_API, "rakuten": api.url}
        shop = rakuten_shop(key="SL-wrong-license-key")
        shop.settings = {
            **shop.settings,
            "ftp.host": "127.0.0.1",
            "ftp.port": ftp.port,
            "ftp.user": FTP_USER,
            "ftp.protocol": "ftp",
        }
        shop.set_secrets({**shop.get_secrets(), "ftp.password": "wrong-ftp-secret"})
        shop.save()
        run(shop, "rakuten_api")
        run(shop, "ftp")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM shops_connectioncheck")
        dump = json.dumps(cursor.fetchall(), default=str)
    for secret in (RAKUTEN_SECRET, "SL-wrong-license-key", "wrong-ftp-secret"):
        assert secret not in dump


def test_runner_never_raises():
    section = registry.get("rakuten").section("rakuten_api")

    def boom(section, ctx):
        raise RuntimeError("license key SL-secret-in-message")

    broken = type(section)(**{**section.__dict__, "checker": boom})
    result = run_check(broken, {}, {}, shop_code="S1", timeout=1)
    assert result.code == "unexpected" and "SL-secret" not in result.detail


# ---- pages, task and CLI ------------------------------------------------------------------


@pytest.fixture
def eager(settings):
    from tempostar.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def test_check_button_runs_the_test_and_the_page_shows_it(
    admin_client, eager, ftp_root, django_capture_on_commit_callbacks
):
    with FtpServer(ftp_root, FTP_USER, FTP_PASS) as server:
        shop = ftp_shop(server.port)
        page = admin_client.get(reverse("shops:edit", args=[shop.code])).content.decode()
        assert "接続確認" in page and "まだ確認していません" in page
        with django_capture_on_commit_callbacks(execute=True):
            response = admin_client.post(
                reverse("shops:check", args=[shop.code, "ftp"]), HTTP_ACCEPT="application/json"
            )
    assert response.status_code == 202
    status = admin_client.get(response.json()["url"]).json()
    assert status["status"] == "success" and status["done"] is True
    page = admin_client.get(reverse("shops:edit", args=[shop.code])).content.decode()
    assert "接続と認証に成功しました" in page
    listing = admin_client.get(reverse("shops:list")).content.decode()
    assert "badge status-success" in listing


def test_check_all_shows_progress(admin_client, eager, django_capture_on_commit_callbacks):
    make_shop("ponparemall")
    make_shop("qoo10")
    make_shop("gurunavi")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("shops:check_all"))
    assert response.status_code == 302
    progress = admin_client.get(response["Location"], {"format": "json"}).json()
    assert progress["total"] == 2 and progress["finished"]
    assert progress["counts"]["untested"] == 2
    page = admin_client.get(response["Location"]).content.decode()
    assert "全ショップ接続確認" in page and "<progress" in page


def test_operator_can_test_viewer_cannot(client, make_user, operator, eager):
    shop = make_shop("ponparemall")
    client.force_login(make_user("viewer", "view_shop"))
    assert client.post(reverse("shops:check", args=[shop.code, "ponpare"])).status_code == 403
    assert not ConnectionCheck.objects.exists()
    client.force_login(operator)
    response = client.post(reverse("shops:check", args=[shop.code, "ponpare"]))
    assert response.status_code == 302
    assert ConnectionCheck.objects.get().requested_by == operator


@pytest.mark.django_db(transaction=True)
def test_cli_prints_a_table_and_fails_when_a_test_fails(eager, ftp_root, capsys):
    from django.core.management import call_command

    with FtpServer(ftp_root, FTP_USER, FTP_PASS) as server:
        good = ftp_shop(server.port)
        bad = ftp_shop(server.port, password="wrong-one")
        with pytest.raises(SystemExit) as exit:
            call_command(
                "test_connections",
                "--shop",
                good.code,
                "--shop",
                bad.code,
                "--wait",
                "--timeout",
                "30",
            )
    assert exit.value.code == 1
    out = capsys.readouterr().out
    assert good.code in out and bad.code in out
    # Each Rakuten shop has two testable sections; the API one is not set up.
    assert "success 1, failed 1, not tested 2" in out
    assert "wrong-one" not in out

"""接続確認 against real servers on loopback: FTP, SFTP and each mall's HTTP API."""

import json
import re
import socket

import pytest
from django.db import connection
from django.urls import reverse

from connectors.malls.rakuten import RMS
from connectors.runner import run_check
from connectors.transports import guard
from shops.models import ConnectionCheck
from tests.connectors import test_rakuten as rakuten
from tests.helpers import make_shop, run
from tests.servers import FtpServer, HttpServer, SftpServer, free_port, slow

pytestmark = pytest.mark.django_db
FTP_USER, FTP_PASS = "savaway", "ftp-pass-1234"


@pytest.fixture
def ftp_root(tmp_path):
    (tmp_path / "item.csv").write_text("code,name\n")
    return tmp_path


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
    with pytest.raises(guard.GuardRefused, match="intranet.example.jp") as refused:
        guard.checked_address("intranet.example.jp", 21)
    assert "10.20.30.40" not in str(refused.value)  # the internal address is not revealed


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


def pin_then_change(ftp_root):
    """An SFTP server's key pinned by a first check, then a server with another key."""
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
    return changed


def test_sftp_pins_the_host_key_then_refuses_a_changed_one(ftp_root):
    pin_then_change(ftp_root)


def test_a_changed_host_key_is_shown_with_the_result(admin_client, ftp_root):
    changed = pin_then_change(ftp_root)
    box = admin_client.get(reverse("shops:check_status", args=[changed.pk])).content.decode()
    assert "ホスト鍵が変わりました" in box
    assert f"サーバーのホスト鍵: <code>{changed.info['host_key']}</code>" in box


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


def test_slow_server_hits_the_timeout(settings):
    routes = {k: slow(3, v) for k, v in rakuten.routes().items()}  # the timeout is 2 s
    with HttpServer(routes) as api:
        setattr(settings, RMS.setting, api.url)
        check = run(rakuten.shop(), "rakuten_api")
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
        setattr(settings, RMS.setting, api.url)
        check = run(rakuten.shop(), "rakuten_api")
    assert (check.status, check.code) == ("failed", "redirected")
    assert len(api.requests) == 1


def test_a_wrong_encryption_key_fails_the_check_without_leaking(settings, ftp_root):
    from cryptography.fernet import Fernet

    shop = ftp_shop(21)
    settings.FIELD_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    check = run(shop, "ftp")
    assert (check.status, check.code) == ("failed", "decrypt_failed")


def test_no_secret_in_check_rows(settings, ftp_root):
    with HttpServer(rakuten.routes()) as api, FtpServer(ftp_root, FTP_USER, FTP_PASS) as ftp:
        setattr(settings, RMS.setting, api.url)
        shop = rakuten.shop(key="SL-wrong-license-key")
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
    for secret in (rakuten.SECRET, "SL-wrong-license-key", "wrong-ftp-secret"):
        assert secret not in dump


def test_runner_never_raises():
    from connectors.sections import Section

    class Broken(Section):
        def check(self, ctx):
            raise RuntimeError("license key SL-secret-in-message")

    result = run_check(Broken("broken", "壊れた"), {}, {}, shop_code="S1", timeout=1)
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
                reverse("shops:check", args=[shop.code, "ftp"]), HTTP_HX_REQUEST="true"
            )
    assert response.status_code == 202
    # The answer is the section's result box (htmx swaps it in); a finished one stops polling.
    box = response.content.decode()
    check = ConnectionCheck.objects.get()
    assert 'id="check-ftp"' in box
    status = admin_client.get(reverse("shops:check_status", args=[check.pk])).content.decode()
    assert "接続と認証に成功しました" in status and "hx-trigger" not in status
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
    live = admin_client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in live and "2 / 2" in live and "hx-trigger" not in live
    assert re.search(r'id="count-untested">2<', live)
    page = admin_client.get(response["Location"]).content.decode()
    assert "全ショップ接続確認" in page and "<progress" in page
    assert 'id="untested-checks"' in page and "ポンパレモール連携設定" in page


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

"""Drive Debian's chromium through Playwright: log in, add a shop, find it in the list."""

import re

import pytest

from connectors.base import registry

pytestmark = pytest.mark.browser


def test_log_in_add_a_shop_and_find_it(live_server, page, operator):
    from playwright.sync_api import expect

    from shops.models import Shop
    from tests.conftest import PASSWORD

    page.goto(f"{live_server.url}/shops/")
    expect(page).to_have_url(re.compile(r"/login/"))
    page.get_by_label("ユーザー名").fill("operator")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="連携ショップ基本設定")).to_be_visible()

    page.get_by_role("link", name="連携ショップ新規追加").click()
    expect(page.locator("a.mall")).to_have_count(len(registry.codes()))
    page.get_by_role("link", name=re.compile("^楽天市場")).click()

    page.get_by_label("ショップ名(正式名称)").fill("株式会社サバウェイ")
    page.get_by_label("ショップURL", exact=False).first.fill("not a url")
    page.get_by_role("button", name="登録").click()
    expect(page.locator("#id_url-error")).to_contain_text("http:// または https://")
    assert not Shop.objects.exists()

    page.get_by_label("ショップ名(略称)").fill("サバウェイ楽天")
    page.locator("#id_url").fill("https://www.rakuten.co.jp/savaway/")
    page.get_by_label("取り扱う商品のジャンル").select_option(label="食品")
    page.get_by_role("button", name="登録").click()

    shop = Shop.objects.get()
    expect(page.get_by_role("status")).to_contain_text(shop.code)
    expect(page.locator("#order-mail")).to_have_text(shop.order_mail_address)

    page.get_by_role("link", name="一覧へ戻る").click()
    row = page.locator("#shop-list tbody tr", has_text=shop.code)
    expect(row).to_contain_text("楽天市場")
    expect(row).to_contain_text("サバウェイ楽天")

    page.get_by_placeholder("ショップ名またはショップコード").fill("サバウェイ")
    page.get_by_role("button", name="絞り込み").click()
    expect(page.locator("#shop-list tbody tr")).to_have_count(1)


def test_yahoo_ftp_user_follows_the_url_and_rakuten_registers(live_server, page, admin_user):
    from playwright.sync_api import expect

    from shops.models import Shop
    from tests.conftest import PASSWORD

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("ユーザー名").fill("admin")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()

    # Yahoo!ショッピング: the FTP user ID and store account appear while the URL is typed.
    page.goto(f"{live_server.url}/shops/new/yahoo_shopping/")
    page.locator("#id_url").press_sequentially("https://store.shopping.yahoo.co.jp/savaway/")
    expect(page.locator("#id_ftp__user")).to_have_value("store-savaway")
    expect(page.locator("#id_yahoo_api__store_account")).to_have_value("savaway")
    expect(page.locator('[data-suggestion-for="id_ftp__user"]')).to_contain_text("store-savaway")
    # A typed value that differs is flagged, and is no longer overwritten.
    page.locator("#id_ftp__user").fill("store-other")
    expect(page.locator('[data-suggestion-for="id_ftp__user"]')).to_have_class(
        re.compile("mismatch")
    )
    page.locator("#id_url").fill("https://store.shopping.yahoo.co.jp/another/")
    page.locator("#id_url").dispatch_event("input")
    expect(page.locator("#id_ftp__user")).to_have_value("store-other")

    # 楽天市場: register with credentials; fixed values are prefilled.
    page.goto(f"{live_server.url}/shops/new/rakuten/")
    expect(page.locator("#id_ftp__host")).to_have_value("upload.rakuten.ne.jp")
    expect(page.locator("#id_ftp__port")).to_have_value("22")
    page.locator("#id_ftp__protocol").select_option("ftp")
    expect(page.locator("#id_ftp__port")).to_have_value("21")
    page.locator("#id_ftp__protocol").select_option("sftp")
    expect(page.locator("#id_ftp__port")).to_have_value("22")
    page.get_by_label("ショップ名(正式名称)").fill("株式会社サバウェイ")
    page.get_by_label("ショップ名(略称)").fill("サバウェイ楽天")
    page.locator("#id_url").fill("https://www.rakuten.co.jp/savaway/")
    page.locator("#id_url").dispatch_event("input")
    expect(page.locator("#id_ftp__user")).to_have_value("savaway")
    page.locator("#id_ftp__password").fill("browser-ftp-password")
    page.locator("#id_rakuten_api__service_secret").fill("SP-browser-service-secret")
    page.locator("#id_rakuten_api__license_key").fill("SL-browser-license-key-77aa")
    page.get_by_role("button", name="登録").click()

    shop = Shop.objects.get(mall="rakuten")
    expect(page.get_by_role("status").first).to_contain_text(shop.code)
    expect(page.locator("#id_rakuten_api__license_key-state")).to_have_text("設定済み(末尾 77aa)")
    expect(page.locator("#id_rakuten_api__license_key")).to_have_value("")
    assert "SL-browser-license-key-77aa" not in page.content()
    assert shop.get_secrets()["rakuten_api.license_key"] == "SL-browser-license-key-77aa"
    assert shop.settings["ftp.user"] == "savaway"


def test_connection_test_result_appears_without_reload(live_server, page, admin_user, tmp_path):
    from playwright.sync_api import expect

    from shops.models import Shop
    from tempostar.celery import app
    from tests.conftest import PASSWORD
    from tests.servers import FtpServer

    (tmp_path / "items.csv").write_text("x")
    app.conf.task_always_eager = True  # the request runs the task; the page polls for it
    try:
        with FtpServer(tmp_path, "savaway", "ftp-browser-pass") as ftp:
            shop = Shop(
                mall="shoplist",
                name="SL",
                short_name="SL",
                url="https://shop-list.com/women/savaway/",
            )
            shop.settings = {
                "ftp.host": "127.0.0.1",
                "ftp.port": ftp.port,
                "ftp.user": "savaway",
                "ftp.passive": True,
            }
            shop.set_secrets({"ftp.password": "ftp-browser-pass"})
            shop.save()
            page.goto(f"{live_server.url}/login/")
            page.get_by_label("ユーザー名").fill("admin")
            page.get_by_label("パスワード").fill(PASSWORD)
            page.get_by_role("button", name="ログイン").click()
            page.goto(f"{live_server.url}/shops/{shop.code}/edit/")
            expect(page.locator("#check-ftp")).to_contain_text("まだ確認していません")
            url_before = page.url
            page.locator("#section-ftp").get_by_role("button", name="接続確認").click()
            expect(page.locator("#check-ftp")).to_contain_text(
                "接続と認証に成功しました", timeout=15_000
            )
            assert page.url == url_before  # no reload, no navigation
            expect(page.locator("#check-ftp summary")).to_have_text("詳細")
            # A second test at once is refused, with a message a person can act on.
            page.locator("#section-ftp").get_by_role("button", name="接続確認").click()
            result = page.locator("#check-ftp")
            expect(result).to_contain_text("実行できません")
            expect(result).to_contain_text(re.compile(r"\d+ ?秒"))
            expect(result).not_to_contain_text("undefined")
            expect(result).not_to_contain_text("待機中 待機中")
    finally:
        app.conf.task_always_eager = False


def test_language_switch_runs_under_the_content_security_policy(live_server, page, viewer):
    from playwright.sync_api import expect

    from tests.conftest import PASSWORD

    response = page.goto(f"{live_server.url}/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "unsafe" not in response.headers["content-security-policy"]
    page.get_by_label("ユーザー名").fill("viewer")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    expect(page.get_by_role("heading", name="連携ショップ基本設定")).to_be_visible()
    # A viewer sees the list but no button that changes anything.
    expect(page.get_by_role("link", name="連携ショップ新規追加")).to_have_count(0)
    expect(page.locator("#check-all")).to_have_count(0)
    # Picking a language submits the form from static/js/lang.js, not an inline handler.
    page.locator("#lang-select").select_option("en")
    expect(page.get_by_role("heading", name="Linked shop settings")).to_be_visible()

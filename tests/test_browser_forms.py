"""A shop form that comes back with an error, in Debian's chromium: the secrets typed are kept
(shown as 入力済み(未保存), never written back into the page), the cursor is put in the first
error, and the corrected submit saves them."""

import pytest

pytestmark = pytest.mark.browser

SECRETS = {
    "#id_ftp__password": "kept-ftp-password-1",
    "#id_rakuten_api__service_secret": "SP-kept-service-secret-2",
    "#id_rakuten_api__license_key": "SL-kept-license-key-3",
}


def log_in(page, base, user):
    from tests.conftest import PASSWORD

    page.goto(f"{base}/login/")
    page.get_by_label("ユーザー名").fill(user.username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(lambda url: "/login/" not in url)


@pytest.mark.parametrize("width,height", [(1366, 768), (390, 844)])
def test_secrets_typed_before_an_error_are_kept_and_saved(
    live_server, new_page, operator, width, height
):
    from playwright.sync_api import expect

    from shops.models import Shop

    page = new_page(width, height)
    log_in(page, live_server.url, operator)
    page.goto(f"{live_server.url}/shops/new/rakuten/")
    page.get_by_label("ショップ名(正式名称)").fill("株式会社サバウェイ")
    page.get_by_label("ショップ名(略称)").fill("サバウェイ楽天")
    page.locator("#id_url").fill("https://www.rakuten.co.jp/savaway/")
    page.locator("#id_ftp__port").fill("99999")  # the only error, far down the page
    for selector, value in SECRETS.items():
        page.locator(selector).fill(value)
    page.get_by_role("button", name="登録").click()

    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#form-errors")).to_contain_text("ポート番号")
    assert not Shop.objects.exists()
    # The page takes the user to the first error.
    port = page.locator("#id_ftp__port")
    expect(port).to_be_focused()
    expect(port).to_be_in_viewport()
    expect(page.locator("#id_ftp__port-error")).to_be_visible()
    # Each secret is kept, shown as entered but not saved, and never sent back to the page.
    for selector in SECRETS:
        expect(page.locator(selector)).to_have_value("")
        state = page.locator(f"{selector}-state")
        expect(state).to_have_text("入力済み(未保存)")
    html = page.content()
    for value in SECRETS.values():
        assert value not in html
    # The summary above the form links to the field.
    page.locator("#form-errors").get_by_role("link", name="ポート番号").click()
    expect(port).to_be_in_viewport()

    port.fill("22")
    page.get_by_role("button", name="登録").click()
    shop = Shop.objects.get()
    expect(page.get_by_role("status").first).to_contain_text(shop.code)
    assert shop.get_secrets() == {
        "ftp.password": "kept-ftp-password-1",
        "rakuten_api.service_secret": "SP-kept-service-secret-2",
        "rakuten_api.license_key": "SL-kept-license-key-3",
    }
    expect(page.locator("#id_rakuten_api__license_key-state")).to_contain_text("設定済み")


def test_a_kept_secret_can_be_discarded_or_replaced(live_server, new_page, admin_user, make_shop):
    from playwright.sync_api import expect

    shop = make_shop("rakuten")
    page = new_page()
    log_in(page, live_server.url, admin_user)
    page.goto(f"{live_server.url}/shops/{shop.code}/edit/")
    page.locator("#id_ftp__password").fill("first-typed-password")
    page.locator("#id_rakuten_api__service_secret").fill("SP-typed-once")
    page.locator("#id_rakuten_api__license_key").fill("SL-first-typed-key")
    page.get_by_label("ショップ名(略称)").fill("")
    page.get_by_role("button", name="保存").click()
    short_name = page.get_by_label("ショップ名(略称)")
    expect(short_name).to_be_focused()
    expect(page.locator("#id_ftp__password-state")).to_have_text("入力済み(未保存)")

    # Discard one, type over another, keep the third, and correct the error.
    page.locator("#section-ftp").get_by_label("入力を取り消す").check()
    page.locator("#id_rakuten_api__license_key").fill("SL-second-typed-key")
    short_name.fill("サバウェイ")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status").first).to_contain_text("保存しました")
    shop.refresh_from_db()
    assert shop.get_secrets() == {
        "rakuten_api.service_secret": "SP-typed-once",
        "rakuten_api.license_key": "SL-second-typed-key",
    }

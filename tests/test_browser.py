"""Drive Debian's chromium through Playwright: log in, add a shop, find it in the list."""

import os
import re
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not CHROMIUM.exists(),
        reason="Debian's chromium is not installed (apt-get install chromium); .ci/run installs it",
    ),
]


@pytest.fixture
def page(settings):
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # (fixtures, assertions) are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(locale="ja-JP")
        context.set_default_timeout(15_000)
        page = context.new_page()
        try:
            yield page
        finally:
            page.screenshot(path=str(settings.VAR_DIR / "browser-last.png"), full_page=True)
            context.close()
            browser.close()
    os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)


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
    expect(page.locator("a.mall")).to_have_count(14)
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

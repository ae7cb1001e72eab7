"""What a person sees of the hostile-input rules (issue J), in Debian's chromium: the message
that names the field, the warning about removed invisible characters, the upload limit."""

import re

import pytest

from tests.conftest import CHROMIUM

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def log_in(page, live_server, username):  # noqa: F811
    from tests.conftest import PASSWORD

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def test_other_scripts_digits_are_refused_and_invisible_characters_removed_visibly(
    live_server,
    page,  # noqa: F811
    admin_user,
):
    from playwright.sync_api import expect

    from shops.models import Shop

    log_in(page, live_server, "admin")
    page.goto(f"{live_server.url}/shops/new/yahoo_shopping/")
    page.get_by_label("ショップ名(正式名称)").fill("株式会社サバウェイ")
    page.get_by_label("ショップ名(略称)").fill("サバ\u200bウェイ\ufeff")
    page.locator("#id_url").fill("https://store.shopping.yahoo.co.jp/savaway/")
    page.locator("#id_yahoo_api__public_key_version").fill("٣")  # Arabic-Indic three
    page.get_by_role("button", name="登録").click()

    error = page.locator("#id_yahoo_api__public_key_version-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("「公開鍵バージョン」は半角または全角の数字")
    expect(page.get_by_role("alert")).to_contain_text("まだ保存されていません")
    assert not Shop.objects.exists()

    page.locator("#id_yahoo_api__public_key_version").fill("")
    page.get_by_label("ショップ名(略称)").fill("サバ\u200bウェイ\ufeff")
    page.get_by_role("button", name="登録").click()
    warning = page.get_by_role("status").filter(has_text="見えない文字")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("「ショップ名(略称)」から見えない文字")
    assert Shop.objects.get().short_name == "サバウェイ"


def test_an_upload_over_the_limit_is_refused_with_a_visible_message(
    live_server,
    page,  # noqa: F811
    operator,
    settings,
):
    from playwright.sync_api import expect

    from orders.models import ImportJob
    from shops.models import Shop

    settings.IMPORT_MAX_BYTES = 1000
    shop = Shop.objects.create(
        mall="other", name="サバウェイ電話注文", short_name="電話", url="https://tel.example.jp/"
    )
    log_in(page, live_server, "operator")
    page.goto(f"{live_server.url}/orders/import/{shop.code}/")
    page.get_by_label("CSVファイル").set_input_files(
        {"name": "orders.csv", "mimeType": "text/csv", "buffer": b"x" * 200_000}
    )
    page.get_by_role("button", name="取り込む").click()
    expect(page).to_have_url(re.compile(rf"/orders/import/{shop.code}/$"))
    message = page.get_by_role("status").filter(has_text="ファイルが大きすぎます")
    expect(message).to_be_visible()
    expect(message).to_contain_text("上限は 1,000 バイト")
    assert not ImportJob.objects.exists()

"""ポンパレモール: data; the mall offers no outside check. Whether it still operates could not
be verified (connectors/malls/ponparemall.py), so the closed-mall display is tested with a
declaration made for the test only."""

import re
from datetime import date

import pytest

from connectors.malls.ponparemall import Ponparemall
from tests.conftest import CHROMIUM
from tests.helpers import make_shop, run

DATA = {
    "url": "https://store.ponparemall.com/savaway/",
    "ponpare.login_id": "savaway-pon",
    "ponpare.password": "pon-pass-0008",
    "sender_mail.from_address": "shop@savaway.example.jp",
    "sender_mail.bcc_address": "",
    "product_key.key": "item_code",
}


@pytest.mark.django_db
def test_without_a_public_check_it_says_so():
    check = run(make_shop("ponparemall"), "ponpare")
    assert (check.status, check.code) == ("untested", "not_testable")
    assert "確認する方法がありません" in check.message


@pytest.mark.browser
@pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed")
def test_a_closed_mall_says_so_in_the_picker_and_on_its_page(
    live_server,
    page,  # noqa: F811
    operator,
    monkeypatch,
):
    from playwright.sync_api import expect

    from tests.conftest import PASSWORD

    # For this test only: no closure of ポンパレモール is verified.
    monkeypatch.setattr(Ponparemall, "closed_on", date(2020, 1, 31))
    monkeypatch.setattr(Ponparemall, "closed_source", "https://example.com/closure-notice")
    page.goto(f"{live_server.url}/shops/new/")
    page.get_by_label("ユーザー名").fill("operator")
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    card = page.get_by_role("link", name=re.compile("^ポンパレモール"))
    expect(card).to_contain_text("サービス終了 2020-01-31")
    expect(card).to_contain_text("出典: https://example.com/closure-notice")
    expect(page.get_by_role("link", name=re.compile("^楽天市場"))).not_to_contain_text(
        "サービス終了"
    )
    card.click()
    closed = page.locator("#mall-closed")
    expect(closed).to_be_visible()
    expect(closed).to_have_text("サービス終了 2020-01-31")
    expect(page.get_by_role("link", name="https://example.com/closure-notice")).to_be_visible()
    # Still registrable: the form is there.
    expect(page.get_by_role("button", name="登録")).to_be_visible()

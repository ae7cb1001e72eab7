"""The watch's pages in Debian's chromium: 連携状況 from the header menu, failing first; a 管理者
adds a chat destination and sends a test; the 有効期限 page's timeline; the calendar address."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import CHROMIUM

pytest_plugins = ["tests.test_browser"]  # its `page` fixture (CSP violations fail the test)
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]
JST = ZoneInfo("Asia/Tokyo")


def log_in(page, live_server, username):
    from tests.conftest import PASSWORD

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def test_status_page_from_the_menu_lists_failing_first(live_server, page, viewer):
    from playwright.sync_api import expect

    from monitoring.models import SectionState
    from tests.helpers import make_shop

    good = make_shop("qoo10", short_name="正常ショップ")
    bad = make_shop("qoo10", short_name="異常ショップ")
    SectionState.objects.create(shop=good, section="qoo10_api", state="ok", last_code="ok")
    SectionState.objects.create(
        shop=bad,
        section="qoo10_api",
        state="failing",
        last_code="auth_failed",
        since=datetime(2026, 11, 2, 3, 0, tzinfo=JST),
    )
    log_in(page, live_server, "viewer")
    page.get_by_role("link", name="連携状況").first.click()
    expect(page.get_by_role("heading", name="連携状況")).to_be_visible()
    rows = page.locator("#connection-status tbody tr")
    expect(rows.first).to_contain_text("異常ショップ")
    expect(rows.first).to_contain_text("異常")
    expect(rows.first).to_contain_text("2026-11-02 03:00")
    expect(rows.first).to_contain_text("認証に失敗しました")
    expect(rows.nth(1)).to_contain_text("正常ショップ")
    page.locator("#state-counts").get_by_text("異常 1").click()
    expect(rows).to_have_count(1)
    # The list's badge follows the state.
    page.goto(f"{live_server.url}/shops/")
    row = page.locator("#shop-list tbody tr", has_text=bad.code)
    expect(row.locator(".check-cell")).to_contain_text("異常")
    # The page's content needs no sideways scrolling on a phone (the shared header's phone
    # layout is another change's: it is measured apart).
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/monitoring/")
    assert page.evaluate("document.querySelector('main').scrollWidth") <= 390
    expect(page.locator("#connection-status tbody tr").first).to_be_visible()


def test_an_administrator_adds_a_destination_and_sends_a_test(live_server, page, manager):
    from playwright.sync_api import expect

    from tests.servers import HttpServer

    with HttpServer({("POST", "/hook/abcdef123456"): lambda r: (200, {}, {})}) as hook:
        port = hook.url.rsplit(":", 1)[1]
        log_in(page, live_server, "manager")
        page.goto(f"{live_server.url}/monitoring/destinations/")
        page.get_by_label("名前").fill("運用チャンネル")
        page.get_by_label("モール種別").select_option(label="Qoo10")
        page.get_by_label("通知先URL(Apprise形式)").fill("http://not-supported.example/")
        page.get_by_role("button", name="追加").click()
        expect(page.locator("#id_url-error")).to_contain_text("対応しているサービスの URL")
        page.get_by_label("通知先URL(Apprise形式)").fill(
            f"json://127.0.0.1:{port}/hook/abcdef123456"
        )
        page.get_by_role("button", name="追加").click()
        row = page.locator("#destinations tbody tr", has_text="運用チャンネル")
        expect(row).to_contain_text("json://…3456")
        assert "abcdef123456" not in page.content()
        row.get_by_role("button", name="テスト送信").click()
        expect(page.get_by_role("status").first).to_contain_text("テストメッセージを送信しました")
        assert len(hook.requests) == 1 and "Qoo10" in hook.requests[0]["body"]


def test_a_typed_destination_url_survives_an_error_elsewhere(live_server, page, manager):
    from playwright.sync_api import expect

    from monitoring.models import Destination

    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/monitoring/destinations/")
    page.get_by_label("名前").fill("店舗別チャンネル")
    page.get_by_label("1つのショップ").check()
    page.get_by_label("ショップコード").fill("S99999")
    page.get_by_label("通知先URL(Apprise形式)").fill("slack://TokA/TokB/TokCsecret77")
    page.get_by_role("button", name="追加").click()
    expect(page.locator("#id_shop-error")).to_be_visible()
    expect(page.get_by_label("ショップコード")).to_be_focused()
    expect(page.locator("#id_url-state")).to_have_text("入力済み(未保存)")
    expect(page.get_by_label("通知先URL(Apprise形式)")).to_have_value("")
    assert "TokCsecret77" not in page.content()
    # Corrected without typing the URL again.
    page.get_by_label("モールの全ショップ").check()
    page.get_by_label("モール種別").select_option(label="Qoo10")
    page.get_by_role("button", name="追加").click()
    expect(page.locator("#destinations tbody tr", has_text="店舗別チャンネル")).to_contain_text(
        "slack://…et77"
    )
    assert Destination.objects.get().get_url() == "slack://TokA/TokB/TokCsecret77"


def test_expiry_timeline_and_calendar_address(live_server, page, viewer, settings):
    from datetime import timedelta

    from playwright.sync_api import expect

    from shops.expiry import sync_expiries
    from tests.helpers import make_shop

    # The seller key lives a year: issued 300 days ago, it expires in about 65 days, inside
    # the chart's 120 whatever the day the suite runs.
    issued = (datetime.now(JST) - timedelta(days=300)).isoformat(timespec="seconds")
    shop = make_shop(
        "qoo10",
        {"qoo10_api.user_id": "u", "qoo10_api.seller_key_issued_at": issued},
        {
            "qoo10_api.api_key": "k" * 12,
            "qoo10_api.password": "p" * 12,
            "qoo10_api.seller_key": "s",
        },
        short_name="期限の店",
    )
    sync_expiries(shop)
    log_in(page, live_server, "viewer")
    page.goto(f"{live_server.url}/shops/expiries/")
    timeline = page.locator("#expiry-timeline")
    expect(timeline).to_be_visible()
    expect(timeline).to_contain_text("期限の店")
    page.get_by_role("link", name="有効期限カレンダー").click()
    page.get_by_role("button", name="カレンダーのアドレスを発行").click()
    address = page.locator("#feed-url")
    expect(address).to_have_text(re.compile(r"/monitoring/calendar/[\w-]{40,}\.ics$"))
    url = address.inner_text()
    page.reload()
    expect(page.locator("#feed-url")).to_have_count(0)  # shown once
    expect(page.get_by_role("button", name="アドレスを再発行")).to_be_visible()
    response = page.request.get(url.replace("http://127.0.0.1:8000", live_server.url))
    assert response.ok and b"BEGIN:VCALENDAR" in response.body()

"""What a person sees on each page, in Debian's chromium: at a desktop's 1366 px and a phone's
390 px, for each role, with the console filled as a seller's would be (scripts/demo_data.py).

Every assertion is about what is visible on screen (Playwright's visibility, the viewport,
the document's scroll width), not about text somewhere in the HTML.
"""

import re
from urllib.parse import urljoin, urlsplit

import pytest

from connectors.base import registry
from scripts.demo_data import PASSWORD, main_pages, populate

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = (390, 844)


@pytest.fixture
def demo(live_server):
    return populate()


def log_in(page, base, username):
    page.goto(f"{base}/login/")
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.wait_for_url(lambda url: "/login/" not in url)


def no_sideways_scroll(page):
    width, inner = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    return width <= inner, f"{page.url}: document {width} px wide in a {inner} px window"


def test_every_main_page_fits_a_phone_and_keeps_its_header_controls(live_server, new_page, demo):
    from playwright.sync_api import expect

    pages = main_pages(demo)
    phones = {}
    for name, user, path in pages:
        if user not in phones:
            phones[user] = new_page(*PHONE)
            if user:
                log_in(phones[user], live_server.url, user)
        page = phones[user]
        page.goto(live_server.url + path)
        fits, why = no_sideways_scroll(page)
        assert fits, why
        if not user or path.startswith("/admin/"):
            continue  # no header of ours (the login page has no menu; the admin has its own)
        # The header folds into a menu button that stays on screen; opened, the menu shows
        # every link and the logout button inside the window.
        toggle = page.locator("#menu-toggle")
        expect(toggle).to_be_in_viewport()
        expect(page.get_by_role("button", name="ログアウト")).to_be_hidden()
        toggle.click()
        expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
        outside = page.evaluate(
            """() => [...document.querySelectorAll('#site-menu a, #site-menu button')]
                .map(e => [e.textContent.trim(), e.getBoundingClientRect()])
                .filter(([, r]) => r.width === 0 || r.left < 0 || r.right > innerWidth)
                .map(([text]) => text)"""
        )
        assert outside == [], (name, outside)
        fits, why = no_sideways_scroll(page)
        assert fits, why


def test_at_1366_the_header_and_lists_stay_on_one_line(live_server, page, demo):
    from playwright.sync_api import expect

    log_in(page, live_server.url, "admin")
    for _name, user, path in main_pages(demo):
        if user != "admin":
            continue
        page.goto(live_server.url + path)
        fits, why = no_sideways_scroll(page)
        assert fits, why
        if not path.startswith("/admin/"):
            expect(page.locator("#menu-toggle")).to_be_hidden()
            expect(page.get_by_role("button", name="ログアウト")).to_be_in_viewport()
    # The list's edit links and badges do not wrap; the search field shows its whole hint.
    page.goto(f"{live_server.url}/shops/")
    row = page.locator("#shop-list tbody tr").first
    for cell in (row.locator("td.act a"), row.locator("td.expiry-cell .badge")):
        box = cell.bounding_box()
        assert box["height"] < 24, box  # one line
    fits = page.locator("input[name=q]").evaluate("e => e.scrollWidth <= e.clientWidth")
    assert fits
    hint = page.locator("input[name=q]").evaluate(
        "e => { const c = document.createElement('canvas').getContext('2d');"
        " c.font = getComputedStyle(e).font; return c.measureText(e.placeholder).width"
        " < e.clientWidth; }"
    )
    assert hint, "the search hint is cut"


def test_shop_page_shows_its_history_and_the_order_import(live_server, page, demo):
    from playwright.sync_api import expect

    rakuten, other = demo["rakuten"], demo["other"]
    log_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/shops/{rakuten.code}/edit/")
    # The tab's title is plain text, not the page's HTML.
    assert page.title() == "サバウェイ楽天 | TEMPOSTAR"
    history = page.locator("#history")
    expect(history).to_be_visible()
    expect(history.get_by_role("heading", name="変更履歴")).to_be_visible()
    # Values as the form showed them, not as stored.
    latest = history.locator("tbody tr").first
    expect(latest).to_contain_text("取り扱う商品のジャンル: 食品 → スイーツ・お菓子")
    expect(latest).to_contain_text("FTP設定 / プロトコル: SFTP → FTP")
    expect(latest).to_contain_text("同一商品判定キー / 同一商品判定キー: 商品管理番号")
    expect(latest).not_to_contain_text("item_url")

    page.goto(f"{live_server.url}/shops/{other.code}/edit/")
    assert page.title() == "電話・FAX | TEMPOSTAR"
    card = page.locator("#order-csv")
    expect(card).to_be_visible()
    card.get_by_role("link", name="受注CSVを取り込む").click()
    expect(page.get_by_role("heading", name=re.compile("受注CSV取込"))).to_be_visible()


def test_viewer_sees_every_value_but_secrets_and_no_link_it_cannot_follow(live_server, page, demo):
    from playwright.sync_api import expect

    rakuten = demo["rakuten"]
    log_in(page, live_server.url, "viewer")
    row = page.locator("#shop-list tbody tr", has_text=rakuten.code)
    expect(row.get_by_role("link", name="編集")).to_have_count(0)
    row.get_by_role("link", name="表示").click()
    expect(page).to_have_url(re.compile(rf"/shops/{rakuten.code}/$"))
    expect(page.locator("#value-genre")).to_have_text("スイーツ・お菓子")
    expect(page.locator("#value-ftp-protocol")).to_have_text("FTP")
    expect(page.locator("#value-ftp-passive")).to_have_text("使用する")
    expect(page.locator("#value-product_key-key")).to_contain_text("SKU")
    expect(page.locator("#value-ftp-password")).to_have_text("設定済み")
    expect(page.locator("#value-rakuten_api-license_key")).to_have_text("設定済み")
    expect(page.locator("#check-ftp")).to_contain_text("接続と認証に成功しました")
    expect(page.locator("#check-rakuten_api")).to_contain_text("認証に失敗しました")
    from django.utils import timezone

    from shops.expiry import days_left

    expiry = rakuten.expiries.get(credential="license_key")
    left = days_left(expiry.expires_at, timezone.localdate())
    expect(page.locator("#expiry-rakuten_api-license_key")).to_contain_text(f"残り {left} 日")
    expect(page.locator("#history")).to_be_visible()
    content = page.content()
    assert "demo-ftp-password" not in content and "3f9a" not in content
    expect(page.get_by_role("link", name="編集")).to_have_count(0)
    expect(page.get_by_role("button", name="接続確認")).to_have_count(0)

    for user in ("viewer", "operator"):
        if user != "viewer":
            page.context.clear_cookies()
            log_in(page, live_server.url, user)
        assert_links_can_be_followed(page, live_server.url, demo, user)


def assert_links_can_be_followed(page, base, demo, user):
    """Every link on the role's pages leads somewhere the role may go (no 403, no 404)."""
    host = urlsplit(base).netloc
    seen, checked = set(), 0
    for _name, who, path in main_pages(demo):
        if who != user:
            continue
        page.goto(base + path)
        for href in page.locator("a[href]").evaluate_all("els => els.map(e => e.href)"):
            url = urljoin(page.url, href).split("#")[0]
            if urlsplit(url).netloc != host or url in seen:
                continue
            seen.add(url)
            status = page.request.get(url, max_redirects=0).status
            checked += 1
            assert status in (200, 302), f"{user}: {url} answers {status} (linked from {path})"
    assert checked > 10


def test_orders_page_from_the_menu_and_from_the_other_shop(live_server, new_page, demo):
    from playwright.sync_api import expect

    page = new_page(*PHONE)
    log_in(page, live_server.url, "viewer")
    page.locator("#menu-toggle").click()
    page.locator("#site-menu").get_by_role("link", name="受注").click()
    expect(page.get_by_role("heading", name="受注")).to_be_visible()
    orders = page.locator("#orders tbody tr")
    expect(orders).to_have_count(2)
    first = orders.filter(has_text="TEL-20261126-001")
    expect(first).to_contain_text("髙橋 一郎")
    expect(first).to_contain_text("SAVA-002 さば味噌煮 × 1")
    expect(first).to_contain_text("4,170 円")
    # Each import's summary: who, when, which file, counts and the stock it changed.
    imports = page.locator("#import-list tbody tr")
    expect(imports).to_have_count(1)
    expect(imports).to_contain_text("operator")
    expect(imports).to_contain_text("受注_20261126.csv")
    expect(imports).to_contain_text("受注 2 件・明細 3 行・スキップ 0 件")
    expect(imports).to_contain_text("SAVA-001 24 → 21")

    page.get_by_label("検索").fill("さば味噌")
    page.get_by_role("button", name="絞り込み").click()
    expect(orders).to_have_count(1)
    expect(orders).to_contain_text("TEL-20261126-001")

    expect(page.get_by_role("link", name="受注CSVを取り込む")).to_have_count(0)  # viewer

    # The その他 shop's page leads to its orders.
    page.goto(f"{live_server.url}/shops/{demo['other'].code}/")
    expect(page.get_by_role("link", name="受注CSVを取り込む")).to_have_count(0)  # viewer
    page.get_by_role("link", name="このショップの受注").click()
    expect(page.get_by_role("heading", name="受注: 電話・FAX")).to_be_visible()
    expect(orders).to_have_count(2)


def test_batch_page_names_sections_and_lists_what_was_not_tested(live_server, page, demo):
    from playwright.sync_api import expect

    log_in(page, live_server.url, "operator")
    page.goto(f"{live_server.url}/shops/checks/batch/{demo['batch'].pk}/")
    failed = page.locator("#failed-checks")
    expect(failed).to_be_visible()
    expect(failed).to_contain_text("楽天API連携設定")
    expect(failed).not_to_contain_text("rakuten_api")
    untested = page.locator("#untested-checks")
    expect(untested).to_be_visible()
    expect(untested).to_contain_text("ポンパレモール連携設定")
    expect(untested).to_contain_text("外部からこの設定を確認する方法がありません")
    expect(page.locator("#count-untested")).to_have_text("1")


def test_every_mall_card_says_what_it_links(live_server, page, demo):
    from playwright.sync_api import expect

    log_in(page, live_server.url, "operator")
    page.goto(f"{live_server.url}/shops/new/")
    cards = page.locator("ul.malls > li")
    expect(cards).to_have_count(len(registry.codes()))
    for i in range(len(registry.codes())):
        expect(cards.nth(i).locator(".summary")).to_be_visible()
    help_links = page.locator("ul.malls a.more")
    expect(help_links.first).to_be_visible()
    assert help_links.count() == sum(1 for c in registry.all() if c.help_url)
    # Each section of the form links to where the mall explains its values.
    page.goto(f"{live_server.url}/shops/new/yahoo_shopping/")
    link = page.locator("#section-ftp .help-link")
    expect(link).to_be_visible()
    expect(link).to_have_attribute("target", "_blank")


def test_admin_names_are_japanese(live_server, page, demo):
    from playwright.sync_api import expect

    log_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/admin/")
    assert page.title() == "ユーザー・ログイン保護・記録 | TEMPOSTAR 管理サイト"
    expect(page.locator("#site-name")).to_have_text("TEMPOSTAR 管理サイト")
    content = page.locator("#content-main")
    names = ("商品", "受注", "取り込み", "発行済みショップコード", "ログイン試行", "アクセスログ")
    for name in names:
        expect(content.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(content).not_to_contain_text(re.compile(r"[ぁ-んァ-ン一-龥]s\b"))
    expect(content).not_to_contain_text("access")
    # The console's own words do not replace Django's: a change link says 変更.
    expect(content.get_by_role("link", name="変更").first).to_be_visible()

    # Permissions in a role's page: Django stores their names in English ("Can add shop");
    # the pickers show them in Japanese, the console's own permissions included.
    from django.contrib.auth.models import Group

    role = Group.objects.get(name="オペレーター")
    page.goto(f"{live_server.url}/admin/auth/group/{role.pk}/change/")
    chosen = page.locator("#id_permissions_to")
    expect(chosen).to_be_visible()
    expect(
        chosen.get_by_role("option", name="連携ショップ | 連携ショップ | 連携ショップを追加できる")
    ).to_have_count(1)
    expect(
        chosen.get_by_role("option", name="連携ショップ | 連携ショップ | 接続テストを実行できる")
    ).to_have_count(1)
    for box in ("#id_permissions_from", "#id_permissions_to"):
        texts = " ".join(page.locator(box).all_inner_texts())
        assert "Can " not in texts and "WebAuthn" not in texts and "heartbeat" not in texts


def test_an_operator_reaches_the_order_import_from_the_menu(live_server, page, demo):
    from playwright.sync_api import expect

    log_in(page, live_server.url, "operator")
    page.get_by_role("navigation", name="メインメニュー").get_by_role("link", name="受注").click()
    page.get_by_role("link", name="受注CSVを取り込む").click()
    expect(page.get_by_role("heading", name=re.compile("受注CSV取込"))).to_contain_text(
        demo["other"].code
    )


# A label of the phone cards that takes two lines must make its cell taller, not run into the
# next cell: each cell is at least as tall as its label set in the label's own font and width.
LABELS_FIT = """() => {
  const bad = [];
  for (const td of document.querySelectorAll('table.stack td[data-label]')) {
    if (!td.dataset.label || td.offsetParent === null) continue;
    const before = getComputedStyle(td, '::before');
    const probe = document.createElement('div');
    probe.textContent = td.dataset.label;
    for (const p of ['font-family', 'font-size', 'font-weight', 'line-height', 'width',
                     'padding-top']) probe.style.setProperty(p, before.getPropertyValue(p));
    document.body.appendChild(probe);
    const need = probe.getBoundingClientRect().height;
    probe.remove();
    if (td.getBoundingClientRect().height + 0.5 < need) bad.push(td.dataset.label);
  }
  return bad;
}"""


def test_phone_cards_label_every_value_without_overlap(live_server, page, demo):
    from playwright.sync_api import expect

    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, "admin")
    for path in ("/shops/", "/monitoring/", "/shops/expiries/?within=all"):
        page.goto(live_server.url + path)
        assert page.evaluate(LABELS_FIT) == [], path
        no_sideways_scroll(page)
    # 連携状況's cards name each value (the header row is hidden on a phone).
    page.goto(f"{live_server.url}/monitoring/")
    first = page.locator("#connection-status tbody tr").first
    since = first.locator("td").nth(1)
    expect(since).to_be_visible()
    label = since.evaluate("td => getComputedStyle(td, '::before').content")
    assert label == '"この状態になった日時"'
    # The 120-day chart keeps its text at full size and scrolls inside its own box.
    page.goto(f"{live_server.url}/shops/expiries/?within=all")
    chart = page.locator("#expiry-timeline")
    expect(chart).to_be_visible()
    drawn = chart.evaluate("svg => svg.getBoundingClientRect().width / svg.viewBox.baseVal.width")
    assert drawn >= 0.99

"""In the browser: the API documentation under the strict CSP, the API-token page, the bulk
shop import page and the two-factor sign-in (codes computed with pyotp)."""

import json
import re
import time

import pyotp
import pytest
from django.test import Client

from tests.conftest import CHROMIUM, PASSWORD

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed"),
]


def log_in(tab, base, username):
    tab.goto(f"{base}/login/")
    tab.get_by_label("ユーザー名").fill(username)
    tab.get_by_label("パスワード").fill(PASSWORD)
    tab.get_by_role("button", name="ログイン").click()


def no_sideways_scroll(tab):
    tab.set_viewport_size({"width": 390, "height": 844})
    width = tab.evaluate("document.documentElement.scrollWidth")
    wide = tab.evaluate(
        "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right"
        " > 390).map(e => e.tagName + '.' + e.className + '#' + e.id).slice(0, 8)"
    )
    assert width <= 390, (width, wide)
    tab.set_viewport_size({"width": 1280, "height": 900})


def test_api_docs_render_under_the_csp(live_server, page):  # noqa: F811
    from playwright.sync_api import expect

    response = page.goto(f"{live_server.url}/api/v1/docs")
    csp = response.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    expect(
        page.get_by_role("heading", name=re.compile("TEMPOSTAR shop linkage API"))
    ).to_be_visible()
    expect(page.get_by_text("/api/v1/shops/{code}/checks/{section}")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("Authorize"))).to_be_visible()


def test_create_use_and_revoke_a_token(live_server, page, operator, make_shop):  # noqa: F811
    from playwright.sync_api import expect

    make_shop("other", url="https://tel.example.jp/")
    log_in(page, live_server.url, "operator")
    page.get_by_role("link", name="APIトークン").click()
    expect(page.get_by_role("heading", name="APIトークン")).to_be_visible()
    page.get_by_label("トークン名").fill("夜間同期スクリプト")
    page.get_by_role("button", name="トークンを作成").click()
    expect(page.locator("#new-token")).to_contain_text("二度と表示されません")
    raw = page.locator("#new-token-value").inner_text().strip()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/shops").json()["count"] == 1
    page.goto(page.url)  # shown once: it was never stored, so it cannot be shown again
    expect(page.locator("#new-token")).to_have_count(0)
    row = page.locator("#token-list tbody tr", has_text="夜間同期スクリプト")
    expect(row).to_contain_text("有効")
    no_sideways_scroll(page)
    page.once("dialog", lambda dialog: dialog.accept())  # 「無効にしますか？」
    row.get_by_role("button", name="無効にする").click()
    expect(page.get_by_role("status").first).to_contain_text("無効にしました")
    expect(page.locator("#token-list tbody tr", has_text="夜間同期スクリプト")).to_contain_text(
        "無効"
    )
    assert api.get("/api/v1/shops").status_code == 401
    assert raw not in page.content()


def test_import_shops_from_a_file_after_checking_it(live_server, page, manager, tmp_path):  # noqa: F811
    from playwright.sync_api import expect

    from shops.models import Shop

    shops = [
        {
            "mall": "other",
            "name": f"電話注文 {i}",
            "short_name": f"電話{i}",
            "url": f"https://tel{i}.example.jp/",
        }
        for i in (1, 2)
    ]
    good = tmp_path / "shops.json"
    good.write_text(json.dumps(shops, ensure_ascii=False), encoding="utf-8")
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps([shops[0], {**shops[1], "url": "tel"}], ensure_ascii=False))
    log_in(page, live_server.url, "manager")
    page.get_by_role("link", name="ショップ一括登録").click()
    page.get_by_label("ショップファイル(JSON または CSV)").set_input_files(str(bad))
    page.get_by_role("button", name="ファイルを確認").click()
    expect(page.locator("#import-errors")).to_contain_text("2件目: ショップURL (url)")
    page.get_by_label("ショップファイル(JSON または CSV)").set_input_files(str(good))
    page.get_by_role("button", name="ファイルを確認").click()
    expect(page.locator("#import-preview")).to_contain_text("2 件のショップを登録します")
    assert not Shop.objects.exists()
    no_sideways_scroll(page)
    page.get_by_role("button", name="この内容で登録する").click()
    expect(page.get_by_role("status").first).to_contain_text("2 件のショップを登録しました")
    expect(page.locator("#import-result tbody tr")).to_have_count(2)
    assert sorted(Shop.objects.values_list("short_name", flat=True)) == ["電話1", "電話2"]


def test_an_administrator_signs_in_with_a_second_factor(live_server, page, manager, settings):  # noqa: F811
    from playwright.sync_api import expect

    settings.MFA_REQUIRED = True
    log_in(page, live_server.url, "manager")
    expect(page.get_by_role("heading", name="二段階認証の設定")).to_be_visible()
    expect(page.get_by_role("img", name="認証アプリ用のQRコード")).to_be_visible()
    # Not signed in yet: another page sends us back to the login.
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    totp = pyotp.TOTP(secret)
    page.get_by_label("確認コード").fill(totp.now())
    page.get_by_role("button", name="有効にしてログイン").click()
    expect(page.get_by_role("heading", name="リカバリーコード")).to_be_visible()
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.get_by_role("link", name="保管しました").click()
    expect(page.get_by_role("heading", name="連携ショップ基本設定")).to_be_visible()

    page.get_by_role("button", name="ログアウト").click()
    log_in(page, live_server.url, "manager")
    expect(page.get_by_role("heading", name="二段階認証")).to_be_visible()
    page.get_by_label("確認コード").fill("000000")
    page.get_by_role("button", name="確認").click()
    expect(page.get_by_role("alert")).to_contain_text("コードが正しくない")
    page.goto(f"{live_server.url}/shops/")
    expect(page).to_have_url(re.compile(r"/login/"))  # a password alone is not a login
    log_in(page, live_server.url, "manager")
    time.sleep(1.1)  # django-otp makes the next try after a wrong code wait a second
    # The code used at enrolment is spent; the app's next one is accepted.
    page.get_by_label("確認コード").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="確認").click()
    expect(page.get_by_role("heading", name="連携ショップ基本設定")).to_be_visible()


def test_a_passkey_replaces_the_code_at_the_second_step(live_server, page, manager, settings):  # noqa: F811
    """A virtual authenticator (Chromium's WebAuthn domain) stands in for a phone or key."""
    from playwright.sync_api import expect

    from tests.test_twofactor import enrolled
    from twofactor import devices

    settings.MFA_REQUIRED = True
    settings.OTP_WEBAUTHN_RP_ID = "localhost"
    settings.OTP_WEBAUTHN_ALLOWED_ORIGINS = [live_server.url]
    assert "//localhost:" in live_server.url
    totp, _codes = enrolled(manager)
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    log_in(page, live_server.url, "manager")
    page.get_by_label("確認コード").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="確認").click()
    page.get_by_role("link", name="二段階認証").click()
    expect(page.locator("#no-passkey")).to_be_visible()
    page.get_by_role("button", name="パスキーを追加").click()
    expect(page.locator("#passkey-register-status-message")).not_to_be_empty()
    page.wait_for_function("() => !document.querySelector('#passkey-register-button')?.disabled")
    assert devices.has_passkey(manager)
    page.goto(page.url)
    expect(page.locator("#passkey-list li")).to_have_count(1)

    page.get_by_role("button", name="ログアウト").click()
    log_in(page, live_server.url, "manager")
    page.get_by_role("button", name="パスキーで確認").click()
    expect(page.get_by_role("heading", name="連携ショップ基本設定")).to_be_visible(timeout=15_000)

"""A console filled the way a seller's would be: shops of several malls with credentials,
connection tests, expiring keys, a change history, products and imported orders.

Used by `make screenshots` (scripts/screenshots.py) and by the browser tests that open every
main page. Everything is written through the same paths the console uses (shops.store for
shops, the order import for orders); no network is touched.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

PASSWORD = "demo-password-2026"
USERS = {"admin": None, "operator": "オペレーター", "viewer": "閲覧者"}


def users():
    from tempostar.roles import assign_role

    User = get_user_model()
    made = {}
    for name, role in USERS.items():
        user, _ = User.objects.get_or_create(username=name)
        user.set_password(PASSWORD)
        user.is_superuser = user.is_staff = role is None
        user.save()
        if role:
            assign_role(user, role)
        made[name] = user
    return made


def _shop(connector_code, user, *, common, values=None, secrets=None):
    from connectors.base import registry
    from shops import store

    values = values or {}
    # Issue dates are given as typed: a new key's date would otherwise default to today.
    entered = {fid for fid, v in values.items() if hasattr(v, "isoformat")}
    edit = store.Edit(common=common, values=values, secrets=secrets or {}, entered=entered)
    return store.create(registry.get(connector_code), edit, user=user)


def _check(shop, section, status, code, *, minutes_ago=5, detail="", latency=None, batch=None):
    """A finished connection check, recorded as a worker records one (the 連携状況 state and
    the list's badge follow it)."""
    import time_machine

    from connectors.checks import CheckResult
    from shops.checks import record
    from shops.models import ConnectionCheck

    now = timezone.now() - timedelta(minutes=minutes_ago)
    check = ConnectionCheck.objects.create(shop=shop, section=section, batch=batch, started_at=now)
    with time_machine.travel(now, tick=False):
        record(
            check,
            shop.connector.section(section),
            CheckResult(status, code, detail),
            latency if latency is not None else 0,
        )
    if latency is None:
        ConnectionCheck.objects.filter(pk=check.pk).update(latency_ms=None)
    check.refresh_from_db()
    return check


def populate(people: dict | None = None) -> dict:
    """Fill an empty database; returns the users and the main objects by name. `people`:
    existing "admin", "operator" and "viewer" users to use (else they are made with
    PASSWORD)."""
    from orders import jobs
    from orders.models import ImportJob, Product
    from orders.templatefiles import SAMPLE_ROWS, to_csv
    from shops import store
    from shops.models import CheckBatch, ConnectionCheck

    people = people or users()
    admin, operator = people["admin"], people["operator"]
    today = timezone.localdate()

    rakuten = _shop(
        "rakuten",
        operator,
        common={
            "name": "株式会社サバウェイ 楽天市場店",
            "short_name": "サバウェイ楽天",
            "url": "https://www.rakuten.co.jp/savaway/",
            "manager_name": "鯖江 太郎",
            "genre": "food",
            "notify_emails": "ec@savaway.example.jp",
        },
        values={
            "ftp.protocol": "sftp",
            "ftp.host": "upload.rakuten.ne.jp",
            "ftp.port": 22,
            "ftp.user": "savaway",
            "ftp.passive": True,
            "rakuten_api.store_id": "savaway",
            "rakuten_api.license_issued_on": today - timedelta(days=80),
            "sender_mail.from_address": "shop@savaway.example.jp",
            "product_key.key": "item_url",
        },
        secrets={
            "ftp.password": "demo-ftp-password-0001",
            "rakuten_api.service_secret": "SP-demo-service-secret-0001",
            "rakuten_api.license_key": "SL-demo-license-key-3f9a",
        },
    )
    # A later edit, so the history shows values the way the form shows them.
    store.update(
        rakuten,
        store.Edit(
            common={
                "name": rakuten.name,
                "short_name": rakuten.short_name,
                "url": rakuten.url,
                "mobile_url": "",
                "manager_name": rakuten.manager_name,
                "genre": "sweets",
                "notify_emails": rakuten.notify_emails,
            },
            values={"ftp.protocol": "ftp", "ftp.port": 21, "product_key.key": "sku"},
        ),
        user=admin,
    )
    rakuten.refresh_from_db()
    _check(rakuten, "ftp", ConnectionCheck.SUCCESS, "ok", latency=412, detail="227 entries")
    _check(rakuten, "rakuten_api", ConnectionCheck.FAILED, "auth_failed", detail="401 ES01-01")

    yahoo = _shop(
        "yahoo_shopping",
        operator,
        common={
            "name": "株式会社サバウェイ Yahoo!店",
            "short_name": "サバウェイYahoo",
            "url": "https://store.shopping.yahoo.co.jp/savaway/",
        },
        values={
            "ftp.host": "ftp.castle.yahoofs.jp",
            "ftp.port": 21,
            "ftp.user": "store-savaway",
            "ftp.passive": True,
            "yahoo_api.store_account": "savaway",
        },
        secrets={"ftp.password": "demo-yahoo-ftp-0002"},
    )
    _check(yahoo, "ftp", ConnectionCheck.FAILED, "unreachable", detail="timed out")

    wowma = _shop(
        "au_pay_market",
        operator,
        common={
            "name": "株式会社サバウェイ au PAY マーケット店",
            "short_name": "サバウェイau",
            "url": "http://www.dena-ec.com/user/1234567",
        },
        values={
            "wowma_api.shop_id": "1234567",
            "wowma_api.api_key_issued_on": today - timedelta(days=95),
        },
        secrets={"wowma_api.api_key": "demo-wowma-api-key-00000003"},
    )
    _check(wowma, "wowma_api", ConnectionCheck.FAILED, "key_expired")

    _shop(
        "amazon",
        operator,
        common={
            "name": "株式会社サバウェイ Amazon店",
            "short_name": "サバウェイAmazon",
            "url": "https://www.amazon.co.jp/shops/A2EXAMPLE12345",
        },
        values={"sp_api.seller_id": "A2EXAMPLE12345", "sp_api.marketplace_id": "A1VC38T7YXB528"},
    )
    qoo10 = _shop(
        "qoo10",
        operator,
        common={
            "name": "株式会社サバウェイ Qoo10店",
            "short_name": "サバウェイQoo10",
            "url": "https://www.qoo10.jp/shop/savaway",
        },
        values={"qoo10_api.user_id": "savaway"},
        secrets={"qoo10_api.api_key": "demo-qoo10-key-0005", "qoo10_api.password": "demo-pass"},
    )
    ponpare = _shop(
        "ponparemall",
        operator,
        common={
            "name": "株式会社サバウェイ ポンパレモール店",
            "short_name": "サバウェイポンパレ",
            "url": "https://store.ponparemall.com/savaway/",
        },
        values={"ponpare.login_id": "savaway"},
        secrets={"ponpare.password": "demo-ponpare-0006"},
    )
    _shop(
        "shopify",
        operator,
        common={
            "name": "Savaway Global",
            "short_name": "Savaway Shopify",
            "url": "https://savaway.myshopify.com/",
        },
        values={"shopify_api.shop_domain": "savaway.myshopify.com"},
        secrets={"shopify_api.access_token": "shpat_demo_token_000000000007"},
    )
    other = _shop(
        "other",
        operator,
        common={
            "name": "株式会社サバウェイ 電話・FAX注文",
            "short_name": "電話・FAX",
            "url": "https://www.savaway.example.jp/",
        },
        values={"sender_mail.from_address": "tel@savaway.example.jp"},
    )

    # 全ショップ接続確認: a finished batch with a failure and a section that cannot be tested.
    batch = CheckBatch.objects.create(created_by=operator, total=4)
    _check(rakuten, "ftp", ConnectionCheck.SUCCESS, "ok", latency=388, batch=batch, minutes_ago=2)
    _check(
        rakuten,
        "rakuten_api",
        ConnectionCheck.FAILED,
        "auth_failed",
        detail="401 ES01-01",
        batch=batch,
        minutes_ago=2,
    )
    _check(qoo10, "qoo10_api", ConnectionCheck.FAILED, "unexpected", batch=batch, minutes_ago=2)
    _check(ponpare, "ponpare", ConnectionCheck.UNTESTED, "not_testable", batch=batch, minutes_ago=2)

    Product.objects.create(code="SAVA-001", name="さば缶 3缶セット～限定版～", expected_stock=24)
    Product.objects.create(code="SAVA-002", name="さば味噌煮", expected_stock=3)
    Product.objects.create(code="SAVA-003", name="さば水煮 6缶", expected_stock=0)
    job = jobs.create_job(
        ImportJob.ORDERS,
        SimpleUploadedFile("受注_20261126.csv", to_csv(SAMPLE_ROWS), content_type="text/csv"),
        shop=other,
        user=operator,
    )
    job = jobs.run_job(job.pk)
    return {
        "users": people,
        "rakuten": rakuten,
        "yahoo": yahoo,
        "wowma": wowma,
        "other": other,
        "batch": batch,
        "job": job,
    }


def main_pages(objects: dict) -> list[tuple[str, str | None, str]]:
    """(name, user who opens it or None, path) of every main page, for screenshots and the
    browser tests' phone-width check."""
    from django.urls import reverse

    rakuten, other = objects["rakuten"], objects["other"]
    return [
        ("login", None, reverse("login")),
        ("shop-list", "admin", reverse("shops:list")),
        ("shop-list-viewer", "viewer", reverse("shops:list")),
        ("mall-picker", "operator", reverse("shops:pick_mall")),
        ("shop-new", "operator", reverse("shops:create", args=["rakuten"])),
        ("shop-edit", "admin", reverse("shops:edit", args=[rakuten.code])),
        ("shop-edit-operator", "operator", reverse("shops:edit", args=[rakuten.code])),
        ("shop-view", "viewer", reverse("shops:detail", args=[rakuten.code])),
        ("shop-other", "admin", reverse("shops:edit", args=[other.code])),
        ("expiries", "admin", reverse("shops:expiries") + "?within=all"),
        ("check-batch", "admin", reverse("shops:check_batch", args=[objects["batch"].pk])),
        ("orders", "viewer", reverse("orders:list")),
        ("order-import", "operator", reverse("orders:import", args=[other.code])),
        ("import-result", "operator", reverse("orders:job", args=[objects["job"].pk])),
        ("products", "operator", reverse("orders:products")),
        ("delete", "admin", reverse("shops:delete", args=[rakuten.code])),
        ("status", "viewer", reverse("monitoring:status")),
        ("destinations", "admin", reverse("monitoring:destinations")),
        ("calendar", "viewer", reverse("monitoring:calendar")),
        ("shop-import", "admin", reverse("shop_import")),
        ("api-tokens", "operator", reverse("api_tokens")),
        ("two-factor", "operator", reverse("twofactor:settings")),
        ("admin", "admin", reverse("admin:index")),
        ("not-found", "viewer", "/shops/S99999/"),
    ]

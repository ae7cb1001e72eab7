"""At 100,000 shops (issue L): the shop list page, the API list, a name search (page and API)
and the 有効期限 page (and its 120-day chart, a fragment the page loads), each printed with its
SQL queries, median and p95 server time beside a floor measured in the same run; then
import_shops of 1,000 shops with secrets.

Floors: for pages, a minimal signed-in page of the same stack (the API-token page with no
token: middleware, session, permission check, base template); for the API, GET /api/v1/me
(token lookup and permissions, no shop query); for the import, creating the same 1,000 shops
with bulk_create and their secrets encrypted (no validation, no history, no expiries).

Runs on a throw-away SQLite file with the test settings; BENCH_DATABASE_URL points it at
another empty database (for example a scratch PostgreSQL database).
Targets: each at most 10 queries and a median under 25 ms; the import under 10 s.
"""

import json
import os
import random
import time
from datetime import timedelta

from harness import setup, timed_get

REPEAT = 40
N = int(os.environ.get("BENCH_SHOPS", "100000"))
client = setup("scale")

from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from api import bulk, tokens  # noqa: E402
from connectors.base import registry  # noqa: E402
from shops.models import (  # noqa: E402
    CredentialExpiry,
    Shop,
    ShopChange,
    ShopCode,
    format_shop_code,
    new_order_mail_address,
)

random.seed(7)
Shop.objects.all().delete()
malls = registry.all()


def fill(n: int) -> None:
    """n shops with a few settings each and, for 楽天 shops, a licenseKey expiry row."""
    started = time.perf_counter()
    last = ShopCode.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    ShopCode.objects.bulk_create(
        [ShopCode(mall=malls[i % len(malls)].code) for i in range(n)], batch_size=5000
    )
    codes = list(ShopCode.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "mall"))
    for start in range(0, len(codes), 5000):
        shops = []
        for pk, mall in codes[start : start + 5000]:
            connector = registry.get(mall)
            code = format_shop_code(pk)
            shops.append(
                Shop(
                    mall=mall,
                    code=code,
                    name=f"ベンチ商店 {pk} 本店",
                    short_name=f"ベンチ{pk}",
                    url=f"https://shop{pk}.example.jp/",
                    settings={"sender_mail.from_address": f"shop{pk}@example.jp"},
                    secret_hints={"ftp.password": "a1b2"} if mall == "rakuten" else {},
                    order_mail_address=new_order_mail_address(code)
                    if connector.imports_order_mail
                    else None,
                )
            )
        Shop.objects.bulk_create(shops, batch_size=2500)
    now = timezone.now()
    rows = [
        CredentialExpiry(
            shop_id=pk,
            section="rakuten_api",
            credential="license_key",
            expires_at=now + timedelta(days=random.randint(-20, 120)),
            source=CredentialExpiry.ENTERED,
        )
        for pk in Shop.objects.filter(mall="rakuten").values_list("pk", flat=True)
    ]
    CredentialExpiry.objects.bulk_create(rows, batch_size=5000)
    if connection.vendor == "postgresql":
        # The steady state autovacuum keeps: statistics and the visibility map (without it a
        # COUNT(*) reads the whole table instead of an index).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(
        f" filled {Shop.objects.count():,} shops and {len(rows):,} expiry rows in "
        f"{time.perf_counter() - started:.1f} s ({connection.vendor})"
    )


def api_get(api_client, url, params=None, repeat=REPEAT):
    return timed_get(api_client, url, params, repeat)


def line(label, figures, floor=None, target=True):
    queries, median, p95 = figures
    extra = ""
    if floor is not None:
        extra = f"   floor {floor[1]:5.1f} ms ({floor[0]} q)"
    ok = ("ok" if queries <= 10 and median < 25 else "OVER") if target else "info"
    print(
        f"  {label:<44} {queries:>3} queries   median {median:6.1f} ms   "
        f"p95 {p95:6.1f} ms{extra}   [{ok}]"
    )
    return figures, target


fill(N)
user = client.session.get("_auth_user_id")
from django.contrib.auth import get_user_model  # noqa: E402

owner = get_user_model().objects.get(pk=user)
_token, raw = tokens.issue(owner, "bench")
api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
from django.conf import settings  # noqa: E402

settings.API_RATE_LIMIT = "100000/min"

print(f" {N:,} shops, {REPEAT} requests each")
page_floor = timed_get(client, "/account/api-tokens/", repeat=REPEAT)
api_floor = api_get(api, "/api/v1/me")
print(
    f"  floor: minimal page                            {page_floor[0]:>3} queries   "
    f"median {page_floor[1]:6.1f} ms"
)
print(
    f"  floor: GET /api/v1/me                          {api_floor[0]:>3} queries   "
    f"median {api_floor[1]:6.1f} ms"
)
DEEP = max(1, min(1000, N // 50))  # page 1000 at 100,000 shops
target = Shop.objects.order_by("code").values_list("pk", flat=True)[N // 2]
name = Shop.objects.get(pk=target).name
results = [
    line("shop list /shops/ (first page)", timed_get(client, "/shops/", repeat=REPEAT), page_floor),
    line(
        f"shop list /shops/?page={DEEP}",
        timed_get(client, "/shops/", {"page": DEEP}),
        page_floor,
        False,
    ),
    line(f"name search /shops/?q={name}", timed_get(client, "/shops/", {"q": name}), page_floor),
    line("expiries /shops/expiries/ (30 days)", timed_get(client, "/shops/expiries/"), page_floor),
    line(
        "expiries /shops/expiries/?within=all",
        timed_get(client, "/shops/expiries/", {"within": "all"}),
        page_floor,
        False,
    ),
    line(
        "expiry timeline /monitoring/timeline/",
        timed_get(client, "/monitoring/timeline/"),
        page_floor,
    ),
    line("API GET /api/v1/shops", api_get(api, "/api/v1/shops"), api_floor),
    line(
        f"API GET /api/v1/shops?page={DEEP}",
        api_get(api, "/api/v1/shops", {"page": DEEP}),
        api_floor,
        False,
    ),
    line(f"API name search ?q={name}", api_get(api, "/api/v1/shops", {"q": name}), api_floor),
    line("API GET /api/v1/expiries", api_get(api, "/api/v1/expiries"), api_floor),
]

# ---- import_shops: 1,000 shops with secrets ------------------------------------------------------
rows = []
for i in range(1000):
    rows.append(
        {
            "mall": "rakuten",
            "name": f"一括登録 {i} 本店",
            "short_name": f"一括{i}",
            "url": f"https://www.rakuten.co.jp/bulk{i}/",
            "sections": {
                "ftp": {"password": f"bulk-ftp-password-{i:04d}"},
                "rakuten_api": {
                    "service_secret": f"SP-bulk-service-{i:04d}",
                    "license_key": f"SL-bulk-license-{i:04d}",
                },
            },
        }
    )
data = json.dumps(rows, ensure_ascii=False).encode()

started = time.perf_counter()
with transaction.atomic():
    issued = ShopCode.objects.bulk_create([ShopCode(mall="rakuten") for _ in rows])
    issued = list(ShopCode.objects.order_by("-pk")[: len(rows)])
    floor_shops = []
    for code, row in zip(issued, rows, strict=True):
        shop = Shop(
            mall="rakuten",
            code=format_shop_code(code.pk),
            name=row["name"],
            short_name=row["short_name"],
            url=row["url"],
        )
        shop.set_secrets(
            {
                "ftp.password": row["sections"]["ftp"]["password"],
                "rakuten_api.service_secret": row["sections"]["rakuten_api"]["service_secret"],
                "rakuten_api.license_key": row["sections"]["rakuten_api"]["license_key"],
            }
        )
        floor_shops.append(shop)
    Shop.objects.bulk_create(floor_shops, batch_size=500)
    transaction.set_rollback(True)
import_floor = time.perf_counter() - started

started = time.perf_counter()
report = bulk.import_shops(data, "bench.json", user=owner)
elapsed = time.perf_counter() - started
assert len(report.shops) == 1000
assert ShopChange.objects.filter(via="import").count() == 1000
print(
    f"  import_shops 1,000 shops with secrets: {elapsed:.2f} s (target < 10 s)   "
    f"floor (bulk_create + encryption) {import_floor:.2f} s"
)
targets = [r for r, counted in results if counted]
worst_q = max(q for q, _m, _p in targets)
worst_ms = max(m for _q, m, _p in targets)
print(
    f" worst of the targets (deep pages are information): {worst_q} queries (target <= 10), "
    f"median {worst_ms:.1f} ms (target < 25 ms)"
)

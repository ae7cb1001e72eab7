"""Shop list (/shops/) at 10 and 10,000 fully configured shops (every section filled, secrets
encrypted): SQL queries per page and median server time.

Runs on a throw-away SQLite file with the test settings; BENCH_DATABASE_URL points it at
another empty database (for example a scratch PostgreSQL database), whose shop tables it fills.
Target (issue A): at most 10 queries per page, the same at 10 as at 10,000; median < 50 ms.
"""

from harness import setup, timed_get

REPEAT = 40
client = setup("list")

from django.db import connection  # noqa: E402

from connectors.base import registry  # noqa: E402
from shops.models import Shop, ShopCode, format_shop_code, new_order_mail_address  # noqa: E402
from tests.mall_data import MALLS  # noqa: E402

Shop.objects.all().delete()
malls = registry.all()


def grow_to(n: int) -> None:
    have = Shop.objects.count()
    batch = []
    for i in range(have, n):
        connector = malls[i % len(malls)]
        issued = ShopCode(mall=connector.code)
        batch.append(issued)
    ShopCode.objects.bulk_create(batch, batch_size=2000)
    codes = ShopCode.objects.order_by("-pk")[: n - have]
    shops = []
    for issued in sorted(codes, key=lambda c: c.pk):
        connector = registry.get(issued.mall)
        code = format_shop_code(issued.pk)
        shops.append(
            Shop(
                mall=issued.mall,
                code=code,
                name=f"ベンチ商店 {issued.pk} 本店",
                short_name=f"ベンチ{issued.pk}",
                url=f"https://shop{issued.pk}.example.jp/",
                order_mail_address=new_order_mail_address(code)
                if connector.imports_order_mail
                else None,
            )
        )
    Shop.objects.bulk_create(shops, batch_size=2000)


def configure(shop, connector):
    """Every section filled as in the test data; secrets encrypted per shop."""
    values = MALLS[connector.code]
    settings_values, secrets = {}, {}
    for section, spec in connector.fields():
        fid = section.field_id(spec)
        if values.get(fid) in (None, ""):
            continue
        if spec.secret:
            secrets[fid] = f"{values[fid]}-{shop.code}"
        else:
            settings_values[fid] = values[fid]
    shop.settings = settings_values
    shop.set_secrets(secrets)


def measure(label: str, params: dict) -> tuple[int, float]:
    queries, median, p95 = timed_get(client, "/shops/", params, REPEAT)
    print(f"  {label:<34} {queries:>3} queries   median {median:6.1f} ms   p95 {p95:6.1f} ms")
    return queries, median


results = {}
for n in (10, 10_000):
    grow_to(n)
    print(f" {Shop.objects.count():,} shops ({connection.vendor}, {REPEAT} requests each)")
    results[n] = [
        measure("first page", {}),
        measure("page 100" if n > 5000 else "last page", {"page": 100 if n > 5000 else 1}),
        measure("search by name (q=ベンチ商店 1)", {"q": "ベンチ商店 1"}),
        measure("filter by mall (rakuten)", {"mall": "rakuten"}),
    ]

small, large = results[10], results[10_000]
same = all(a[0] == b[0] for a, b in zip(small, large, strict=True))
worst_q = max(q for q, _ in large)
worst_ms = max(ms for _, ms in large)
print(
    f" queries per page: same at 10 and 10,000 shops: {'yes' if same else 'NO'}; "
    f"max {worst_q} (target <= 10)"
)
print(f" worst median at 10,000 shops: {worst_ms:.1f} ms (target < 50 ms)")

"""Shop list (/shops/) at 10 and 10,000 fully configured shops (every section filled, secrets
encrypted): SQL queries per page and median server time.

Runs on a throw-away SQLite file with the test settings; BENCH_DATABASE_URL points it at
another empty database (for example a scratch PostgreSQL database), whose shop tables it fills.
Target (issue A): at most 10 queries per page, the same at 10 as at 10,000; median < 50 ms.
"""

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
workdir = tempfile.mkdtemp(prefix="tempostar-bench-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tempostar.settings_test")
os.environ.setdefault("VAR_DIR", workdir)
os.environ["DATABASE_URL"] = os.environ.get(
    "BENCH_DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3"
)

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402

from connectors.base import registry  # noqa: E402
from shops.models import Shop, ShopCode, format_shop_code, new_order_mail_address  # noqa: E402
from tests.mall_data import MALLS  # noqa: E402

REPEAT = 40
setup_test_environment()
call_command("migrate", verbosity=0)
Shop.objects.all().delete()
user, _ = get_user_model().objects.get_or_create(
    username="bench", defaults={"is_staff": True, "is_superuser": True}
)
client = Client()
client.force_login(user)
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
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/shops/", params)
    assert response.status_code == 200, response.status_code
    queries = len(ctx.captured_queries)
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        client.get("/shops/", params)
        times.append((time.perf_counter() - start) * 1000)
    median = statistics.median(times)
    print(
        f"  {label:<34} {queries:>3} queries   median {median:6.1f} ms   "
        f"p95 {sorted(times)[int(REPEAT * 0.95) - 1]:6.1f} ms"
    )
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

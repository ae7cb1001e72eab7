"""1,000 shops tested against a local API that answers after 200 ms, by 50 concurrent worker
threads (WORKERS processes x THREADS threads, one per core by default), through the configured
broker (filesystem by default).

Target (issue C): all done in at most 8 s (2x the ideal 1,000 x 0.2 s / 50 = 4 s).
"""

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from harness import setup

SHOPS, DELAY, CONCURRENCY = 1000, 0.2, 50
WORKERS = int(os.environ.get("BENCH_WORKERS", os.cpu_count() or 1))
THREADS = CONCURRENCY // WORKERS
setup("checks")

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from shops.checks import batch_progress  # noqa: E402
from shops.models import ConnectionCheck, Shop, ShopCode, format_shop_code  # noqa: E402
from shops.tasks import start_batch  # noqa: E402
from tests.servers import HttpServer, slow  # noqa: E402

ISSUED = (timezone.now() - timedelta(days=30)).isoformat()
Shop.objects.filter(mall="qoo10").delete()
issued = ShopCode.objects.bulk_create([ShopCode(mall="qoo10") for _ in range(SHOPS)])
issued = ShopCode.objects.order_by("-pk")[:SHOPS]
shops = []
for code in issued:
    shop = Shop(
        mall="qoo10",
        code=format_shop_code(code.pk),
        name="ベンチ",
        short_name="ベンチ",
        url="https://www.qoo10.jp/shop/bench",
    )
    # A seller key obtained earlier, as most shops have: each test is one read-only call.
    shop.settings = {"qoo10_api.user_id": "bench", "qoo10_api.seller_key_issued_at": ISSUED}
    shop.set_secrets(
        {
            "qoo10_api.api_key": "bench-key",
            "qoo10_api.password": "bench-pass",
            "qoo10_api.seller_key": "seller-key",
        }
    )
    shops.append(shop)
Shop.objects.bulk_create(shops, batch_size=500)

# Qoo10's read-only item lookup under the seller key (tests/connectors/test_qoo10.py).
items = {"TotalItems": 0, "TotalPages": 0, "PresentPage": 0, "Items": []}
answer = {"ResultCode": 0, "ResultMsg": "SUCCESS", "ResultObject": items}
routes = {("POST", "/ItemsLookup.GetAllGoodsInfo"): slow(DELAY, lambda r: (200, {}, answer))}
db = connection.settings_dict
if db["ENGINE"].endswith("sqlite3"):
    db_url = f"sqlite:///{db['NAME']}"
else:
    db_url = os.environ["DATABASE_URL"]

with HttpServer(routes) as api:
    env = dict(
        os.environ,
        QOO10_API_BASE=api.url,
        DATABASE_URL=db_url,
        DJANGO_SETTINGS_MODULE="tempostar.settings_test",
    )
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tempostar",
                "worker",
                "--pool=threads",
                f"--concurrency={THREADS}",
                "--loglevel=ERROR",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--prefetch-multiplier=4",
                "-n",
                f"bench{i}@%h",
            ],
            cwd=Path(__file__).resolve().parent.parent,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(WORKERS)
    ]
    try:
        # Wait until the worker consumes: a heartbeat round trip.
        from tempostar.tasks import heartbeat

        marker = settings.VAR_DIR / "worker-heartbeat"
        for _ in workers:  # every worker has started consuming
            marker.unlink(missing_ok=True)
            heartbeat.delay()
            deadline = time.monotonic() + 60
            while not marker.exists() and time.monotonic() < deadline:
                time.sleep(0.1)
        time.sleep(1)
        start = time.perf_counter()
        batch = start_batch(Shop.objects.filter(mall="qoo10"))
        queued = time.perf_counter() - start
        while not batch_progress(batch)["finished"]:
            time.sleep(0.05)
        elapsed = time.perf_counter() - start
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(30)

counts = batch_progress(batch)["counts"]
ideal = SHOPS * DELAY / CONCURRENCY
print(
    f"  {SHOPS} checks, server delay {DELAY * 1000:.0f} ms, {WORKERS} worker(s) x {THREADS} "
    f"threads "
    f"({connection.vendor}, broker {settings.CELERY_BROKER_URL.split(':')[0]})"
)
print(
    f"  queued in {queued:.2f} s; all done in {elapsed:.2f} s "
    f"(ideal {ideal:.1f} s, target <= {2 * ideal:.1f} s); {api.requests.__len__()} API calls"
)
print(
    f"  results: {counts[ConnectionCheck.SUCCESS]} success, {counts[ConnectionCheck.FAILED]} "
    f"failed, {counts[ConnectionCheck.UNTESTED]} untested"
)

# Where the time went: how long each check took inside the worker, and when they started.
from django.db.models import Avg, F, Max, Min  # noqa: E402

span = batch.checks.aggregate(
    first=Min("started_at"),
    last=Max("started_at"),
    done=Max("finished_at"),
    run=Avg(F("finished_at") - F("started_at")),
    created=Min("created_at"),
)
print(
    f"  in the worker: mean {span['run'].total_seconds() * 1000:.0f} ms per check; starts "
    f"spread over {(span['last'] - span['first']).total_seconds():.2f} s"
)

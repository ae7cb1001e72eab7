"""The nightly watch of 10,000 shops against a local API that answers after 200 ms.

The shops are Shopify shops (one POST to the Admin API per check, nothing stored) spread over
HOSTS loopback addresses (127.0.0.2 ...), as if HOSTS mall hosts served 400 shops each; the
watch keeps each host to WATCH_HOST_CONCURRENCY calls at a time, in WATCH_LANES lanes, run by
real Celery worker processes (WORKERS x THREADS threads) through the configured broker. The
state of every section is seeded as 正常 (the usual night: yesterday's watch found it working,
so recording a result is one UPDATE of the state).

The floor, measured in the same run in its own process: the same HTTP calls (a requests
session per call, as connectors/transports/http.py makes them) and one UPDATE per check, from
bare threads at the same concurrency, over the same lanes (so the same per-host limit).

Targets (issue K): the whole watch within 60 s on a 2-core machine; the workers' CPU per check
at most 2x the floor's.
"""

import json
import os
import subprocess
import sys
import threading
import time
from collections import defaultdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SHOPS = int(os.environ.get("BENCH_WATCH_SHOPS", 10_000))
HOSTS, DELAY = 25, 0.2
PER_HOST = int(os.environ.get("BENCH_WATCH_PER_HOST", 4))
LANES = HOSTS * PER_HOST
WORKERS = int(os.environ.get("BENCH_WORKERS", 2))
THREADS = -(-LANES // WORKERS)  # every lane gets a thread
ROOT = Path(__file__).resolve().parent.parent
CLK = os.sysconf("SC_CLK_TCK")


# ---- the floor (a child process: `bench_watch.py --floor FILE`) ------------------------------


def floor(spec_path: str) -> None:
    """Bare threads: per check, the same POST and one UPDATE; prints CPU and wall time."""
    import resource

    import requests

    spec = json.loads(Path(spec_path).read_text())
    if spec["db"].startswith("sqlite:///"):
        import sqlite3

        def connect():
            conn = sqlite3.connect(spec["db"].removeprefix("sqlite:///"), timeout=20)
            conn.isolation_level = None  # autocommit, as Django's UPDATE outside a transaction
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            return conn, "?"
    else:
        import psycopg

        def connect():
            return psycopg.connect(spec["db"], autocommit=True), "%s"

    def lane(ids):
        conn, mark = connect()
        sql = f"UPDATE shops_connectioncheck SET latency_ms = {mark} WHERE id = {mark}"
        for check_id in ids:
            host = spec["hosts"][str(check_id)]
            started = time.monotonic()
            session = requests.Session()
            session.trust_env = False
            try:
                response = session.request(
                    "POST",
                    f"http://{host}:{spec['port']}/admin/api/2026-10/graphql.json",
                    json={"query": "{ shop { name myshopifyDomain } }"},
                    headers={
                        "X-Shopify-Access-Token": "shpat_bench",
                        "Content-Type": "application/json",
                    },
                    timeout=(10, 10),
                    allow_redirects=False,
                )
                response.json()
            finally:
                session.close()
            conn.execute(sql, (int((time.monotonic() - started) * 1000), check_id))
        conn.close()

    before = resource.getrusage(resource.RUSAGE_SELF)
    start = time.perf_counter()
    threads = [threading.Thread(target=lane, args=(ids,)) for ids in spec["lanes"]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps({"elapsed": elapsed, "cpu": cpu}))


if len(sys.argv) > 2 and sys.argv[1] == "--floor":
    floor(sys.argv[2])
    sys.exit(0)

# ---- the watch ---------------------------------------------------------------------------------

from harness import setup  # noqa: E402

setup("watch")

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from monitoring import tasks, watch  # noqa: E402
from monitoring.models import SectionState  # noqa: E402
from shops.checks import batch_progress  # noqa: E402
from shops.models import ConnectionCheck, Shop, ShopCode, format_shop_code  # noqa: E402
from tempostar import crypto  # noqa: E402

# -- the local API: one server per host address, all on one port; calls in flight per host.
in_flight, most = defaultdict(int), defaultdict(int)
lock = threading.Lock()


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_POST(self):
        host = self.server.server_address[0]
        with lock:
            in_flight[host] += 1
            most[host] = max(most[host], in_flight[host])
        try:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            ok = self.headers.get("X-Shopify-Access-Token", "").startswith("shpat_")
            time.sleep(DELAY)
        finally:
            with lock:  # the call is answered: the client may send its next one
                in_flight[host] -= 1
        body = json.dumps(
            {"data": {"shop": {"name": "ベンチ", "myshopifyDomain": host}}}
            if ok
            else {"errors": "[API] Invalid API key or access token"}
        ).encode()
        self.send_response(200 if ok else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512


hosts = [f"127.0.0.{2 + i}" for i in range(HOSTS)]
first = Server((hosts[0], 0), Handler)
port = first.server_address[1]
servers = [first] + [Server((h, port), Handler) for h in hosts[1:]]
for s in servers:
    threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True).start()

# -- 10,000 shops (one token each, encrypted), their sections seeded as 正常.
Shop.objects.all().delete()
ShopCode.objects.bulk_create([ShopCode(mall="shopify") for _ in range(SHOPS)], batch_size=2000)
codes = ShopCode.objects.order_by("pk")[:SHOPS]
shops = []
for i, issued in enumerate(codes):
    shop = Shop(
        mall="shopify",
        code=format_shop_code(issued.pk),
        name="ベンチ",
        short_name="ベンチ",
        url="https://bench.myshopify.com/",
    )
    shop.settings = {"shopify_api.shop_domain": hosts[i % HOSTS]}
    shop.secrets = crypto.encrypt(json.dumps({"shopify_api.access_token": f"shpat_bench{i:05d}"}))
    shop.secret_hints = {"shopify_api.access_token": ""}
    shops.append(shop)
Shop.objects.bulk_create(shops, batch_size=2000)
SectionState.objects.bulk_create(
    [
        SectionState(shop=s, section="shopify_api", state=SectionState.OK, last_code="ok")
        for s in Shop.objects.only("pk")
    ],
    batch_size=2000,
)

db = connection.settings_dict
db_url = (
    f"sqlite:///{db['NAME']}" if db["ENGINE"].endswith("sqlite3") else os.environ["DATABASE_URL"]
)
env = dict(
    os.environ,
    SHOPIFY_ADMIN_BASE=f"http://{{domain}}:{port}",
    DATABASE_URL=db_url,
    DJANGO_SETTINGS_MODULE="tempostar.settings_test",
    WATCH_HOST_CONCURRENCY=str(PER_HOST),
    WATCH_LANES=str(LANES),
    CONNECTION_CHECK_TIMEOUT="10",
)
settings.WATCH_HOST_CONCURRENCY, settings.WATCH_LANES = PER_HOST, LANES


def cpu_seconds(pids) -> float:
    total = 0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (this process's threads)
    return total / CLK


log = open(Path(settings.VAR_DIR) / "watch-workers.log", "w")  # noqa: SIM115
print(f"  worker log: {log.name}", flush=True)
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
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--prefetch-multiplier=1",
            "-n",
            f"watch{i}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    for i in range(WORKERS)
]
try:
    from tempostar.tasks import heartbeat

    marker = settings.VAR_DIR / "worker-heartbeat"
    for _ in workers:
        marker.unlink(missing_ok=True)
        heartbeat.delay()
        deadline = time.monotonic() + 60
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    time.sleep(1)

    os.environ.update(SHOPIFY_ADMIN_BASE=env["SHOPIFY_ADMIN_BASE"])
    start = time.perf_counter()
    started = watch.start()
    planned = time.perf_counter() - start
    lanes = started.lanes
    batch = started.batch

    # The floor first (its UPDATE touches latency_ms only: the checks stay pending).
    host_of = {
        pk: values["shopify_api.shop_domain"]
        for pk, values in ConnectionCheck.objects.filter(batch=batch).values_list(
            "pk", "shop__settings"
        )
    }
    spec = Path(settings.VAR_DIR) / "floor.json"
    spec.write_text(
        json.dumps(
            {
                "db": db_url,
                "port": port,
                "lanes": lanes,
                "hosts": {str(k): v for k, v in host_of.items()},
            }
        )
    )
    out = subprocess.run(
        [sys.executable, __file__, "--floor", str(spec)], capture_output=True, text=True, check=True
    )
    floor_figures = json.loads(out.stdout.strip().splitlines()[-1])
    floor_most = dict(most)
    most.clear()

    cpu_before = cpu_seconds([w.pid for w in workers])
    start = time.perf_counter()
    tasks.send_lanes(lanes)
    while not batch_progress(batch)["finished"]:
        time.sleep(0.1)
    elapsed = time.perf_counter() - start
    cpu = cpu_seconds([w.pid for w in workers]) - cpu_before
finally:
    for w in workers:
        w.terminate()
    for w in workers:
        w.wait(30)

counts = batch_progress(batch)["counts"]
checks = batch.total
ideal = checks * DELAY / LANES
print(
    f"  {SHOPS} shops, {checks} checks on {HOSTS} hosts, server delay {DELAY * 1000:.0f} ms; "
    f"{len(lanes)} lanes, at most {PER_HOST} calls per host; {WORKERS} worker(s) x {THREADS} "
    f"threads ({connection.vendor}, broker {settings.CELERY_BROKER_URL.split(':')[0]}, "
    f"{os.cpu_count()} cores)"
)
print(
    f"  watch: {planned:.2f} s to create and plan the checks + {elapsed:.2f} s to run them = "
    f"{planned + elapsed:.2f} s (target <= 60 s; ideal {ideal:.1f} s)"
)
print(
    f"  floor: {floor_figures['elapsed']:.2f} s for the same calls and one UPDATE each from "
    f"{len(lanes)} bare threads"
)
per_check, floor_per_check = cpu / checks * 1000, floor_figures["cpu"] / checks * 1000
print(
    f"  CPU per check: workers {per_check:.2f} ms, floor {floor_per_check:.2f} ms "
    f"(ratio {per_check / floor_per_check:.2f}, target <= 2)"
)
print(
    f"  most calls at once on one host: watch {max(most.values())}, floor "
    f"{max(floor_most.values())} (limit {PER_HOST})"
)
print(
    f"  results: {counts[ConnectionCheck.SUCCESS]} success, {counts[ConnectionCheck.FAILED]} "
    f"failed, {counts[ConnectionCheck.UNTESTED]} untested"
)

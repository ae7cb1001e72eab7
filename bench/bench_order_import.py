"""Import of a 100,000-line TEMPOSTAR-format order CSV (about 36 MB in cp932).

Prints the import time against a floor measured in the same run (decode + plain csv parsing +
a bulk insert of the same rows and columns, without validation or stock updates), and the peak
memory (VmHWM) of each, every phase in its own process on a fresh database.
Target (issue E): import at most 3x the floor; peak memory under 250 MB.
"""

import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

LINES, PRODUCTS = 100_000, 2_000
HERE = Path(__file__).resolve().parent


def make_file(path: Path) -> None:
    """LINES lines, two per order, built from the template zip's sample order."""
    sys.path.insert(0, str(HERE.parent))
    from orders.columns import LINE_COLUMNS
    from orders.templatefiles import SAMPLE_ROWS, to_csv

    sample = SAMPLE_ROWS[0]
    order_part = {k: v for k, v in sample.items() if k not in LINE_COLUMNS}
    line_part = {k: v for k, v in sample.items() if k in LINE_COLUMNS}
    random.seed(11)
    rows = []
    for i in range(LINES // 2):
        order = {
            **order_part,
            "ショップ受注番号": f"TEL-2026-{i:07d}",
            "注文者メールアドレス": f"c{i}@example.jp",
            "受注備考": "午前中希望",
        }
        for _ in range(2):
            rows.append(
                {
                    **order,
                    **line_part,
                    "商品コード": f"SAVA-{random.randrange(PRODUCTS * 2):05d}",
                    "数量": str(random.randint(1, 3)),
                }
            )
    path.write_bytes(to_csv(rows))


def peak_rss_mb() -> float:
    """This process's own peak RSS (VmHWM). Not getrusage's ru_maxrss: Linux carries that
    over fork and exec, so a child would report the parent's peak (here the file generator's)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def phase(name: str, csv_path: str) -> None:
    from harness import setup

    setup(f"import-{name}")
    from django.db import connection

    from orders.models import Order, OrderLine, Product
    from shops.models import Shop

    if connection.vendor == "postgresql":  # BENCH_DATABASE_URL: one database for both phases
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE orders_orderline, orders_order, orders_importjob, orders_product "
                "RESTART IDENTITY CASCADE"
            )

    shop = Shop.objects.create(
        mall="other", name="ベンチ", short_name="ベンチ", url="https://example.jp/"
    )
    Product.objects.bulk_create(
        [Product(code=f"SAVA-{i:05d}", expected_stock=10_000) for i in range(PRODUCTS)]
    )
    data = Path(csv_path).read_bytes()
    start = time.perf_counter()
    if name == "floor":
        import csv
        import io

        from django.utils import timezone

        from orders.columns import COLUMNS, LINE_COLUMNS, ORDER_COLUMNS

        index = {n: i for i, n in enumerate(COLUMNS)}
        order_cols = [(n, index[n]) for n in ORDER_COLUMNS]
        line_cols = [(n, index[n]) for n in LINE_COLUMNS]
        text = data.decode("cp932")
        reader = csv.reader(io.StringIO(text, newline=""))
        next(reader)
        orders, lines = {}, []
        now = timezone.now()
        for row in reader:
            order = orders.get(row[0])
            if order is None:
                order = orders[row[0]] = Order(
                    shop=shop,
                    order_number=row[0],
                    ordered_at=now,
                    customer_name=row[2],
                    columns={n: row[i] for n, i in order_cols if row[i]},
                )
            lines.append((order, row))
        Order.objects.bulk_create(orders.values(), batch_size=2000)
        OrderLine.objects.bulk_create(
            [
                OrderLine(
                    order=o,
                    line_no=0,
                    product_code=r[42],
                    quantity=int(r[45]),
                    columns={n: r[i] for n, i in line_cols if r[i]},
                )
                for o, r in lines
            ],
            batch_size=2000,
        )
    else:
        from orders.importer import import_orders

        summary = import_orders(data, shop)
        assert summary.lines == LINES, summary.lines
    elapsed = time.perf_counter() - start
    rss_mb = peak_rss_mb()
    print(f"{elapsed:.3f} {rss_mb:.0f}")


if __name__ == "__main__":
    if len(sys.argv) == 3:
        sys.path.insert(0, str(HERE))
        phase(sys.argv[1], sys.argv[2])
        sys.exit(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "orders.csv"
        make_file(path)
        size = path.stat().st_size / 1024 / 1024
        results = {}
        for name in ("floor", "import"):
            out = subprocess.run(
                [sys.executable, __file__, name, str(path)],
                check=True,
                capture_output=True,
                text=True,
                env=dict(os.environ),
            ).stdout
            seconds, rss = out.split()[-2:]
            results[name] = (float(seconds), float(rss))
        floor, imp = results["floor"], results["import"]
        print(f"  {LINES:,} lines, {size:.1f} MB cp932")
        print(f"  floor (decode + csv + bulk insert): {floor[0]:.2f} s, peak RSS {floor[1]:.0f} MB")
        print(f"  import (validate + insert + stock): {imp[0]:.2f} s, peak RSS {imp[1]:.0f} MB")
        print(
            f"  ratio {imp[0] / floor[0]:.2f}x (target <= 3x); peak memory {imp[1]:.0f} MB "
            f"(target < 250 MB)"
        )

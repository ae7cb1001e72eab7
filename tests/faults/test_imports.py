"""Import jobs under faults, with real processes: the prefork child importing a large order CSV
is killed (SIGKILL); a job whose message was lost; an upload file no job names. After each:
every job is final, the orders are in once, stock went down once, and no upload is left."""

import os
import random
import time

import pytest

pytestmark = pytest.mark.faults

CODES = [f"SAVA-{i:03d}" for i in range(20)]


def make_orders_csv(path, orders):
    """`orders` orders of two lines each, from the template's sample order."""
    from orders.columns import LINE_COLUMNS
    from orders.templatefiles import SAMPLE_ROWS, to_csv

    sample = SAMPLE_ROWS[0]
    order_part = {k: v for k, v in sample.items() if k not in LINE_COLUMNS}
    line_part = {k: v for k, v in sample.items() if k in LINE_COLUMNS}
    rng = random.Random(5)
    rows, ordered = [], {code: 0 for code in CODES}
    for i in range(orders):
        order = {**order_part, "ショップ受注番号": f"TEL-{i:07d}"}
        for _ in range(2):
            code, qty = rng.choice(CODES), rng.randint(1, 3)
            ordered[code] += qty
            rows.append({**order, **line_part, "商品コード": code, "数量": str(qty)})
    path.write_bytes(to_csv(rows))
    return ordered


def jobs(stack):
    return stack.call("jobs")["rows"]


def test_worker_child_killed_mid_import(make_stack, tmp_path, record_fault):
    stack = make_stack()
    csv = tmp_path / "orders.csv"
    ordered = make_orders_csv(csv, 6_000)
    shop = stack.call("other_shop_and_products", products=[[c, 100_000] for c in CODES])
    stack.start_worker(concurrency=2)
    job = stack.call("import_file", path=str(csv), kind="orders", shop_id=shop["id"])
    running = stack.wait_until(
        lambda: next((j for j in jobs(stack) if j["status"] == "running" and j["owner"]), None),
        60,
        "the import running",
    )
    time.sleep(1.0)  # well inside the import (it takes several seconds)
    assert jobs(stack)[0]["status"] == "running", "the import finished before the kill"
    stack.kill_child(running["owner"])
    (final,) = stack.wait_until(
        lambda: [j for j in jobs(stack) if j["status"] not in ("pending", "running")],
        240,
        "the import final",
    )
    stock = stack.call("stock")
    assert final["status"] == "done", final
    assert final["attempts"] == 2  # the killed run, and the one that finished
    assert not final["file_exists"]  # the customers' data is gone from the disk
    assert not os.path.exists(job["path"])
    assert stock["orders"] == 6_000 and stock["lines"] == 12_000  # in once
    assert stock["products"] == {c: 100_000 - ordered[c] for c in CODES}  # down once
    record_fault(
        "worker child SIGKILLed mid-import (12,000 lines)",
        jobs=1,
        final=1,
        runs=final["attempts"],
        orders=stock["orders"],
        stock_decremented="once",
        upload_left=0,
    )


def test_lost_import_message_and_orphaned_upload(make_stack, redis, tmp_path, record_fault):
    stack = make_stack()
    csv = tmp_path / "orders.csv"
    make_orders_csv(csv, 50)
    shop = stack.call("other_shop_and_products", products=[[c, 10] for c in CODES])
    # The job is queued with no worker, then the broker restarts without its data.
    job = stack.call("import_file", path=str(csv), kind="orders", shop_id=shop["id"])
    redis.stop()
    redis.start()
    # An upload nobody will import (its job row was never written), ten minutes old.
    orphan = stack.var / "imports" / "orphan.csv"
    orphan.write_bytes(b"x")
    os.utime(orphan, (time.time() - 3600, time.time() - 3600))
    stack.start_worker(concurrency=2)
    time.sleep(2.5)  # WORK_PENDING_LIMIT
    report = stack.call("recover")
    assert report["imports"]["requeued"] == 1 and report["imports"]["files_deleted"] == 1
    (final,) = stack.wait_until(
        lambda: [j for j in jobs(stack) if j["status"] not in ("pending", "running")],
        60,
        "the import final",
    )
    assert final["status"] == "done" and not final["file_exists"]
    assert not orphan.exists() and not os.path.exists(job["path"])
    assert stack.call("stock")["orders"] == 50
    # The broker gone when the upload is handed over: the job fails at once, with the
    # reason, and its file is deleted; uploading again works as soon as it is back.
    redis.stop()
    refused = stack.call("import_file", path=str(csv), kind="orders", shop_id=shop["id"])
    failed = next(j for j in jobs(stack) if j["id"] == refused["job"])
    assert failed["status"] == "failed" and "キュー" in failed["errors"][0]
    assert not failed["file_exists"]
    record_fault(
        "import message lost (broker restarted), orphaned upload, broker down at upload",
        jobs=2,
        final=2,
        requeued_by_recovery=1,
        orphans_deleted=1,
        refused_while_down="failed at once with the reason, file deleted",
    )

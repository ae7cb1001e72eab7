"""Import jobs under faults: concurrent imports, progress seen from outside, unexpected errors."""

import re
import threading
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.urls import reverse

from orders import importer, jobs
from orders.models import ImportJob, Order, OrderLine, Product
from orders.templatefiles import to_csv
from shops.models import Shop

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db):
    return Shop.objects.create(
        mall="other", name="サバウェイ電話注文", short_name="電話", url="https://tel.example.jp/"
    )


def row(number, code="SAVA-001", quantity=1):
    return {
        "ショップ受注番号": number,
        "受注日時": "2026/11/26 10:15",
        "注文者名": "髙橋 一郎",
        "商品コード": code,
        "数量": str(quantity),
    }


def make_job(shop, data, name="orders.csv", kind=ImportJob.ORDERS):
    return jobs.create_job(kind, SimpleUploadedFile(name, data), shop=shop)


def in_threads(*targets, timeout=120):
    """Run each target in its own thread (own database connection), all starting together.
    Returns the exceptions they raised."""
    errors = []
    barrier = threading.Barrier(len(targets))

    def run(target):
        try:
            barrier.wait()
            target()
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(t,)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "an import never finished"
    return errors


# ---- 4. two imports of the same orders in opposite order -----------------------------------


@pytest.mark.django_db(transaction=True)
def test_opposite_order_imports_never_deadlock(shop):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite has one writer at a time: two imports cannot deadlock there")
    codes = [f"SAVA-{i:03d}" for i in range(20)]
    Product.objects.bulk_create([Product(code=c, expected_stock=100_000) for c in codes])
    expected = dict.fromkeys(codes, 100_000)
    shared, rounds = 3000, 3
    for round_ in range(rounds):
        # The same orders (each with two lines on different products), one file in the reverse
        # order of the other (inserted in several batches each), and a few orders of their own.
        orders = [
            [
                row(f"R{round_}-{n:04d}", codes[n % 20], 1 + n % 3),
                row(f"R{round_}-{n:04d}", codes[(n * 7 + 3) % 20], 2),
            ]
            for n in range(shared)
        ]
        own_a = [[row(f"R{round_}-A{n}", codes[n], 5)] for n in range(3)]
        own_b = [[row(f"R{round_}-B{n}", codes[-1 - n], 7)] for n in range(3)]
        file_a = to_csv([line for order in orders + own_a for line in order])
        file_b = to_csv([line for order in own_b + orders[::-1] for line in order])
        for order in orders + own_a + own_b:
            for line in order:
                expected[line["商品コード"]] -= int(line["数量"])
        job_a, job_b = make_job(shop, file_a, "a.csv"), make_job(shop, file_b, "b.csv")
        errors = in_threads(lambda j=job_a: jobs.run_job(j.pk), lambda j=job_b: jobs.run_job(j.pk))
        assert errors == []
        job_a.refresh_from_db()
        job_b.refresh_from_db()
        assert (job_a.status, job_b.status) == ("done", "done"), (job_a.errors, job_b.errors)
        # Every shared order was imported by exactly one of them; the other skipped it.
        assert job_a.summary["orders"] + job_b.summary["orders"] == shared + 6
        skipped = len(job_a.summary["skipped_orders"]) + len(job_b.summary["skipped_orders"])
        assert skipped == shared
    assert Order.objects.count() == rounds * (shared + 6)
    assert OrderLine.objects.count() == rounds * (2 * shared + 6)
    assert dict(Product.objects.values_list("code", "expected_stock")) == expected


@pytest.mark.django_db(transaction=True)
def test_stock_csv_and_order_imports_at_the_same_time(shop):
    """Stock CSVs that write products in opposite orders, beside an order import."""
    codes = [f"SAVA-{i:03d}" for i in range(200)]
    Product.objects.bulk_create([Product(code=c, expected_stock=1000) for c in codes[::2]])

    def stock_csv(rows):
        text = '"商品コード","商品名","想定在庫数"\r\n' + "".join(
            f'"{c}","x","{n}"\r\n' for c, n in rows
        )
        return text.encode()

    up = stock_csv([(c, 500) for c in codes])
    down = stock_csv([(c, 500) for c in codes[::-1]])
    orders = to_csv([row(f"T{n}", codes[n * 2], 1) for n in range(100)])
    errors = in_threads(
        lambda: importer.import_stock(up),
        lambda: importer.import_stock(down),
        lambda: importer.import_orders(orders, shop),
    )
    assert errors == []
    stock = dict(Product.objects.values_list("code", "expected_stock"))
    assert len(stock) == 200
    # Each order lowered its product once, before or after the stock CSVs set it to 500.
    assert {stock[c] for c in codes[1::2]} == {500}
    assert {stock[c] for c in codes[::2]} <= {499, 500}


def test_deadlocks_and_serialization_failures_are_retried(shop, monkeypatch):
    """The retry itself, with the errors PostgreSQL raises (as Django wraps them)."""
    import psycopg.errors
    from django.db import OperationalError

    calls = []

    def attempt():
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("deadlock detected") from psycopg.errors.DeadlockDetected()
        if len(calls) == 2:
            raise OperationalError("could not serialize") from psycopg.errors.SerializationFailure()
        return "done"

    monkeypatch.setattr(importer.clock, "sleep", lambda s: None)
    assert importer._retrying(attempt) == "done" and len(calls) == 3

    def broken():
        raise OperationalError("server closed the connection unexpectedly")

    with pytest.raises(OperationalError):
        importer._retrying(broken)


# ---- 5. progress seen from another connection while the import runs -------------------------


@pytest.mark.django_db(transaction=True)
def test_progress_is_seen_from_another_connection_during_the_insert(
    shop, operator, client, monkeypatch
):
    monkeypatch.setattr(importer, "LINE_BATCH", 100, raising=False)
    Product.objects.create(code="SAVA-001", expected_stock=5000)
    job = make_job(shop, to_csv([row(f"P{n:04d}") for n in range(1000)]))
    client.force_login(operator)
    url = reverse("orders:job", args=[job.pk])
    # The page loads before the import starts (its session is touched then, not while the
    # import holds SQLite's write lock).
    assert "<progress" in client.get(url).content.decode()
    seen = []
    look, looked = threading.Event(), threading.Event()
    finished = threading.Event()

    def watcher():
        # Another thread, so another database connection: what a polling page would see.
        try:
            while look.wait(30) and not finished.is_set():
                look.clear()
                seen.append(live_state(client.get(url, HTTP_HX_REQUEST="true")))
                looked.set()
        finally:
            connection.close()

    real_bulk_create = OrderLine.objects.bulk_create

    def between_batches(objs, *args, **kwargs):
        # The import's transaction is open and the previous batch has reported its progress:
        # let the watcher look before this batch goes in.
        look.set()
        assert looked.wait(30), "the watcher did not answer"
        looked.clear()
        return real_bulk_create(objs, *args, **kwargs)

    monkeypatch.setattr(OrderLine.objects, "bulk_create", between_batches)
    thread = threading.Thread(target=watcher)
    thread.start()
    try:
        jobs.run_job(job.pk)
    finally:
        finished.set()
        look.set()
        thread.join(30)
    job.refresh_from_db()
    assert job.status == "done" and job.progress == 1000
    assert all(s["status"] == "running" and not s["done"] for s in seen)
    # One look before each of the 10 batches of 100 lines. Validation is half the work, each
    # inserted line the other half: 500 + lines / 2.
    progress = [s["progress"] for s in seen]
    assert progress[1:10] == [500 + 50 * n for n in range(1, 10)], progress
    assert not jobs.progress_file(job.pk).exists()


def test_progress_reports_are_cleaned_up(shop, private_var_dir):
    job = make_job(shop, to_csv([row("P1")]))
    ImportJob.objects.filter(pk=job.pk).update(status="running")
    job.refresh_from_db()
    progress = jobs.Progress(job)
    try:
        progress(1234)
        if connection.vendor == "postgresql":
            assert not jobs.progress_file(job.pk).exists()
        else:
            assert jobs.live_progress(job) == 1234
    finally:
        progress.close()
    assert jobs.live_progress(job) == 0 and not jobs.progress_file(job.pk).exists()


# ---- 6. a job never stays 取り込み中 -------------------------------------------------------


def fail_inserts_of_order_lines():
    """A real database error in the middle of the import: a trigger refuses order lines."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION test_fail_line() RETURNS trigger AS $$ BEGIN "
                "RAISE EXCEPTION 'injected failure'; END $$ LANGUAGE plpgsql"
            )
            cursor.execute(
                "CREATE TRIGGER test_fail_line BEFORE INSERT ON orders_orderline "
                "FOR EACH ROW EXECUTE FUNCTION test_fail_line()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER test_fail_line BEFORE INSERT ON orders_orderline "
                "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
            )


def test_a_database_error_fails_the_job_and_deletes_the_file(shop, operator, client):
    Product.objects.create(code="SAVA-001", expected_stock=10)
    job = make_job(shop, to_csv([row("T1"), row("T2")]))
    fail_inserts_of_order_lines()
    returned = jobs.run_job(job.pk)
    job.refresh_from_db()
    assert returned.status == job.status == "failed"
    assert job.errors[0].startswith("取り込み中に予期しないエラーが発生しました(")
    assert "何も保存されていません" in job.errors[0]
    assert job.finished_at is not None
    assert not Path(job.path).exists()
    assert not Order.objects.exists() and Product.objects.get().expected_stock == 10
    # The page stops polling and shows the reason.
    client.force_login(operator)
    url = reverse("orders:job", args=[job.pk])
    assert live_state(client.get(url, HTTP_HX_REQUEST="true"))["done"] is True
    assert "予期しないエラー" in client.get(url).content.decode()


def live_state(response) -> dict:
    """What the polling page shows: the job's state and progress, from its live partial."""
    html = response.content.decode()
    status = re.search(r'data-status="([a-z]+)"', html).group(1)
    progress = re.search(r'id="job-progress">\D*(\d+)', html)
    return {
        "status": status,
        "progress": int(progress.group(1)) if progress else None,
        "done": "hx-trigger" not in html,
    }


def test_a_missing_upload_fails_the_job(shop):
    job = make_job(shop, to_csv([row("T1")]))
    Path(job.path).unlink()
    assert jobs.run_job(job.pk).status == "failed"
    job.refresh_from_db()
    assert job.errors == [jobs.MISSING]


def test_an_interrupted_job_is_marked_failed_before_it_stops(shop, monkeypatch):
    job = make_job(shop, to_csv([row("T1")]))

    def shutdown(*args, **kwargs):
        raise SystemExit(1)  # the worker stopping in the middle

    monkeypatch.setattr(importer, "import_orders", shutdown)
    with pytest.raises(SystemExit):
        jobs.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == "failed" and job.errors == [jobs.INTERRUPTED]
    assert not Path(job.path).exists()

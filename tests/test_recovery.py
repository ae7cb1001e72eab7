"""Work that always finishes (issue M), in-process: a check or import job is claimed by one
run, a finished one is never run again, a dead run's work is taken over, the recovery job
re-queues or fails what waits too long, and a unit the broker refuses is never left pending.
The same with real processes killed and real servers stopped: tests/faults (make faults)."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from connectors.malls.qoo10 import QAPI
from orders.models import ImportJob
from shops import checks
from shops.models import ConnectionCheck
from shops.tasks import recover_checks, run_connection_check
from tempostar import work
from tests.connectors.test_qoo10 import QapiServer
from tests.helpers import make_shop

pytestmark = pytest.mark.django_db


class Qapi(QapiServer):
    """Qoo10's local QAPI (tests/connectors/test_qoo10.py); `calls` are the certifications:
    each issues a new seller key, so a second one means a check ran twice."""

    @property
    def calls(self):
        return super().calls("CertificationAPI.CreateCertificationKey")

    @property
    def reads(self):
        """The read-only calls each check makes under the stored seller key."""
        return super().calls("ItemsLookup.GetAllGoodsInfo")


@pytest.fixture
def qapi(settings):
    with Qapi() as api:
        setattr(settings, QAPI.setting, api.url)
        yield api


def qoo10_shop():
    return make_shop(
        "qoo10",
        {"qoo10_api.user_id": "savaway_q"},
        {"qoo10_api.api_key": "qoo10-api-key", "qoo10_api.password": "qoo10-pass"},
    )


def dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


@contextmanager
def unreachable_broker():
    """The Celery app pointed at a port where no broker listens."""
    from tempostar.celery import app

    down = "redis://127.0.0.1:1/0"
    original, env = app.conf.broker_url, os.environ.get("CELERY_BROKER_URL")
    os.environ["CELERY_BROKER_URL"] = down  # Celery prefers the variable to the setting
    app.conf.broker_url = down
    app._after_fork()  # forget pooled connections to the real broker
    try:
        yield
    finally:
        if env is None:
            os.environ.pop("CELERY_BROKER_URL")
        else:
            os.environ["CELERY_BROKER_URL"] = env
        app.conf.broker_url = original
        app._after_fork()


@pytest.fixture
def broker_down():
    with unreachable_broker():
        yield


@pytest.fixture
def purge_queue():
    """Recovery sends real messages: leave none behind for later tests' workers."""
    yield
    run_connection_check.app.control.purge()


# ---- one run, one result --------------------------------------------------------------------


def test_a_finished_check_is_never_run_again(qapi):
    shop = qoo10_shop()
    check = ConnectionCheck.objects.create(shop=shop, section="qoo10_api")
    checks.execute_check(check.pk)
    checks.execute_check(check.pk)  # the same message delivered again
    check.refresh_from_db()
    assert check.status == "success" and check.attempts == 1
    assert len(qapi.calls) == 1  # one seller key, not two
    assert shop.__class__.objects.get(pk=shop.pk).get_secrets()["qoo10_api.seller_key"] == (
        "seller-key-1"
    )


def test_a_check_a_live_run_holds_is_left_to_it_until_its_lease_is_over(qapi):
    check = ConnectionCheck.objects.create(shop=qoo10_shop(), section="qoo10_api")
    now = timezone.now()
    ConnectionCheck.objects.filter(pk=check.pk).update(
        status="running", owner="another-host:4242:token", started_at=now, attempts=1
    )
    later = checks.execute_check(check.pk)
    assert isinstance(later, checks.Later) and 100 < later.countdown <= 120
    assert qapi.calls == []
    with time_machine.travel(now + checks.CHECK_LEASE + timedelta(seconds=1)):
        checks.execute_check(check.pk)
    check.refresh_from_db()
    assert (check.status, check.attempts, len(qapi.calls)) == ("success", 2, 1)


def test_a_check_whose_process_died_is_taken_over_at_once(qapi):
    check = ConnectionCheck.objects.create(shop=qoo10_shop(), section="qoo10_api")
    ConnectionCheck.objects.filter(pk=check.pk).update(
        status="running",
        owner=f"{work.HOST}:{dead_pid()}:token",
        started_at=timezone.now(),
        attempts=1,
    )
    checks.execute_check(check.pk)
    check.refresh_from_db()
    assert (check.status, check.attempts) == ("success", 2)


def test_a_check_that_keeps_losing_its_worker_fails_with_a_reason(qapi, admin_client):
    check = ConnectionCheck.objects.create(shop=qoo10_shop(), section="qoo10_api")
    ConnectionCheck.objects.filter(pk=check.pk).update(
        status="running",
        owner=f"{work.HOST}:{dead_pid()}:token",
        started_at=timezone.now(),
        attempts=checks.max_runs(),
    )
    checks.execute_check(check.pk)
    check.refresh_from_db()
    assert (check.status, check.code) == ("failed", "interrupted")
    assert qapi.calls == []
    page = admin_client.get(reverse("shops:check_status", args=[check.pk])).content.decode()
    assert "テストを完了できませんでした" in page


def test_a_result_is_recorded_only_by_the_run_that_owns_the_check(qapi):
    from connectors.checks import CheckResult

    check = ConnectionCheck.objects.create(shop=qoo10_shop(), section="qoo10_api")
    ConnectionCheck.objects.filter(pk=check.pk).update(status="running", owner="new-owner")
    section = check.shop.connector.section("qoo10_api")
    stale = checks.record(check, section, CheckResult.fail("timeout"), 1, owner="old-owner")
    assert stale is False
    assert ConnectionCheck.objects.get(pk=check.pk).status == "running"


# ---- recovery -----------------------------------------------------------------------------


def test_recovery_sends_lost_checks_again_then_fails_them(qapi, purge_queue):
    shop = qoo10_shop()
    start = timezone.now()
    limit = timedelta(seconds=settings.WORK_PENDING_LIMIT)
    lost = ConnectionCheck.objects.create(shop=shop, section="qoo10_api")
    ConnectionCheck.objects.filter(pk=lost.pk).update(queued_at=start - limit)
    fresh = ConnectionCheck.objects.create(shop=shop, section="qoo10_api")
    dead = ConnectionCheck.objects.create(shop=shop, section="qoo10_api")
    ConnectionCheck.objects.filter(pk=dead.pk).update(
        status="running", owner="another-host:1:token", started_at=start, attempts=1
    )
    # 1. Its message lost: sent again. The others are within their limits.
    with time_machine.travel(start + timedelta(seconds=1)):
        assert recover_checks() == {"requeued": 1, "failed": 0, "unsent": 0}
    assert ConnectionCheck.objects.get(pk=fresh.pk).requeues == 0
    checks.execute_check(fresh.pk)
    # 2. A run on another host that never finished: once its lease is over, sent again,
    # and its message runs it.
    with time_machine.travel(start + checks.CHECK_LEASE + timedelta(seconds=2)):
        assert recover_checks()["requeued"] == 1
        dead.refresh_from_db()
        assert (dead.status, dead.owner, dead.requeues) == ("pending", "", 1)
        checks.execute_check(dead.pk)
    assert ConnectionCheck.objects.get(pk=dead.pk).status == "success"
    # 3. The lost one keeps being lost: sent WORK_MAX_REQUEUES times, then failed.
    moment = start + timedelta(seconds=1)
    for _ in range(settings.WORK_MAX_REQUEUES):
        moment += limit + timedelta(seconds=1)
        with time_machine.travel(moment):
            report = recover_checks()
    assert report == {"requeued": 0, "failed": 1, "unsent": 0}
    lost.refresh_from_db()
    assert (lost.status, lost.code, lost.requeues) == ("failed", "interrupted", 2)
    assert "never started" in lost.detail
    assert len(qapi.reads) == 2  # fresh and dead, once each
    assert len(qapi.calls) == 1  # the second reused the seller key the first obtained


def test_recovery_command_prints_its_report(capsys, purge_queue):
    from django.core.management import call_command

    call_command("recover_work")
    out = capsys.readouterr().out
    assert '"checks"' in out and '"imports"' in out and '"files_deleted"' in out


# ---- send, then promise -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_check_the_broker_refuses_is_withdrawn_and_can_be_pressed_again(
    make_user, client, broker_down, settings
):
    from tests.conftest import with_role

    client.force_login(with_role(make_user("op"), "オペレーター"))
    shop = qoo10_shop()
    url = reverse("shops:check", args=[shop.code, "qoo10_api"])
    started = time.monotonic()
    response = client.post(url, HTTP_HX_REQUEST="true")
    assert time.monotonic() - started < 2.0
    assert response.status_code == 503
    assert "処理キューが現在利用できないため" in response.content.decode()
    assert not ConnectionCheck.objects.exists()  # nothing left pending, nothing counted
    response = client.post(reverse("shops:check_all"), follow=True)
    assert "処理キューが現在利用できないため" in response.content.decode()
    assert not ConnectionCheck.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_same_button_works_at_once_when_the_broker_is_back(make_user, client):
    from tempostar.celery import app
    from tests.conftest import with_role

    client.force_login(with_role(make_user("op2"), "オペレーター"))
    shop = qoo10_shop()
    url = reverse("shops:check", args=[shop.code, "qoo10_api"])
    with unreachable_broker():
        assert client.post(url, HTTP_HX_REQUEST="true").status_code == 503
    try:
        # Within CHECK_SHOP_INTERVAL of the refused press: not rate-limited.
        assert client.post(url, HTTP_HX_REQUEST="true").status_code == 202
        assert ConnectionCheck.objects.count() == 1
    finally:
        app.control.purge()


# ---- import jobs ----------------------------------------------------------------------------


def upload(name="orders.csv", content=b"x"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


@pytest.mark.django_db(transaction=True)
def test_an_import_the_broker_refuses_fails_at_once_with_the_reason(broker_down, settings):
    from orders import jobs, tasks

    settings.IMPORT_INLINE_MAX_BYTES = 0
    job = jobs.create_job(ImportJob.STOCK, upload(content=b"code,stock\n"))
    tasks.start(job)
    job.refresh_from_db()
    assert job.status == "failed"
    assert "処理キューが利用できないため、取り込みを開始できませんでした" in job.errors[0]
    assert not os.path.exists(job.path)  # the upload is not left on the disk


def test_an_import_that_crashes_fails_with_a_reason_and_its_file_is_deleted(monkeypatch):
    from orders import importer, jobs, tasks

    def crash(data):
        raise RuntimeError("a bug")

    monkeypatch.setattr(importer, "import_stock", crash)
    job = jobs.create_job(ImportJob.STOCK, upload(content=b"code,stock\n"))
    tasks.start(job)  # small: runs in this process
    job.refresh_from_db()
    assert job.status == "failed" and "予期しないエラー" in job.errors[0]
    assert not os.path.exists(job.path)


def test_recovery_of_import_jobs_and_orphaned_uploads(purge_queue, private_var_dir):
    from orders import jobs, tasks

    now = timezone.now()
    limit = timedelta(seconds=settings.WORK_PENDING_LIMIT)
    waiting = jobs.create_job(ImportJob.STOCK, upload())
    never = jobs.create_job(ImportJob.STOCK, upload())
    killed = jobs.create_job(ImportJob.STOCK, upload())
    broken = jobs.create_job(ImportJob.STOCK, upload())
    ImportJob.objects.filter(pk=never.pk).update(
        queued_at=now - limit, requeues=settings.WORK_MAX_REQUEUES
    )
    ImportJob.objects.filter(pk=killed.pk).update(
        status="running", owner=f"{work.HOST}:{dead_pid()}:t", started_at=now, attempts=1
    )
    ImportJob.objects.filter(pk=broken.pk).update(
        status="running", owner=f"{work.HOST}:{dead_pid()}:t", started_at=now, attempts=3
    )
    folder = settings.VAR_DIR / "imports"
    old, new = folder / "old-orphan.csv", folder / "new-orphan.csv"
    old.write_bytes(b"personal data")
    new.write_bytes(b"being uploaded")
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    old_active = time.time() - 3600
    os.utime(waiting.path, (old_active, old_active))  # old, but its job still waits

    report = tasks.recover_jobs(now + timedelta(seconds=1))
    assert report == {"requeued": 1, "failed": 2, "unsent": 0, "files_deleted": 1}
    states = dict(ImportJob.objects.values_list("pk", "status"))
    assert states == {
        waiting.pk: "pending",
        never.pk: "failed",
        killed.pk: "pending",
        broken.pk: "failed",
    }
    assert "開始されませんでした" in ImportJob.objects.get(pk=never.pk).errors[0]
    assert "3 回中断されました" in ImportJob.objects.get(pk=broken.pk).errors[0]
    assert not old.exists() and new.exists() and os.path.exists(waiting.path)
    assert not os.path.exists(never.path) and not os.path.exists(broken.path)
    assert os.path.exists(killed.path)  # sent again: its file is still needed


# ---- health ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)  # the probes read on connections of their own
def test_deep_health_names_what_is_wrong(client, purge_queue):
    from tempostar.models import Heartbeat
    from tempostar.tasks import recover_work_now

    response = client.get("/healthz/deep")
    assert response.status_code == 503
    assert {"worker", "recovery"} <= set(response.json()["problems"])
    Heartbeat.beat("worker")
    recover_work_now()
    response = client.get("/healthz/deep")
    assert response.status_code == 200, response.json()
    stuck = ConnectionCheck.objects.create(shop=qoo10_shop(), section="qoo10_api")
    ConnectionCheck.objects.filter(pk=stuck.pk).update(
        queued_at=timezone.now() - timedelta(hours=2)
    )
    body = client.get("/healthz/deep").json()
    assert body["problems"] == ["stale"] and body["stale"]["checks"]["pending"] == 1


def test_health_stays_up_without_the_broker_and_answers_fast(client, broker_down):
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 1.0
    assert response.status_code == 200
    assert response.json()["broker"].startswith("error")


# ---- configuration --------------------------------------------------------------------------


def test_messages_are_acknowledged_late_and_outlast_no_task():
    from tempostar.celery import app

    app.loader.import_default_modules()
    for name in ("shops.run_connection_check", "orders.run_import"):
        task = app.tasks[name]
        assert task.acks_late and task.reject_on_worker_lost, name
    longest = max(t.time_limit or 0 for t in app.tasks.values())
    # Redis hands an unacknowledged message to another worker after the visibility timeout:
    # longer than the longest task plus the longest countdown (300 s), or it runs twice.
    assert settings.BROKER_VISIBILITY_TIMEOUT > longest + 300
    assert app.conf.worker_prefetch_multiplier == 1
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert "tempostar.tasks.recover_work" in {e["task"] for e in schedule.values()}
    assert schedule["recover-work"]["schedule"] <= 300


def test_a_bug_in_the_worker_ends_the_check_with_the_reason(qapi, monkeypatch):
    def broken():
        raise KeyError("a bug")

    monkeypatch.setattr(checks, "callback_url", broken)  # outside the connector's own guard
    check = ConnectionCheck.objects.create(shop=qoo10_shop(), section="qoo10_api")
    assert run_connection_check.apply(args=(check.pk,)).get() == "failed"
    check.refresh_from_db()
    assert (check.status, check.code) == ("failed", "interrupted")
    assert "KeyError" in check.detail and "a bug" not in check.detail


def test_beat_on_a_fresh_disk_loses_at_most_one_short_interval():
    """Beat's file only remembers last runs: with every entry repeating within 10 minutes
    and catching up from the database, a beat started on an empty disk (or one that was
    down) runs each of them again within 10 minutes (docs/reliability.md)."""
    from celery.schedules import schedule as every

    from tempostar.celery import app

    now = timezone.now()
    for name, entry in settings.CELERY_BEAT_SCHEDULE.items():
        timing = entry["schedule"]
        if isinstance(timing, int | float):
            timing = every(timedelta(seconds=timing), app=app)
        # A fresh beat counts from its start: the next run is due within 10 minutes.
        assert timing.remaining_estimate(now) <= timedelta(minutes=10), name

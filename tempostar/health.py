"""Health checks.

GET /healthz — for load balancers: can this web node serve? Only the database decides (pages
work without the broker: a check or import then says the queue is unavailable). 200 or 503,
within a second whatever hangs: each probe runs in its own thread and is given up after its
share of the second (a probe still hanging is not started again; the next request reports it
as a timeout at once). The broker and the last runs of the worker, the recovery job and the
reminders are reported in the body but do not decide.

GET /healthz/deep — for monitoring: 200 only when the database and the broker answer, a worker
ran its heartbeat within WORKER_STALE seconds, the recovery job ran within three of its
intervals and no check or import job is waiting past the recovery limits. Slower (up to a
few seconds).

Failures are named by exception class only: an error message could carry a connection URL
with its password. Neither answer holds anything but states, ages and counts.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

WORKER_STALE = 180  # seconds without a worker heartbeat (beat sends one every minute)

_pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="healthz")
_inflight: dict = {}
_lock = threading.Lock()


def _submit(name: str, fn):
    """Run fn in the probe pool, at most one of each name at a time."""
    with _lock:
        future = _inflight.get(name)
        if future is None or future.done():
            future = _inflight[name] = _pool.submit(fn)
    return future


def _result(future, deadline: float):
    try:
        return future.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout:
        return "error: timeout"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def _probe(name: str, fn, timeout: float):
    return _result(_submit(name, fn), time.monotonic() + timeout)


def _own_connection(fn):
    """Run a probe on a connection of its own, closed afterwards: a probe thread keeps
    nothing open (a broken connection is never reused; a database can be dropped)."""

    def probe():
        try:
            return fn()
        finally:
            connection.close()

    return probe


@_own_connection
def _database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


def _broker(timeout: float = 0.7) -> str:
    from tempostar.celery import app

    try:
        with app.connection_for_write(connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout)
        return "ok"
    except Exception as exc:
        return f"error: {type(exc).__name__}"


@_own_connection
def _heartbeats() -> dict:
    from tempostar.models import Heartbeat

    now = timezone.now()
    return {
        row.name: {
            "last_seen": row.at.isoformat(),
            "age_seconds": int((now - row.at).total_seconds()),
        }
        for row in Heartbeat.objects.all()
    }


@_own_connection
def _stale_work() -> dict:
    """Checks and import jobs waiting past the recovery limits (0 while recovery works)."""
    from orders.models import ImportJob
    from orders.tasks import IMPORT_LEASE
    from shops.checks import CHECK_LEASE
    from shops.models import ConnectionCheck, ReminderClaim

    now = timezone.now()
    # Past the limit, plus two recovery intervals for the recovery job to act.
    grace = timedelta(seconds=2 * settings.WORK_RECOVERY_EVERY)
    pending_limit = timedelta(seconds=settings.WORK_PENDING_LIMIT) + grace
    report = {}
    for name, model, lease in (
        ("checks", ConnectionCheck, CHECK_LEASE),
        ("imports", ImportJob, IMPORT_LEASE),
    ):
        report[name] = {
            "pending": model.objects.filter(
                status="pending", queued_at__lt=now - pending_limit
            ).count(),
            "running": model.objects.filter(
                status="running", started_at__lt=now - lease - grace
            ).count(),
        }
    claims = ReminderClaim.objects.filter(
        status__in=[ReminderClaim.FAILED, ReminderClaim.SENDING]
    ).values_list("status", "last_error")
    report["reminders"] = {"failed": 0, "no_recipient": 0, "sending": 0}
    for status, error in claims:
        if status == ReminderClaim.SENDING:
            report["reminders"]["sending"] += 1
        elif error == ReminderClaim.NO_RECIPIENT:
            report["reminders"]["no_recipient"] += 1
        else:
            report["reminders"]["failed"] += 1
    return report


def _ping_workers(timeout: float = 1.0):
    """Names of the workers that answer a broadcast ping (None: the broker cannot broadcast,
    like the embedded filesystem broker)."""
    from tempostar.celery import app

    if not settings.CELERY_BROKER_URL.startswith(("redis://", "rediss://", "amqp://")):
        return None
    replies = app.control.ping(timeout=timeout) or []
    return sorted(name for reply in replies for name in reply)


@login_not_required
@never_cache
@require_GET
def healthz(request):
    deadline = time.monotonic() + 0.7  # the probes run side by side; the answer is in < 1 s
    futures = {
        "database": _submit("database", _database),
        "broker": _submit("broker", _broker),
        "heartbeats": _submit("heartbeats", _heartbeats),
    }
    body = {name: _result(future, deadline) for name, future in futures.items()}
    ok = body["database"] == "ok"
    return JsonResponse({"status": "ok" if ok else "error", **body}, status=200 if ok else 503)


@login_not_required
@never_cache
@require_GET
def healthz_deep(request):
    body = {
        "database": _probe("database", _database, 2.0),
        "broker": _probe("broker-deep", lambda: _broker(2.0), 2.5),
    }
    problems = [k for k in ("database", "broker") if body[k] != "ok"]
    if body["database"] == "ok":
        beats = _probe("heartbeats", _heartbeats, 2.0)
        body["heartbeats"] = beats
        beats = beats if isinstance(beats, dict) else {}
        worker = beats.get("worker")
        if worker is None or worker["age_seconds"] > WORKER_STALE:
            problems.append("worker")
        recovery = beats.get("recovery")
        if recovery is None or recovery["age_seconds"] > 3 * settings.WORK_RECOVERY_EVERY + 60:
            problems.append("recovery")
        stale = _probe("stale", _stale_work, 3.0)
        body["stale"] = stale
        if not isinstance(stale, dict) or any(
            n for kind in ("checks", "imports") for n in stale[kind].values()
        ):
            problems.append("stale")
    if body["broker"] == "ok":
        try:
            body["workers"] = _ping_workers()
        except Exception as exc:
            body["workers"] = f"error: {type(exc).__name__}"
    body["problems"] = problems
    body["status"] = "ok" if not problems else "error"
    return JsonResponse(body, status=200 if not problems else 503)

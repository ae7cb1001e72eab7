"""Queued work that always reaches a final state: connection checks (shops.tasks) and import
jobs (orders.tasks) share these rules. docs/reliability.md states the guarantees.

- **Who runs it.** A run takes its row with a compare-and-swap (`claim`): PENDING -> RUNNING,
  with the owner ("host:pid:token"), the start time and one more attempt. A second delivery
  of the same message finds the row finished (nothing to do), or running under a live owner
  (it comes back when the owner's lease is over), so two runs never overlap and a finished
  unit is never run again.
- **A dead owner.** A run killed with its process (SIGKILL, OOM, a hard time limit) leaves its
  row RUNNING. The broker hands the message back (acks_late + reject_on_worker_lost) and the
  next run takes the row over at once when the owner was a process of this host that no
  longer exists; otherwise once the owner's lease (the task's hard time limit plus a margin)
  is over. Each takeover is one more attempt; past the last one the unit fails with a reason.
- **Database or broker away.** INFRA_ERRORS are retried (a new message with a backoff), never
  recorded as the unit's result. The recovery job (tempostar.tasks.recover_work) re-queues or
  fails whatever still waits past its limit.
- **Send, then promise.** A unit whose message cannot be sent is taken back (the caller
  deletes or fails the row) and the user is told the queue is unavailable (QueueUnavailable).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.db import InterfaceError, OperationalError, close_old_connections
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

PENDING, RUNNING = "pending", "running"

# The database or the broker is away: worth another try later, never a unit's result.
INFRA_ERRORS = (OperationalError, InterfaceError, BrokerError, ConnectionError)

# Sending a message from a web request: fail within about a second when the broker is away
# (two quick retries), so the page can say so instead of hanging.
PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.3,
}


class QueueUnavailable(Exception):
    """The broker did not take the message: nothing was started, and nothing counts against
    the user's limits. The message is for the user."""

    message = _(
        "The job queue is not available right now, so nothing was started. "
        "Try again in a moment; if it keeps happening, tell an administrator."
    )

    def __str__(self) -> str:
        return str(self.message)


def backoff(retries: int, *, first: float = 1.0, cap: float = 60.0) -> float:
    """1, 2, 4, ... seconds, at most `cap`."""
    return min(cap, first * 2 ** min(retries, 16))


# ---- owners -------------------------------------------------------------------------------

HOST = socket.gethostname()[:60]
_running: set[str] = set()  # owners running in this process now
_lock = threading.Lock()


def new_owner() -> str:
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


@contextmanager
def running(owner: str):
    """Mark `owner` as running in this process (threads pools share one pid)."""
    with _lock:
        _running.add(owner)
    try:
        yield owner
    finally:
        with _lock:
            _running.discard(owner)


def owner_gone(owner: str) -> bool:
    """True when `owner` was a process of this host that is no longer running that unit.
    Owners on other hosts are never presumed gone: their lease decides."""
    try:
        host, pid, _token = owner.rsplit(":", 2)
        pid = int(pid)
    except ValueError:
        return False  # no owner recorded (set running elsewhere): its lease decides
    if host != HOST:
        return False
    if pid == os.getpid():
        with _lock:
            return owner not in _running
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


# ---- claims -------------------------------------------------------------------------------


@dataclass
class Claim:
    state: str  # "run", "done", "busy", "exhausted", "missing"
    owner: str = ""
    attempts: int = 0  # counting this run
    wait: float = 0.0  # busy: seconds until the current owner's lease is over


def claim(
    model, pk: int, *, lease: timedelta, max_attempts: int, owner: str = "", previous: str = ""
) -> Claim:
    """Take the unit `pk` of `model` (a row with status, owner, started_at and attempts) for
    a run in this process, as `owner` (a new one by default). `previous` is the owner of this
    task's own earlier attempt (a retry after a database or broker error): that attempt is
    over, so its row may be taken over at once."""
    now = timezone.now()
    row = model.objects.filter(pk=pk).values("status", "owner", "started_at", "attempts").first()
    if row is None:
        return Claim("missing")
    if row["status"] not in (PENDING, RUNNING):
        return Claim("done")
    if row["status"] == RUNNING:
        started = row["started_at"] or now - lease
        over = started <= now - lease
        if not (over or (previous and row["owner"] == previous) or owner_gone(row["owner"])):
            return Claim("busy", wait=max(1.0, (started + lease - now).total_seconds()))
    if row["attempts"] >= max_attempts:
        return Claim("exhausted", owner=row["owner"], attempts=row["attempts"])
    owner = owner or new_owner()
    taken = model.objects.filter(
        pk=pk, status=row["status"], owner=row["owner"], attempts=row["attempts"]
    ).update(status=RUNNING, owner=owner, started_at=now, attempts=F("attempts") + 1)
    if not taken:  # another run took it between our read and our write
        return Claim("busy", wait=1.0)
    return Claim("run", owner=owner, attempts=row["attempts"] + 1)


def stale(model, now, *, lease: timedelta, pending_limit: timedelta):
    """Rows of `model` that wait past their limit: (running ones, pending ones)."""
    running_rows = [
        row
        for row in model.objects.filter(status=RUNNING).only(
            "pk", "status", "owner", "started_at", "attempts", "requeues"
        )
        if row.started_at is None or row.started_at <= now - lease or owner_gone(row.owner)
    ]
    pending_rows = list(
        model.objects.filter(status=PENDING, queued_at__lte=now - pending_limit).only(
            "pk", "status", "owner", "queued_at", "attempts", "requeues"
        )
    )
    return running_rows, pending_rows


def requeue_row(model, row, now) -> bool:
    """Put a stale row back to PENDING (if nobody took it meanwhile), ready to be sent."""
    return bool(
        model.objects.filter(pk=row.pk, status=row.status, owner=row.owner).update(
            status=PENDING, owner="", queued_at=now
        )
    )


def count_requeued(model, pks) -> None:
    model.objects.filter(pk__in=pks).update(requeues=F("requeues") + 1)


def durably(fn, *, tries: int = 5, first: float = 0.5):
    """Call fn(); on a database error wait (0.5, 1, 2, 4 s) and try again with a fresh
    connection. For writes that must not be lost to a database restart of a few seconds
    (the result of a check that already spoke to the mall)."""
    for attempt in range(tries):
        try:
            return fn()
        except (OperationalError, InterfaceError):
            if attempt == tries - 1:
                raise
            logger.warning("database unavailable; retrying in %.1f s", first * 2**attempt)
            time.sleep(first * 2**attempt)
            close_old_connections()
            _close_broken()


def _close_broken() -> None:
    from django.db import connection

    if connection.connection is not None and not connection.in_atomic_block:
        try:
            connection.close()
        except Exception:  # noqa: BLE001 - a broken connection may fail to close
            pass


def send(task, args: tuple, *, producer=None, **options) -> None:
    """Publish one message quickly or raise QueueUnavailable."""
    try:
        task.apply_async(args, producer=producer, retry_policy=PUBLISH_RETRY_POLICY, **options)
    except INFRA_ERRORS as exc:
        logger.warning("broker unavailable: %s", type(exc).__name__)
        raise QueueUnavailable() from exc

"""The Celery tasks of shops, and the functions that queue them (views and commands call
these; the tasks take ids only and decrypt secrets in the worker).

Every check reaches a final state (docs/reliability.md): its message is acknowledged only
after the run (acks_late) and handed back when the worker dies (reject_on_worker_lost); the
database or broker being away is retried, never recorded; a check whose message was lost is
sent again, or failed with a reason, by the recovery job (recover_checks)."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from tempostar import work
from tempostar.models import Heartbeat
from tempostar.work import QueueUnavailable

from . import checks, reminders
from .models import CheckBatch, ConnectionCheck

logger = logging.getLogger(__name__)

__all__ = ["QueueUnavailable", "start_check", "start_batch", "recover_checks"]

# Retries of a run that met the database or the broker away (1, 2, 4 ... 60 s apart: about
# 15 minutes in all); after them the recovery job takes over.
INFRA_RETRIES = 20


@shared_task(
    bind=True,
    name="shops.run_connection_check",
    soft_time_limit=checks.CHECK_SOFT_TIME_LIMIT,
    time_limit=checks.CHECK_TIME_LIMIT,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=INFRA_RETRIES,
)
def run_connection_check(self, check_id: int, previous: str = "") -> str | None:
    """Run one 接続確認. Takes the check's id only: secrets are decrypted here, in the worker.

    Transient network errors (timeouts, resets) are retried with a short backoff; the last
    attempt records whatever happened. A check another run holds is looked at again when
    that run's lease is over; a finished one is left alone."""
    owner = work.new_owner()
    try:
        outcome = checks.execute_check(check_id, owner=owner, previous=previous)
    except work.INFRA_ERRORS as exc:
        # The database (or broker) is away: nothing was recorded. Try again later, allowed
        # to take over from this attempt (whose owner the row may still name).
        logger.warning("check %s: %s; retrying", check_id, type(exc).__name__)
        raise self.retry(
            args=(check_id,),
            kwargs={"previous": owner},
            countdown=work.backoff(self.request.retries),
            exc=exc,
        ) from None
    except Exception as exc:
        # A bug, not an outage: the check ends now, with the reason, instead of waiting for
        # the recovery job to try it again.
        logger.exception("check %s failed", check_id)
        row = ConnectionCheck(pk=check_id)
        checks.give_up(row, owner, f"unexpected error in the worker ({type(exc).__name__})")
        return ConnectionCheck.FAILED
    if isinstance(outcome, checks.Later):
        raise self.retry(
            args=(check_id,),
            kwargs={"previous": outcome.previous},
            countdown=outcome.countdown,
            max_retries=INFRA_RETRIES + settings.CONNECTION_CHECK_RETRIES + 10,
        )
    return outcome.status if outcome is not None else None


# ---- expiry reminders ----------------------------------------------------------------------


@shared_task(
    name="shops.send_expiry_reminders",
    soft_time_limit=reminders.RUN_SOFT_TIME_LIMIT,
    time_limit=reminders.RUN_TIME_LIMIT,
)
def send_expiry_reminders(force: bool = False) -> dict:
    """The reminder run. Beat starts it every REMINDER_EVERY_MINUTES; it sends from
    REMINDER_TIME to the end of the day (force: at any time). Claims make each e-mail
    unique, so repeating it only retries what failed. A run that reaches its time budget
    hands the rest to a follow-up run at once."""
    now = timezone.now()
    if not force and not reminders.within_sending_hours(now):
        return {"skipped": "outside sending hours"}
    report = reminders.run(now)
    if report.more:
        try:
            work.send(send_expiry_reminders, (), kwargs={"force": force})
        except QueueUnavailable:
            pass  # the next scheduled run goes on with them
    Heartbeat.beat("reminders")
    return report.as_dict()


@shared_task(name="shops.refresh_access_tokens", soft_time_limit=300, time_limit=400)
def refresh_access_tokens() -> dict:
    """Refresh OAuth access tokens that lapse within 15 minutes (beat, every 10 minutes)."""
    return checks.refresh_due_tokens()


# ---- queueing: send, then promise ----------------------------------------------------------


def send_checks(ids: list[int]) -> list[int]:
    """Send check ids to the worker over one broker connection. Returns the ids sent; stops
    at the first that the broker refuses (QueueUnavailable when none was sent)."""
    sent = []
    try:
        with run_connection_check.app.producer_or_acquire() as producer:
            for pk in ids:
                work.send(run_connection_check, (pk,), producer=producer)
                sent.append(pk)
    except (QueueUnavailable, *work.INFRA_ERRORS) as exc:
        if not sent:
            raise QueueUnavailable() from exc
        logger.warning(
            "broker lost after %d of %d checks; the recovery job sends the rest",
            len(sent),
            len(ids),
        )
    return sent


def _after_commit(fn) -> None:
    """Run fn now, or when the caller's transaction commits (the worker must see the rows)."""
    if connection.in_atomic_block:
        transaction.on_commit(fn, robust=True)
    else:
        fn()


def start_check(shop, section_key: str, user=None) -> ConnectionCheck:
    """Create a check within the rate limits and send it to the worker. When the broker does
    not take it, the check is deleted (it never counts against a rate limit) and
    QueueUnavailable is raised: the user may press again at once."""
    check = checks.create_check(shop, section_key, user)

    def send():
        try:
            send_checks([check.pk])
        except QueueUnavailable:
            ConnectionCheck.objects.filter(pk=check.pk).delete()
            raise

    _after_commit(send)
    return check


def start_batch(shops, user=None) -> CheckBatch:
    """全ショップ接続確認: a check of every testable section of the given shops. When the
    broker takes none of them, the batch is deleted and QueueUnavailable raised; when it goes
    away half-way, the recovery job sends the rest."""
    batch, created = checks.create_batch(shops, user)
    ids = [c.pk for c in created]

    def send():
        try:
            send_checks(ids)
        except QueueUnavailable:
            CheckBatch.objects.filter(pk=batch.pk).delete()
            raise

    _after_commit(send)
    return batch


# ---- recovery ------------------------------------------------------------------------------


def recover_checks(now=None) -> dict:
    """Checks waiting past their limit (tempostar.tasks.recover_work, every few minutes):

    - running past its lease (the run is certainly over), or whose owner process on this
      host is gone: sent again, or failed ("interrupted") after its last attempt;
    - pending WORK_PENDING_LIMIT seconds after its message was sent (the message was lost:
      a broker restarted without its data, a worker killed with messages prefetched): sent
      again, up to WORK_MAX_REQUEUES times, then failed ("interrupted").
    """
    now = now or timezone.now()
    limit = timedelta(seconds=settings.WORK_PENDING_LIMIT)
    running, pending = work.stale(
        ConnectionCheck, now, lease=checks.CHECK_LEASE, pending_limit=limit
    )
    report = {"requeued": 0, "failed": 0, "unsent": 0}
    again = []
    for row in running:
        if row.attempts >= checks.max_runs():
            if checks.give_up(row, row.owner, "the worker stopped during each run of this test"):
                report["failed"] += 1
        elif work.requeue_row(ConnectionCheck, row, now):
            again.append(row.pk)
    for row in pending:
        if row.requeues >= settings.WORK_MAX_REQUEUES:
            detail = f"queued {row.requeues + 1} times, never started (queue lost or stopped)"
            if checks.give_up(row, row.owner, detail):
                report["failed"] += 1
        elif work.requeue_row(ConnectionCheck, row, now):
            again.append(row.pk)
    if again:
        try:
            sent = send_checks(again)
        except QueueUnavailable:
            sent = []
        work.count_requeued(ConnectionCheck, sent)
        report["requeued"] = len(sent)
        report["unsent"] = len(again) - len(sent)  # still pending: the next run tries again
    return report

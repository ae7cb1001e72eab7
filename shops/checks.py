"""Creating and running 接続確認: rate limits, the check rows, running one in this process and
recording its result. shops.tasks queues them (views and the CLI start checks there); the
worker runs execute_check. What a check learnt is saved through shops.store."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.dispatch import Signal
from django.utils import timezone
from django.utils.translation import gettext as _

from connectors.base import registry
from connectors.checks import CheckResult
from connectors.runner import run_check, run_refresh
from tempostar import work
from tempostar.crypto import DecryptionError
from tempostar.security import redact

from . import store
from .models import CheckBatch, ConnectionCheck, Shop
from .oauth import callback_url

# Sent inside record()'s transaction once a check's result is saved (check=, section=,
# result=): the monitoring app follows each section's state from it.
check_recorded = Signal()

log = logging.getLogger(__name__)


def testable_sections(shop: Shop) -> list:
    return [s for s in shop.connector.sections if s.testable]


class RateLimited(Exception):
    """A connection test refused by the rate limits; the message is for the user."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message, self.retry_after = message, max(1, int(retry_after))


# A check still waiting or running after this long is presumed lost (a stopped worker).
STALE_AFTER = timedelta(minutes=10)


def create_check(shop: Shop, section_key: str, user=None) -> ConnectionCheck:
    """Create one check row within the rate limits: one check of a shop's section at a time
    and at most one every CHECK_SHOP_INTERVAL seconds; CHECK_RATE_PER_USER a minute per user.
    Raises RateLimited (nothing created) past them. Call it inside the transaction that
    queues the check (shops.tasks.start_check)."""
    section = shop.connector.section(section_key)
    if not section.testable:
        raise LookupError(section_key)
    with transaction.atomic():
        # Lock the user's row, then the shop's, so that two requests of one user, or for one
        # shop, are decided one after the other: the counts below then see every check the
        # other request created (SQLite takes its write lock when the transaction begins).
        if user is not None and user.pk:
            get_user_model().objects.select_for_update().filter(pk=user.pk).values_list(
                "pk"
            ).first()
        Shop.objects.select_for_update().filter(pk=shop.pk).values_list("pk").first()
        now = timezone.now()
        interval = timedelta(seconds=settings.CHECK_SHOP_INTERVAL)
        last = (
            ConnectionCheck.objects.filter(shop=shop, section=section.key)
            .order_by("-created_at")
            .only("created_at", "status")
            .first()
        )
        if last is not None:
            busy = last.status in (ConnectionCheck.PENDING, ConnectionCheck.RUNNING)
            if busy and now - last.created_at < STALE_AFTER:
                raise RateLimited(
                    _("This connection of the shop is being tested. Wait for the result."),
                    settings.CHECK_SHOP_INTERVAL,
                )
            wait = (last.created_at + interval - now).total_seconds()
            if wait > 0:
                raise RateLimited(
                    _(
                        "A connection can be tested once every %(interval)d seconds. "
                        "Try again in %(wait)d seconds."
                    )
                    % {"interval": settings.CHECK_SHOP_INTERVAL, "wait": int(wait) + 1},
                    wait + 1,
                )
        if user is not None:
            recent = ConnectionCheck.objects.filter(
                requested_by=user, batch__isnull=True, created_at__gt=now - timedelta(minutes=1)
            )
            if recent.count() >= settings.CHECK_RATE_PER_USER:
                oldest = recent.order_by("created_at").values_list("created_at", flat=True)[0]
                wait = (oldest + timedelta(minutes=1) - now).total_seconds()
                raise RateLimited(
                    _(
                        "You can start %(rate)d connection tests a minute. "
                        "Try again in %(wait)d seconds."
                    )
                    % {"rate": settings.CHECK_RATE_PER_USER, "wait": int(wait) + 1},
                    wait + 1,
                )
        return ConnectionCheck.objects.create(shop=shop, section=section.key, requested_by=user)


def running_batch() -> CheckBatch | None:
    """The latest batch if it is still running (and not presumed lost)."""
    batch = CheckBatch.objects.order_by("-pk").first()
    if batch is None or timezone.now() - batch.created_at > STALE_AFTER * 6:
        return None
    return None if batch_progress(batch)["finished"] else batch


def create_batch(shops, user=None) -> tuple[CheckBatch, list[ConnectionCheck]]:
    """A check of every testable section of every given shop (queued by shops.tasks).

    Raises RateLimited with the running batch while another batch is unfinished: a loop of
    requests cannot queue the same hosts again and again."""
    running = running_batch()
    if running is not None:
        error = RateLimited(
            _("A test of all shops is running. Start another when it has finished."), 30
        )
        error.batch = running
        raise error
    with transaction.atomic():
        batch = CheckBatch.objects.create(created_by=user)
        checks = [
            ConnectionCheck(shop=shop, section=section.key, requested_by=user, batch=batch)
            for shop in shops.only("pk", "mall")
            if shop.mall in registry
            for section in testable_sections(shop)
        ]
        checks = ConnectionCheck.objects.bulk_create(checks, batch_size=1000)
        batch.total = len(checks)
        batch.save(update_fields=["total"])
    return batch, checks


def batch_progress(batch: CheckBatch) -> dict:
    counts = {status: 0 for status, _label in ConnectionCheck.STATUSES}
    rows = batch.checks.order_by().values_list("status").annotate(n=Count("pk"))
    for status, n in rows:
        counts[status] = n
    done = sum(counts[s] for s in ConnectionCheck.DONE)
    return {
        "id": batch.pk,
        "total": batch.total,
        "done": done,
        "counts": counts,
        "finished": done >= batch.total,
    }


# A run may hold a check this long: the task's hard time limit plus a margin. Past it the run
# is certainly over (the limit kills it), so another run or the recovery job may take over.
CHECK_SOFT_TIME_LIMIT, CHECK_TIME_LIMIT = 60, 90
CHECK_LEASE = timedelta(seconds=CHECK_TIME_LIMIT + 30)
# Runs a check may start beyond its retries of transient errors, to survive a killed worker;
# past them it fails with the code "interrupted".
EXTRA_ATTEMPTS = 2


def max_runs() -> int:
    return 1 + settings.CONNECTION_CHECK_RETRIES + EXTRA_ATTEMPTS


@dataclass
class Later:
    """Run the check again in `countdown` seconds (a transient result, or another run owns
    it now); `previous` is the owner a retry may take over."""

    countdown: float
    previous: str = ""


def execute_check(
    check_id: int, *, final_attempt: bool | None = None, owner: str = "", previous: str = ""
) -> ConnectionCheck | Later | None:
    """Run one check in this process and record its result, once.

    The check is claimed first (tempostar.work.claim): a check already finished is never run
    again (no second seller key issued by a mall, one result), and one that another live run
    holds is left to it (Later). Returns the check, Later, or None when there is no such
    check. A transient result is retried (Later) until the last attempt, which records
    whatever happened.
    `owner` names this run (tempostar.work); `previous`, this task's own earlier attempt.
    """
    taken = work.claim(
        ConnectionCheck,
        check_id,
        lease=CHECK_LEASE,
        max_attempts=max_runs(),
        owner=owner,
        previous=previous,
    )
    if taken.state == "missing":
        return None
    if taken.state == "busy":
        return Later(min(taken.wait, 300.0), previous)
    check = ConnectionCheck.objects.select_related("shop").get(pk=check_id)
    if taken.state == "done":
        return check
    if taken.state == "exhausted":
        give_up(
            check,
            taken.owner,
            f"stopped {taken.attempts} times before it could finish (worker lost or killed)",
        )
        check.refresh_from_db()
        return check
    if final_attempt is None:
        final_attempt = taken.attempts >= 1 + settings.CONNECTION_CHECK_RETRIES
    with work.running(taken.owner):
        shop = check.shop
        section = shop.connector.section(check.section)
        started = time.monotonic()
        try:
            result, latency = run_section(shop, section)
        except SoftTimeLimitExceeded:
            result = CheckResult.fail("timeout", "task time limit")
            latency = int((time.monotonic() - started) * 1000)
        if result.transient and not final_attempt:
            ConnectionCheck.objects.filter(pk=check.pk, owner=taken.owner).update(
                status=ConnectionCheck.PENDING,
                owner="",
                queued_at=timezone.now(),
                detail=redact(result.detail)[:2000],
            )
            return Later(2 ** (taken.attempts - 1))
        # The mall has answered (a new key may have been issued): keep the result through
        # a database outage of up to 15 s (retries 0.5 + 1 + 2 + 4 + 8 s) rather than run the
        # check again.
        work.durably(lambda: record(check, section, result, latency, owner=taken.owner), tries=6)
    return check


def record(
    check: ConnectionCheck, section, result: CheckResult, latency_ms: int, *, owner=None
) -> bool:
    """Save a check's result and what it learnt, in one transaction. With `owner`, only while
    that run still owns the unfinished check (one result, however many runs)."""
    with transaction.atomic():
        if owner is not None:
            row = (
                ConnectionCheck.objects.select_for_update()
                .filter(pk=check.pk)
                .values("status", "owner")
                .first()
            )
            if row is None or row["owner"] != owner or row["status"] in ConnectionCheck.DONE:
                return False
        store.save_learnt(check.shop_id, section, result.store, result.store_secrets)
        check.status = result.status
        check.code = result.code
        # Connectors never put a credential in the detail; should a server echo one back in
        # an error message, the values decrypted for this check are masked anyway.
        check.detail = redact(result.detail)[:2000]
        check.info = result.info
        check.latency_ms = latency_ms
        check.finished_at = timezone.now()
        check.save(update_fields=["status", "code", "detail", "info", "latency_ms", "finished_at"])
        # The watch's state and alert follow the result in the same transaction.
        check_recorded.send(sender=ConnectionCheck, check=check, section=section, result=result)
    return True


def give_up(check: ConnectionCheck, owner: str, detail: str) -> bool:
    """Fail an unfinished check with the code "interrupted" (recovery, or too many runs)."""
    done = ConnectionCheck.objects.filter(
        pk=check.pk,
        owner=owner,
        status__in=[ConnectionCheck.PENDING, ConnectionCheck.RUNNING],
    ).update(
        status=ConnectionCheck.FAILED,
        code="interrupted",
        detail=detail[:2000],
        finished_at=timezone.now(),
    )
    return bool(done)


def latest_checks(shop: Shop) -> dict[str, ConnectionCheck]:
    """The newest check of each section of the shop."""
    latest = {}
    for check in shop.checks.order_by("-created_at", "-pk")[:100]:
        latest.setdefault(check.section, check)
    return latest


def run_section(shop: Shop, section, *, callback: str | None = None) -> tuple[CheckResult, int]:
    """Run one section's check of a shop in this process: decrypt its secrets here (never in
    a task argument), run the connector, and return the result with its latency in ms."""
    started = time.monotonic()
    try:
        secrets = shop.get_secrets()
    except DecryptionError:
        result = CheckResult.fail("decrypt_failed")
    else:
        result = run_check(
            section,
            shop.settings or {},
            secrets,
            shop_code=shop.code,
            timeout=settings.CONNECTION_CHECK_TIMEOUT,
            callback_url=callback if callback is not None else callback_url(),
        )
        del secrets
    return result, int((time.monotonic() - started) * 1000)


def refresh_due_tokens(now=None) -> dict:
    """Refresh OAuth access tokens that lapse within 15 minutes (beat, every 10 minutes).

    One shop whose secrets cannot be decrypted, or whose refresh fails, is counted and the
    run goes on with the others."""
    now = now or timezone.now()
    soon = now + timedelta(minutes=15)
    report = {"refreshed": 0, "failed": 0, "unreadable": 0}
    for shop in Shop.objects.exclude(secrets="").iterator():
        if shop.mall not in registry:
            continue
        try:
            _refresh_shop(shop, soon, report)
        except SoftTimeLimitExceeded:
            raise
        except Exception:  # one shop (deleted meanwhile, a bad date, a database error) fails alone
            log.exception("token refresh of shop %s failed", shop.pk)
            report["failed"] += 1
    return report


def _refresh_shop(shop: Shop, soon, report: dict) -> None:
    """Refresh the grants of one shop that lapse before `soon`; counts into `report`."""
    due = []
    for section in shop.connector.sections:
        expires = (shop.settings or {}).get(f"{section.key}.access_expires_at")
        if section.provider is None or not expires:
            continue
        try:
            if datetime.fromisoformat(str(expires)) <= soon:
                due.append(section)
        except (ValueError, TypeError):  # unreadable or without a time zone
            due.append(section)  # refresh to get a good one
    if not due:
        return
    try:
        secrets = shop.get_secrets()
    except DecryptionError:
        report["unreadable"] += 1
        return
    for section in due:
        result = run_refresh(
            section,
            shop.settings,
            secrets,
            shop_code=shop.code,
            timeout=settings.CONNECTION_CHECK_TIMEOUT,
            callback_url=callback_url(),
        )
        # A refreshed token is kept even when the call made after the refresh failed: some
        # providers retire the old refresh token at once.
        store.save_learnt(shop.pk, section, result.store, result.store_secrets)
        if result.status == CheckResult.ok().status:
            report["refreshed"] += 1
        else:
            report["failed"] += 1

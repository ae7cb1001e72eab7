"""The Celery tasks of shops, and the functions that queue them (views and commands call
these; the tasks take ids only and decrypt secrets in the worker)."""

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction

from connectors.checks import CheckResult

from . import checks, reminders
from .models import CheckBatch, ConnectionCheck


@shared_task(
    bind=True,
    name="shops.run_connection_check",
    soft_time_limit=60,
    time_limit=90,
    acks_late=True,
)
def run_connection_check(self, check_id: int) -> str | None:
    """Run one 接続確認. Takes the check's id only: secrets are decrypted here, in the worker.

    Transient network errors (timeouts, resets) are retried with a short backoff; the last
    attempt records whatever happened.
    """
    retries = settings.CONNECTION_CHECK_RETRIES
    final = self.request.retries >= retries
    try:
        check = checks.execute_check(check_id, final_attempt=final)
    except SoftTimeLimitExceeded:
        check = ConnectionCheck.objects.select_related("shop").get(pk=check_id)
        section = check.shop.connector.section(check.section)
        checks.record(check, section, CheckResult.fail("timeout", "task time limit"), 60_000)
        return check.status
    if check is None:
        raise self.retry(countdown=2**self.request.retries, max_retries=retries)
    return check.status


@shared_task(name="shops.send_expiry_reminders", soft_time_limit=600, time_limit=900)
def send_expiry_reminders() -> dict:
    """The daily reminder run (beat). Safe to run twice: claims make each e-mail unique."""
    report = reminders.run()
    return {"claimed": report.claimed, "sent": report.sent, "failed": report.failed}


@shared_task(name="shops.refresh_access_tokens", soft_time_limit=300, time_limit=400)
def refresh_access_tokens() -> dict:
    """Refresh OAuth access tokens that lapse within 15 minutes (beat, every 10 minutes)."""
    return checks.refresh_due_tokens()


def send_checks(ids: list[int]) -> None:
    """Send check ids to the worker; one broker connection for the whole batch."""
    with run_connection_check.app.producer_or_acquire() as producer:
        for pk in ids:
            run_connection_check.apply_async((pk,), producer=producer)


def start_check(shop, section_key: str, user=None) -> ConnectionCheck:
    """Create a check within the rate limits and queue it once the row is committed."""
    with transaction.atomic():
        check = checks.create_check(shop, section_key, user)
        transaction.on_commit(lambda: send_checks([check.pk]))
    return check


def start_batch(shops, user=None) -> CheckBatch:
    """全ショップ接続確認: a check of every testable section of the given shops."""
    with transaction.atomic():
        batch, created = checks.create_batch(shops, user)
        ids = [c.pk for c in created]
        transaction.on_commit(lambda: send_checks(ids))
    return batch

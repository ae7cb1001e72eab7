from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from .checks import execute_check, record
from .models import ConnectionCheck


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
        check = execute_check(check_id, final_attempt=final)
    except SoftTimeLimitExceeded:
        from connectors.checks import CheckResult

        check = ConnectionCheck.objects.select_related("shop").get(pk=check_id)
        section = check.shop.connector.section(check.section)
        record(check, section, CheckResult.fail("timeout", "task time limit"), 60_000)
        return check.status
    if check is None:
        raise self.retry(countdown=2**self.request.retries, max_retries=retries)
    return check.status


@shared_task(name="shops.send_expiry_reminders", soft_time_limit=600, time_limit=900)
def send_expiry_reminders() -> dict:
    """The daily reminder run (beat). Safe to run twice: claims make each e-mail unique."""
    from .reminders import run

    report = run()
    return {"claimed": report.claimed, "sent": report.sent, "failed": report.failed}


@shared_task(name="shops.refresh_access_tokens", soft_time_limit=300, time_limit=400)
def refresh_access_tokens() -> int:
    """Refresh OAuth access tokens that lapse within 15 minutes (beat, every 10 minutes)."""
    from .oauth import refresh_due_tokens

    return refresh_due_tokens()

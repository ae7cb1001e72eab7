"""Project-wide periodic tasks: the worker heartbeat and the recovery of stranded work."""

from datetime import UTC, datetime

from celery import shared_task
from django.conf import settings

from orders.tasks import recover_jobs
from shops.tasks import recover_checks

from .models import Heartbeat


@shared_task(name="tempostar.tasks.heartbeat")
def heartbeat() -> str:
    """Record that a worker is alive (scheduled by beat every minute): in the database, where
    every web node's health check reads it, and in var/worker-heartbeat on this machine."""
    now = datetime.now(UTC)
    stamp = now.isoformat()
    (settings.VAR_DIR / "worker-heartbeat").write_text(stamp)
    Heartbeat.beat("worker", now)
    return stamp


def recover_work_now() -> dict:
    """Re-queue or fail, with a reason, every check and import job waiting or running past
    its limit, and delete orphaned upload files (shops.tasks.recover_checks,
    orders.tasks.recover_jobs). Safe to run at any time, as often as wanted."""
    report = {"checks": recover_checks(), "imports": recover_jobs()}
    Heartbeat.beat("recovery")
    return report


@shared_task(name="tempostar.tasks.recover_work", soft_time_limit=120, time_limit=150)
def recover_work() -> dict:
    """The recovery job (beat, every WORK_RECOVERY_EVERY seconds; by hand: manage.py
    recover_work)."""
    return recover_work_now()

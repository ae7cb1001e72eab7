from datetime import UTC, datetime

from celery import shared_task
from django.conf import settings


@shared_task(name="tempostar.tasks.heartbeat")
def heartbeat() -> str:
    """Record that a worker is alive (scheduled by beat every minute).

    The file var/worker-heartbeat holds the time of the last run; a health check reads it.
    """
    stamp = datetime.now(UTC).isoformat()
    path = settings.VAR_DIR / "worker-heartbeat"
    path.write_text(stamp)
    return stamp

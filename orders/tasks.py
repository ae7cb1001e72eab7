"""The import task, and the one function that starts an import job."""

from celery import shared_task
from django.conf import settings
from django.db import transaction

from .jobs import run_job
from .models import ImportJob


@shared_task(name="orders.run_import", soft_time_limit=1800, time_limit=2000, acks_late=True)
def run_import(job_id: int) -> str:
    """Import one uploaded CSV (by job id) with progress on the job row."""
    return run_job(job_id).status


def start(job: ImportJob) -> None:
    """Run now when small; otherwise hand it to the worker once the job row is committed."""
    if job.size <= settings.IMPORT_INLINE_MAX_BYTES:
        run_job(job.pk)
    else:
        transaction.on_commit(lambda: run_import.delay(job.pk))

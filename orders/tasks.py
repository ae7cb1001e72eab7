from celery import shared_task

from .jobs import run_job


@shared_task(name="orders.run_import", soft_time_limit=1800, time_limit=2000, acks_late=True)
def run_import(job_id: int) -> str:
    """Import one uploaded CSV (by job id) with progress on the job row."""
    return run_job(job_id).status

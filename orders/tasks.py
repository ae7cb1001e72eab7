"""The import task, the one function that starts an import job, and the recovery of jobs.

Every job reaches a final state (docs/reliability.md): its message is acknowledged only after
the run and handed back when the worker dies; the database or broker being away is retried;
a job whose message was lost, or whose worker died for good, is sent again or failed with a
reason by the recovery job, which also deletes upload files no job is waiting for (they hold
customers' personal data)."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from tempostar import work
from tempostar.work import QueueUnavailable

from .jobs import run_job
from .models import ImportJob

logger = logging.getLogger(__name__)

IMPORT_SOFT_TIME_LIMIT, IMPORT_TIME_LIMIT = 1800, 2000
# Past this a run is certainly over (the hard time limit kills it).
IMPORT_LEASE = timedelta(seconds=IMPORT_TIME_LIMIT + 120)
MAX_RUNS = 3  # runs a job may start (a killed worker's job is run again) before it fails
INFRA_RETRIES = 20
# An upload file older than this that no waiting or running job names is deleted.
ORPHAN_AGE = timedelta(minutes=10)


@shared_task(
    bind=True,
    name="orders.run_import",
    soft_time_limit=IMPORT_SOFT_TIME_LIMIT,
    time_limit=IMPORT_TIME_LIMIT,
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=INFRA_RETRIES,
)
def run_import(self, job_id: int, previous: str = "") -> str | None:
    """Import one uploaded CSV (by job id) with progress on the job row."""
    owner = work.new_owner()
    try:
        outcome = execute(job_id, owner=owner, previous=previous)
    except work.INFRA_ERRORS as exc:
        logger.warning("import %s: %s; retrying", job_id, type(exc).__name__)
        raise self.retry(
            args=(job_id,),
            kwargs={"previous": owner},
            countdown=work.backoff(self.request.retries),
            exc=exc,
        ) from None
    if isinstance(outcome, float):  # another live run holds the job: look again later
        raise self.retry(
            args=(job_id,), kwargs={"previous": previous}, countdown=outcome, max_retries=None
        )
    return outcome


def execute(job_id: int, *, owner: str, previous: str = "") -> str | float | None:
    """Claim the job and run it here. Returns its final status, None when there is no such
    job, or the seconds to wait while another live run holds it."""
    taken = work.claim(
        ImportJob,
        job_id,
        lease=IMPORT_LEASE,
        max_attempts=MAX_RUNS,
        owner=owner,
        previous=previous,
    )
    if taken.state == "missing":
        return None
    if taken.state == "done":
        return ImportJob.objects.values_list("status", flat=True).get(pk=job_id)
    if taken.state == "busy":
        return min(taken.wait, 300.0)
    if taken.state == "exhausted":
        fail_job(job_id, taken.owner, "interrupted", runs=taken.attempts)
        return ImportJob.FAILED
    with work.running(owner):
        try:
            return run_job(job_id).status
        except work.INFRA_ERRORS:
            raise
        except SoftTimeLimitExceeded:
            fail_job(job_id, owner, "time_limit")
        except Exception:
            logger.exception("import %s failed", job_id)
            fail_job(job_id, owner, "unexpected")
    return ImportJob.FAILED


def reason(code: str, **params) -> str:
    """What the job page says about a job that could not finish (in the site's language)."""
    with translation.override(settings.LANGUAGE_CODE):
        text = {
            "queue": _(
                "The import could not be started: the job queue is not available. Nothing "
                "was imported. Upload the file again in a moment."
            ),
            "interrupted": _(
                "The import was stopped %(runs)d times before it could finish (the worker "
                "stopped). Nothing was imported. Upload the file again."
            ),
            "never_started": _(
                "The import was never started: the job queue lost it. Nothing was imported. "
                "Upload the file again."
            ),
            "time_limit": _(
                "The import took longer than %(minutes)d minutes and was stopped. Nothing was "
                "imported. Split the file and upload the parts."
            ),
            "unexpected": _(
                "The import failed with an unexpected error. Nothing was imported. An "
                "administrator can find the details in the worker's log."
            ),
        }[code]
        return text % {"minutes": IMPORT_SOFT_TIME_LIMIT // 60, **params} if "%(" in text else text


def fail_job(job_id: int, owner: str | None, code: str, **params) -> bool:
    """Fail an unfinished job with a reason and delete its upload. `owner`: only while that
    run (or, with "", nobody) holds it; None: whoever holds it."""
    rows = ImportJob.objects.filter(pk=job_id, status__in=[ImportJob.PENDING, ImportJob.RUNNING])
    if owner is not None:
        rows = rows.filter(owner=owner)
    done = rows.update(
        status=ImportJob.FAILED, errors=[reason(code, **params)], finished_at=timezone.now()
    )
    if done:
        path = ImportJob.objects.values_list("path", flat=True).get(pk=job_id)
        delete_upload(path)
    return bool(done)


def delete_upload(path: str) -> None:
    try:
        Path(path).unlink(missing_ok=True)
    except OSError:
        logger.warning("could not delete an upload file")


def _after_commit(fn) -> None:
    if connection.in_atomic_block:
        transaction.on_commit(fn, robust=True)
    else:
        fn()


def start(job: ImportJob) -> None:
    """Run now when small; otherwise hand it to the worker once the job row is committed.
    A job the broker does not take is failed at once with the reason (the queue is not
    available), and its upload deleted: it is never left waiting."""
    if job.size <= settings.IMPORT_INLINE_MAX_BYTES:
        owner = work.new_owner()
        try:
            execute(job.pk, owner=owner)
        except work.INFRA_ERRORS:
            # The database went away mid-import: the worker takes it over (or recovery).
            try:
                work.send(run_import, (job.pk,), kwargs={"previous": owner})
            except QueueUnavailable:
                pass
            raise
        return

    def send():
        try:
            work.send(run_import, (job.pk,))
        except QueueUnavailable:
            fail_job(job.pk, "", "queue")

    _after_commit(send)


# ---- recovery ------------------------------------------------------------------------------


def recover_jobs(now=None) -> dict:
    """Jobs waiting past their limit, and orphaned upload files (recover_work):

    - running past its lease, or whose owner process on this host is gone: sent again, or
      failed with the reason after MAX_RUNS runs;
    - pending WORK_PENDING_LIMIT seconds after its message was sent: sent again, up to
      WORK_MAX_REQUEUES times, then failed (the queue lost it);
    - upload files under VAR_DIR/imports that no pending or running job names, older than
      ORPHAN_AGE: deleted.
    """
    now = now or timezone.now()
    limit = timedelta(seconds=settings.WORK_PENDING_LIMIT)
    running, pending = work.stale(ImportJob, now, lease=IMPORT_LEASE, pending_limit=limit)
    report = {"requeued": 0, "failed": 0, "unsent": 0, "files_deleted": 0}
    again = []
    for row in running:
        if row.attempts >= MAX_RUNS:
            report["failed"] += fail_job(row.pk, row.owner, "interrupted", runs=row.attempts)
        elif work.requeue_row(ImportJob, row, now):
            again.append(row.pk)
    for row in pending:
        if row.requeues >= settings.WORK_MAX_REQUEUES:
            report["failed"] += fail_job(row.pk, row.owner, "never_started")
        elif work.requeue_row(ImportJob, row, now):
            again.append(row.pk)
    sent = []
    for pk in again:
        try:
            work.send(run_import, (pk,))
        except QueueUnavailable:
            break
        sent.append(pk)
    work.count_requeued(ImportJob, sent)
    report["requeued"], report["unsent"] = len(sent), len(again) - len(sent)
    report["files_deleted"] = delete_orphaned_uploads()
    return report


def delete_orphaned_uploads() -> int:
    """Delete upload files that no pending or running job names (left by a job that failed
    before it could delete its file, or by an upload whose job was never created)."""
    folder = Path(settings.VAR_DIR) / "imports"
    if not folder.is_dir():
        return 0
    cutoff = time.time() - ORPHAN_AGE.total_seconds()  # file times are the real clock's
    active = {
        str(Path(p).resolve())
        for p in ImportJob.objects.filter(
            status__in=[ImportJob.PENDING, ImportJob.RUNNING]
        ).values_list("path", flat=True)
    }
    deleted = 0
    for path in folder.iterdir():
        try:
            if not path.is_file() or str(path.resolve()) in active:
                continue
            if path.stat().st_mtime > cutoff:
                continue  # may be an upload being written right now
            path.unlink()
            deleted += 1
        except OSError:
            continue
    return deleted

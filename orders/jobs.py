"""Uploads become ImportJobs: small ones run at once, large ones in the worker with progress."""

from __future__ import annotations

import logging
import os
import uuid
from pathlib import Path

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connection, connections
from django.utils import timezone

from . import importer
from .models import ImportJob

logger = logging.getLogger(__name__)

UNEXPECTED = (
    "取り込み中に予期しないエラーが発生しました({name})。何も保存されていません。"
    "時間をおいてもう一度取り込んでください。続く場合は管理者に連絡してください。"
)
TIMED_OUT = (
    "取り込みが時間内に終わりませんでした。何も保存されていません。"
    "ファイルを分けて取り込んでください。"
)
MISSING = "アップロードされたファイルが見つかりません。"
INTERRUPTED = "取り込みが中断されました。何も保存されていません。もう一度取り込んでください。"


class UploadTooLarge(Exception):
    """The upload is larger than IMPORT_MAX_BYTES; nothing was stored."""


def create_job(kind: str, upload, *, shop=None, user=None) -> ImportJob:
    """Store the upload under var/imports and make its job. An upload over IMPORT_MAX_BYTES
    raises UploadTooLarge before a byte is written (the views refuse it earlier still)."""
    limit = settings.IMPORT_MAX_BYTES
    if upload.size is not None and upload.size > limit:
        raise UploadTooLarge(upload.size)
    folder = settings.VAR_DIR / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.csv"
    size = 0
    try:
        with open(path, "wb") as out:
            for chunk in upload.chunks():
                size += len(chunk)
                if size > limit:  # a size that was not declared
                    raise UploadTooLarge(size)
                out.write(chunk)
        return ImportJob.objects.create(
            kind=kind,
            shop=shop,
            filename=upload.name[:255],
            path=str(path),
            size=size,
            created_by=user if user and user.pk else None,
        )
    except BaseException:
        path.unlink(missing_ok=True)  # the customers' data stays nowhere
        raise


def progress_file(job_id: int) -> Path:
    return settings.VAR_DIR / "imports" / f"job-{job_id}.progress"


class Progress:
    """Rows processed, written where other connections see it while the import's transaction
    is still open (a write through the import's own connection would show only at commit).

    PostgreSQL: an UPDATE of the job row through a second connection in autocommit, which
    never waits (SKIP LOCKED: a report is dropped rather than block the import). SQLite: one
    writer at a time, and the import holds the write lock, so a small file beside the upload
    (read by live_progress()). Callable; close() on every path.
    """

    def __init__(self, job: ImportJob):
        self.job_id = job.pk
        self.use_db = connection.vendor == "postgresql"
        self.db = None

    def __call__(self, rows: int) -> None:
        try:
            if self.use_db:
                self._write_db(rows)
            else:
                self._write_file(rows)
        except (DatabaseError, OSError):
            # Progress is only shown to people waiting: it never fails an import.
            logger.warning("import job %s: progress not written", self.job_id, exc_info=True)

    def _write_db(self, rows: int) -> None:
        if self.db is None:
            self.db = connections.create_connection(DEFAULT_DB_ALIAS)
        table = connection.ops.quote_name(ImportJob._meta.db_table)
        with self.db.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET progress = %s WHERE id = "
                f"(SELECT id FROM {table} WHERE id = %s FOR NO KEY UPDATE SKIP LOCKED)",
                [rows, self.job_id],
            )

    def _write_file(self, rows: int) -> None:
        path = progress_file(self.job_id)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(str(rows))
        os.replace(temporary, path)  # readers see the old number or the new one, never half

    def close(self) -> None:
        if self.db is not None:
            self.db.close()
            self.db = None
        try:
            progress_file(self.job_id).unlink(missing_ok=True)
        except OSError:
            logger.warning("import job %s: progress file not deleted", self.job_id)


def live_progress(job: ImportJob) -> int:
    """The job's progress, including what a running import on SQLite reported by file."""
    if job.status == ImportJob.RUNNING:
        try:
            return max(job.progress, int(progress_file(job.pk).read_text()))
        except (OSError, ValueError):
            pass
    return job.progress


def run_job(job_id: int) -> ImportJob:
    """Run one job to DONE, REFUSED or FAILED: never left RUNNING, whatever happens inside
    (an unexpected error is logged and reported as FAILED). The uploaded file (customers'
    personal data) is deleted on every path."""
    job = ImportJob.objects.select_related("shop").get(pk=job_id)
    if job.status not in (ImportJob.PENDING, ImportJob.RUNNING):
        return job
    progress = Progress(job)
    try:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.RUNNING)
        job.status = ImportJob.RUNNING
        with open(job.path, "rb") as f:
            data = f.read()
        if job.kind == ImportJob.ORDERS:
            summary = importer.import_orders(data, job.shop, job=job, progress=progress)
        else:
            summary = importer.import_stock(data)
        job.status, job.summary, job.errors = ImportJob.DONE, summary.as_dict(), []
        job.progress = job.total = summary.rows
    except importer.ImportRefused as refused:
        job.status, job.errors = ImportJob.REFUSED, refused.errors
        job.summary = {"error_count": refused.total}
    except FileNotFoundError:
        job.status, job.errors = ImportJob.FAILED, [MISSING]
    except Exception as exc:
        logger.exception("import job %s failed", job.pk)
        timed_out = type(exc).__name__ == "SoftTimeLimitExceeded"  # the worker's time limit
        message = TIMED_OUT if timed_out else UNEXPECTED.format(name=type(exc).__name__)
        job.status, job.errors, job.summary = ImportJob.FAILED, [message], {}
    finally:
        # Also on BaseException (the worker shutting down): mark the job, then let it go on.
        progress.close()
        if job.status in (ImportJob.PENDING, ImportJob.RUNNING):
            job.status, job.errors = ImportJob.FAILED, [INTERRUPTED]
        _finish(job)
    return job


def _finish(job: ImportJob) -> None:
    job.finished_at = timezone.now()
    fields = ["status", "summary", "errors", "progress", "total", "finished_at"]
    try:
        try:
            job.save(update_fields=fields)
        except DatabaseError:
            # The import's error may have broken the connection: once more on a new one.
            logger.warning("import job %s: result not saved, retrying", job.pk, exc_info=True)
            if not connection.in_atomic_block:
                connection.close()
            job.save(update_fields=fields)
    finally:
        # The order file holds customers' personal data: keep it no longer than needed.
        try:
            Path(job.path).unlink(missing_ok=True)
        except OSError:
            logger.warning("import job %s: could not delete %s", job.pk, job.path)

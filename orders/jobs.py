"""Uploads become ImportJobs: small ones run at once, large ones in the worker with progress."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.utils import timezone

from . import importer
from .models import ImportJob


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


def run_job(job_id: int) -> ImportJob:
    job = ImportJob.objects.select_related("shop").get(pk=job_id)
    if job.status not in (ImportJob.PENDING, ImportJob.RUNNING):
        return job
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.RUNNING)

    def progress(rows):
        ImportJob.objects.filter(pk=job.pk).update(progress=rows)

    try:
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
        job.status, job.errors = ImportJob.FAILED, ["アップロードされたファイルが見つかりません。"]
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "summary", "errors", "progress", "total", "finished_at"])
    try:
        # The order file holds customers' personal data: keep it no longer than needed.
        from pathlib import Path

        Path(job.path).unlink(missing_ok=True)
    except OSError:
        pass
    return job

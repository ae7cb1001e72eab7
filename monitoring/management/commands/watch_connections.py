"""Test every testable section of every shop now, as the nightly watch does."""

import time

from django.core.management.base import BaseCommand, CommandError

from monitoring import tasks
from monitoring.models import WatchRun
from shops.checks import RateLimited, batch_progress


class Command(BaseCommand):
    help = (
        "Test every connection of every shop now, as the nightly watch does; --wait follows "
        "the progress until every check is done."
    )

    def add_arguments(self, parser):
        parser.add_argument("--wait", action="store_true", help="wait until every check is done")
        parser.add_argument(
            "--timeout", type=int, default=3600, help="seconds to wait at most (with --wait)"
        )

    def handle(self, *args, wait=False, timeout=3600, **options):
        try:
            started = tasks.start_watch(trigger=WatchRun.COMMAND)
        except RateLimited as limited:
            raise CommandError(limited.message) from None
        batch = started.batch
        self.stdout.write(
            f"watch started: batch {batch.pk}, {batch.total} checks in {len(started.lanes)} lanes"
        )
        if not wait:
            return
        deadline = time.monotonic() + timeout
        shown = -1
        while True:
            progress = batch_progress(batch)
            if progress["done"] != shown:
                shown = progress["done"]
                self.stdout.write(f"  {progress['done']}/{progress['total']}")
            if progress["finished"]:
                break
            if time.monotonic() > deadline:
                raise CommandError("timed out waiting for the checks (they go on in the worker)")
            time.sleep(1)
        counts = progress["counts"]
        self.stdout.write(
            f"done: {counts['success']} success, {counts['failed']} failed, "
            f"{counts['untested']} not tested"
        )

import json

from django.core.management.base import BaseCommand

from tempostar.tasks import recover_work_now


class Command(BaseCommand):
    help = (
        "Re-queue or fail, with a reason, every connection check and import job that has "
        "waited or run past its limit, and delete upload files no job is waiting for (what "
        "the recovery job beat runs every few minutes does). Safe to run at any time."
    )

    def handle(self, *args, **options):
        report = recover_work_now()
        self.stdout.write(json.dumps(report, sort_keys=True))

from django.core.management.base import BaseCommand

from shops.reminders import run


class Command(BaseCommand):
    help = (
        "Send the expiry reminders now due (what the daily beat task does). Each reminder "
        "goes out once per credential, expiry date and threshold, however often this runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print what would be sent; claim and send nothing",
        )

    def handle(self, *args, dry_run, **options):
        report = run(dry_run=dry_run)
        for line in report.lines:
            self.stdout.write(line)
        if dry_run:
            self.stdout.write(f"{len(report.lines)} reminder(s) would be sent.")
        else:
            self.stdout.write(
                f"sent {report.sent}, failed {report.failed} "
                f"(failed ones are retried by the next run)"
            )

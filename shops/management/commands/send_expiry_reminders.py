from django.core.management.base import BaseCommand

from shops.reminders import run


class Command(BaseCommand):
    help = (
        "Send the expiry reminders now due (what the scheduled run does, at any hour). Each "
        "reminder goes out once per credential, expiry date and threshold, however often "
        "this runs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="print what would be sent; claim and send nothing",
        )

    def handle(self, *args, dry_run, **options):
        totals = {"sent": 0, "failed": 0, "no_recipient": 0, "uncertain": 0}
        while True:
            report = run(dry_run=dry_run)
            for line in report.lines:
                self.stdout.write(line)
            for key in totals:
                totals[key] += getattr(report, key)
            if dry_run or not report.more:
                break  # `more`: the run's time budget ran out; go on with the rest
        if dry_run:
            self.stdout.write(f"{len(report.lines)} reminder(s) would be sent.")
        else:
            self.stdout.write(
                "sent {sent}, failed {failed}, no recipient {no_recipient}, no reply after "
                "the end of the message {uncertain} (all but the sent ones are retried by "
                "the next run)".format(**totals)
            )

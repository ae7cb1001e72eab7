from django.core.management.base import BaseCommand, CommandError

from shops import store
from shops.models import Shop


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret under the first key of FIELD_ENCRYPTION_KEYS, in "
        "batches. Safe to stop and run again. Keep the old keys in the list until it finishes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        total = Shop.objects.exclude(secrets="").count()
        self.stdout.write(f"Rotating the secrets of {total} shop(s)...")

        def progress(report):
            self.stdout.write(f"  {report.rotated + len(report.failed)}/{total}")

        report = store.reencrypt(batch_size=batch_size, progress=progress)
        if report.failed:
            raise CommandError(
                f"{report.rotated} shop(s) re-encrypted; {len(report.failed)} could not be "
                f"decrypted with any key in FIELD_ENCRYPTION_KEYS and were left unchanged: "
                f"{', '.join(report.failed)}. Add the missing key and run again."
            )
        self.stdout.write(self.style.SUCCESS(f"Done: {report.rotated} shop(s) re-encrypted."))

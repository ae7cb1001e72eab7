from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shops.models import Shop
from tempostar import crypto


class Command(BaseCommand):
    help = (
        "Re-encrypt every stored secret under the first key of FIELD_ENCRYPTION_KEYS, in "
        "batches. Safe to stop and run again. Keep the old keys in the list until it finishes."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, batch_size, **options):
        total = Shop.objects.exclude(secrets="").count()
        done, last_pk = 0, 0
        self.stdout.write(f"Rotating the secrets of {total} shop(s)...")
        while True:
            with transaction.atomic():
                batch = list(
                    Shop.objects.select_for_update()
                    .filter(pk__gt=last_pk)
                    .exclude(secrets="")
                    .order_by("pk")
                    .only("pk", "code", "secrets")[:batch_size]
                )
                if not batch:
                    break
                for shop in batch:
                    try:
                        token = crypto.rotate(shop.secrets)
                    except crypto.DecryptionError:
                        raise CommandError(
                            f"Shop {shop.code}: its secrets cannot be decrypted with any key in "
                            "FIELD_ENCRYPTION_KEYS. Nothing in this batch was changed; add "
                            "the missing key and run again."
                        ) from None
                    Shop.objects.filter(pk=shop.pk).update(secrets=token)
                last_pk = batch[-1].pk
                done += len(batch)
            self.stdout.write(f"  {done}/{total}")
        self.stdout.write(self.style.SUCCESS(f"Done: {done} shop(s) re-encrypted."))

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from shops.models import Shop

from .ensure_demo_users import DEMO_USERS


class Command(BaseCommand):
    help = (
        "Fill an empty console with sample shops of several malls (fake credentials), "
        "connection tests, expiring keys, products and imported orders (DEBUG only). "
        "Run ensure_demo_users first: the demo logins stay as they are."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Allow outside DEBUG (never in production)."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Demo data is loaded only with DEBUG on (or --force).")
        if Shop.objects.exists():
            self.stdout.write("  demo data: skipped, shops are already registered")
            return
        User = get_user_model()
        people = {u.username: u for u in User.objects.filter(username__in=DEMO_USERS)}
        missing = sorted(set(DEMO_USERS) - set(people))
        if missing:
            raise CommandError(f"Run ensure_demo_users first (missing: {', '.join(missing)}).")
        from scripts.demo_data import populate

        made = populate(people)
        count = Shop.objects.count()
        self.stdout.write(
            f"  demo data: {count} shops, a connection test batch and an order import "
            f"(job {made['job'].pk}); the credentials are fake, so their tests fail"
        )

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tempostar.roles import OPERATOR, VIEWER, assign_role

DEMO_USERS = {
    # username: (password, role or None for the superuser)
    "admin": ("tempostar-admin", None),
    "operator": ("tempostar-operator", OPERATOR),
    "viewer": ("tempostar-viewer", VIEWER),
}


class Command(BaseCommand):
    help = "Create the demo superuser, operator and viewer (DEBUG only) and print their logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Allow outside DEBUG (never in production)."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Demo users are created only with DEBUG on (or --force).")
        User = get_user_model()
        for username, (password, role) in DEMO_USERS.items():
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.is_staff = user.is_superuser = role is None
                user.save()
                if role:
                    assign_role(user, role)
            state = "created" if created else "exists"
            label = role or "superuser"
            self.stdout.write(f"  demo {label}  {username} / {password}  ({state})")

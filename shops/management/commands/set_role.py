from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tempostar.roles import ADMINISTRATOR, OPERATOR, ROLES, VIEWER, assign_role

ALIASES = {"viewer": VIEWER, "operator": OPERATOR, "admin": ADMINISTRATOR}


class Command(BaseCommand):
    help = (
        "Give a user one role: 閲覧者 (viewer), オペレーター (operator) or 管理者 (admin); "
        "'none' removes it. Administrators also get access to the admin site."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", help="viewer, operator, admin, none, or the Japanese name")

    def handle(self, *args, username, role, **options):
        role_name = None if role == "none" else ALIASES.get(role, role)
        if role_name is not None and role_name not in ROLES:
            raise CommandError(f"Unknown role {role!r}: use viewer, operator, admin or none.")
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None
        assign_role(user, role_name)
        self.stdout.write(f"{username}: {role_name or 'no role'}")

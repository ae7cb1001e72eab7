from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from api import tokens


class Command(BaseCommand):
    help = "Create an API token for USER and print it (once: only its digest is stored)."

    def add_arguments(self, parser):
        parser.add_argument("user", help="user name")
        parser.add_argument("--name", default="cli", help="a name to recognise the token by")

    def handle(self, *args, user, name, **options):
        found = get_user_model().objects.filter(username=user).first()
        if found is None:
            raise CommandError(f"No user named {user!r}.")
        if not found.is_active:
            raise CommandError(f"{user!r} is not active.")
        token, raw = tokens.issue(found, name)
        self.stderr.write(
            f"Token {token.name!r} for {found.username} (key id {token.key_id}). "
            "Keep it now: it is not shown again."
        )
        self.stdout.write(raw)

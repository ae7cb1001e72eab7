from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.management.base import BaseCommand, CommandError

DEMO_USERS = {
    # username: (password, superuser?)
    "admin": ("tempostar-admin", True),
    "operator": ("tempostar-operator", False),
}
OPERATOR_PERMISSIONS = {
    "shops": ["view_shop", "add_shop", "change_shop"],
    "orders": ["view_order", "add_order", "view_product", "add_product", "change_product"],
}


class Command(BaseCommand):
    help = "Create the demo admin and operator (DEBUG only) and print their logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Allow outside DEBUG (never in production)."
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError("Demo users are created only with DEBUG on (or --force).")
        User = get_user_model()
        perms = Permission.objects.none()
        for app, codenames in OPERATOR_PERMISSIONS.items():
            perms |= Permission.objects.filter(content_type__app_label=app, codename__in=codenames)
        for username, (password, is_super) in DEMO_USERS.items():
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(password)
                user.is_staff = user.is_superuser = is_super
                user.save()
                if not is_super:
                    user.user_permissions.set(perms)
            state = "created" if created else "exists"
            self.stdout.write(
                f"  demo {'admin   ' if is_super else 'operator'}  {username} / {password}  "
                f"({state})"
            )

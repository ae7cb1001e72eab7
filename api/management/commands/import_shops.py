from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from api import bulk
from orders.importer import ImportRefused


class Command(BaseCommand):
    help = (
        "Register shops from a JSON list (the API's shape) or a CSV (<section>.<field> "
        "columns; UTF-8 or cp932). All or nothing; --dry-run only says what would happen."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate and list, create nothing"
        )
        parser.add_argument("--user", help="record the changes as this user")

    def handle(self, *args, file, dry_run, user=None, **options):
        translation.activate(settings.LANGUAGE_CODE)  # the console's messages, in Japanese
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        actor = None
        if user:
            from django.contrib.auth import get_user_model

            actor = get_user_model().objects.filter(username=user).first()
            if actor is None:
                raise CommandError(f"No user named {user!r}.")
        if path.stat().st_size > settings.SHOP_IMPORT_MAX_BYTES:
            raise CommandError(
                f"{file}: ファイルが大きすぎます。上限は "
                f"{settings.SHOP_IMPORT_MAX_BYTES:,} バイトです(SHOP_IMPORT_MAX_BYTES)。"
                "何も登録していません。"
            )
        try:
            report = bulk.import_shops(path.read_bytes(), path.name, user=actor, dry_run=dry_run)
        except ImportRefused as refused:
            for line in refused.errors:
                self.stderr.write(line)
            if refused.total > len(refused.errors):
                self.stderr.write(f"… 他 {refused.total - len(refused.errors)} 件")
            raise CommandError(
                f"{refused.total} 件のエラーがあるため、何も登録しませんでした。"
            ) from None
        for warning in report.warnings:
            self.stdout.write(f"注意: {warning}")
        for number, mall, name, code in report.shops:
            if dry_run:
                self.stdout.write(f"{number}: {mall} {name}")
            else:
                self.stdout.write(f"{number}: {code} {mall} {name}")
        if dry_run:
            self.stdout.write(
                f"ドライラン: {len(report.shops)} 件のショップを登録できます"
                "(まだ登録していません)。"
            )
        else:
            self.stdout.write(f"{len(report.shops)} 件のショップを登録しました。")

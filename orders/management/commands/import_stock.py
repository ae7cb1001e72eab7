from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orders import importer


class Command(BaseCommand):
    help = "Register products / set expected stock from a CSV: 商品コード, 商品名, 想定在庫数."

    def add_arguments(self, parser):
        parser.add_argument("file")

    def handle(self, *args, file, **options):
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"{file} を読めません: {exc.strerror}") from None
        try:
            s = importer.import_stock(data)
        except importer.ImportRefused as refused:
            for error in refused.errors:
                self.stderr.write(error)
            raise CommandError("取り込みませんでした(何も保存していません)。") from None
        self.stdout.write(f"商品を {s.orders} 件登録、{s.lines} 件更新しました。")
        for warning in s.warnings:
            self.stdout.write(f"注意: {warning}")

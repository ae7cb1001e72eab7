from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from orders import importer
from shops.models import Shop


class Command(BaseCommand):
    help = "Import a TEMPOSTAR-format order CSV into a shop (その他). All or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--shop", required=True, metavar="CODE")

    def handle(self, *args, file, shop, **options):
        target = Shop.objects.filter(code=shop).first()
        if target is None:
            raise CommandError(f"ショップコード {shop} のショップはありません。")
        if not target.connector.imports_order_csv:
            raise CommandError(f"{shop} は受注CSVを取り込むショップ(その他)ではありません。")
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"{file} を読めません: {exc.strerror}") from None
        try:
            s = importer.import_orders(data, target)
        except importer.ImportRefused as refused:
            for error in refused.errors:
                self.stderr.write(error)
            raise CommandError("取り込みませんでした(何も保存していません)。") from None
        self.stdout.write(
            f"受注 {s.orders} 件 / 明細 {s.lines} 行を取り込みました(文字コード {s.encoding})。"
        )
        if s.skipped_orders:
            self.stdout.write(
                f"取り込み済みのためスキップ: {len(s.skipped_orders)} 件 "
                f"({', '.join(s.skipped_orders[:20])})"
            )
        for c in s.stock_changes:
            self.stdout.write(
                f"想定在庫数 {c['code']}: {c['before']} -> {c['after']} (-{c['quantity']})"
            )
        for code, qty in s.unknown_codes.items():
            self.stdout.write(f"未登録の商品コード {code} x {qty}(在庫変更なし)")
        for warning in s.warnings:
            self.stdout.write(f"注意: {warning}")

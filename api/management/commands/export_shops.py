import sys

from django.core.management.base import BaseCommand, CommandError

from api import bulk
from shops.models import Shop


class Command(BaseCommand):
    help = (
        "Write the shops as JSON (the API's shape) or CSV, without any secret: the formats "
        "import_shops reads."
    )

    def add_arguments(self, parser):
        parser.add_argument("--format", choices=["json", "csv"], default="json")
        parser.add_argument("--mall", help="only this mall's shops")
        parser.add_argument("--encoding", choices=["utf-8", "cp932"], default="utf-8")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, format, mall, encoding, output, **options):
        shops = Shop.objects.defer("secrets").order_by("code")
        if mall:
            shops = shops.filter(mall=mall)
        text = bulk.export_json(shops) if format == "json" else bulk.export_csv(shops)
        try:
            data = text.encode(encoding)
        except UnicodeEncodeError as exc:
            raise CommandError(
                f"A character cannot be written in {encoding} ({text[exc.start]!r}); "
                "use --encoding utf-8."
            ) from None
        if output:
            with open(output, "wb") as f:
                f.write(data)
        elif encoding == "utf-8":
            self.stdout.write(text, ending="")
        else:
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()

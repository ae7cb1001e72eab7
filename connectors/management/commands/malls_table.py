from django.core.management.base import BaseCommand

from connectors.docs import malls_table


class Command(BaseCommand):
    help = "Print the malls table of docs/malls.md, generated from the connector registry."

    def handle(self, *args, **options):
        self.stdout.write(malls_table())

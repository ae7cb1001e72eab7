import time

from django.core.management.base import BaseCommand, CommandError

from connectors.base import registry
from shops import checks, tasks
from shops.models import ConnectionCheck, Shop


class Command(BaseCommand):
    help = (
        "Run 接続確認 for shops through the Celery worker. Exits 1 when a test failed "
        "(with --wait)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--shop",
            action="append",
            default=[],
            metavar="CODE",
            help="a shop code; repeat for several (default: every shop)",
        )
        parser.add_argument("--mall", choices=registry.codes(), help="only shops of this mall")
        parser.add_argument(
            "--wait",
            action="store_true",
            help="wait for the results, print them and set the exit status",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=300.0,
            help="seconds to wait for the worker (with --wait)",
        )

    def handle(self, *args, shop, mall, wait, timeout, **options):
        shops = Shop.objects.all()
        if shop:
            shops = shops.filter(code__in=shop)
            missing = sorted(set(shop) - set(shops.values_list("code", flat=True)))
            if missing:
                raise CommandError(f"Unknown shop code(s): {', '.join(missing)}")
        if mall:
            shops = shops.filter(mall=mall)
        try:
            batch = tasks.start_batch(shops)
        except checks.RateLimited as limited:
            raise CommandError(
                f"Batch {limited.batch.pk} is still running; wait for it to finish."
            ) from None
        except tasks.QueueUnavailable:
            raise CommandError(
                "The broker did not take the tests (is it running?). Nothing was queued."
            ) from None
        if not batch.total:
            self.stdout.write("No testable section in the selected shops.")
            return
        self.stdout.write(f"Queued {batch.total} test(s) (batch {batch.pk}).")
        if not wait:
            return
        deadline = time.monotonic() + timeout
        while True:
            progress = checks.batch_progress(batch)
            if progress["finished"]:
                break
            if time.monotonic() > deadline:
                raise CommandError(
                    f"Only {progress['done']}/{progress['total']} tests finished in "
                    f"{timeout:.0f} s: is a Celery worker running?"
                )
            time.sleep(0.5)
        rows = batch.checks.select_related("shop").order_by("shop__code", "section")
        self.stdout.write(
            f"{'shop':<8} {'mall':<16} {'section':<14} {'result':<9} {'ms':>6}  message"
        )
        for c in rows:
            latency = "" if c.latency_ms is None else str(c.latency_ms)
            self.stdout.write(
                f"{c.shop.code:<8} {c.shop.mall:<16} {c.section:<14} "
                f"{c.status:<9} {latency:>6}  {c.message}"
            )
        counts = progress["counts"]
        self.stdout.write(
            f"success {counts['success']}, failed {counts['failed']}, "
            f"not tested {counts['untested']}"
        )
        if counts[ConnectionCheck.FAILED]:
            raise SystemExit(1)

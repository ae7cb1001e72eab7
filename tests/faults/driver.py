"""A web node for the fault tests: a Django process on the private database and broker that
reads one JSON command a line on stdin and answers one JSON line on stdout. It calls what the
views and commands call (shops.tasks.start_check, orders.tasks.start, ...), so the fault tests
drive the product's own code in its own process, as gunicorn would run it.

Run by tests/faults/harness.py; `python -m tests.faults.driver migrate` migrates and exits.
"""

import json
import sys
import time


def main() -> None:
    import django

    django.setup()
    from django.db import close_old_connections

    commands = Commands()
    if sys.argv[1:] == ["migrate"]:
        commands.migrate()
        return
    for line in sys.stdin:
        request = json.loads(line)
        close_old_connections()  # a database restart broke the connection: take a new one
        started = time.monotonic()
        try:
            result = getattr(commands, request.pop("cmd"))(**request)
        except Exception as exc:  # noqa: BLE001 - reported to the test, which decides
            result = {"exception": type(exc).__name__, "text": str(exc)[:300]}
        if isinstance(result, dict):
            result.setdefault("ms", int((time.monotonic() - started) * 1000))
        print(json.dumps(result, default=str, ensure_ascii=False), flush=True)


class Commands:
    def migrate(self):
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        return {"ok": True}

    # ---- data --------------------------------------------------------------------------

    def qoo10_shops(self, users):
        from tests.helpers import make_shop

        shops = []
        for user in users:
            shop = make_shop(
                "qoo10",
                {"qoo10_api.user_id": user},
                {"qoo10_api.api_key": "qoo10-api-key", "qoo10_api.password": "qoo10-pass"},
                name=f"Qoo10 {user}",
                short_name=user,
            )
            shops.append({"id": shop.pk, "code": shop.code, "user": user})
        return {"shops": shops}

    def reminder_shops(self, n, days_left, notify="tenchou@savaway.example.jp"):
        """au PAY マーケット shops whose API key (90 days) expires in `days_left` days."""
        from datetime import timedelta

        from django.utils import timezone

        from shops.expiry import sync_expiries
        from tests.helpers import make_shop

        issued = timezone.localdate() - timedelta(days=90 - days_left)
        codes = []
        for i in range(n):
            shop = make_shop(
                "au_pay_market",
                {"wowma_api.shop_id": str(1000 + i), "wowma_api.api_key_issued_on": str(issued)},
                {"wowma_api.api_key": f"au-key-{i}"},
                name=f"au shop {i}",
                short_name=f"au{i}",
                url=f"http://www.dena-ec.com/user/{1000 + i}",
                notify_emails=notify,
            )
            sync_expiries(shop)
            codes.append(shop.code)
        return {"codes": codes}

    def other_shop_and_products(self, products):
        from orders.models import Product
        from tests.helpers import make_shop

        shop = make_shop("other", name="電話注文", short_name="電話")
        Product.objects.bulk_create(
            [Product(code=code, name=code, expected_stock=stock) for code, stock in products]
        )
        return {"id": shop.pk, "code": shop.code}

    # ---- what the pages do -------------------------------------------------------------

    def start_batch(self, shop_ids=None):
        from django.utils import translation

        from shops import tasks
        from shops.models import Shop

        shops = Shop.objects.all() if shop_ids is None else Shop.objects.filter(pk__in=shop_ids)
        try:
            batch = tasks.start_batch(shops)
        except tasks.QueueUnavailable as exc:
            with translation.override("ja"):
                return {"error": "queue", "message": str(exc)}
        return {"batch": batch.pk, "total": batch.total}

    def start_check(self, shop_id, section):
        from django.utils import translation

        from shops import checks, tasks
        from shops.models import Shop

        try:
            check = tasks.start_check(Shop.objects.get(pk=shop_id), section)
        except tasks.QueueUnavailable as exc:
            with translation.override("ja"):
                return {"error": "queue", "message": str(exc)}
        except checks.RateLimited as exc:
            return {"error": "rate", "message": str(exc.message)}
        return {"check": check.pk}

    def import_file(self, path, kind, shop_id=None):
        from django.core.files.uploadedfile import SimpleUploadedFile

        from orders import jobs, tasks
        from shops.models import Shop

        with open(path, "rb") as f:
            upload = SimpleUploadedFile("orders.csv", f.read())
        shop = Shop.objects.get(pk=shop_id) if shop_id else None
        job = jobs.create_job(kind, upload, shop=shop)
        tasks.start(job)
        return {"job": job.pk, "path": job.path}

    def resend_checks(self, ids):
        """The same messages once more, as a broker redelivering them would."""
        from shops.tasks import run_connection_check

        for pk in ids:
            run_connection_check.delay(pk)
        return {"sent": len(ids)}

    def reminder_run(self):
        from shops.tasks import send_expiry_reminders

        send_expiry_reminders.delay(force=True)
        return {"queued": True}

    def heartbeat(self):
        from tempostar.tasks import heartbeat

        heartbeat.delay()
        return {"queued": True}

    def recover(self):
        from tempostar.tasks import recover_work_now

        return recover_work_now()

    def get(self, path):
        from django.test import Client

        started = time.monotonic()
        response = Client().get(path)
        elapsed = time.monotonic() - started
        return {"status": response.status_code, "body": response.json(), "seconds": elapsed}

    # ---- what the test reads -----------------------------------------------------------

    def checks(self):
        from shops.models import ConnectionCheck

        fields = ("id", "shop_id", "status", "code", "attempts", "owner", "requeues", "detail")
        return {"rows": list(ConnectionCheck.objects.order_by("pk").values(*fields))}

    def jobs(self):
        from pathlib import Path

        from orders.models import ImportJob

        rows = list(
            ImportJob.objects.order_by("pk").values(
                "id", "status", "attempts", "owner", "errors", "path", "progress", "summary"
            )
        )
        for row in rows:
            row["file_exists"] = Path(row.pop("path")).exists()
        return {"rows": rows}

    def stock(self):
        from orders.models import Order, OrderLine, Product

        return {
            "orders": Order.objects.count(),
            "lines": OrderLine.objects.count(),
            "products": dict(Product.objects.values_list("code", "expected_stock")),
        }

    def claims(self):
        from shops.models import ReminderClaim

        return {
            "rows": list(
                ReminderClaim.objects.order_by("pk").values(
                    "id", "status", "attempts", "last_error"
                )
            )
        }


if __name__ == "__main__":
    main()

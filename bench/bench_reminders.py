"""The daily reminder scan and claim (no SMTP) over 1,000 and 100,000 tracked credentials.

Expiry dates are spread evenly over the next 400 days, so about 8% of credentials are within
the 30-day window on any day. Target (issue D): 100,000 credentials in under 2 s, with a
query count that does not grow with the number of credentials.
"""

import random
import time
from datetime import timedelta

from harness import setup

setup("reminders")

from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from shops.models import CredentialExpiry, ReminderClaim, Shop  # noqa: E402
from shops.reminders import scan_and_claim  # noqa: E402

random.seed(7)
now = timezone.now()
Shop.objects.filter(code__startswith="B").delete()  # a scratch database may hold a last run


def grow_to(n):
    have = CredentialExpiry.objects.count()
    shops = Shop.objects.bulk_create(
        [
            Shop(
                mall="au_pay_market",
                code=f"B{i:07d}",
                name="ベンチ",
                short_name="ベンチ",
                url="http://www.dena-ec.com/user/1",
            )
            for i in range(have, n)
        ],
        batch_size=2000,
    )
    CredentialExpiry.objects.bulk_create(
        [
            CredentialExpiry(
                shop=shop,
                section="wowma_api",
                credential="api_key",
                expires_at=now + timedelta(minutes=random.randrange(400 * 24 * 60)),
                source="entered",
            )
            for shop in shops
        ],
        batch_size=2000,
    )


for n in (1_000, 100_000):
    grow_to(n)
    ReminderClaim.objects.all().delete()
    with CaptureQueriesContext(connection) as ctx:
        start = time.perf_counter()
        claims = scan_and_claim(now, token=f"bench{n}")
        first = time.perf_counter() - start
    queries = len(ctx.captured_queries)
    start = time.perf_counter()
    again = scan_and_claim(now, token=f"again{n}")  # the same day again: nothing new
    second = time.perf_counter() - start
    print(
        f"  {n:>7,} credentials ({connection.vendor}): {len(claims):>5,} due, claimed in "
        f"{first:.2f} s with {queries} queries; re-run the same day {second:.2f} s, "
        f"{len(again)} new"
    )

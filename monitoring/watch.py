"""The nightly watch: a check of every testable section of every shop, spread so that no host
gets more than WATCH_HOST_CONCURRENCY calls at once.

The checks are made by shops.checks.create_batch (one CheckBatch: the 全ショップ接続確認 page
shows its progress) and run by shops.checks.execute_check, so each result is recorded as any
other check and moves the section's state (monitoring.state).

Spreading: the checks are grouped by the host their section calls (Section.watch_host); a
host's checks are dealt into at most WATCH_HOST_CONCURRENCY streams, and the streams are
packed into at most WATCH_LANES lanes. A lane is one Celery task that runs its checks one
after the other, so a host never has more calls in flight than it has streams, whatever the
number of workers. A lane is also cheaper than a task per check: the broker carries one
message per lane, not one per check.
"""

from __future__ import annotations

import heapq
import logging
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from connectors.base import registry
from connectors.checks import CheckResult
from connectors.runner import section_values
from shops import checks
from shops.models import CheckBatch, ConnectionCheck, Shop

from .models import WatchRun

log = logging.getLogger(__name__)


def plan_lanes(items, *, per_host: int, lanes: int) -> list[list[int]]:
    """items: (check id, host). Returns lanes of check ids.

    Each host's checks go into at most `per_host` streams; streams are packed, longest
    first, into at most `lanes` lanes (each lane runs its streams' checks one at a time,
    taking the streams in turn). So a host's checks run at most `per_host` at a time."""
    by_host: dict[str, list[int]] = defaultdict(list)
    for check_id, host in items:
        by_host[host].append(check_id)
    streams = []
    for host, ids in by_host.items():
        # Calls that go nowhere (untestable sections) need no limit.
        n = len(ids) if not host else min(per_host, len(ids))
        n = min(n, lanes)
        streams += [ids[i::n] for i in range(n)]
    streams.sort(key=len, reverse=True)
    count = min(lanes, len(streams))
    heap = [(0, i) for i in range(count)]
    packed: list[list[list[int]]] = [[] for _ in range(count)]
    for stream in streams:
        load, i = heapq.heappop(heap)
        packed[i].append(stream)
        heapq.heappush(heap, (load + len(stream), i))
    result = []
    for group in packed:
        lane, longest = [], max(len(s) for s in group)
        for k in range(longest):  # take the lane's streams in turn
            lane += [s[k] for s in group if k < len(s)]
        result.append(lane)
    return result


def host_of(shop: Shop, section) -> str:
    values, _secrets = section_values(section, shop.settings or {}, {})
    try:
        return section.watch_host(values)
    except Exception:  # noqa: BLE001 - a bad stored value never stops the watch
        return ""


@dataclass
class Started:
    run: WatchRun | None
    batch: CheckBatch | None
    lanes: list[list[int]]
    reason: str = ""


def start(*, slot: str = "", trigger: str = WatchRun.COMMAND, send=True) -> Started:
    """Create the watch's checks and queue its lanes.

    `slot` names a scheduled run (the date of the beat): a second scheduler asking for the
    same slot finds it taken and starts nothing. Raises shops.checks.RateLimited while
    another batch of every shop is still running (the caller retries later)."""
    with transaction.atomic():
        try:
            with transaction.atomic():
                run = WatchRun.objects.create(slot=slot or None, trigger=trigger)
        except IntegrityError:
            return Started(None, None, [], reason="already started for this slot")
        batch, created = checks.create_batch(Shop.objects.all())
        run.batch = batch
        run.save(update_fields=["batch"])
        shops = Shop.objects.in_bulk(
            {c.shop_id for c in created}, field_name="pk"
        )  # settings are needed for the hosts
        items = []
        for check in created:
            shop = shops[check.shop_id]
            section = shop.connector.section(check.section)
            items.append((check.pk, host_of(shop, section)))
        lanes = plan_lanes(
            items, per_host=settings.WATCH_HOST_CONCURRENCY, lanes=settings.WATCH_LANES
        )
        run.lanes = len(lanes)
        run.save(update_fields=["lanes"])
        if send:
            transaction.on_commit(lambda: send_lanes(lanes))
    return Started(run, batch, lanes)


def send_lanes(lanes: list[list[int]]) -> None:
    from .tasks import run_lane

    with run_lane.app.producer_or_acquire() as producer:
        for lane in lanes:
            run_lane.apply_async((lane,), producer=producer)


def run_lane(ids: list[int], *, deadline=None) -> list[int]:
    """Run a lane's checks one after the other; a transient failure is tried again after the
    lane's other checks (CONNECTION_CHECK_RETRIES times). Returns the ids left when the
    deadline (a monotonic time) passed, for another task to take over."""
    import time

    retries = settings.CONNECTION_CHECK_RETRIES
    pending = list(ids)
    for attempt in range(retries + 1):
        again = []
        for index, check_id in enumerate(pending):
            if deadline is not None and time.monotonic() > deadline:
                return pending[index:] + again
            try:
                done = checks.execute_check(check_id, final_attempt=attempt >= retries)
            except Exception as exc:  # noqa: BLE001 - one bad shop never stops the watch
                log.exception("watch: check %s failed to run", check_id)
                _record_failure(check_id, exc)
                continue
            if done is None:
                again.append(check_id)
        pending = again
        if not pending:
            break
    return []


def _record_failure(check_id: int, exc: Exception) -> None:
    check = ConnectionCheck.objects.select_related("shop").filter(pk=check_id).first()
    if check is None or check.is_done or check.shop.mall not in registry:
        return
    try:
        section = check.shop.connector.section(check.section)
        checks.record(check, section, CheckResult.fail("unexpected", type(exc).__name__), 0)
    except Exception:  # noqa: BLE001 - the recovery of stuck checks takes it from here
        log.exception("watch: check %s could not be recorded", check_id)


def next_slot(now=None) -> str:
    """The beat's slot: the local date of the run."""
    return timezone.localdate(now).isoformat()

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
import time
from collections import defaultdict
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, connection, transaction
from django.db.models import F
from django.utils import timezone

from connectors.base import registry
from connectors.checks import CheckResult
from connectors.runner import section_values
from shops import checks
from shops.models import CheckBatch, ConnectionCheck, Shop
from shops.oauth import callback_url
from tempostar.security import forget_secrets, redact

from .models import SectionState, WatchRun
from .state import state_of

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


def start(*, slot: str = "", trigger: str = WatchRun.COMMAND) -> Started:
    """Create the watch's checks and plan its lanes (monitoring.tasks.start_watch queues them).

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
    return Started(run, batch, lanes)


CHUNK = 25  # checks read, marked and written together


class LaneInterrupted(Exception):
    """The database failed under a lane: `left` are the checks to run again later."""

    def __init__(self, left: list[int]):
        super().__init__(f"{len(left)} checks left")
        self.left = left


def run_lane(ids: list[int], *, deadline=None, resumed=False) -> list[int]:
    """Run a lane's checks one after the other; a transient failure is tried again after the
    lane's other checks (CONNECTION_CHECK_RETRIES times). Returns the ids left when the
    deadline (a monotonic time) passed, for another task to take over.

    The checks are read and marked running CHUNK at a time, and a result that changes
    nothing (the section's state stays as it was, the check learnt nothing to store) is
    written with one UPDATE of the check row; the states of such checks get one UPDATE per
    chunk, guarded by the state expected. Every other result, and any check whose state
    moved meanwhile, goes through shops.checks.record(), so each change of state is seen
    where a check is recorded (monitoring.state).

    When the database fails (down, too many connections), LaneInterrupted carries the checks
    not done yet; `resumed` lanes also take up their checks left running."""
    retries = settings.CONNECTION_CHECK_RETRIES
    pending = list(ids)
    for attempt in range(retries + 1):
        again = []
        for at in range(0, len(pending), CHUNK):
            if deadline is not None and time.monotonic() > deadline:
                return pending[at:] + again
            chunk = pending[at : at + CHUNK]
            try:
                again += _run_chunk(chunk, final=attempt >= retries, resumed=resumed)
            except (OperationalError, InterfaceError) as exc:
                log.warning("watch: the database failed (%s); the lane goes on later", exc)
                raise LaneInterrupted(pending[at:] + again) from None
            except Exception as exc:  # noqa: BLE001 - one bad shop never stops the watch
                log.exception("watch: a chunk of checks failed; running them one by one")
                again += _run_one_by_one(chunk, attempt >= retries, exc)
        pending = again
        if not pending:
            break
    return []


def _run_one_by_one(ids, final, error) -> list[int]:
    again = []
    for check_id in ids:
        try:
            if checks.execute_check(check_id, final_attempt=final) is None:
                again.append(check_id)
        except Exception as exc:  # noqa: BLE001
            log.exception("watch: check %s failed to run", check_id)
            _record_failure(check_id, exc)
    return again


def _run_chunk(ids: list[int], *, final: bool, resumed: bool = False) -> list[int]:
    forget_secrets()  # logs mask the secrets of this chunk's shops only
    now = timezone.now()
    statuses = [ConnectionCheck.PENDING] + ([ConnectionCheck.RUNNING] if resumed else [])
    found = list(
        ConnectionCheck.objects.filter(pk__in=ids, status__in=statuses)
        .select_related("shop")
        .order_by()
    )
    if not found:
        return []
    order = {pk: i for i, pk in enumerate(ids)}
    found.sort(key=lambda c: order[c.pk])
    ConnectionCheck.objects.filter(pk__in=[c.pk for c in found]).update(
        status=ConnectionCheck.RUNNING, started_at=now, attempts=F("attempts") + 1
    )
    states = {
        (shop_id, section): (pk, state)
        for pk, shop_id, section, state in SectionState.objects.filter(
            shop_id__in={c.shop_id for c in found}
        ).values_list("pk", "shop_id", "section", "state")
    }
    again, quiet, slow = [], [], []
    callback = callback_url()
    for check in found:
        shop = check.shop
        section = shop.connector.section(check.section)
        result, latency = checks.run_section(shop, section, callback=callback)
        if result.transient and not final:
            again.append(check.pk)
            continue
        known = states.get((check.shop_id, check.section))
        if (
            known is not None
            and known[1] == state_of(result.status)
            and not (result.store or result.store_secrets)
        ):
            quiet.append((check, result, latency, known[0]))
        else:
            slow.append((check, section, result, latency))
    if again:
        ConnectionCheck.objects.filter(pk__in=again).update(status=ConnectionCheck.PENDING)
    slow += _write_quiet(quiet)
    for check, section, result, latency in slow:
        checks.record(check, section, result, latency)
    return again


_CHECK_COLUMNS = ("status", "code", "detail", "info", "latency_ms", "finished_at")


def _write_quiet(quiet) -> list:
    """Write results that change no state; returns those whose state moved meanwhile."""
    if not quiet:
        return []
    now = timezone.now()
    moved = []
    with transaction.atomic():
        groups = defaultdict(list)
        for _check, result, _latency, state_pk in quiet:
            groups[(state_of(result.status), result.code)].append(state_pk)
        for (state, code), pks in groups.items():
            updated = SectionState.objects.filter(pk__in=pks, state=state).update(
                last_code=code, checked_at=now
            )
            if updated != len(pks):
                still = set(
                    SectionState.objects.filter(pk__in=pks, state=state).values_list(
                        "pk", flat=True
                    )
                )
                moved += [pk for pk in pks if pk not in still]
        meta = ConnectionCheck._meta
        fields = [meta.get_field(name) for name in _CHECK_COLUMNS]
        quote = connection.ops.quote_name
        sql = (
            f"UPDATE {quote(meta.db_table)} SET "
            + ", ".join(f"{quote(f.column)} = %s" for f in fields)
            + f" WHERE {quote(meta.pk.column)} = %s"
        )
        rows, late = [], []
        for check, result, latency, state_pk in quiet:
            if state_pk in moved:
                late.append((check, check.shop.connector.section(check.section), result, latency))
                continue
            values = (
                result.status,
                result.code,
                redact(result.detail)[:2000],
                result.info,
                latency,
                now,
            )
            rows.append(
                [f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)]
                + [check.pk]
            )
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(sql, rows)
    return late


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


def due(now=None) -> bool:
    """HEALTH_WATCH_TIME has passed today (local time) and today's watch has not started."""
    now = timezone.localtime(now)
    hour, minute = (int(x) for x in settings.HEALTH_WATCH_TIME.split(":"))
    if (now.hour, now.minute) < (hour, minute):
        return False
    return not WatchRun.objects.filter(slot=next_slot(now)).exists()

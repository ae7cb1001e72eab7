"""Celery tasks of the watch: the nightly start (beat, HEALTH_WATCH_TIME), the lanes, and
the sending of alerts (right after a change, and a sweep that retries what failed)."""

import logging
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction

from shops.checks import RateLimited

from . import notify, state, watch

logger = logging.getLogger(__name__)

LANE_SOFT_LIMIT = 3000  # seconds; a longer lane hands its remaining checks to a new task
LANE_TRIES = 8  # a lane whose database failed is sent again this many times


@shared_task(bind=True, name="monitoring.watch_connections", max_retries=24)
def watch_connections(self, slot: str = "") -> dict:
    """Start the day's watch once HEALTH_WATCH_TIME has passed (beat asks every 10 minutes;
    one watch per slot however many schedulers ask, and a missed beat catches up)."""
    if not slot and not watch.due():
        return {"started": False, "reason": "not yet time"}
    try:
        started = start_watch(slot=slot or watch.next_slot(), trigger="beat")
    except RateLimited:
        # A test of all shops is running: try again in 5 minutes (for up to 2 hours).
        raise self.retry(countdown=300) from None
    if started.run is None:
        return {"started": False, "reason": started.reason}
    return {"started": True, "batch": started.batch.pk, "lanes": len(started.lanes)}


@shared_task(
    name="monitoring.run_lane",
    soft_time_limit=LANE_SOFT_LIMIT + 60,
    time_limit=LANE_SOFT_LIMIT + 120,
    acks_late=True,
)
def run_lane(ids: list[int], tries: int = 0) -> int:
    """Run one lane's checks one at a time (ids only: secrets are decrypted per check).

    A lane past its time hands the rest to a new task; a lane whose database failed sends
    the rest again after a backoff (up to LANE_TRIES times; then the recovery of stuck
    checks takes over)."""
    try:
        left = watch.run_lane(ids, deadline=time.monotonic() + LANE_SOFT_LIMIT, resumed=tries > 0)
    except SoftTimeLimitExceeded:
        return 0  # the recovery of stuck checks takes over
    except watch.LaneInterrupted as interrupted:
        from django.db import connection

        connection.close()  # a broken connection is not reused
        if tries < LANE_TRIES:
            run_lane.apply_async(
                (interrupted.left,), {"tries": tries + 1}, countdown=min(30 * 2**tries, 300)
            )
        return len(ids) - len(interrupted.left)
    if left:
        run_lane.apply_async((left,), {"tries": tries})
    return len(ids) - len(left)


@shared_task(name="monitoring.deliver_alert", soft_time_limit=300, time_limit=360)
def deliver_alert(alert_id: int) -> dict:
    return notify.deliver(alert_id)


@shared_task(name="monitoring.deliver_due_alerts", soft_time_limit=600, time_limit=700)
def deliver_due_alerts() -> int:
    """Beat, every few minutes: alerts whose sending failed (after the backoff), was never
    queued, or was abandoned by a worker that died."""
    ids = notify.due_alert_ids()
    for alert_id in ids:
        try:
            notify.deliver(alert_id)
        except SoftTimeLimitExceeded:
            raise
        except Exception:  # one alert that cannot be built or sent never stops the others
            logger.exception("delivery of alert %s failed", alert_id)
    return len(ids)


# ---- queueing (the modules below the tasks never import them: no cycle) -----------------------


def start_watch(**kwargs) -> watch.Started:
    """Create the watch's checks and send its lanes once they are committed."""
    with transaction.atomic():
        started = watch.start(**kwargs)
        if started.lanes:
            lanes = started.lanes
            transaction.on_commit(lambda: send_lanes(lanes))
    return started


def send_lanes(lanes: list[list[int]]) -> None:
    with run_lane.app.producer_or_acquire() as producer:
        for lane in lanes:
            run_lane.apply_async((lane,), producer=producer)


def on_check_recorded(sender, **kwargs):
    """The check_recorded receiver: move the state; an alert is sent once it is committed."""
    alert = state.on_check_recorded(sender, **kwargs)
    if alert is not None:
        alert_id = alert.pk
        transaction.on_commit(lambda: send_alert(alert_id))
    return alert


def send_alert(alert_id: int) -> None:
    try:
        deliver_alert.delay(alert_id)
    except Exception:  # noqa: BLE001 - the sweep (beat, every few minutes) sends it then
        logger.warning("alert %s: not queued; the sweep sends it", alert_id)

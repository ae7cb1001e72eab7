"""Each testable section of each shop is 正常 (ok), 異常 (failing) or 未確認 (unknown); a recorded
check moves it. An alert is made when a section starts failing and when it recovers, never
while nothing changes.

`on_check_recorded` runs inside shops.checks.record()'s transaction (the check_recorded
signal), so the state, the alert and its deliveries are committed together with the result,
or not at all. The steady case (the state did not change) is one UPDATE. A change locks the
state row and numbers the transition; the alert is unique per (state, number), so two
watches, a retried task or two workers recording the same change make one alert.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from connectors.checks import FAILED, SUCCESS

from .models import Alert, Delivery, SectionState


def state_of(status: str) -> str:
    if status == SUCCESS:
        return SectionState.OK
    if status == FAILED:
        return SectionState.FAILING
    return SectionState.UNKNOWN  # not set up, not signed in, nothing to test from outside


def alert_kind(old: str, new: str) -> str | None:
    if new == SectionState.FAILING and old != SectionState.FAILING:
        return Alert.FAILING
    if new == SectionState.OK and old == SectionState.FAILING:
        return Alert.RECOVERED
    return None


def on_check_recorded(sender, check, section, result, **kwargs) -> Alert | None:
    new = state_of(check.status)
    now = check.finished_at or timezone.now()
    last = {"last_check": check, "last_code": check.code, "checked_at": now}
    rows = SectionState.objects.filter(shop_id=check.shop_id, section=check.section)
    if rows.filter(state=new).update(**last):
        return None  # no change: the usual case, one UPDATE
    with transaction.atomic():
        try:
            with transaction.atomic():  # the section's first result: one INSERT
                row = SectionState.objects.create(
                    shop_id=check.shop_id,
                    section=check.section,
                    state=new,
                    since=now,
                    transitions=0 if new == SectionState.UNKNOWN else 1,
                    **last,
                )
            old = SectionState.UNKNOWN
        except IntegrityError:  # it has a state: lock it, then compare
            row = rows.select_for_update().get()
            if row.state == new:  # another worker recorded the same change first
                rows.update(**last)
                return None
            old = row.state
            row.state, row.since, row.transitions = new, now, row.transitions + 1
            for name, value in last.items():
                setattr(row, name, value)
            row.save()
        kind = alert_kind(old, new)
        if kind is None:
            return None
        Alert.objects.bulk_create(
            [
                Alert(
                    state=row,
                    seq=row.transitions,
                    shop_id=check.shop_id,
                    section=check.section,
                    kind=kind,
                    code=check.code,
                    since=now,
                    check_run=check,
                )
            ],
            ignore_conflicts=True,
        )
        alert = Alert.objects.get(state=row, seq=row.transitions)
        from .notify import targets_for

        Delivery.objects.bulk_create(
            [Delivery(alert=alert, target=t) for t in targets_for(alert.shop)],
            ignore_conflicts=True,
        )
    return alert


def worst_states(shop_ids) -> dict[int, SectionState]:
    """The worst state of each shop (failing, then unknown, then ok)."""
    worst: dict[int, SectionState] = {}
    for row in SectionState.objects.filter(shop_id__in=shop_ids):
        seen = worst.get(row.shop_id)
        if seen is None or SectionState.PRIORITY[row.state] < SectionState.PRIORITY[seen.state]:
            worst[row.shop_id] = row
    return worst

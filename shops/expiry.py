"""Expiry tracking: the CredentialExpiry rows follow from each shop's settings and secrets."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from connectors.base import registry
from connectors.expiry import EARLIEST, LATEST
from connectors.fields import parse_number

from .models import CredentialExpiry, Shop


def expected_expiries(shop: Shop) -> dict[tuple[str, str], tuple]:
    """{(section, credential): (expires_at, issued_at, source)} for the shop as it is now."""
    if shop.mall not in registry:
        return {}
    settings_values = shop.settings or {}
    hints = shop.secret_hints or {}
    found = {}
    for section in shop.connector.sections:
        prefix = f"{section.key}."
        values = {k[len(prefix) :]: v for k, v in settings_values.items() if k.startswith(prefix)}
        for expiry in section.expiries:
            result = expiry.expires_at(values, lambda name, p=prefix: f"{p}{name}" in hints)
            if result:
                found[(section.key, expiry.credential)] = result
    return found


# Rows outside these moments were written before the bounds existed (a year-1 issue date is
# stored by PostgreSQL as a BC timestamp that psycopg cannot read back): readers skip them
# in SQL, without loading them, and the next write of the shop deletes them.
_LOW = datetime.combine(EARLIEST, time.min, tzinfo=UTC)
_HIGH = datetime.combine(LATEST, time.max, tzinfo=UTC)
_OUT_OF_RANGE = (
    Q(expires_at__lt=_LOW)
    | Q(expires_at__gt=_HIGH)
    | Q(issued_at__lt=_LOW)
    | Q(issued_at__gt=_HIGH)
)


def readable(queryset):
    """CredentialExpiry rows that can be read back on every database."""
    return queryset.exclude(_OUT_OF_RANGE)


def sync_expiries(shop: Shop, *, new: bool = False) -> None:
    """Insert, update or delete the shop's expiry rows to match its credentials (a shop just
    created has none yet: nothing to read)."""
    wanted = expected_expiries(shop)
    with transaction.atomic(savepoint=False):  # no savepoint when nested: all or nothing
        if not new:
            shop.expiries.filter(_OUT_OF_RANGE).delete()
        existing = {} if new else {(e.section, e.credential): e for e in shop.expiries.all()}
        for key, row in existing.items():
            if key not in wanted:
                row.delete()
        for (section, credential), (expires_at, issued_at, source) in wanted.items():
            row = existing.get((section, credential))
            if row is None:
                CredentialExpiry.objects.create(
                    shop=shop,
                    section=section,
                    credential=credential,
                    expires_at=expires_at,
                    issued_at=issued_at,
                    source=source,
                )
            elif (row.expires_at, row.issued_at, row.source) != (expires_at, issued_at, source):
                row.expires_at, row.issued_at, row.source = expires_at, issued_at, source
                row.save(update_fields=["expires_at", "issued_at", "source", "updated_at"])


def last_day(expires_at):
    """The local date of the last day the credential works (it ends at expires_at)."""
    return timezone.localdate(expires_at - timedelta(microseconds=1))


def days_left(expires_at, today=None) -> int:
    """Whole days from today (local) to the expiry's local date; negative once expired."""
    today = today or timezone.localdate()
    return (last_day(expires_at) - today).days


def describe(row: CredentialExpiry) -> dict:
    """Labels for a row, from its connector declaration. A row the connector no longer
    declares (a section or credential removed by an upgrade, dropped on the shop's next
    write) is labelled by its keys instead of stopping the page."""
    try:
        section = row.shop.connector.section(row.section)
        expiry = next(e for e in section.expiries if e.credential == row.credential)
    except (LookupError, StopIteration):
        return {
            "section": None,
            "section_key": row.section,
            "expiry": None,
            "label": f"{row.section} / {row.credential}",
        }
    return {
        "section": section,
        "section_key": section.key,
        "expiry": expiry,
        "label": f"{section.title} / {expiry.label}",
    }


DEFAULT_WITHIN, MAX_WITHIN = 30, 36500  # days; more than a century is "all"


def parse_within(raw: str) -> str:
    """The period an expiry list is asked for (the page's and the API's `within`): "all" or a
    number of days in ASCII or full-width digits. A number beyond a century means all;
    anything else (negative, other scripts' digits such as ² or ①, text) is the default."""
    raw = str(raw or "")[:100]
    if raw == "all":
        return raw
    try:
        days = parse_number(raw, "within", min_value=0, max_value=MAX_WITHIN)
    except ValidationError as exc:
        huge = exc.code == "range" and not raw.strip().startswith(("-", "－"))
        return "all" if huge else str(DEFAULT_WITHIN)
    return str(days)

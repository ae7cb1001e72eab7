"""Declarations of expiring credentials, and how each one's expiry date is known."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.utils import timezone

# Moments an expiry may be computed from or land on. Wider than what a form accepts
# (connectors.fields.DATE_MIN..DATE_MAX), narrow enough that adding a lifetime never overflows
# and that no timestamp before year 1 (which PostgreSQL stores as BC and psycopg cannot read
# back) is ever written. A stored value outside it counts as absent: never a crash.
EARLIEST, LATEST = date(1900, 1, 1), date(9000, 12, 31)


def _in_range(moment: datetime) -> bool:
    return EARLIEST <= moment.date() <= LATEST


def parse_moment(value) -> datetime | None:
    """An aware datetime from what a section stores: a datetime, a date or ISO text.

    None for an empty, unreadable or out-of-range value (EARLIEST..LATEST)."""
    if not value:
        return None
    try:
        if isinstance(value, datetime):
            parsed = value
        elif isinstance(value, date):
            parsed = datetime.combine(value, time.min)
        else:
            text = str(value)
            parsed = (
                datetime.fromisoformat(text)
                if "T" in text or " " in text
                else datetime.combine(date.fromisoformat(text[:10]), time.min)
            )
        if not _in_range(parsed):
            return None
        if timezone.is_naive(parsed):
            parsed = timezone.make_aware(parsed)
    except (ValueError, TypeError, OverflowError):
        return None
    return parsed


@dataclass(frozen=True)
class Expiry:
    """A credential of a section that expires.

    The expiry is, in order of preference: a date fetched from the mall (`fetched_from`, a
    stored value written by a connection test or the token endpoint), the expiry date the
    user entered (`expires_from`, a date field: for a credential whose lifetime the mall does
    not publish), or the issue date (`issued_from`: a date the user enters, or the time of an
    OAuth sign-in) plus the lifetime (None: no lifetime is known).
    Tracked only while `requires` (a secret or value of the section) is set.
    """

    credential: str
    label: Any
    lifetime: Any  # timedelta or relativedelta, or callable(values) -> one of those, or None
    requires: str
    issued_from: str = ""
    fetched_from: str = ""
    renew: Any = ""  # the renewal steps, for the page and the reminder e-mail
    expires_from: str = ""

    def expires_at(self, values: dict, has_secret) -> tuple[Any, Any, str] | None:
        """(expires_at, issued_at, source) or None when not tracked. Datetimes are aware."""
        if not (values.get(self.requires) or has_secret(self.requires)):
            return None
        issued = parse_moment(values.get(self.issued_from)) if self.issued_from else None
        fetched = parse_moment(values.get(self.fetched_from)) if self.fetched_from else None
        if fetched is not None:
            if len(str(values[self.fetched_from])) <= 10:  # a date: works through that day
                fetched = fetched + timedelta(days=1)
            return fetched, issued, "fetched"
        if self.expires_from and values.get(self.expires_from):
            # A date entered by the user: the credential works through that day.
            return parse_moment(values[self.expires_from]) + timedelta(days=1), issued, "entered"
        if issued is None or self.lifetime is None:
            return None
        lifetime = self.lifetime(values) if callable(self.lifetime) else self.lifetime
        source = "entered" if self.issued_from.endswith("_on") else "computed"
        try:
            expires = issued + lifetime
        except (OverflowError, ValueError):
            return None
        if not _in_range(expires):
            return None
        return expires, issued, source

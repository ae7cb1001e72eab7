"""The expiry calendar (RFC 5545, written with the icalendar library): one all-day event per
tracked expiry, on the last day the credential works, with an alarm on each reminder day
(REMINDER_THRESHOLDS, the days the reminder e-mails go out) and those days in the
description. Calendars that ignore alarms in subscribed feeds (Google) still show the dates.
Names and links only: no secret."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from icalendar import Alarm, Calendar, Event

from connectors.base import registry
from shops.expiry import last_day, readable
from shops.models import CredentialExpiry


def build(now=None) -> bytes:
    now = now or timezone.now()
    host = urlsplit(settings.SITE_URL).hostname or "tempostar"
    thresholds = sorted({t for t in settings.REMINDER_THRESHOLDS if t >= 0}, reverse=True)
    with translation.override(settings.LANGUAGE_CODE):
        cal = Calendar()
        cal.add("prodid", "-//TEMPOSTAR//expiry calendar//JA")
        cal.add("version", "2.0")
        cal.add("calscale", "GREGORIAN")
        cal.add("x-wr-calname", _("TEMPOSTAR expiry dates"))
        cal.add("x-wr-timezone", settings.TIME_ZONE)
        rows = readable(CredentialExpiry.objects.select_related("shop")).order_by(
            "expires_at", "pk"
        )
        for row in rows.iterator(chunk_size=1000):
            shop = row.shop
            if shop.mall not in registry:
                continue
            try:
                section = shop.connector.section(row.section)
                expiry = section.expiry(row.credential)
            except LookupError:
                continue
            day = last_day(row.expires_at)
            link = (
                settings.SITE_URL.rstrip("/")
                + reverse("shops:detail", args=[shop.code])
                + f"#section-{section.key}"
            )
            reminders = []
            for t in thresholds:
                when = _("%(n)d days before") % {"n": t} if t else _("on the day")
                reminders.append(f"{(day - timedelta(days=t)).isoformat()} ({when})")
            event = Event()
            event.add("uid", f"expiry-{shop.code}-{row.section}-{row.credential}@{host}")
            event.add("dtstamp", row.updated_at or now)
            event.add("dtstart", day)
            event.add("dtend", day + timedelta(days=1))
            event.add("transp", "TRANSPARENT")
            event.add(
                "summary",
                _("Expires: %(shop)s %(mall)s / %(credential)s")
                % {
                    "shop": shop.short_name,
                    "mall": shop.connector.label,
                    "credential": f"{section.title} / {expiry.label}",
                },
            )
            shop_label, through = _("Shop"), _("Works through")
            reminder_label, renew_label = _("Reminder days"), _("How to renew")
            lines = [
                f"{shop_label}: {shop.name} ({shop.code})",
                f"{through}: {day.isoformat()}",
                f"{reminder_label}: " + ", ".join(reminders),
            ]
            if expiry.renew:
                lines.append(f"{renew_label}: {expiry.renew}")
            lines.append(link)
            event.add("description", "\n".join(lines))
            event.add("url", link)
            for t in thresholds:
                alarm = Alarm()
                alarm.add("action", "DISPLAY")
                alarm.add("description", event["summary"])
                # Relative to the event's start (the last day, 00:00 local): 9:00 that day.
                alarm.add("trigger", timedelta(days=-t, hours=9))
                event.add_component(alarm)
            cal.add_component(event)
    return cal.to_ical()

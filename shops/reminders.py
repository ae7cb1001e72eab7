"""Expiry reminder e-mails: one per (credential, expiry date, threshold), claimed before sending.

A run (daily, from beat; or `manage.py send_expiry_reminders`) scans CredentialExpiry once,
works out for each credential the most urgent threshold already crossed (so after downtime
only that one is sent), and inserts a ReminderClaim per reminder with ON CONFLICT DO NOTHING.
The unique constraint makes a second scheduler, a retried task or a re-run lose the race and
send nothing. Claims whose SMTP send failed are retried by later runs, with backoff, until
sent; a claim left pending by a worker that died mid-send is taken over after a lease.
"""

from __future__ import annotations

import smtplib
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from connectors.base import registry

from .expiry import days_left
from .models import CredentialExpiry, ReminderClaim, Shop

LEASE = timedelta(minutes=15)


def most_urgent_crossed(days: int, thresholds: list[int]) -> int | None:
    """The smallest threshold t with days <= t, i.e. the latest reminder now due."""
    crossed = [t for t in thresholds if days <= t]
    return min(crossed) if crossed else None


@dataclass
class RunReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    lines: list = None


def scan_and_claim(now=None, *, token: str, dry_run: bool = False) -> list:
    """Claim the reminders now due. Returns the claims this run owns (or would, dry run)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    thresholds = sorted(settings.REMINDER_THRESHOLDS)
    horizon = now + timedelta(days=max(thresholds) + 1)
    due = []
    rows = CredentialExpiry.objects.filter(expires_at__lte=horizon).values_list(
        "shop_id", "section", "credential", "expires_at"
    )
    for shop_id, section, credential, expires_at in rows.iterator(chunk_size=5000):
        threshold = most_urgent_crossed(days_left(expires_at, today), thresholds)
        if threshold is not None:
            due.append(
                ReminderClaim(
                    shop_id=shop_id,
                    section=section,
                    credential=credential,
                    expires_at=expires_at,
                    threshold=threshold,
                    run_token=token,
                    claimed_at=now,
                )
            )
    if dry_run:
        taken = set(
            ReminderClaim.objects.filter(expires_at__lte=horizon).values_list(
                "shop_id", "section", "credential", "expires_at", "threshold"
            )
        )
        return [
            c
            for c in due
            if (c.shop_id, c.section, c.credential, c.expires_at, c.threshold) not in taken
        ]
    insert_claims(due)
    # Failed sends whose backoff is over, and sends abandoned by a dead worker.
    ReminderClaim.objects.filter(
        Q(status=ReminderClaim.FAILED, next_attempt_at__lte=now)
        | Q(status=ReminderClaim.PENDING, claimed_at__lt=now - LEASE)
    ).update(run_token=token, claimed_at=now, status=ReminderClaim.PENDING)
    return list(ReminderClaim.objects.filter(run_token=token, status=ReminderClaim.PENDING))


CLAIM_COLUMNS = (
    "shop_id",
    "section",
    "credential",
    "expires_at",
    "threshold",
    "status",
    "run_token",
    "claimed_at",
    "attempts",
    "last_error",
)


def insert_claims(claims: list[ReminderClaim]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING in one executemany, whatever the number of rows
    (bulk_create would split into many statements on SQLite). Portable: SQLite and
    PostgreSQL both accept it."""
    if not claims:
        return
    meta = ReminderClaim._meta
    fields = [meta.get_field(c.removesuffix("_id") if c == "shop_id" else c) for c in CLAIM_COLUMNS]
    quote = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) ON CONFLICT DO NOTHING"
    )
    rows = [
        [f.get_db_prep_save(getattr(claim, f.attname), connection) for f in fields]
        for claim in claims
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def run(now=None, *, dry_run: bool = False, mail_connection=None) -> RunReport:
    now = now or timezone.now()
    token = uuid.uuid4().hex
    claims = scan_and_claim(now, token=token, dry_run=dry_run)
    report = RunReport(claimed=len(claims), lines=[])
    shops = Shop.objects.in_bulk({c.shop_id for c in claims})
    mail_connection = mail_connection or get_connection()
    for claim in claims:
        shop = shops.get(claim.shop_id)
        if shop is None or shop.mall not in registry:
            continue
        message = build_message(shop, claim, now)
        line = (
            f"{shop.code} {claim.section}.{claim.credential} {claim.threshold:+d}d "
            f"-> {', '.join(message.to + message.bcc) or '(no recipient)'}"
        )
        if dry_run:
            report.lines.append(f"would send: {line}")
            continue
        try:
            if message.to or message.bcc:
                message.connection = mail_connection
                message.send()
        except (smtplib.SMTPException, OSError) as exc:
            # Never lost: a later run retries after the backoff. Never a secret: only the type.
            backoff = timedelta(minutes=5 * 2 ** min(claim.attempts, 6))
            ReminderClaim.objects.filter(pk=claim.pk, run_token=token).update(
                status=ReminderClaim.FAILED,
                attempts=claim.attempts + 1,
                next_attempt_at=now + backoff,
                last_error=type(exc).__name__,
            )
            report.failed += 1
            report.lines.append(f"failed ({type(exc).__name__}): {line}")
            continue
        ReminderClaim.objects.filter(pk=claim.pk, run_token=token).update(
            status=ReminderClaim.SENT, sent_at=now, attempts=claim.attempts + 1
        )
        report.sent += 1
        report.lines.append(f"sent: {line}")
    return report


def recipients(shop: Shop) -> tuple[list[str], list[str]]:
    own = [a.strip() for a in (shop.notify_emails or "").split(",") if a.strip()]
    staff = [a for a in settings.REMINDER_STAFF_EMAILS if a not in own]
    return own, staff


def build_message(shop: Shop, claim: ReminderClaim, now) -> EmailMessage:
    section = shop.connector.section(claim.section)
    expiry = next(e for e in section.expiries if e.credential == claim.credential)
    days = days_left(claim.expires_at, timezone.localdate(now))
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "shop": shop,
            "mall": shop.connector.label,
            "credential": f"{section.title} / {expiry.label}",
            "expires_on": timezone.localdate(claim.expires_at - timedelta(microseconds=1)),
            "expires_at": timezone.localtime(claim.expires_at),
            "days": days,
            "expired": days < 0 or claim.expires_at <= now,
            "renew": expiry.renew,
            "url": settings.SITE_URL.rstrip("/")
            + reverse("shops:edit", args=[shop.code])
            + f"#section-{section.key}",
        }
        subject = render_to_string("shops/email/expiry_subject.txt", context).strip()
        body = render_to_string("shops/email/expiry_body.txt", context)
    own, staff = recipients(shop)
    to, bcc = (own, staff) if own else (staff, [])
    return EmailMessage(
        subject=subject,
        body=body,
        to=to,
        bcc=bcc,
        headers={
            "Message-ID": f"<reminder-{claim.shop_id}-{claim.section}-{claim.credential}-"
            f"{claim.expires_at:%Y%m%d%H%M}-{claim.threshold}@tempostar>"
        },
    )

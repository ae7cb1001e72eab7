"""Expiry reminder e-mails: one per (credential, expiry date, threshold), claimed before sending.

A run (beat, every REMINDER_EVERY_MINUTES from REMINDER_TIME to the end of the day; or
`manage.py send_expiry_reminders`) scans CredentialExpiry once, works out for each credential
the most urgent threshold already crossed (so after downtime only that one is sent), and
inserts a ReminderClaim per reminder with ON CONFLICT DO NOTHING. The unique constraint makes
a second scheduler, a retried task or a re-run lose the race and send nothing. Claims whose
send failed are retried by later runs of the same day, after a backoff; a claim left by a run
that died is taken over after a lease.

Sending: REMINDER_CHUNK_SIZE e-mails per SMTP connection; no new e-mail is started after
REMINDER_RUN_SECONDS (the rest are released for a follow-up run), so the task's time limit
never interrupts a mail. Each reminder is isolated: one that cannot be built or sent is
recorded with its reason (no_recipient is shown on the 有効期限 page as 送信先なし) and the
run goes on with the others.

Duplicates (docs/reliability.md): SMTP gives the sender one moment of doubt, between sending
the end of the message (the final ".") and reading the server's reply. The claim is marked
"sending" just before that moment; every failure before it is retried without any chance
of a duplicate. The only e-mails that can arrive twice are those whose claim was "sending"
when the run lost the server's reply (connection lost or reply timeout after the final ".")
or died (worker killed, database away before the result was written): such a claim is sent
again, with the same Message-ID, so nothing is lost and most mail programs show one copy.
"""

from __future__ import annotations

import logging
import re
import smtplib
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend
from django.core.mail.message import sanitize_address
from django.core.validators import validate_email
from django.db import InterfaceError, OperationalError, connection
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from connectors.base import registry
from monitoring.notify import notify_chat
from tempostar.text import header_text

from .expiry import days_left, last_day, readable
from .models import CredentialExpiry, ReminderClaim, Shop

logger = logging.getLogger(__name__)

DB_ERRORS = (OperationalError, InterfaceError)


def _limits() -> tuple[int, int]:
    """The task's soft and hard time limits: the sending budget, one more e-mail at its
    slowest (connect, commands, the wait for the reply to its end), and a margin."""
    slowest_mail = 4 * settings.REMINDER_SMTP_TIMEOUT + settings.REMINDER_SMTP_DATA_TIMEOUT
    soft = int(settings.REMINDER_RUN_SECONDS + slowest_mail + 60)
    return soft, soft + 60


RUN_SOFT_TIME_LIMIT, RUN_TIME_LIMIT = _limits()


def lease() -> timedelta:
    """A claim older than this whose run has not finished it belongs to a run that died:
    longer than any run can last (its hard time limit) and than a chunk takes."""
    return timedelta(seconds=max(15 * 60, _limits()[1] + 60))


def backoff(attempts: int) -> timedelta:
    """REMINDER_RETRY_AFTER (5 minutes) after the first failure, doubling, at most an hour:
    retried the same day."""
    first = settings.REMINDER_RETRY_AFTER
    return timedelta(seconds=min(3600, first * 2 ** min(max(0, attempts - 1), 10)))


def within_sending_hours(now=None) -> bool:
    """From REMINDER_TIME to midnight (TIME_ZONE): when the scheduled runs send."""
    local = timezone.localtime(now or timezone.now())
    hour, minute = (int(x) for x in settings.REMINDER_TIME.split(":"))
    return (local.hour, local.minute) >= (hour, minute)


def most_urgent_crossed(days: int, thresholds: list[int]) -> int | None:
    """The smallest threshold t with days <= t, i.e. the latest reminder now due."""
    crossed = [t for t in thresholds if days <= t]
    return min(crossed) if crossed else None


@dataclass
class RunReport:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    no_recipient: int = 0
    uncertain: int = 0  # lost the reply to the end of the message: sent again later
    dropped: int = 0
    more: bool = False  # the time budget ran out: a follow-up run sends the rest
    connections: int = 0
    lines: list = field(default_factory=list)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "lines"}


def scan_and_claim(now=None, *, token: str, dry_run: bool = False) -> list:
    """Claim the reminders now due. Returns the claims this run owns (or would, dry run)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    thresholds = sorted(settings.REMINDER_THRESHOLDS)
    horizon = now + timedelta(days=max(thresholds) + 1)
    due = []
    rows = readable(CredentialExpiry.objects.filter(expires_at__lte=horizon)).values_list(
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
    # Failed sends whose backoff is over, claims released by a run that ran out of time,
    # and claims of a run that died (pending, or sending: see the module's docstring).
    stale = now - lease()
    ReminderClaim.objects.filter(
        Q(status=ReminderClaim.FAILED, next_attempt_at__lte=now)
        | Q(status=ReminderClaim.PENDING, run_token="")
        | Q(status__in=[ReminderClaim.PENDING, ReminderClaim.SENDING], claimed_at__lt=stale)
    ).update(run_token=token, claimed_at=now, status=ReminderClaim.PENDING)
    return list(
        ReminderClaim.objects.filter(run_token=token, status=ReminderClaim.PENDING).order_by(
            "expires_at", "pk"
        )
    )


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


# ---- sending -------------------------------------------------------------------------------


class NotSent(Exception):
    """The server did not take the message (no duplicate possible): retry after backoff."""


class Uncertain(Exception):
    """The reply to the end of the message never came: it may have been delivered."""


class LostClaim(Exception):
    """Another run took the claim over (this one was too slow): leave the e-mail to it."""


class MailSession:
    """One SMTP connection for a chunk of e-mails. For the SMTP backend the transaction is
    driven step by step so that `before_end` (marking the claim) runs just before the final
    "." of DATA; other backends (files, memory, console) deliver locally in one step."""

    def __init__(self):
        self.backend = get_connection()
        self.smtp = isinstance(self.backend, SmtpBackend)
        if self.smtp and self.backend.timeout is None:
            self.backend.timeout = settings.REMINDER_SMTP_TIMEOUT
        self.opened = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        try:
            self.backend.close()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail
            pass
        if self.smtp:
            self.backend.connection = None

    def _connection(self) -> smtplib.SMTP:
        if self.backend.connection is None:
            try:
                self.backend.open()
            except (smtplib.SMTPException, OSError) as exc:
                self.backend.connection = None
                raise NotSent(f"connect: {type(exc).__name__}") from exc
            self.opened += 1
        return self.backend.connection

    def send(self, message: EmailMessage, before_end) -> None:
        if not self.smtp:
            before_end()
            self.opened = self.opened or 1
            try:
                sent = self.backend.send_messages([message])
            except Exception as exc:
                raise NotSent(type(exc).__name__) from exc
            if not sent:
                raise NotSent("not sent")
            return
        smtp = self._connection()
        encoding = message.encoding or settings.DEFAULT_CHARSET
        sender = sanitize_address(message.from_email, encoding)
        recipients = [sanitize_address(a, encoding) for a in message.recipients()]
        data = message.message().as_bytes(linesep="\r\n")
        try:
            smtp.ehlo_or_helo_if_needed()
            options = [f"SIZE={len(data)}"] if smtp.has_extn("size") else []
            code, reply = smtp.mail(sender, options)
            if code != 250:
                raise NotSent(f"MAIL FROM: {code}")
            accepted = [r for r in recipients if smtp.rcpt(r)[0] in (250, 251)]
            if not accepted:
                raise NotSent("every recipient refused")
            code, reply = smtp.docmd("DATA")
            if code != 354:
                raise NotSent(f"DATA: {code}")
            body = re.sub(rb"(?m)^\.", b"..", data)
            if not body.endswith(b"\r\n"):
                body += b"\r\n"
            smtp.send(body)
        except NotSent:
            self._reset()
            raise
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise NotSent(type(exc).__name__) from exc
        try:
            before_end()
        except BaseException:
            self.close()  # without the final "." the server discards the message
            raise
        try:
            smtp.sock.settimeout(settings.REMINDER_SMTP_DATA_TIMEOUT)
            smtp.send(b".\r\n")
            code, reply = smtp.getreply()
            smtp.sock.settimeout(self.backend.timeout)
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise Uncertain(type(exc).__name__) from exc
        if code != 250:
            self._reset()
            raise NotSent(f"end of data: {code}")

    def _reset(self):
        try:
            self.backend.connection.rset()
        except Exception:  # noqa: BLE001
            self.close()


# ---- the run -------------------------------------------------------------------------------


def run(now=None, *, dry_run: bool = False) -> RunReport:
    now = now or timezone.now()
    token = uuid.uuid4().hex
    claims = scan_and_claim(now, token=token, dry_run=dry_run)
    report = RunReport(claimed=len(claims))
    shops = Shop.objects.in_bulk({c.shop_id for c in claims})
    if dry_run:
        for claim in claims:
            shop = shops.get(claim.shop_id)
            if shop is not None and shop.mall in registry:
                own, staff = recipients(shop)
                report.lines.append(f"would send: {describe(shop, claim, own + staff)}")
        return report
    current = _current_expiries(claims)
    deadline = time.monotonic() + settings.REMINDER_RUN_SECONDS
    size = max(1, settings.REMINDER_CHUNK_SIZE)
    done = 0
    try:
        for start in range(0, len(claims), size):
            chunk = claims[start : start + size]
            if time.monotonic() >= deadline:
                break
            # Renew the lease of the chunk about to be sent.
            ReminderClaim.objects.filter(
                pk__in=[c.pk for c in chunk], run_token=token, status=ReminderClaim.PENDING
            ).update(claimed_at=timezone.now())
            with MailSession() as session:
                for claim in chunk:
                    if time.monotonic() >= deadline:
                        break
                    send_one(claim, shops.get(claim.shop_id), current, session, token, now, report)
                    done += 1
                report.connections += session.opened
            if done < start + len(chunk):
                break
    except SoftTimeLimitExceeded:
        logger.warning("reminder run stopped by its time limit")
    finally:
        if done < len(claims):
            try:
                released = ReminderClaim.objects.filter(
                    run_token=token, status=ReminderClaim.PENDING
                ).update(run_token="")
            except DB_ERRORS:
                released = 0  # the lease hands them to a later run
            report.more = released > 0
    return report


def describe(shop: Shop, claim: ReminderClaim, to=()) -> str:
    return (
        f"{shop.code} {claim.section}.{claim.credential} {claim.threshold:+d}d "
        f"-> {', '.join(to) or '(no recipient)'}"
    )


def _current_expiries(claims) -> set:
    shop_ids = {c.shop_id for c in claims}
    return set(
        readable(CredentialExpiry.objects.filter(shop_id__in=shop_ids)).values_list(
            "shop_id", "section", "credential", "expires_at"
        )
    )


def send_one(claim, shop, current, session, token, now, report) -> None:
    """Build and send one reminder; whatever happens is recorded on its claim."""
    mine = ReminderClaim.objects.filter(pk=claim.pk, run_token=token)
    key = (claim.shop_id, claim.section, claim.credential, claim.expires_at)
    if shop is None or shop.mall not in registry or key not in current:
        # The shop's mall is gone, or the credential was renewed or removed meanwhile.
        mine.update(status=ReminderClaim.DROPPED, last_error="credential renewed or removed")
        report.dropped += 1
        return
    marked = []

    def before_end():
        if not mine.filter(status=ReminderClaim.PENDING).update(
            status=ReminderClaim.SENDING, attempts=F("attempts") + 1
        ):
            raise LostClaim()
        marked.append(True)

    try:
        message = build_message(shop, claim, now)
        line = describe(shop, claim, message.recipients())
        if not message.recipients():
            # No e-mail recipient: the chat destinations (if any) are the reminder.
            if chat(shop, message, report):
                _durable(lambda: mine.update(status=ReminderClaim.SENT, sent_at=timezone.now()))
                report.sent += 1
                report.lines.append(f"sent to chat only: {line}")
                return
            _failed(mine, claim, ReminderClaim.NO_RECIPIENT, now)
            report.no_recipient += 1
            report.lines.append(f"no recipient: {line}")
            return
        session.send(message, before_end)
    except LostClaim:
        return
    except Uncertain as exc:
        # Retried like a failure (nothing lost); this is the one duplicate window.
        _failed(mine, claim, f"no reply after the end of the message ({exc})", now, counted=True)
        report.uncertain += 1
        report.lines.append(f"uncertain ({exc}): {describe(shop, claim)}")
        return
    except NotSent as exc:
        _failed(mine, claim, str(exc), now, counted=bool(marked))
        report.failed += 1
        report.lines.append(f"failed ({exc}): {describe(shop, claim)}")
        return
    except (SoftTimeLimitExceeded, *DB_ERRORS):
        raise
    except Exception as exc:  # noqa: BLE001 - one reminder never stops the others
        logger.exception("reminder %s could not be sent", claim.pk)
        _failed(mine, claim, type(exc).__name__, now, counted=bool(marked))
        report.failed += 1
        report.lines.append(f"failed ({type(exc).__name__}): {describe(shop, claim)}")
        return
    _durable(lambda: mine.update(status=ReminderClaim.SENT, sent_at=timezone.now(), last_error=""))
    report.sent += 1
    report.lines.append(f"sent: {line}")
    chat(shop, message, report)


def chat(shop, message, report) -> int:
    """The same reminder to the shop's chat destinations (issue K); a chat failure is reported
    and never undoes the e-mail. Returns how many destinations took it."""
    try:
        outcome = notify_chat(shop, message.subject, message.body)
    except Exception as exc:  # noqa: BLE001 - chat is best effort beside the e-mail
        logger.exception("reminder chat for %s failed", shop.code)
        report.lines.append(f"chat failed ({type(exc).__name__}): {shop.code}")
        return 0
    for error in outcome.errors:
        report.lines.append(f"chat failed: {shop.code} {error}")
    return outcome.sent


def _failed(mine, claim, error: str, now, *, counted: bool = False) -> None:
    """Record a failure; a later run of the same day retries it after the backoff. The
    attempt was counted already when the claim was marked sending."""
    attempts = claim.attempts + 1
    _durable(
        lambda: mine.update(
            status=ReminderClaim.FAILED,
            attempts=F("attempts") if counted else F("attempts") + 1,
            next_attempt_at=now + backoff(attempts),
            last_error=error[:200],
        )
    )


def _durable(write) -> None:
    from tempostar.work import durably

    durably(write, tries=5)  # waits up to 7.5 s for the database


# ---- the message ---------------------------------------------------------------------------


def valid_addresses(values) -> list[str]:
    good = []
    for value in values:
        value = value.strip()
        if not value or header_text(value) != value:
            continue
        try:
            validate_email(value)
        except ValidationError:
            logger.warning("reminder recipient skipped: not an e-mail address")
            continue
        good.append(value)
    return good


def recipients(shop: Shop) -> tuple[list[str], list[str]]:
    own = valid_addresses((shop.notify_emails or "").split(","))
    staff = [a for a in valid_addresses(settings.REMINDER_STAFF_EMAILS) if a not in own]
    return own, staff


def annotate_rows(rows) -> None:
    """For the 有効期限 page: each CredentialExpiry row's reminder state (row.reminder: "none",
    "no_recipient", "pending", "sending", "sent", "failed" or "dropped") and its last claim."""
    rows = list(rows)
    if not rows:
        return
    claims = {}
    for claim in ReminderClaim.objects.filter(shop_id__in={r.shop_id for r in rows}).order_by(
        "threshold"
    ):  # the most urgent (latest) reminder of each credential first
        key = (claim.shop_id, claim.section, claim.credential, claim.expires_at)
        claims.setdefault(key, claim)
    for row in rows:
        claim = claims.get((row.shop_id, row.section, row.credential, row.expires_at))
        row.reminder_claim = claim
        own, staff = recipients(row.shop)
        if not (own or staff):
            row.reminder = "no_recipient"  # a problem whether or not a reminder is due yet
        else:
            row.reminder = claim.status if claim else "none"


def build_message(shop: Shop, claim: ReminderClaim, now) -> EmailMessage:
    section = shop.connector.section(claim.section)
    expiry = next(e for e in section.expiries if e.credential == claim.credential)
    days = days_left(claim.expires_at, timezone.localdate(now))
    with translation.override(settings.LANGUAGE_CODE):
        context = {
            "shop": shop,
            "mall": shop.connector.label,
            "credential": f"{section.title} / {expiry.label}",
            "expires_on": last_day(claim.expires_at),
            "expires_at": timezone.localtime(claim.expires_at),
            "days": days,
            "expired": days < 0 or claim.expires_at <= now,
            "renew": expiry.renew,
            "url": settings.SITE_URL.rstrip("/")
            + reverse("shops:edit", args=[shop.code])
            + f"#section-{section.key}",
        }
        subject = header_text(render_to_string("shops/email/expiry_subject.txt", context))
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

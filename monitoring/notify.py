"""Where alerts go, and sending them: e-mail as the reminders do (the shop's recipients and
REMINDER_STAFF_EMAILS), and chat through Apprise: every NOTIFY_URLS entry, the destinations
of the shop's mall and those of the shop (set by 管理者 in the console).

Apprise covers Slack, Discord, LINE (Messaging API), Microsoft Teams (Power Automate
Workflows: Microsoft retired the Office 365 connectors, and Apprise with them) and a generic
JSON webhook. Apprise has no Chatwork plugin, so `chatwork://TOKEN@ROOM_ID` is a small plugin
registered with Apprise's own decorator: it behaves as any other Apprise URL.

What is sent never holds a secret: shop, mall, section, the check's message, since when, what
to do and the link to the shop's page. Destination URLs carry tokens: decrypted only here, in
the worker, remembered so that logs mask them, never put in an error message.
"""

from __future__ import annotations

import hashlib
import logging
import re
import smtplib
from dataclasses import dataclass, field
from datetime import timedelta

import apprise
import requests
from django.conf import settings
from django.core.mail import BadHeaderError, EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from connectors.base import registry
from connectors.checks import message_for
from connectors.conf import setting
from connectors.transports.guard import GuardRefused, checked_address
from shops.models import Shop
from tempostar.crypto import DecryptionError
from tempostar.security import redact, remember_secrets
from tempostar.text import header_text

from .models import Alert, Delivery, Destination, url_hint  # noqa: F401 - url_hint re-exported

log = logging.getLogger(__name__)

MAIL = "mail"
# The services a 管理者 may choose in the console (Apprise's names for their URL schemes).
ALLOWED_SERVICES = {
    "slack",
    "discord",
    "workflow",
    "workflows",
    "line",
    "json",
    "jsons",
    "chatwork",
}
# Services whose host the user chooses: the connection guard checks it (no internal address).
USER_HOSTS = {"json", "jsons"}
MAX_URL_LENGTH = 2000
CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u2028-\u202e\u2060-\u2064\ufeff]")

# ---- Chatwork (no Apprise plugin: a small one behind Apprise's interface) -----------------

CHATWORK_API = "https://api.chatwork.com/v2"  # CHATWORK_API_BASE overrides (tests)
_registered = False


def _chatwork(body, title, notify_type, meta, *args, **kwargs) -> bool:
    """POST /rooms/{room_id}/messages with X-ChatWorkToken; form field `body`.
    https://developer.chatwork.com/reference/post-rooms-room_id-messages"""
    token, room = meta.get("user") or "", str(meta.get("host") or "")
    if not token or not (room.isascii() and room.isdigit()):
        log.warning("Chatwork: the URL needs chatwork://TOKEN@ROOM_ID")
        return False
    base = str(setting("CHATWORK_API_BASE", CHATWORK_API)).rstrip("/")
    text = f"[info][title]{title}[/title]{body}[/info]" if title else body
    try:
        response = requests.post(
            f"{base}/rooms/{room}/messages",
            headers={"X-ChatWorkToken": token},
            data={"body": text},
            timeout=(4, 4),
            allow_redirects=False,
        )
    except requests.RequestException as exc:
        log.warning("Chatwork: %s", type(exc).__name__)
        return False
    if response.status_code != 200:
        log.warning("Chatwork: HTTP %s", response.status_code)
        return False
    return True


def register_chatwork() -> None:
    global _registered
    if _registered:
        return
    from apprise.decorators import notify

    notify(on="chatwork", name="Chatwork")(_chatwork)
    _registered = True


# ---- URLs --------------------------------------------------------------------------------


class InvalidURL(ValueError):
    """The message is for the user (Japanese through gettext); it never quotes the URL."""


def service_of(plugin) -> str:
    names = set()
    for attr in ("protocol", "secure_protocol"):
        value = getattr(plugin, attr, None)
        if isinstance(value, str):
            names.add(value)
        elif value:
            names.update(value)
    found = names & ALLOWED_SERVICES
    return sorted(found)[0] if found else ""


def check_url(url: str, *, guard: bool = True, must_resolve: bool = True) -> str:
    """The service of an Apprise URL a 管理者 entered; raises InvalidURL with the reason.

    must_resolve=False (saving a destination): a host that does not resolve right now is
    accepted; every send checks it again through the guard."""
    register_chatwork()
    if not url or CONTROL.search(url) or url != url.strip():
        raise InvalidURL(_("The URL contains spaces, control or invisible characters."))
    if len(url) > MAX_URL_LENGTH:
        raise InvalidURL(
            _("The URL is too long (at most %(n)d characters).") % {"n": MAX_URL_LENGTH}
        )
    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    service = service_of(plugin) if plugin else ""
    if not service:
        raise InvalidURL(
            _(
                "This is not a URL of a supported service: use a Slack, Discord, Microsoft "
                "Teams (Workflows), LINE or Chatwork URL, or json:// for your own webhook."
            )
        )
    if guard and service in USER_HOSTS:
        host = plugin.host
        port = plugin.port or (443 if plugin.secure else 80)
        try:
            checked_address(host, port)
        except GuardRefused:
            raise InvalidURL(
                _("This host is not allowed: it points to an internal or reserved address.")
            ) from None
        except OSError:
            if must_resolve:
                raise InvalidURL(_("The host of this URL cannot be found.")) from None
    return service


def remember_url(url: str) -> None:
    """Mask the URL and each token in it in this task's or request's logs and reports."""
    parts = [p for p in re.split(r"[/:@?&=#]+", url) if len(p) >= 8]
    remember_secrets([url, *parts])


def env_key(url: str) -> str:
    return "env:" + hashlib.sha256(url.encode()).hexdigest()[:16]


def env_urls() -> dict[str, str]:
    return {env_key(u): u for u in settings.NOTIFY_URLS}


# ---- who gets what -------------------------------------------------------------------------


def mail_recipients(shop: Shop) -> tuple[list[str], list[str]]:
    """(to, bcc): the shop's own recipients, and the staff list (in bcc when both)."""
    own = [a.strip() for a in (shop.notify_emails or "").split(",") if a.strip()]
    staff = [a for a in settings.REMINDER_STAFF_EMAILS if a not in own]
    return (own, staff) if own else (staff, [])


def destinations_for(shop: Shop):
    from django.db.models import Q

    return Destination.objects.filter(enabled=True).filter(Q(shop=shop) | Q(mall=shop.mall))


def targets_for(shop: Shop) -> list[str]:
    to, bcc = mail_recipients(shop)
    targets = [MAIL] if to or bcc else []
    targets += list(env_urls())
    targets += [f"dest:{pk}" for pk in destinations_for(shop).values_list("pk", flat=True)]
    return targets


# ---- what an alert says --------------------------------------------------------------------


def shop_link(shop: Shop, section_key: str) -> str:
    return (
        settings.SITE_URL.rstrip("/")
        + reverse("shops:edit", args=[shop.code])
        + f"#section-{section_key}"
    )


def alert_text(alert: Alert) -> tuple[str, str]:
    """(subject, body) in the site's language. Names, a message and a link: no secret."""
    shop = alert.shop
    try:
        section = shop.connector.section(alert.section)
        section_title, mall = section.title, shop.connector.label
    except LookupError:
        section, section_title, mall = None, alert.section, shop.mall
    with translation.override(settings.LANGUAGE_CODE):
        failing_since = None
        if alert.kind == Alert.RECOVERED:
            failing_since = (
                Alert.objects.filter(state_id=alert.state_id, seq__lt=alert.seq, kind=Alert.FAILING)
                .order_by("-seq")
                .values_list("since", flat=True)
                .first()
            )
        context = {
            "alert": alert,
            "failing": alert.kind == Alert.FAILING,
            "shop": shop,
            "mall": mall,
            "section": section_title,
            "message": str(message_for(alert.code, section)),
            "since": timezone.localtime(alert.since),
            "failing_since": timezone.localtime(failing_since) if failing_since else None,
            "url": shop_link(shop, alert.section),
            "status_url": settings.SITE_URL.rstrip("/") + reverse("monitoring:status"),
        }
        subject = header_text(render_to_string("monitoring/alert_subject.txt", context))
        body = render_to_string("monitoring/alert_body.txt", context).strip()
    return subject, body


# ---- sending -------------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: bool
    error: str = ""


def send_chat(url: str, title: str, body: str, *, guard: bool) -> Outcome:
    """One Apprise URL; the error names what went wrong, never the URL or its tokens."""
    register_chatwork()
    remember_url(url)
    try:
        check_url(url, guard=guard)
    except InvalidURL as exc:
        return Outcome(False, str(exc))
    sender = apprise.Apprise()
    sender.add(url)
    with apprise.LogCapture(level=logging.WARNING) as captured:
        ok = sender.notify(title=title, body=body)
        lines = captured.getvalue().strip().splitlines()
    if ok:
        return Outcome(True)
    # Apprise's own log line is English and technical: the reason shown is Japanese, with the
    # HTTP status when there is one.
    last = redact(lines[-1] if lines else "")
    status = re.search(r"error=(\d{3})", last)
    if status:
        return Outcome(False, _("the service answered HTTP %(status)s") % {"status": status[1]})
    return Outcome(False, _("the service could not be reached or refused the message"))


def send_mail(shop: Shop, subject: str, body: str, headers=None) -> Outcome:
    to, bcc = mail_recipients(shop)
    if not (to or bcc):
        return Outcome(False, _("no e-mail recipient"))
    message = EmailMessage(subject=subject, body=body, to=to, bcc=bcc, headers=headers or {})
    try:
        message.send()
    except (smtplib.SMTPException, OSError, BadHeaderError) as exc:
        return Outcome(False, type(exc).__name__)
    return Outcome(True)


def send_to(target: str, shop: Shop, subject: str, body: str, headers=None) -> Outcome:
    if target == MAIL:
        return send_mail(shop, subject, body, headers)
    if target.startswith("env:"):
        url = env_urls().get(target)
        if url is None:
            return Outcome(False, _("no longer in NOTIFY_URLS"))
        return send_chat(url, subject, body, guard=False)  # set by the operator: trusted
    destination = Destination.objects.filter(pk=target.removeprefix("dest:")).first()
    if destination is None or not destination.enabled:
        return Outcome(False, _("the destination was removed or switched off"))
    try:
        url = destination.get_url()
    except DecryptionError:
        return Outcome(False, _("the stored URL cannot be decrypted with the configured keys"))
    return send_chat(url, subject, body, guard=True)


LEASE = timedelta(minutes=10)


def deliver(alert_id: int, now=None) -> dict:
    """Send the alert's deliveries that are due, each claimed first (one sender at a time)."""
    from django.db.models import Q

    now = now or timezone.now()
    report = {"sent": 0, "failed": 0}
    alert = Alert.objects.select_related("shop").filter(pk=alert_id).first()
    if alert is None:
        return report
    due = Delivery.objects.filter(alert=alert).filter(
        Q(status=Delivery.PENDING)
        | Q(status=Delivery.FAILED, next_attempt_at__lte=now)
        | Q(status=Delivery.SENDING, claimed_at__lt=now - LEASE)
    )
    subject = body = None
    for delivery in due:
        claimed = Delivery.objects.filter(
            pk=delivery.pk, status=delivery.status, claimed_at=delivery.claimed_at
        ).update(status=Delivery.SENDING, claimed_at=now)
        if not claimed:
            continue  # another sender took it
        if subject is None:
            subject, body = alert_text(alert)
        headers = {"Message-ID": f"<alert-{alert.pk}@tempostar>"}
        outcome = send_to(delivery.target, alert.shop, subject, body, headers)
        if outcome.ok:
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.SENT, sent_at=now, attempts=delivery.attempts + 1, last_error=""
            )
            report["sent"] += 1
        else:
            backoff = timedelta(minutes=5 * 2 ** min(delivery.attempts, 6))
            Delivery.objects.filter(pk=delivery.pk).update(
                status=Delivery.FAILED,
                attempts=delivery.attempts + 1,
                next_attempt_at=now + backoff,
                last_error=outcome.error[:200],
            )
            report["failed"] += 1
    return report


def due_alert_ids(now=None) -> list[int]:
    from django.db.models import Q

    now = now or timezone.now()
    return list(
        Delivery.objects.filter(
            Q(status=Delivery.PENDING, alert__created_at__lt=now - timedelta(minutes=1))
            | Q(status=Delivery.FAILED, next_attempt_at__lte=now)
            | Q(status=Delivery.SENDING, claimed_at__lt=now - LEASE)
        )
        .values_list("alert_id", flat=True)
        .distinct()[:1000]
    )


# ---- other callers: テスト送信 and expiry reminders -----------------------------------------


def test_message(destination: Destination) -> tuple[str, str]:
    with translation.override(settings.LANGUAGE_CODE):
        where = (
            f"{destination.shop.short_name} ({destination.shop.code})"
            if destination.shop_id
            else registry.get(destination.mall).label
            if destination.mall in registry
            else destination.mall
        )
        title = _("[TEMPOSTAR] Test message")
        body = _(
            "This destination (%(label)s) receives connection alerts and expiry reminders "
            "of %(where)s. Nothing needs to be done."
        ) % {"label": destination.label, "where": where}
    return title, body


def send_test(destination: Destination) -> Outcome:
    title, body = test_message(destination)
    return send_to(f"dest:{destination.pk}", destination.shop, title, body)


@dataclass
class ChatReport:
    sent: int = 0
    failed: int = 0
    errors: list = field(default_factory=list)


def notify_chat(shop: Shop, title: str, body: str) -> ChatReport:
    """Send a message about a shop to every chat destination (NOTIFY_URLS, the mall's and
    the shop's). The expiry reminder run calls it beside its e-mail:
    `notify_chat(shop, message.subject, message.body)`."""
    report = ChatReport()
    targets = [t for t in targets_for(shop) if t != MAIL]
    for target in targets:
        outcome = send_to(target, shop, title, body)
        if outcome.ok:
            report.sent += 1
        else:
            report.failed += 1
            report.errors.append(f"{target}: {outcome.error}")
    return report

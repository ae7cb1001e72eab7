"""The watch's records: each shop section's state, one alert per change of state with its
deliveries, where alerts go, and each user's calendar feed. None holds a readable secret:
destination URLs are encrypted (tempostar.crypto), feed tokens are stored as hashes."""

from urllib.parse import urlsplit

from django.conf import settings as django_settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from shops.models import ConnectionCheck, Shop
from tempostar import crypto
from tempostar.security import remember_secrets


class SectionState(models.Model):
    """正常 / 異常 / 未確認 of one testable section of one shop, since when, and the last result."""

    OK, FAILING, UNKNOWN = "ok", "failing", "unknown"
    STATES = [(OK, _("OK")), (FAILING, _("Failing")), (UNKNOWN, _("Not confirmed"))]
    # The order of the 連携状況 page and of the list's badge: failing first.
    PRIORITY = {FAILING: 0, UNKNOWN: 1, OK: 2}

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="watch_states")
    section = models.CharField(max_length=32)
    state = models.CharField(max_length=8, choices=STATES, default=UNKNOWN)
    since = models.DateTimeField(null=True, blank=True)  # when the current state began
    transitions = models.PositiveIntegerField(default=0)
    last_check = models.ForeignKey(
        ConnectionCheck, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    last_code = models.CharField(max_length=32, blank=True)
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("connection state")
        constraints = [
            models.UniqueConstraint(fields=["shop", "section"], name="one_state_per_section")
        ]
        indexes = [models.Index(fields=["state", "since"])]

    def __str__(self) -> str:
        return f"{self.shop_id}/{self.section} {self.state}"


class Alert(models.Model):
    """One change of a section's state worth telling: it started failing, or it recovered.

    Unique per (state row, transition number): two watches, a retried task or two workers
    recording the same change create one alert."""

    FAILING, RECOVERED = "failing", "recovered"
    KINDS = [(FAILING, _("started failing")), (RECOVERED, _("recovered"))]

    state = models.ForeignKey(SectionState, on_delete=models.CASCADE, related_name="alerts")
    seq = models.PositiveIntegerField()
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="alerts")
    section = models.CharField(max_length=32)
    kind = models.CharField(max_length=10, choices=KINDS)
    code = models.CharField(max_length=32, blank=True)  # the check's result code
    since = models.DateTimeField()
    check_run = models.ForeignKey(
        ConnectionCheck, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("alert")
        constraints = [
            models.UniqueConstraint(fields=["state", "seq"], name="one_alert_per_transition")
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}/{self.section} {self.kind} #{self.seq}"


class Delivery(models.Model):
    """An alert on its way to one target ("mail", "env:<hash>" for a NOTIFY_URLS entry,
    "dest:<id>"): claimed before sending, retried with backoff until sent."""

    PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
    STATUSES = [
        (PENDING, _("waiting")),
        (SENDING, _("sending")),
        (SENT, _("sent")),
        (FAILED, _("failed")),
    ]

    alert = models.ForeignKey(Alert, on_delete=models.CASCADE, related_name="deliveries")
    target = models.CharField(max_length=40)
    status = models.CharField(max_length=8, choices=STATUSES, default=PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("alert delivery")
        constraints = [
            models.UniqueConstraint(fields=["alert", "target"], name="one_delivery_per_target")
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"alert {self.alert_id} -> {self.target} {self.status}"


class Destination(models.Model):
    """A chat destination (an Apprise URL) for one shop's or one mall's alerts and reminders.

    The URL carries the webhook's token: stored encrypted, never shown again (a hint names
    the service and the last characters)."""

    shop = models.ForeignKey(
        Shop, on_delete=models.CASCADE, null=True, blank=True, related_name="destinations"
    )
    mall = models.CharField(_("mall type"), max_length=32, blank=True)
    label = models.CharField(_("name"), max_length=100)
    url = models.TextField(editable=False)  # encrypted Apprise URL
    hint = models.CharField(max_length=60, editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["mall", "shop__code", "label", "pk"]
        verbose_name = _("notification destination")
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(shop__isnull=True) & ~models.Q(mall=""))
                | (models.Q(shop__isnull=False) & models.Q(mall="")),
                name="destination_for_a_shop_or_a_mall",
            )
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.hint})"

    def set_url(self, url: str) -> None:
        self.url = crypto.encrypt(url)
        self.hint = url_hint(url)

    def get_url(self) -> str:
        """Decrypt the URL (raises crypto.DecryptionError with a wrong key)."""
        url = crypto.decrypt(self.url)
        remember_secrets([url])  # masked in this request's or task's logs and reports
        return url


class CalendarFeed(models.Model):
    """A user's secret iCalendar address. Only the token's SHA-256 is stored: the address is
    shown once, when it is made; renewing it makes the old one stop working."""

    user = models.OneToOneField(
        django_settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("calendar feed")

    def __str__(self) -> str:
        return f"calendar of {self.user_id}"


class WatchRun(models.Model):
    """One watch of every shop. A scheduled run holds its slot (the local date), so two beats
    (or a beat and its retry) start one watch."""

    BEAT, COMMAND = "beat", "command"
    TRIGGERS = [(BEAT, _("schedule")), (COMMAND, _("command"))]

    slot = models.CharField(max_length=20, unique=True, null=True, blank=True)
    trigger = models.CharField(max_length=8, choices=TRIGGERS)
    batch = models.ForeignKey(
        "shops.CheckBatch", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    lanes = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("watch run")

    def __str__(self) -> str:
        return f"watch {self.pk} ({self.slot or self.trigger})"


def url_hint(url: str) -> str:
    """What the console shows of a stored URL: the service and the last 4 characters."""
    scheme = urlsplit(url).scheme or "?"
    tail = url[-4:] if len(url) >= 16 else ""
    return f"{scheme}://…{tail}" if tail else f"{scheme}://…"

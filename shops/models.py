import json
from secrets import token_hex

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from connectors.base import registry
from connectors.checks import info_lines, message_for
from tempostar import crypto
from tempostar.security import remember_secrets

from .genres import GENRE_CHOICES
from .search import condition


def validate_mall(code: str) -> None:
    if code not in registry:
        raise ValidationError(_("Unknown mall type: %(code)s"), params={"code": code})


class ShopCode(models.Model):
    """One row per ショップコード ever issued. Rows are never deleted, so a code is never reused."""

    mall = models.CharField(max_length=32)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("issued shop code")
        verbose_name_plural = _("issued shop codes")

    def __str__(self) -> str:
        return self.code

    @property
    def code(self) -> str:
        return format_shop_code(self.pk)


def format_shop_code(number: int) -> str:
    return f"S{number:05d}"


class ShopQuerySet(models.QuerySet):
    def search(self, query: str):
        query = (query or "").strip()
        if not query:
            return self
        return self.filter(condition(query))


class Shop(models.Model):
    """The common record every linked shop has (全ショップ共通で必要な設定)."""

    # The common record's editable fields, in the manual's order.
    COMMON_FIELDS = (
        "name",
        "short_name",
        "url",
        "mobile_url",
        "manager_name",
        "genre",
        "notify_emails",
    )

    mall = models.CharField(
        _("mall type"),
        max_length=32,
        validators=[validate_mall],
        db_index=True,
        help_text=_("The mall or cart this shop runs on. It cannot be changed after creation."),
    )
    code = models.CharField(
        _("shop code"),
        max_length=16,
        unique=True,
        editable=False,
        help_text=_(
            "Assigned automatically. Give this code when a linkage application asks for it."
        ),
    )
    order_mail_address = models.EmailField(
        _("order mail forwarding address"),
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text=_("To use stock management, forward this shop's order mails to this address."),
    )
    name = models.CharField(
        _("shop name (official)"),
        max_length=200,
        help_text=_("The shop's name. Printed on documents in order management."),
    )
    short_name = models.CharField(
        _("shop name (short)"),
        max_length=100,
        help_text=_("The shop's name as shown only inside this console."),
    )
    url = models.URLField(
        _("shop URL"),
        max_length=500,
        help_text=_(
            "The full URL of the shop's top page (https://...). Used by product management."
        ),
    )
    mobile_url = models.URLField(
        _("feature phone shop URL"),
        max_length=500,
        blank=True,
        help_text=_("Enter the same URL as the shop URL, or leave it blank."),
    )
    manager_name = models.CharField(
        _("shop manager name"),
        max_length=100,
        blank=True,
        help_text=_("The shop manager's name. Can be inserted into order mail templates."),
    )
    notify_emails = models.CharField(
        _("expiry notice recipients"),
        max_length=500,
        blank=True,
        help_text=_(
            "E-mail addresses (comma-separated) that receive a reminder before a credential "
            "of this shop expires, besides the staff list."
        ),
    )
    genre = models.CharField(
        _("product genre"),
        max_length=32,
        choices=GENRE_CHOICES,
        blank=True,
        help_text=_("The genre of products the shop handles. Optional."),
    )
    # Mall sections (connectors.sections): non-secret values, queryable, keyed "section.field".
    settings = models.JSONField(_("settings"), default=dict, blank=True, editable=False)
    # Every secret of the shop as one Fernet token over a JSON object (tempostar.crypto).
    secrets = models.TextField(_("encrypted credentials"), blank=True, default="", editable=False)
    # Which secrets are stored, with the last characters of long ones ("" when too short).
    secret_hints = models.JSONField(default=dict, blank=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ShopQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("linked shop")
        verbose_name_plural = _("linked shops")
        indexes = [models.Index(fields=["mall", "code"])]
        permissions = [
            ("change_credentials", _("Can change credentials of existing shops")),
            ("run_connection_check", _("Can run connection tests")),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.short_name}"

    def save(self, *args, **kwargs):
        if self._state.adding and not self.code:
            with transaction.atomic(savepoint=False):
                issued = ShopCode.objects.create(mall=self.mall)
                self.code = issued.code
                if self.mall in registry and self.connector.imports_order_mail:
                    self.order_mail_address = new_order_mail_address(self.code)
                return super().save(*args, **kwargs)
        return super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("shops:edit", args=[self.code])

    def get_secrets(self) -> dict[str, str]:
        """Decrypt the shop's secrets. Raises crypto.DecryptionError with a wrong key."""
        if not self.secrets:
            return {}
        values = json.loads(crypto.decrypt(self.secrets))
        remember_secrets(values.values())  # masked in this request's or task's reports
        return values

    def set_secrets(self, values: dict[str, str]) -> None:
        values = {k: v for k, v in values.items() if v}
        remember_secrets(values.values())
        self.secrets = crypto.encrypt(json.dumps(values, ensure_ascii=False)) if values else ""
        self.secret_hints = {k: secret_hint(v) for k, v in values.items()}

    @property
    def connector(self):
        return registry.get(self.mall)

    @property
    def mall_label(self) -> str:
        return self.connector.label if self.mall in registry else self.mall


def secret_hint(value: str) -> str:
    """The last four characters of a long secret, so an admin can tell which one is stored."""
    return value[-4:] if len(value) >= 12 else ""


class ShopChange(models.Model):
    """Who changed what on a shop, and when. Secrets appear only as ******** / ***CHANGED***."""

    CREATE, UPDATE, DELETE = "create", "update", "delete"
    ACTIONS = [(CREATE, _("registered")), (UPDATE, _("changed")), (DELETE, _("deleted"))]

    shop = models.ForeignKey(
        Shop, on_delete=models.SET_NULL, null=True, blank=True, related_name="changes"
    )
    shop_code = models.CharField(max_length=16, db_index=True)
    user = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=8, choices=ACTIONS)
    VIAS = [
        ("console", _("console")),
        ("api", _("API")),
        ("import", _("file import")),
        ("oauth", _("sign-in at the mall")),
        ("system", _("system")),
    ]
    via = models.CharField(max_length=8, choices=VIAS, default="console")
    at = models.DateTimeField(auto_now_add=True, db_index=True)
    # [{"field": "ftp.password", "old": "********", "new": "***CHANGED***"}, ...]
    changes = models.JSONField(default=list)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("shop change")

    def __str__(self) -> str:
        return f"{self.shop_code} {self.action} {self.at:%Y-%m-%d %H:%M}"


def new_order_mail_address(code: str) -> str:
    # The random part keeps the address from being guessed from the shop code.
    token = token_hex(4)
    return f"{code.lower()}-{token}@{django_settings.ORDER_MAIL_DOMAIN}"


class CheckBatch(models.Model):
    """One 全ショップ接続確認 run: the progress bar counts its checks."""

    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    total = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("connection check batch")

    def __str__(self) -> str:
        return f"batch {self.pk} ({self.total})"


class ConnectionCheck(models.Model):
    """One 接続確認 of one section of one shop, run by a worker. Never holds a secret."""

    PENDING, RUNNING, SUCCESS, FAILED, UNTESTED = (
        "pending",
        "running",
        "success",
        "failed",
        "untested",
    )
    STATUSES = [
        (PENDING, _("waiting")),
        (RUNNING, _("testing")),
        (SUCCESS, _("success")),
        (FAILED, _("failed")),
        (UNTESTED, _("not tested")),
    ]
    DONE = (SUCCESS, FAILED, UNTESTED)

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="checks")
    section = models.CharField(max_length=32)
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    code = models.CharField(max_length=32, blank=True)
    detail = models.TextField(blank=True)
    info = models.JSONField(default=dict, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # runs started (tempostar.work)
    # Who runs it now ("host:pid:token", tempostar.work.claim); when its message was last
    # sent, and how often the recovery job sent it again.
    owner = models.CharField(max_length=100, blank=True, default="")
    queued_at = models.DateTimeField(default=timezone.now)
    requeues = models.PositiveSmallIntegerField(default=0)
    requested_by = models.ForeignKey(
        django_settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    batch = models.ForeignKey(
        CheckBatch, on_delete=models.CASCADE, null=True, blank=True, related_name="checks"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("connection check")
        indexes = [
            models.Index(fields=["shop", "section", "-created_at"]),
            models.Index(fields=["batch", "status"]),
            # The recovery job's scan: only unfinished checks are in it.
            models.Index(
                fields=["status", "queued_at"],
                name="check_unfinished",
                condition=models.Q(status__in=["pending", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}/{self.section} {self.status}"

    @property
    def is_done(self) -> bool:
        return self.status in self.DONE

    @property
    def info_lines(self) -> list[tuple[str, str]]:
        return info_lines(self.info)

    @property
    def message(self) -> str:
        if self.status in (self.PENDING, self.RUNNING):
            return str(self.get_status_display())
        try:
            section = self.shop.connector.section(self.section)
        except LookupError:
            section = None
        return str(message_for(self.code, section))

    def as_json(self) -> dict:
        return {
            "id": self.pk,
            "shop": self.shop.code if self.shop_id else None,
            "section": self.section,
            "status": self.status,
            "status_label": str(self.get_status_display()),
            "done": self.status in self.DONE,
            "message": self.message,
            "detail": self.detail,
            "info": self.info,
            "latency_ms": self.latency_ms,
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


class CredentialExpiry(models.Model):
    """When one expiring credential of a shop lapses. The reminder scan reads this table."""

    ENTERED, COMPUTED, FETCHED = "entered", "computed", "fetched"
    SOURCES = [
        (ENTERED, _("from the issue date entered")),
        (COMPUTED, _("from the sign-in time")),
        (FETCHED, _("read from the mall")),
    ]

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="expiries")
    section = models.CharField(max_length=32)
    credential = models.CharField(max_length=32)
    expires_at = models.DateTimeField(db_index=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=SOURCES)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["expires_at"]
        verbose_name = _("credential expiry")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "section", "credential"], name="one_expiry_per_credential"
            )
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}/{self.section}.{self.credential} {self.expires_at:%Y-%m-%d}"


class ReminderClaim(models.Model):
    """One reminder e-mail: claimed before sending, so it goes out once per
    (credential, expiry date, threshold) however many schedulers or retries run.

    pending: claimed, not sent yet; sending: the end of the message is being handed to the
    SMTP server (the one moment a duplicate can arise, see shops.reminders); sent; failed:
    retried after next_attempt_at (last_error says why; "no_recipient" is shown on the
    有効期限 page as 送信先なし); dropped: the credential was renewed or removed before the
    reminder could go out."""

    PENDING, SENDING, SENT, FAILED, DROPPED = "pending", "sending", "sent", "failed", "dropped"
    NO_RECIPIENT = "no_recipient"

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="reminders")
    section = models.CharField(max_length=32)
    credential = models.CharField(max_length=32)
    expires_at = models.DateTimeField()
    threshold = models.SmallIntegerField()  # days before expiry; negative: after
    status = models.CharField(max_length=8, default=PENDING)
    run_token = models.CharField(max_length=32, db_index=True)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    class Meta:
        verbose_name = _("expiry reminder")
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "section", "credential", "expires_at", "threshold"],
                name="one_reminder_per_threshold",
            )
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.shop_id}/{self.section}.{self.credential} -{self.threshold}d {self.status}"

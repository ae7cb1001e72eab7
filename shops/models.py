import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from connectors.base import registry

from .genres import GENRE_CHOICES


def validate_mall(code: str) -> None:
    if code not in registry:
        raise ValidationError(_("Unknown mall type: %(code)s"), params={"code": code})


class ShopCode(models.Model):
    """One row per ショップコード ever issued. Rows are never deleted, so a code is never reused."""

    mall = models.CharField(max_length=32)
    issued_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("issued shop code")

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
        return self.filter(
            models.Q(name__icontains=query)
            | models.Q(short_name__icontains=query)
            | models.Q(code__icontains=query)
        )


class Shop(models.Model):
    """The common record every linked shop has (全ショップ共通で必要な設定)."""

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
    genre = models.CharField(
        _("product genre"),
        max_length=32,
        choices=GENRE_CHOICES,
        blank=True,
        help_text=_("The genre of products the shop handles. Optional."),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ShopQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("linked shop")
        verbose_name_plural = _("linked shops")
        indexes = [models.Index(fields=["mall", "code"])]

    def __str__(self) -> str:
        return f"{self.code} {self.short_name}"

    def save(self, *args, **kwargs):
        if self._state.adding and not self.code:
            with transaction.atomic():
                issued = ShopCode.objects.create(mall=self.mall)
                self.code = issued.code
                if self.mall in registry and self.connector.imports_order_mail:
                    self.order_mail_address = new_order_mail_address(self.code)
                return super().save(*args, **kwargs)
        return super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("shops:edit", args=[self.code])

    @property
    def connector(self):
        return registry.get(self.mall)

    @property
    def mall_label(self) -> str:
        return self.connector.label if self.mall in registry else self.mall


def new_order_mail_address(code: str) -> str:
    # The random part keeps the address from being guessed from the shop code.
    token = secrets.token_hex(4)
    return f"{code.lower()}-{token}@{settings.ORDER_MAIL_DOMAIN}"

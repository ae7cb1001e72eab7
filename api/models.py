"""API tokens: per user, named, stored only as a SHA-256 digest, revocable, with last use."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ApiToken(models.Model):
    """One token of a user. The token itself is shown once; only its digest is kept.

    A token reads `tsk_<key id>_<secret>`: the key id (not secret) finds the row, and the
    SHA-256 digest of the whole token is compared in constant time (api.tokens)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100)
    key_id = models.CharField(max_length=16, unique=True, editable=False)
    digest = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user_id}/{self.name} ({self.key_id})"

    @property
    def active(self) -> bool:
        return self.revoked_at is None

"""Issuing, finding and revoking API tokens. Tokens are never stored or logged in clear."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import timedelta

from django.utils import timezone

from .models import ApiToken

PREFIX = "tsk_"
# The shape of a token, so log lines and error reports can mask one wherever it appears.
TOKEN_RE = re.compile(r"tsk_[0-9a-f]{12}_[A-Za-z0-9_-]{20,}")
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most once a minute


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(user, name: str) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the row and the token (shown once, never again)."""
    key_id = secrets.token_hex(6)
    raw = f"{PREFIX}{key_id}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(
        user=user, name=name.strip()[:100] or "API", key_id=key_id, digest=_digest(raw)
    )
    return token, raw


def find(raw: str) -> ApiToken | None:
    """The active token `raw` names, with its user; None for anything else."""
    match = re.fullmatch(r"tsk_([0-9a-f]{12})_[A-Za-z0-9_-]{20,100}", raw or "")
    if not match:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_id=match.group(1), revoked_at__isnull=True)
        .first()
    )
    if token is None or not hmac.compare_digest(token.digest, _digest(raw)):
        return None
    if not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def revoke(token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])

"""Authorization: Bearer <token> for the API, and the role checks of its operations."""

from __future__ import annotations

from django.utils.translation import gettext as _
from ninja.errors import HttpError
from ninja.security.http import HttpBearer

from tempostar.security import remember_secrets

from . import tokens


class TokenAuth(HttpBearer):
    """A token from the user's token page or `manage.py create_api_token`.

    The header is never logged (ninja's own bearer logs an unexpected header under DEBUG;
    this one does not), and the token is remembered as a secret for this request so that
    any log line or error report masks it."""

    def __call__(self, request):
        value = request.headers.get(self.header) or ""
        scheme, _sep, raw = value.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            return None
        return self.authenticate(request, raw.strip())

    def authenticate(self, request, token):
        remember_secrets([token])
        found = tokens.find(token)
        if found is None:
            return None
        request.user = found.user  # the history and the permission checks follow the user
        return found


def require(request, *perms: str) -> None:
    """403 unless the token's user holds every permission (the console's roles)."""
    if not request.auth.user.has_perms(perms):
        raise HttpError(403, _("Your role does not allow this."))

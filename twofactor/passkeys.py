"""Passkeys (WebAuthn, django-otp-webauthn) as the second step of a login.

The library's views verify the browser's assertion; these subclasses tie them to the user who
passed the password step (the pending login, not a logged-in user: passkeys never replace
the password here), count a refused assertion as a failed login for django-axes, and finish
the login as a code would. Registering a passkey is the library's own view, for a signed-in
user whose session passed a second factor (or who has none yet).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.http import JsonResponse
from django.urls import path
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.views.i18n import JavaScriptCatalog
from django_otp_webauthn import exceptions
from django_otp_webauthn.views import (
    BeginCredentialAuthenticationView,
    BeginCredentialRegistrationView,
    CompleteCredentialAuthenticationView,
    CompleteCredentialRegistrationView,
)

from .views import _failed, _finish, _locked, _pending_user


class _PendingUser:
    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.pending_user, self.pending = _pending_user(request)

    def get_user(self):
        return self.pending_user

    def dispatch(self, request, *args, **kwargs):
        if self.pending_user is None:
            return JsonResponse(
                {"detail": _("Log in again: the sign-in took too long."), "code": "no_login"},
                status=403,
            )
        locked = _locked(request, self.pending_user)
        if locked:
            return JsonResponse({"detail": _("Too many failed logins."), "code": "locked"}, 429)
        return super().dispatch(request, *args, **kwargs)


@method_decorator(login_not_required, name="dispatch")
class BeginPasskeyLogin(_PendingUser, BeginCredentialAuthenticationView):
    pass


@method_decorator(login_not_required, name="dispatch")
class CompletePasskeyLogin(_PendingUser, CompleteCredentialAuthenticationView):
    def handle_exception(self, exc):
        if isinstance(exc, exceptions.OTPWebAuthnApiError):
            _failed(self.request, self.pending_user)
        return super().handle_exception(exc)

    def complete_auth(self, device):
        self.target = _finish(self.request, self.pending_user, self.pending, device)

    def get_success_url(self):
        return self.target


app_name = "otp_webauthn"  # the library's templates and scripts name its URLs so

urlpatterns = [
    path(
        "registration/begin/",
        BeginCredentialRegistrationView.as_view(),
        name="credential-registration-begin",
    ),
    path(
        "registration/complete/",
        CompleteCredentialRegistrationView.as_view(),
        name="credential-registration-complete",
    ),
    path(
        "authentication/begin/",
        BeginPasskeyLogin.as_view(),
        name="credential-authentication-begin",
    ),
    path(
        "authentication/complete/",
        CompletePasskeyLogin.as_view(),
        name="credential-authentication-complete",
    ),
    path(
        "jsi18n/",
        login_not_required(JavaScriptCatalog.as_view(packages=["django_otp_webauthn"])),
        name="js-i18n-catalog",
    ),
]

"""Two-factor sign-in: the password step (Django's LoginView, checked by django-axes), then a
code from an authenticator app or a recovery code. Failed codes count as failed logins for
django-axes, so the lockout covers the second step too.

A user who needs the second step is not logged in after the password: the session only
remembers who passed the first step, for PENDING_MINUTES.
"""

from __future__ import annotations

import json
import time

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.signals import user_login_failed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views import View
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from tempostar import crypto
from tempostar.crypto import DecryptionError
from tempostar.security import lockout_response

from . import devices

PENDING = "twofactor_pending"
PENDING_MINUTES = 10
SHOW_CODES = "twofactor_new_codes"


def _keep_codes(request, codes: list[str]) -> None:
    """New recovery codes wait for the page that shows them once, encrypted in the session
    (the session table holds signed, not encrypted, data)."""
    request.session[SHOW_CODES] = crypto.encrypt(json.dumps(codes))


def _take_codes(request) -> list[str]:
    box = request.session.pop(SHOW_CODES, None)
    try:
        return json.loads(crypto.decrypt(box)) if box else []
    except (DecryptionError, ValueError):
        return []


def _refused_form(message):
    """An empty code field with `message` under it (a wrong code is not shown again)."""
    form = CodeForm({"code": ""})
    form.is_valid()
    form.errors["code"] = form.error_class([message])
    return form


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Verification code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "autofocus": True}
        ),
    )


# ---- the password step ---------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    """Django's login. A user with a second factor, or an administrator who must have one,
    goes on to the code step (or to set one up) instead of being logged in."""

    def form_valid(self, form):
        user = form.get_user()
        if not (devices.has_second_factor(user) or devices.is_required(user)):
            return super().form_valid(form)
        self.request.session.cycle_key()
        self.request.session[PENDING] = {
            "user": user.pk,
            "backend": user.backend,
            "since": int(time.time()),
            "next": self.get_success_url(),
        }
        if devices.has_second_factor(user):
            return redirect("twofactor:verify")
        return redirect("twofactor:enroll")


def _pending_user(request):
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending.get("since", 0) > PENDING_MINUTES * 60:
        request.session.pop(PENDING, None)
        return None, None
    user = get_user_model().objects.filter(pk=pending["user"], is_active=True).first()
    return user, pending


def _finish(request, user, pending, device):
    request.session.pop(PENDING, None)
    login(request, user, backend=pending["backend"])
    django_otp.login(request, device)
    return pending.get("next") or reverse("shops:list")


def _failed(request, user):
    """Count a wrong code as a failed login (django-axes); the lockout page once locked."""
    credentials = {"username": user.get_username()}
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    if not AxesProxyHandler.is_allowed(request, credentials):
        request.session.pop(PENDING, None)
        return lockout_response(request, credentials)
    return None


def _locked(request, user):
    credentials = {"username": user.get_username()}
    AxesProxyHandler.update_request(request)
    if not AxesProxyHandler.is_allowed(request, credentials):
        request.session.pop(PENDING, None)
        return lockout_response(request, credentials)
    return None


@method_decorator([login_not_required, never_cache, sensitive_post_parameters()], name="dispatch")
class VerifyView(View):
    """The second step: a code from the authenticator app, or one recovery code."""

    template_name = "twofactor/verify.html"

    def dispatch(self, request, *args, **kwargs):
        self.user, self.pending = _pending_user(request)
        if self.user is None:
            messages.info(request, _("Log in again: the sign-in took too long."))
            return redirect("login")
        return super().dispatch(request, *args, **kwargs)

    def context(self, form):
        return {
            "form": form,
            "passkey": devices.has_passkey(self.user),
            "app": devices.totp_device(self.user) is not None,
        }

    def get(self, request):
        return render(request, self.template_name, self.context(CodeForm()))

    def post(self, request):
        locked = _locked(request, self.user)
        if locked:
            return locked
        form = CodeForm(request.POST)
        device = None
        if form.is_valid():
            device = devices.verify(self.user, form.cleaned_data["code"])
        if device is None:
            refused = _failed(request, self.user)
            if refused:
                return refused
            form = _refused_form(
                _("The code is not correct, or it was already used. Enter the current code.")
            )
            return render(request, self.template_name, self.context(form), status=400)
        target = _finish(request, self.user, self.pending, device)
        if device.name == devices.RECOVERY:
            left = devices.recovery_codes_left(self.user)
            messages.warning(
                request,
                _(
                    "You signed in with a recovery code. %(left)d codes are left: create "
                    "new ones on the two-factor page if you are running out."
                )
                % {"left": left},
            )
        return redirect(target)


def _qr_data_uri(device) -> str:
    return segno.make(device.config_url, error="m").svg_data_uri(scale=4, border=2)


def _secret_text(device) -> str:
    from base64 import b32encode

    key = b32encode(device.bin_key).decode()
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


@method_decorator([login_not_required, never_cache, sensitive_post_parameters()], name="dispatch")
class EnrollView(View):
    """An administrator without a second factor sets one up before being logged in."""

    template_name = "twofactor/enroll.html"

    def dispatch(self, request, *args, **kwargs):
        self.user, self.pending = _pending_user(request)
        if self.user is None:
            messages.info(request, _("Log in again: the sign-in took too long."))
            return redirect("login")
        if devices.has_second_factor(self.user):
            return redirect("twofactor:verify")
        return super().dispatch(request, *args, **kwargs)

    def context(self, device, form):
        return {
            "form": form,
            "qr": _qr_data_uri(device),
            "secret": _secret_text(device),
            "required": True,
        }

    def get(self, request):
        device = devices.start_totp(self.user)
        return render(request, self.template_name, self.context(device, CodeForm()))

    def post(self, request):
        locked = _locked(request, self.user)
        if locked:
            return locked
        device = devices.totp_device(self.user, confirmed=False)
        if device is None:
            return redirect("twofactor:enroll")
        form = CodeForm(request.POST)
        if form.is_valid() and devices.confirm_totp(device, form.cleaned_data["code"].strip()):
            codes = devices.new_recovery_codes(self.user)
            target = _finish(request, self.user, self.pending, device)
            _keep_codes(request, codes)
            request.session["twofactor_next"] = target
            return redirect("twofactor:recovery_codes")
        refused = _failed(request, self.user)
        if refused:
            return refused
        form = _refused_form(_("The code is not correct. Enter the code the app shows now."))
        return render(request, self.template_name, self.context(device, form), status=400)


# ---- the user's own page -------------------------------------------------------------------


@method_decorator([never_cache, sensitive_post_parameters()], name="dispatch")
class SettingsView(View):
    """Two-factor page: set up an authenticator app, new recovery codes, switch it off."""

    template_name = "twofactor/settings.html"

    def get(self, request):
        user = request.user
        ctx = {
            "active": devices.totp_device(user) is not None,
            "passkeys": list(devices.passkeys(user)),
            "required": devices.is_required(user),
            "codes_left": devices.recovery_codes_left(user),
            "form": CodeForm(),
        }
        if not ctx["active"] and request.GET.get("setup"):
            # Opening the page shows the device a POST started; it creates nothing.
            device = devices.totp_device(user, confirmed=False)
            if device is not None:
                ctx.update(setup=True, qr=_qr_data_uri(device), secret=_secret_text(device))
        return render(request, self.template_name, ctx)

    def post(self, request):
        user, action = request.user, request.POST.get("action")
        if action == "start":
            if devices.totp_device(user) is None:
                devices.start_totp(user)
            return redirect(reverse("twofactor:settings") + "?setup=1")
        form = CodeForm(request.POST)
        code = form.cleaned_data["code"] if form.is_valid() else ""
        if action == "confirm":
            device = devices.totp_device(user, confirmed=False)
            if device is not None and devices.confirm_totp(device, code.strip()):
                _keep_codes(request, devices.new_recovery_codes(user))
                request.session["twofactor_next"] = reverse("twofactor:settings")
                django_otp.login(request, device)
                return redirect("twofactor:recovery_codes")
            messages.error(request, _("The code is not correct. Enter the code the app shows now."))
            return redirect(reverse("twofactor:settings") + "?setup=1")
        # Changing an active second factor asks for a current code first.
        if devices.verify(user, code) is None:
            messages.error(
                request, _("The code is not correct, or it was already used. Nothing changed.")
            )
            return redirect("twofactor:settings")
        if action == "codes":
            _keep_codes(request, devices.new_recovery_codes(user))
            request.session["twofactor_next"] = reverse("twofactor:settings")
            return redirect("twofactor:recovery_codes")
        if action == "disable":
            devices.remove_all(user)
            messages.success(request, _("Two-factor sign-in is off."))
        if action == "remove_passkey":
            passkey = str(request.POST.get("passkey", ""))
            chosen = int(passkey) if passkey.isascii() and passkey.isdigit() else 0
            removed = devices.passkeys(user).filter(pk=chosen).delete()[0]
            if removed:
                messages.success(request, _("Removed the passkey."))
        return redirect("twofactor:settings")


@method_decorator(never_cache, name="dispatch")
class RecoveryCodesView(View):
    """The new recovery codes, shown once."""

    def get(self, request):
        codes = _take_codes(request)
        target = request.session.pop("twofactor_next", None) or reverse("shops:list")
        if not codes:
            return redirect(target)
        return render(request, "twofactor/recovery_codes.html", {"codes": codes, "next": target})

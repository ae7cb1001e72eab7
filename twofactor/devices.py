"""A user's second factors (django-otp devices): one TOTP app and a set of recovery codes.

django-otp does the one-time-password work (RFC 6238 with a drift window, refusing a code
used before, slowing down after failures); this module only names the devices we use.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp_webauthn.models import WebAuthnCredential

RECOVERY = "recovery"


def totp_device(user, *, confirmed: bool | None = True) -> TOTPDevice | None:
    qs = TOTPDevice.objects.filter(user=user)
    if confirmed is not None:
        qs = qs.filter(confirmed=confirmed)
    return qs.order_by("-pk").first()


def has_second_factor(user) -> bool:
    return has_passkey(user) or TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def passkeys(user):
    return WebAuthnCredential.objects.filter(user=user, confirmed=True).order_by("pk")


def has_passkey(user) -> bool:
    return passkeys(user).exists()


def is_required(user) -> bool:
    """Administrators (staff, or whoever may change credentials) need a second factor."""
    if not settings.MFA_REQUIRED:
        return False
    return user.is_staff or user.is_superuser or user.has_perm("shops.change_credentials")


def start_totp(user) -> TOTPDevice:
    """A new, unconfirmed authenticator-app device (replacing an unconfirmed one)."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=False)


def confirm_totp(device: TOTPDevice, code: str) -> bool:
    """Confirm a new device with a code from the app; the old device goes."""
    if not device.verify_token(code):
        return False
    with transaction.atomic():
        TOTPDevice.objects.filter(user=device.user, confirmed=True).exclude(pk=device.pk).delete()
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return True


def new_recovery_codes(user) -> list[str]:
    """Replace the user's recovery codes; returns them (shown once). Each works once."""
    with transaction.atomic():
        StaticDevice.objects.filter(user=user, name=RECOVERY).delete()
        device = StaticDevice.objects.create(user=user, name=RECOVERY, confirmed=True)
        codes = [StaticToken.random_token() for _ in range(settings.MFA_RECOVERY_CODES)]
        StaticToken.objects.bulk_create([StaticToken(device=device, token=c) for c in codes])
    return codes


def recovery_codes_left(user) -> int:
    return StaticToken.objects.filter(device__user=user, device__name=RECOVERY).count()


def remove_all(user) -> None:
    with transaction.atomic():
        TOTPDevice.objects.filter(user=user).delete()
        WebAuthnCredential.objects.filter(user=user).delete()
        StaticDevice.objects.filter(user=user, name=RECOVERY).delete()


def verify(user, code: str):
    """The device that accepts `code` (a 6-digit app code or an unused recovery code)."""
    code = "".join(code.split()).lower()
    if not code or len(code) > 16:
        return None
    if code.isascii() and code.isdigit():
        device = totp_device(user)
    else:
        device = StaticDevice.objects.filter(user=user, name=RECOVERY).first()
    if device is None:
        return None
    with transaction.atomic():
        return device if device.verify_token(code) else None

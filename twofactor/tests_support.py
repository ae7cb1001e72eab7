"""Helpers for the suite: give a user an authenticator app (the code computed with pyotp)."""

from base64 import b32encode

from . import devices


def enrol_totp(user):
    import pyotp

    device = devices.start_totp(user)
    totp = pyotp.TOTP(b32encode(device.bin_key).decode())
    assert devices.confirm_totp(device, totp.now())
    devices.new_recovery_codes(user)
    return totp

"""Results of connection checks, with messages an operator can act on."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext_lazy as _

from .transports.guard import GuardRefused

SUCCESS, FAILED, UNTESTED = "success", "failed", "untested"

# code -> what the operator reads first
MESSAGES = {
    "ok": _("Connected and authenticated."),
    "auth_failed": _("Authentication failed: check the ID, password or key."),
    # Also the answer for a mall's API that cannot be reached: no FTP-only advice here.
    "unreachable": _(
        "Cannot reach the server. If you entered its host address and port, check them; "
        "otherwise the mall's server may be down: try again later."
    ),
    "timeout": _("Timed out: the server did not answer in time."),
    "cert_error": _("Certificate error: the server's certificate could not be verified."),
    "host_key_changed": _(
        "The host key changed: the server is not the one tested before. If the mall announced "
        "a new key, an administrator can forget the old one on this page."
    ),
    "key_expired": _("The key has expired: issue a new one at the mall and enter it here."),
    "refused_host": _("This host is not allowed: it points to an internal or reserved address."),
    "not_configured": _("Not set up: enter the required values of this section first."),
    "not_signed_in": _("Not signed in at the mall yet, so there is nothing to test."),
    "not_testable": _("This mall offers no way to test these settings from outside."),
    "reachable_only": _(
        "The host answered over HTTPS, but the authentication code cannot be tested from outside."
    ),
    "redirected": _("The server redirected the request elsewhere; the settings look wrong."),
    "unexpected": _("The server gave an unexpected answer."),
    "decrypt_failed": _("The stored credentials cannot be decrypted with the configured keys."),
    "invalid_characters": _(
        "A stored key, token or this console's client secret holds characters that cannot be "
        "sent (such as full-width characters): enter the value again."
    ),
    "interrupted": _(
        "The test could not be completed: the worker stopped or the queue lost it. Try again."
    ),
    "not_found": _("The mall says there is no such shop: check the shop's ID or domain."),
    "client_not_configured": _(
        "This console has no client ID or secret for this mall's sign-in yet: an "
        "administrator must set them on the server."
    ),
    "client_rejected": _(
        "The mall refused this console's client ID or secret: an administrator must check "
        "them on the server."
    ),
}


def message_for(code: str, section=None):
    """What a person reads for a result code: the section's own message for a code only its
    mall reports (Section.messages), else the shared one; an unknown code is "unexpected"."""
    own = getattr(section, "messages", None) or {}
    return own.get(code) or MESSAGES.get(code, MESSAGES["unexpected"])


@dataclass
class CheckResult:
    status: str
    code: str
    detail: str = ""  # technical detail, folded below the message; never holds a secret
    transient: bool = False  # worth retrying (timeouts, resets)
    info: dict[str, Any] = field(default_factory=dict)  # shown to the user (fingerprint...)
    store: dict[str, Any] = field(default_factory=dict)  # settings to save on the shop
    store_secrets: dict[str, str] = field(default_factory=dict)  # secrets to save (encrypted)

    @property
    def message(self):
        return message_for(self.code)

    @classmethod
    def ok(cls, detail="", **kw):
        return cls(SUCCESS, "ok", detail, **kw)

    @classmethod
    def fail(cls, code, detail="", **kw):
        return cls(FAILED, code, detail, **kw)

    @classmethod
    def untested(cls, code, detail=""):
        return cls(UNTESTED, code, detail)


@dataclass
class CheckContext:
    """What a section's check may read: its own values and secrets, by field name."""

    values: dict[str, Any]
    secrets: dict[str, str]
    shop_code: str
    timeout: float
    callback_url: str = ""  # the console's OAuth callback (some providers want it on refresh)

    def get(self, name, default=None):
        return self.values.get(name, default)


def from_exception(exc: BaseException) -> CheckResult:
    """Map a network error to a result. The detail names the error, never a credential."""
    if isinstance(exc, GuardRefused):
        return CheckResult.fail("refused_host", str(exc))  # names no resolved address
    if isinstance(exc, ssl.SSLCertVerificationError | ssl.CertificateError):
        return CheckResult.fail("cert_error", str(exc))
    if isinstance(exc, TimeoutError | socket.timeout):
        return CheckResult.fail("timeout", type(exc).__name__, transient=True)
    if isinstance(exc, ConnectionResetError | BrokenPipeError):
        return CheckResult.fail("unreachable", type(exc).__name__, transient=True)
    if isinstance(exc, socket.gaierror):
        return CheckResult.fail("unreachable", f"name resolution failed: {exc.strerror}")
    if isinstance(exc, OSError):
        return CheckResult.fail("unreachable", f"{type(exc).__name__}: {exc.strerror or exc}")
    return CheckResult.fail("unexpected", type(exc).__name__)


# What a check tells the user beside its message (CheckResult.info), with its label.
INFO_LABELS = {
    "host_key": _("The server's host key"),
    "shop_name": _("Shop name at the mall"),
    "expires_on": _("Valid until"),
}


def info_lines(info: dict) -> list[tuple[str, str]]:
    """(label, value) of the info a check kept, in a fixed order; unknown keys are not shown."""
    return [(INFO_LABELS[k], str(info[k])) for k in INFO_LABELS if (info or {}).get(k)]

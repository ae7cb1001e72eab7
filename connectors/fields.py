"""Field declarations of a section: kind, validation, defaults, derivation from the shop URL."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _


def _interpolate(message, params) -> str:
    return str(message) % params


# "%(x)s" interpolation of a lazy translation, evaluated in the language of the request.
interpolate_lazy = lazy(_interpolate, str)

# Features of the manual's headings: (商品)(在庫)(受注)(カード)(発注)
PRODUCT, STOCK, ORDER, CARD, PURCHASE = "product", "stock", "order", "card", "purchase"
FEATURE_LABELS = {
    PRODUCT: _("Products"),
    STOCK: _("Stock"),
    ORDER: _("Orders"),
    CARD: _("Card"),
    PURCHASE: _("Purchasing"),
}

HOSTNAME_RE = re.compile(
    r"^(?=.{1,253}$)(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$"
)

# Field kinds. Forms map each kind to a widget; nothing outside connectors/ looks at a
# field's name.
TEXT, SECRET, INT, BOOL, CHOICE, EMAIL, HOST, PORT, KEY_PEM, DATE = (
    "text",
    "secret",
    "int",
    "bool",
    "choice",
    "email",
    "host",
    "port",
    "pem",
    "date",
)
KINDS = {TEXT, SECRET, INT, BOOL, CHOICE, EMAIL, HOST, PORT, KEY_PEM, DATE}


@dataclass(frozen=True)
class Derive:
    """A value that follows from the shop URL: the first group of `pattern`, plus a prefix.

    The same pattern runs in Python (on save) and in the browser (as the URL is typed), so
    it must stay within the syntax both understand.
    """

    pattern: str
    prefix: str = ""
    do_not_call_in_templates = True  # templates test it, they must not call it

    def __call__(self, url: str) -> str:
        match = re.search(self.pattern, url or "")
        return f"{self.prefix}{match.group(1)}" if match else ""


def store_id(pattern: str, prefix: str = "") -> Derive:
    return Derive(pattern, prefix)


def validate_host(value: str) -> None:
    try:
        ipaddress.ip_address(value)
        return
    except ValueError:
        pass
    if not HOSTNAME_RE.match(value):
        raise ValidationError(
            _("Enter a host name such as ftp.example.jp (no scheme, path or spaces).")
        )


def validate_port(value: int) -> None:
    if not 1 <= value <= 65535:
        raise ValidationError(_("Enter a port number from 1 to 65535."))


def validate_pem_public_key(value: str) -> None:
    text = value.strip()
    if not (
        re.match(r"^-----BEGIN [A-Z ]*PUBLIC KEY-----", text)
        and re.search(r"-----END [A-Z ]*PUBLIC KEY-----$", text)
    ):
        raise ValidationError(
            _(
                "Paste the whole public key, including the -----BEGIN PUBLIC KEY----- and "
                "-----END PUBLIC KEY----- lines."
            )
        )


@dataclass(frozen=True)
class Field:
    name: str
    label: Any
    kind: str = TEXT
    help: Any = ""
    required: bool = False  # required whenever the section is in use
    default: Any = None  # prefilled; for fixed values, what the manual says to enter
    fixed: bool = False  # the manual fixes the value ("一律で")
    choices: tuple = ()
    derive: Derive | None = None
    max_length: int = 255
    retired: bool = False  # kept for reference, no longer used by the mall
    pattern: str = ""  # extra regex the value must match
    pattern_message: Any = ""
    placeholder: str = ""

    @property
    def secret(self) -> bool:
        return self.kind == SECRET

    @property
    def marks_use(self) -> bool:
        """A value here means the operator is setting the section up."""
        return (
            self.default is None
            and self.derive is None
            and not self.retired
            and self.kind not in (BOOL, DATE)
        )

    def validate(self, value) -> None:
        if value in (None, ""):
            return
        if self.kind == EMAIL:
            validate_email(value)
        elif self.kind == HOST:
            validate_host(value)
        elif self.kind == PORT:
            validate_port(value)
        elif self.kind == KEY_PEM:
            validate_pem_public_key(value)
        if self.pattern and isinstance(value, str) and not re.fullmatch(self.pattern, value):
            raise ValidationError(self.pattern_message or _("Enter a valid value."))

    def display(self, value) -> str:
        """The value as the form showed it: a choice's label, 使用する for True, ..."""
        if value in (None, ""):
            return ""
        if self.kind == BOOL:
            truthy = value in (True, "1", "True", "true", 1)
            return str(_("Use") if truthy else _("Do not use"))
        if self.kind == CHOICE:
            return str(dict(self.choices).get(value, value))
        return str(value)

"""Field declarations of a section: kind, validation, defaults, derivation from the shop URL."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime
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


# ---- hostile input: what every typed value goes through ---------------------------------------
#
# Bounds (docs/hostile-input.md): single-line values hold no control character (C0, C1, DEL,
# U+2028/U+2029); invisible characters (Unicode category Cf: zero-width spaces and joiners,
# BOM, bidi controls, soft hyphen; and the Hangul fillers) are removed with a warning; numbers
# are ASCII or full-width digits only; dates lie within DATE_MIN..DATE_MAX.

DATE_MIN, DATE_MAX = date(2000, 1, 1), date(2100, 12, 31)
INT_MAX = 2_147_483_647  # a signed 32-bit column holds it on every database
MULTILINE_CONTROLS = frozenset("\r\n")
_EXTRA_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0")  # Hangul fillers (category Lo)
_FULLWIDTH_DIGITS = str.maketrans("０１２３４５６７８９＋－", "0123456789+-")
_NUMBER_RE = re.compile(r"[+-]?[0-9]{1,18}")


def is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Zl", "Zp")


def is_invisible(char: str) -> bool:
    return unicodedata.category(char) == "Cf" or char in _EXTRA_INVISIBLE


def control_error(label) -> ValidationError:
    return ValidationError(
        _('"%(field)s" cannot contain control characters such as line breaks or tabs.'),
        code="control_characters",
        params={"field": label},
    )


def invisible_error(label) -> ValidationError:
    return ValidationError(
        _(
            '"%(field)s" contains invisible characters (zero-width spaces, BOM, direction '
            "marks). Remove them and enter the value again."
        ),
        code="invisible_characters",
        params={"field": label},
    )


def invisible_warning(label) -> str:
    return str(
        _(
            "Invisible characters (zero-width spaces, BOM, direction marks) were removed "
            'from "%(field)s". Check the value.'
        )
    ) % {"field": label}


def clean_text(value: str, label, *, multiline: bool = False) -> tuple[str, bool]:
    """(value without invisible characters, whether any were removed).

    Raises ValidationError naming the field when the value holds a control character
    (a multi-line value may hold line breaks)."""
    removed = False
    kept = []
    for char in value:
        if is_invisible(char):
            removed = True
        elif is_control(char) and not (multiline and char in MULTILINE_CONTROLS):
            raise control_error(label)
        else:
            kept.append(char)
    return ("".join(kept) if removed else value), removed


def check_text(value: str, label, *, multiline: bool = False) -> None:
    """Refuse (not strip) control and invisible characters: for values that arrive already
    cleaned, or through a boundary that cannot warn."""
    for char in value:
        if is_invisible(char):
            raise invisible_error(label)
        if is_control(char) and not (multiline and char in MULTILINE_CONTROLS):
            raise control_error(label)


def length_error(label, limit: int, length: int) -> ValidationError:
    return ValidationError(
        _('"%(field)s" can be at most %(limit)d characters (it has %(length)d).'),
        code="max_length",
        params={"field": label, "limit": limit, "length": length},
    )


def parse_number(value, label, *, min_value: int, max_value: int) -> int:
    """An int from what a person typed: ASCII or full-width digits with an optional sign
    (other scripts' digits are not digits here), within min_value..max_value."""
    if isinstance(value, bool):
        raise number_error(label)
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip().strip("\u3000").translate(_FULLWIDTH_DIGITS)
        if not _NUMBER_RE.fullmatch(text):
            if re.fullmatch(r"[+-]?[0-9]+", text):  # too many digits: out of range anyway
                raise range_error(label, min_value, max_value)
            raise number_error(label)
        number = int(text)
    if not min_value <= number <= max_value:
        raise range_error(label, min_value, max_value)
    return number


def number_error(label) -> ValidationError:
    return ValidationError(
        _('Enter "%(field)s" as a whole number in digits (0-9).'),
        code="invalid",
        params={"field": label},
    )


def range_error(label, min_value: int, max_value: int) -> ValidationError:
    return ValidationError(
        _('Enter "%(field)s" as a number from %(min)s to %(max)s.'),
        code="range",
        params={"field": label, "min": _grouped(min_value), "max": _grouped(max_value)},
    )


def _grouped(number: int) -> str:
    return f"{number:,}" if abs(number) >= 100_000 else str(number)


def date_error(label) -> ValidationError:
    return ValidationError(
        _('Enter "%(field)s" as a date from %(min)s to %(max)s, such as 2025-08-30.'),
        code="date_range",
        params={"field": label, "min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()},
    )


def check_date(value, label) -> date:
    """The date of `value` (a date or ISO text) if it lies within DATE_MIN..DATE_MAX."""
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        try:
            value = date.fromisoformat(str(value)[:10])
        except ValueError:
            raise date_error(label) from None
    if not DATE_MIN <= value <= DATE_MAX:
        raise date_error(label)
    return value


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
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    try:
        load_pem_public_key(text.encode("ascii"))
    except (ValueError, TypeError, UnicodeEncodeError, UnsupportedAlgorithm):
        raise ValidationError(
            _(
                "This is not a readable public key: copy it again from the mall's screen, "
                "without changing any line."
            )
        ) from None


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
    min_value: int | None = None  # INT and PORT: bounds (defaults: 0..INT_MAX, 1..65535)
    max_value: int | None = None

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

    @property
    def multiline(self) -> bool:
        return self.kind == KEY_PEM

    @property
    def bounds(self) -> tuple[int, int]:
        """(min, max) of a number field."""
        low, high = (1, 65535) if self.kind == PORT else (0, INT_MAX)
        return (
            low if self.min_value is None else self.min_value,
            high if self.max_value is None else self.max_value,
        )

    def validate(self, value) -> None:
        """Every boundary (form, API, file) checks a value with this, once it is cleaned:
        no control or invisible character, a length within max_length, numbers and dates
        within their bounds, then the kind's own rules."""
        if value in (None, ""):
            return
        if isinstance(value, str) and self.kind not in (INT, PORT, DATE):
            check_text(value, self.label, multiline=self.multiline)
            if len(value) > self.max_length:
                raise length_error(self.label, self.max_length, len(value))
        if self.kind in (INT, PORT):
            low, high = self.bounds
            parse_number(value, self.label, min_value=low, max_value=high)
        elif self.kind == DATE:
            check_date(value, self.label)
        if self.kind == EMAIL:
            validate_email(value)
        elif self.kind == HOST:
            validate_host(value)
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

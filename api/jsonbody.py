"""JSON from outside (an API body, a bulk import file), read strictly: what Python's json module
accepts but nothing else can store or show is refused with a message a person can act on."""

from __future__ import annotations

import json
import math
import re

from django.utils.translation import gettext as _

MAX_DEPTH = 20  # a shop is 3 levels deep; a list of shops 4
_SURROGATE = re.compile(r"[\ud800-\udfff]")


class BadJSON(ValueError):
    """The JSON cannot be used; the message says why (in the user's language)."""


def _constant(name: str):
    raise BadJSON(
        _("The JSON holds %(value)s, which is not a number JSON allows.") % {"value": name}
    )


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 reads as infinity
        _constant(text)
    return value


def loads(data: str | bytes):
    try:
        value = json.loads(data, parse_constant=_constant, parse_float=_float)
    except BadJSON:
        raise
    except RecursionError:
        raise BadJSON(_("The JSON is nested too deeply.")) from None
    except json.JSONDecodeError as exc:
        raise BadJSON(
            _("The JSON cannot be read at line %(line)d, column %(column)d.")
            % {"line": exc.lineno, "column": exc.colno}
        ) from None
    except UnicodeDecodeError:
        raise BadJSON(_("The JSON is not UTF-8 text.")) from None
    except ValueError:  # an integer of more than 4,300 digits, among others
        raise BadJSON(_("The JSON holds a value that is too large.")) from None
    _check(value, 0)
    return value


def _check(value, depth: int) -> None:
    if depth > MAX_DEPTH:
        raise BadJSON(_("The JSON is nested too deeply."))
    if isinstance(value, str):
        if _SURROGATE.search(value):
            raise BadJSON(
                _(
                    "The JSON holds a \\u escape that is not a character "
                    "(a lone surrogate such as \\ud800)."
                )
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _check(key, depth + 1)
            _check(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _check(item, depth + 1)

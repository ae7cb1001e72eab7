"""Small readers the malls' local servers share: headers (case-insensitive, as HTTP has
them), query strings, forms, JSON bodies and HTTP Basic credentials."""

from __future__ import annotations

import base64
import binascii
import json
from urllib.parse import parse_qs


def header(request, name: str, default: str = "") -> str:
    wanted = name.lower()
    for key, value in request["headers"].items():
        if key.lower() == wanted:
            return value
    return default


def query(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request["query"], keep_blank_values=True).items()}


def form(request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request["body"], keep_blank_values=True).items()}


def json_body(request):
    try:
        return json.loads(request["body"] or "null")
    except ValueError:
        return None


def is_form(request) -> bool:
    return header(request, "Content-Type").startswith("application/x-www-form-urlencoded")


def basic(request) -> tuple[str, str] | None:
    """(user, password) of an Authorization: Basic header, or None."""
    value = header(request, "Authorization")
    if not value.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(value[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    user, sep, password = decoded.partition(":")
    return (user, password) if sep else None


def bearer(request) -> str:
    value = header(request, "Authorization")
    return value[7:] if value.startswith("Bearer ") else ""

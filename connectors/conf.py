"""Settings a connector reads: its defaults live in the connector, a setting only overrides.

As django-anymail does for an e-mail provider's API URL, a connector declares each endpoint
and credential with a default inside the connector. The operator overrides one with a Django
setting of the same name or, failing that, an environment variable (`.env` included), so the
project's settings module carries no mall data at all.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from django.conf import settings as django_settings


def setting(name: str, default=""):
    """A Django setting named `name`, else the environment variable, else `default`."""
    value = getattr(django_settings, name, None)
    if value is None or value == "":
        value = os.environ.get(name, "")
    return default if value is None or value == "" else value


def bool_setting(name: str, default: bool = False) -> bool:
    value = setting(name, None)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Endpoint:
    """A URL a connector calls: the provider's documented default, overridable by `setting`."""

    setting: str
    default: str
    doc: str = ""  # what it is, for docs/configuration

    @property
    def url(self) -> str:
        return str(setting(self.setting, self.default)).rstrip("/")

    def join(self, path: str) -> str:
        return f"{self.url}/{path.lstrip('/')}"

"""The connector registry.

A mall is declared once, as a Connector subclass in its own module under connectors/malls/,
and registered under its code. Registering a code twice raises at start-up instead of
silently replacing the first class, and so does any inconsistency in what the connector
declares (see `Registry.validate`).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from django.core.exceptions import ImproperlyConfigured

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{1,31}$")


class Connector:
    """What the console knows about one mall.

    code: stable identifier stored on each shop (never change it once shops exist).
    label: the mall's Japanese name, shown everywhere.
    imports_order_mail: the mall's order mails are forwarded to a per-shop address.
    imports_order_csv: orders come in through the TEMPOSTAR-format order CSV.
    order: position in the mall picker (the manual's order).
    summary: what the console links with this mall, for the picker's card.
    help_url: the mall's own page on linking with outside tools.
    sources: the public documentation the connector follows.
    closed_on / closed_source: the day the mall ended its service and the public page that
        says so. A closed mall stays registrable (old shops keep their data), and the picker
        and the shop's page say サービス終了 with that date and source. Declare it only with a
        source; both or neither.
    """

    code: str = ""
    label: str = ""
    imports_order_mail: bool = False
    imports_order_csv: bool = False
    order: int = 0
    description: Any = ""
    summary: Any = ""
    help_url: str = ""
    sources: tuple[str, ...] = ()
    closed_on: date | None = None
    closed_source: str = ""
    sections: tuple = ()  # connectors.sections.Section instances, in the manual's order

    @classmethod
    def section(cls, key: str):
        for section in cls.sections:
            if section.key == key:
                return section
        raise LookupError(f"{cls.code} has no section {key!r}.")

    @classmethod
    def fields(cls):
        """(section, field) pairs in page order."""
        for section in cls.sections:
            for f in section.fields:
                yield section, f

    @classmethod
    def endpoints(cls):
        seen = []
        for section in cls.sections:
            for endpoint in section.endpoints:
                if endpoint not in seen:
                    seen.append(endpoint)
        return seen

    @classmethod
    def providers(cls):
        seen = []
        for section in cls.sections:
            if section.provider is not None and section.provider not in seen:
                seen.append(section.provider)
        return seen

    def __repr__(self) -> str:
        return f"<Connector {self.code}>"


class Registry:
    def __init__(self):
        self._connectors: dict[str, type[Connector]] = {}

    def register(self, cls: type[Connector]) -> type[Connector]:
        problems = self.problems(cls)
        if problems:
            raise ImproperlyConfigured(
                f"{cls.__module__}.{cls.__qualname__}: " + "; ".join(problems)
            )
        existing = self._connectors.get(cls.code)
        if existing is not None and existing is not cls:
            raise ImproperlyConfigured(
                f"Mall code {cls.code!r} is registered twice: "
                f"{existing.__module__}.{existing.__qualname__} and "
                f"{cls.__module__}.{cls.__qualname__}."
            )
        self._connectors[cls.code] = cls
        return cls

    @staticmethod
    def problems(cls: type[Connector]) -> list[str]:
        """Everything wrong with what a connector declares."""
        if not cls.code or not cls.label:
            return ["must declare code and label"]
        problems = []
        if not CODE_RE.match(cls.code):
            problems.append(f"code {cls.code!r} must be lower-case letters, digits and _")
        if bool(cls.closed_on) != bool(cls.closed_source):
            problems.append("closed_on and closed_source go together")
        elif cls.closed_on and not isinstance(cls.closed_on, date):
            problems.append("closed_on must be a date")
        elif cls.closed_source and not cls.closed_source.startswith("https://"):
            problems.append("closed_source must be an https:// page")
        keys = [s.key for s in cls.sections]
        if len(keys) != len(set(keys)):
            problems.append(f"two sections share a key: {keys}")
        for section in cls.sections:
            if not CODE_RE.match(section.key):
                problems.append(f"section key {section.key!r} is not a plain identifier")
            problems += section.declaration_errors()
        return problems

    def validate(self) -> None:
        """Checks across connectors, once every mall module is imported: a setting names
        one endpoint, one provider is declared once."""
        owners: dict[str, tuple] = {}
        for connector in self.all():
            for endpoint in connector.endpoints():
                seen = owners.setdefault(endpoint.setting, (connector.code, endpoint))
                if seen[1] != endpoint:
                    raise ImproperlyConfigured(
                        f"Setting {endpoint.setting} names two endpoints: "
                        f"{seen[0]} ({seen[1].default}) and {connector.code} ({endpoint.default})."
                    )

    def get(self, code: str) -> type[Connector]:
        try:
            return self._connectors[code]
        except KeyError:
            raise LookupError(f"Unknown mall code {code!r}.") from None

    def __contains__(self, code: object) -> bool:
        return code in self._connectors

    def all(self) -> list[type[Connector]]:
        return sorted(self._connectors.values(), key=lambda c: (c.order, c.code))

    def choices(self) -> list[tuple[str, str]]:
        return [(c.code, c.label) for c in self.all()]

    def codes(self) -> list[str]:
        return [c.code for c in self.all()]

    def providers(self) -> list:
        seen = []
        for connector in self.all():
            for provider in connector.providers():
                if provider not in seen:
                    seen.append(provider)
        return seen


registry = Registry()
register = registry.register

"""The connector registry.

A mall is declared once, as a Connector subclass in its own module under connectors/malls/,
and registered under its code. Registering a code twice raises at start-up instead of
silently replacing the first class.
"""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class Connector:
    """What the console knows about one mall.

    code: stable identifier stored on each shop (never change it once shops exist).
    label: the mall's Japanese name, shown everywhere.
    imports_order_mail: the mall's order mails are forwarded to a per-shop address.
    order: position in the mall picker (the manual's order).
    """

    code: str = ""
    label: str = ""
    imports_order_mail: bool = False
    imports_order_csv: bool = False  # orders come in through the TEMPOSTAR-format CSV
    order: int = 0
    description: str = ""
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

    def __repr__(self) -> str:
        return f"<Connector {self.code}>"


class Registry:
    def __init__(self):
        self._connectors: dict[str, type[Connector]] = {}

    def register(self, cls: type[Connector]) -> type[Connector]:
        if not cls.code or not cls.label:
            raise ImproperlyConfigured(f"{cls.__qualname__} must declare code and label.")
        keys = [s.key for s in cls.sections]
        if len(keys) != len(set(keys)):
            raise ImproperlyConfigured(f"{cls.code}: two sections share a key: {keys}.")
        existing = self._connectors.get(cls.code)
        if existing is not None and existing is not cls:
            raise ImproperlyConfigured(
                f"Mall code {cls.code!r} is registered twice: "
                f"{existing.__module__}.{existing.__qualname__} and "
                f"{cls.__module__}.{cls.__qualname__}."
            )
        self._connectors[cls.code] = cls
        return cls

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


registry = Registry()
register = registry.register

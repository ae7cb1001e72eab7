"""One test module per mall: tests/connectors/test_<code>.py holds the mall's complete
settings (DATA, a distinct value for every secret), its local server speaking the mall's
documented protocol, and its tests. Generic suites read every mall's DATA from here."""

from __future__ import annotations

import importlib

from connectors.base import registry


def mall_module(code: str):
    return importlib.import_module(f"tests.connectors.test_{code}")


def all_data() -> dict[str, dict]:
    """{mall code: DATA} for every registered mall, in the picker's order."""
    return {c.code: mall_module(c.code).DATA for c in registry.all()}

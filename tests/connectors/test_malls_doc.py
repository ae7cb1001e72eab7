"""What the connectors declare for docs/malls.md (the table itself: tests/test_docs.py), and a
closure is declared with its source."""

from datetime import date
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from connectors.base import Connector, Registry, registry

DOC = Path(__file__).resolve().parents[2] / "docs" / "malls.md"


def test_every_testable_section_says_what_its_test_does_and_cannot_know():
    for connector in registry.all():
        for section in connector.sections:
            if section.testable:
                assert section.check_does and section.check_cannot, (connector.code, section.key)


def test_every_connector_with_an_outside_check_names_its_sources():
    for connector in registry.all():
        checks_outside = [
            s for s in connector.sections if s.testable and type(s).__name__ != "NoOutsideCheck"
        ]
        api = [s for s in checks_outside if s.key != "ftp"]
        if api:
            assert connector.sources, connector.code


@pytest.mark.parametrize(
    ("closed_on", "source", "message"),
    [
        (date(2020, 1, 31), "", "go together"),
        (None, "https://example.com/notice", "go together"),
        ("2020-01-31", "https://example.com/notice", "must be a date"),
        (date(2020, 1, 31), "http://example.com/notice", "https://"),
    ],
)
def test_a_closure_needs_a_date_and_a_source(closed_on, source, message):
    class Closed(Connector):
        code, label = "closed_mall", "閉店モール"

    Closed.closed_on, Closed.closed_source = closed_on, source
    with pytest.raises(ImproperlyConfigured, match=message):
        Registry().register(Closed)

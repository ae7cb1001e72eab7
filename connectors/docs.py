"""The malls table of docs/malls.md, generated from the registry (a test keeps them equal)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import translation

from .base import registry

BEGIN, END = "<!-- malls-table:begin -->", "<!-- malls-table:end -->"


def first_line(*texts) -> str:
    for text in texts:
        lines = (text or "").strip().splitlines()
        if lines:
            return lines[0].strip()
    return ""


def lifetime_text(lifetime) -> str:
    if lifetime is None:
        return "not published: the expiry date is entered"
    if callable(lifetime) and not isinstance(lifetime, timedelta):
        return first_line(lifetime.__doc__)
    if isinstance(lifetime, timedelta):
        if lifetime.days and not lifetime.seconds:
            return f"{lifetime.days} days"
        return f"{int(lifetime.total_seconds() // 3600)} hours"
    months = getattr(lifetime, "months", 0) + 12 * getattr(lifetime, "years", 0)
    return f"{months} months" if months else str(lifetime)


def malls_table() -> str:
    """A Markdown table: every registered mall, its sections, tests, expiries and settings."""
    rows = [
        "| code | mall | sections | connection test (what it cannot know) "
        "| expiring credentials | settings |",
        "|---|---|---|---|---|---|",
    ]
    with translation.override("ja"):
        for c in registry.all():
            sections = "; ".join(f"`{s.key}` {s.title}" for s in c.sections)
            tests = (
                "; ".join(
                    f"`{s.key}`: {s.check_does} (cannot know: {s.check_cannot})"
                    for s in c.sections
                    if s.testable
                )
                or "-"
            )
            expiries = (
                "; ".join(
                    f"{e.label}: {lifetime_text(e.lifetime)}"
                    for s in c.sections
                    for e in s.expiries
                )
                or "-"
            )
            names = [e.setting for e in c.endpoints()]
            for p in c.providers():
                names += [n for n in p.setting_names() if n not in names]
            settings = ", ".join(f"`{n}`" for n in names) or "-"
            rows.append(
                f"| `{c.code}` | {c.label} | {sections} | {tests} | {expiries} | {settings} |"
            )
    return "\n".join([BEGIN, *rows, END])

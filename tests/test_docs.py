"""The documentation stays true to the code: the generated malls table, links, settings."""

import re
from pathlib import Path

from connectors.base import registry
from connectors.docs import BEGIN, END, malls_table

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
README = ROOT / "README.md"
# [text](target) of Markdown; images too. Targets with a scheme or a bare #anchor are skipped.
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def markdown_files() -> list[Path]:
    return [README, *sorted(DOCS.glob("*.md"))]


def test_malls_table_matches_the_registry():
    text = (DOCS / "malls.md").read_text(encoding="utf-8")
    assert BEGIN in text and END in text, f"docs/malls.md lacks the {BEGIN} ... {END} markers"
    pasted = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert pasted == malls_table(), (
        "The malls table in docs/malls.md differs from the connectors. Run "
        "`python manage.py malls_table` and paste its output between the markers."
    )


def test_readme_is_small():
    size = README.stat().st_size
    assert size < 15_000, f"README.md is {size} bytes: move details to docs/ (limit 15,000)"


def relative_links():
    """(file, target) of every link to a place in the repository; code holds examples only."""
    for path in markdown_files():
        text = path.read_text(encoding="utf-8")
        text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
        text = re.sub(r"`[^`\n]*`", "", text)
        for target in LINK.findall(text):
            if not re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE):
                yield path, target


def test_every_relative_link_points_at_a_file():
    broken = [
        f"{path.relative_to(ROOT)}: {target}"
        for path, target in relative_links()
        if not target.startswith("#")
        and not (path.parent / target.split("#", 1)[0]).resolve().exists()
    ]
    assert not broken, "Links to missing files:\n" + "\n".join(broken)


def slugs(path: Path) -> set[str]:
    """The anchors GitHub gives a Markdown file's headings (lower case, punctuation dropped,
    spaces to hyphens, a repeated heading numbered)."""
    text = re.sub(r"```.*?```", "", path.read_text(encoding="utf-8"), flags=re.DOTALL)
    found, seen = set(), {}
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        found.add(slug if count == 0 else f"{slug}-{count}")
    return found


def test_every_anchor_points_at_a_heading():
    broken = []
    for path, target in relative_links():
        if "#" not in target:
            continue
        file_part, anchor = target.split("#", 1)
        linked = (path.parent / file_part).resolve() if file_part else path
        if linked.suffix == ".md" and linked.exists() and anchor not in slugs(linked):
            broken.append(f"{path.relative_to(ROOT)}: {target}")
    assert not broken, "Links to missing headings:\n" + "\n".join(broken)


def test_every_connector_setting_is_documented():
    documented = (DOCS / "configuration.md").read_text(encoding="utf-8") + (
        DOCS / "malls.md"
    ).read_text(encoding="utf-8")
    names = set()
    for connector in registry.all():
        names.update(endpoint.setting for endpoint in connector.endpoints())
        for provider in connector.providers():
            names.update(provider.setting_names())
    missing = sorted(n for n in names if not re.search(rf"\b{re.escape(n)}\b", documented))
    assert not missing, (
        f"Settings declared by connectors but not in docs/configuration.md or docs/malls.md: "
        f"{', '.join(missing)}"
    )

"""Text bound for one line of an e-mail header (a reminder's or an alert's subject)."""

import re
import unicodedata

_SPACES = re.compile(r"\s+")


def header_text(value: str) -> str:
    """One line of text for an e-mail header: control, format and separator characters (CR,
    LF, TAB, NUL, zero-width, line and paragraph separators, ...) become spaces."""
    cleaned = "".join(
        " " if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in value
    )
    return _SPACES.sub(" ", cleaned).strip()

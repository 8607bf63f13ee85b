"""Text normalisation shared by ingestion, indexing and the citation checks."""

from __future__ import annotations

import re
import unicodedata

# NO-BREAK SPACE and its relatives, zero-width characters and soft hyphens that
# the sources contain but that must never split or glue words when matching.
_SPACES = re.compile(r"[\u00a0\u2007\u202f\u2000-\u200a\u3000\t\f\v]")
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_WS = re.compile(r"\s+")


def normalize_text(text: str) -> str:
    """NFC-normalise and turn exotic spaces into plain ones; keep line structure."""
    text = unicodedata.normalize("NFC", text)
    text = _INVISIBLE.sub("", text)
    text = _SPACES.sub(" ", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = [line.rstrip() for line in text.split("\n")]
    return "\n".join(lines).strip("\n")


def squash(text: str) -> str:
    """Normalise and collapse all whitespace to single spaces (for matching)."""
    return _WS.sub(" ", normalize_text(text)).strip()


# Headings in the text every reader produces: a line of "#" marks (one per level, as in
# Markdown: "# " a page's title heading, "## " its sections, …) and the heading. A bold
# paragraph that stands as a heading ("**Bemærk:**") sits below every marked level.
BOLD_HEADING_LEVEL = 7
HEADING_LINE = re.compile(r"^(#{1,9}) (.*)$")


def heading_line(text: str, level: int) -> str:
    """A heading of ``level`` (1 = the top) as a line of the readers' text."""
    return "#" * max(1, min(level, 9)) + " " + text


def heading_of(line: str) -> tuple[int, str] | None:
    """(level, text) when ``line`` is a heading line, else None."""
    match = HEADING_LINE.match(line)
    return (len(match.group(1)), match.group(2).strip()) if match else None

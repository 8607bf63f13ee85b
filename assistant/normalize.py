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

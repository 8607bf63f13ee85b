"""Citations are post-processing over stable chunk ids.

The composer (or any other answer writer) marks each statement with the id of
the passage it comes from, as ``[[chunk_id]]``. ``cite`` turns those marks into
``[1]``, ``[2]`` … in order of first use, builds the numbered sources, and drops
every mark whose id is not among the passages the writer was given, so an
``[n]`` in an answer always resolves to a passage that was really retrieved.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A mark holds a chunk id ("doc-slug#3-1a2b3c4d"), and only that shape is a mark: a
# source's own double brackets (a Drupal token such as "[[webform_submission:values:navn]]")
# are quoted text, not a citation to drop.
MARK = re.compile(r"\s*\[\[([^\[\]\s#]+#\d+-[0-9a-f]{8})\]\]")


@dataclass
class Citation:
    n: int
    doc_id: str
    title: str
    url: str | None
    chunk_id: str
    text: str
    score: float
    section: str = ""  # the heading of the cited passage's section ("" before the first)
    date: str | None = None  # the document's date, when the corpus gives one


def mark(chunk_id: str) -> str:
    """The mark a writer puts after a statement taken from passage ``chunk_id``."""
    return f" [[{chunk_id}]]"


def cite(draft: str, passages: dict) -> tuple[str, list[Citation]]:
    """Number the marks of ``draft``; ``passages`` maps chunk id -> (Chunk, score).

    Marks of ids not in ``passages`` are removed; the same id gets the same number.
    """
    numbers: dict[str, int] = {}
    citations: list[Citation] = []

    def number(m: re.Match) -> str:
        chunk_id = m.group(1)
        if chunk_id not in passages:
            return ""
        if chunk_id not in numbers:
            numbers[chunk_id] = len(numbers) + 1
            chunk, score = passages[chunk_id]
            citations.append(
                Citation(
                    numbers[chunk_id],
                    chunk.doc_id,
                    chunk.title,
                    chunk.url,
                    chunk.chunk_id,
                    chunk.text,
                    round(float(score), 4),
                    chunk.heading,
                    chunk.date,
                )
            )
        return f" [{numbers[chunk_id]}]"

    text = MARK.sub(number, draft)
    # One source cited twice in a row reads as one: "[1] [1]" -> "[1]".
    text = re.sub(r"(\[\d+\])(?:\s*\1)+", r"\1", text)
    text = re.sub(r"\]\s+\[", "][", text)
    return text.strip(), citations

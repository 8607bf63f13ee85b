"""Text blocks from the lines a PDF's pages hold.

A PDF stores lines where the layout put them, not paragraphs: every page repeats a
running header and footer, long words are hyphenated at the line end, headings are
just short lines, and a sentence can run over a page break. These rules (facts about
printed documents, tested in tests/test_pdftext.py) turn the pages' lines into the
blocks the chunker reads: paragraphs separated by a blank line, headings marked
"# ", list items as "- " lines.
"""

from __future__ import annotations

import re
from collections import Counter

# A line that only numbers the page: "3", "- 3 -", "Side 3", "Side 3 af 12", "3/12", "Page 3 of 12".
_PAGE_NUMBER = re.compile(
    r"(?:(?:side|page|s\.)\s*)?[-–]?\s*\d{1,4}\s*[-–]?(?:\s*(?:af|of|/)\s*\d{1,4})?", re.I
)
# Bullets as PDF text extraction gives them (Symbol and Wingdings bullets included).
_BULLET = re.compile(r"^\s*(?:[•●▪◦○■□►▸‣⁃–*\uf0a7\uf0b7\uf0d8\uf076]|-(?=\s))\s*")
_NUMBERED = re.compile(r"^\s*(?:\d{1,2}[.)]|[a-zæøå][.)])\s+")
_SECTION_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2})*\.?\s+\S")
_ENDS_SENTENCE = re.compile(r"[.!?:;]['\"”’)]*$")
_HYPHEN_END = re.compile(r"(\w+)-$")
# Running headers and footers are looked for among this many lines at each end of a page.
EDGE_LINES = 3
HEADING_MAX_WORDS = 12
MIN_WIDTH = 50  # characters: the narrowest text column taken for full width


def _shape(line: str) -> str:
    """A line with its digits blanked: "Side 3 af 12" and "Side 4 af 12" look alike."""
    return re.sub(r"\d+", "#", " ".join(line.split()).lower())


def _running_lines(pages: list[list[str]]) -> set[str]:
    """Shapes of lines that stand at the top or bottom of at least half the pages
    (and of two or more): the running header and footer."""
    if len(pages) < 2:
        return set()
    seen: Counter[str] = Counter()
    for lines in pages:
        edge = {_shape(line) for line in lines[:EDGE_LINES] + lines[-EDGE_LINES:]}
        seen.update(edge)
    need = max(2, (len(pages) + 1) // 2)
    return {shape for shape, n in seen.items() if n >= need and shape}


def _without_furniture(pages: list[list[str]]) -> list[list[str]]:
    running = _running_lines(pages)
    cleaned = []
    for lines in pages:
        kept = []
        for i, line in enumerate(lines):
            at_edge = i < EDGE_LINES or i >= len(lines) - EDGE_LINES
            if at_edge and (_shape(line) in running or _PAGE_NUMBER.fullmatch(line.strip())):
                continue
            kept.append(line)
        cleaned.append(kept)
    return cleaned


def _join_hyphenated(first: str, second: str, vocabulary: set[str]) -> str:
    """``first`` ends with "word-": a hyphenated line break, or a compound's own hyphen
    ("it-" + "systemer")? The document's own spelling decides; without one, a hyphen
    after an abbreviation or digit stays and a lower-case word is joined."""
    m = _HYPHEN_END.search(first)
    assert m is not None
    head = m.group(1)
    tail_match = re.match(r"\w+", second)
    tail = tail_match.group(0) if tail_match else ""
    joined, kept = f"{head}{tail}".lower(), f"{head}-{tail}".lower()
    keep = kept in vocabulary or not (
        joined in vocabulary or (head.islower() and len(head) > 2 and tail[:1].islower())
    )
    return first + second if keep else first[:-1] + second


def _is_list_item(line: str) -> bool:
    return bool(_BULLET.match(line) or _NUMBERED.match(line))


def _is_heading(line: str, before: str | None, after: str | None, width: int) -> bool:
    """A short line without a sentence's end, after a finished sentence, a heading or
    the start (``before`` None), followed by a line that starts a sentence."""
    words = line.split()
    if not words or len(words) > HEADING_MAX_WORDS or _ENDS_SENTENCE.search(line):
        return False
    if line.rstrip().endswith((",", "-")) or _is_list_item(line):
        return False
    if not (words[0][:1].isupper() or _SECTION_NUMBER.match(line)):
        return False
    if before is not None and not _ENDS_SENTENCE.search(before):
        return False
    if len(line) > 0.7 * width:  # a full-width line is running text
        return False
    return after is None or after[:1].isupper() or after[:1].isdigit() or _is_list_item(after)


# Typographic ligatures that PDF text extraction returns as one character.
_LIGATURES = str.maketrans(
    {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
)


def pages_to_text(pages: list[str]) -> str:
    """The blocks of a PDF whose pages extracted as ``pages`` (one string per page)."""
    pages = [page.translate(_LIGATURES) for page in pages]
    split = [[ln.strip() for ln in page.split("\n") if ln.strip()] for page in pages]
    split = _without_furniture(split)
    lines = [line for page in split for line in page]  # a sentence may run over a page break
    if not lines:
        return ""
    vocabulary = {w.lower() for line in lines for w in re.findall(r"\w+(?:-\w+)*", line)}
    # The text width: most lines of running text are full; a page of short lines
    # (a form, a table) must not make every line look full.
    lengths = sorted(len(line) for line in lines)
    width = max(lengths[int(0.9 * (len(lengths) - 1))], MIN_WIDTH)
    blocks: list[list[str]] = []  # each: lines of one paragraph, heading or list
    current: list[str] = []
    kind = ""

    def close() -> None:
        nonlocal current, kind
        if current:
            blocks.append(current)
        current, kind = [], ""

    previous: str | None = None
    for i, line in enumerate(lines):
        after = lines[i + 1] if i + 1 < len(lines) else None
        if current and current[-1].endswith("-") and _HYPHEN_END.search(current[-1]):
            if line[:1].isalnum():
                current[-1] = _join_hyphenated(current[-1], line, vocabulary)
                previous = current[-1]
                continue
        if _is_heading(line, previous, after, width):
            close()
            blocks.append(["# " + line])
            previous = None  # a heading may follow a heading ("2 Baggrund", "2.1 Formål")
            continue
        elif _is_list_item(line):
            if kind != "list":
                close()
                kind = "list"
            current.append("- " + _BULLET.sub("", line, count=1) if _BULLET.match(line) else line)
        elif kind == "list" and not _ENDS_SENTENCE.search(current[-1]) and line[:1].islower():
            current[-1] += " " + line  # a list item's wrapped line
        else:
            if kind == "list" or (
                current and _ENDS_SENTENCE.search(current[-1]) and len(current[-1]) < 0.7 * width
            ):
                close()  # a short last line ends the paragraph
            kind = kind or "text"
            if current and kind == "text":
                current[-1] += " " + line
            else:
                current.append(line)
        previous = line
    close()
    return "\n\n".join("\n".join(block) for block in blocks)

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
HEADING_MAX_SHARE = 0.8  # of the text width: longer lines are running text
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


def _first_word(line: str) -> str:
    return line.split(" ", 1)[0]


def _broken_early(line: str, after: str, width: int) -> bool:
    """Was the line broken before the text column was full? Then the break is the
    author's: ``after``'s first word would still have fit on ``line``."""
    return len(line) + 1 + len(_first_word(after)) <= width


def _is_heading(line: str, after: str | None, then: str | None, width: int) -> bool:
    """A short line without a sentence's end that starts with a capital letter or a
    section number, followed by running text (a full line, a finished one-line
    sentence, a sentence that goes on on the line ``then``, or a list): table rows,
    which are followed by more short rows, are not."""
    words = line.split()
    if not words or len(words) > HEADING_MAX_WORDS or _ENDS_SENTENCE.search(line):
        return False
    if line.rstrip().endswith((",", "-")) or _is_list_item(line) or ";" in line:
        return False
    if not (words[0][:1].isupper() or _SECTION_NUMBER.match(line)):
        return False
    if len(line) > HEADING_MAX_SHARE * width:  # a full line is running text
        return False
    if after is None:  # nothing under it: the end of a table or a closing line
        return False
    if _is_list_item(after) or _SECTION_NUMBER.match(after):
        return True
    starts = after[:1].isupper() or after[:1].isdigit()
    full = len(after) > HEADING_MAX_SHARE * width
    goes_on = then is not None and then[:1].islower()
    return starts and (full or goes_on or bool(_ENDS_SENTENCE.search(after)))


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
    # The text column's width: no line is wider; a document of short lines (a form,
    # a table) must not make every line look full.
    width = max(max(len(line) for line in lines), MIN_WIDTH)
    blocks: list[list[str]] = []  # each: lines of one paragraph, heading or list
    current: list[str] = []
    kind = ""

    def close() -> None:
        nonlocal current, kind
        if current:
            blocks.append(current)
        current, kind = [], ""

    previous: str | None = None  # the line before, as printed
    for i, line in enumerate(lines):
        after = lines[i + 1] if i + 1 < len(lines) else None
        then = lines[i + 2] if i + 2 < len(lines) else None
        if current and _HYPHEN_END.search(current[-1]) and line[:1].isalnum():
            current[-1] = _join_hyphenated(current[-1], line, vocabulary)
            previous = line
            continue
        # The line before ended its paragraph (or row) when it was a heading, or was
        # broken before the column was full and this line does not go on with its
        # sentence (a lower-case start does: a narrow column, a page break).
        ended = previous is None or (
            _broken_early(previous, line, width)
            and (bool(_ENDS_SENTENCE.search(previous)) or not line[:1].islower())
        )
        if ended and _is_heading(line, after, then, width):
            close()
            blocks.append(["# " + line])
            previous = None  # a heading may follow a heading ("2 Baggrund", "2.1 Formål")
            continue
        if _is_list_item(line):
            if kind != "list":
                close()
                kind = "list"
            current.append("- " + _BULLET.sub("", line, count=1) if _BULLET.match(line) else line)
        elif kind == "list" and not ended:
            current[-1] += " " + line  # a list item's wrapped line
        else:
            if kind == "list" or ended:
                close()
            kind = "text"
            if current:
                current[-1] += " " + line
            else:
                current.append(line)
        previous = line
    close()
    return "\n\n".join("\n".join(block) for block in blocks)

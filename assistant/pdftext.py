"""Text blocks from the lines a PDF's pages hold.

A PDF stores lines where the layout put them, not paragraphs: every page repeats a
running header and footer, long words are hyphenated at the line end, headings are
just short lines, and a sentence can run over a page break. These rules (facts about
printed documents, tested in tests/test_pdftext.py) turn the pages' lines into the
blocks the chunker reads: paragraphs separated by a blank line, headings marked
"# " (one "#" per level), list items as "- " lines, table rows as "header: value" lines.

The pages come from pypdf's layout mode (lines top to bottom, columns kept apart
by spaces) and, where it can read them, each line's font size, weight and height
(``page_styles``): then a line set larger or in bold is a heading, more space
above a line than the line spacing starts a paragraph or a table row, and a small
line set apart at a page's edge is a header or footer. Without them (plain text,
or a page whose lines cannot be matched) the shape of the lines decides.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from assistant.normalize import heading_line

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
_SLASH_END = re.compile(r"\S/$")
# A table of contents entry: a heading, a leader of dots, its page number.
_TOC_ENTRY = re.compile(r"(?:\.\s?){4,}\s*\d{1,4}$")
# Running headers and footers are looked for among this many lines at each end of a page.
EDGE_LINES = 3
HEADING_MAX_WORDS = 12
HEADING_MAX_SHARE = 0.8  # of the text width: longer lines are running text
MIN_WIDTH = 50  # characters: the narrowest text column taken for full width


def _shape(line: str) -> str:
    """A line with its digits blanked: "Side 3 af 12" and "Side 4 af 12" look alike."""
    return re.sub(r"\d+", "#", " ".join(line.split()).lower())


@dataclass
class _Line:
    """One printed line: its text (spaces collapsed) and where it stands.

    Text extracted in layout mode keeps the columns as spaces, so ``right`` (the
    column after its last character) says how far the line reaches and ``gap`` that
    a blank line (vertical space) stands between it and the line before on its page.
    Plain extraction gives ``right`` = its length and no gaps."""

    text: str
    raw: str
    right: int
    gap: bool = False
    size: float = 0.0  # font size in points (0: not known)
    bold: bool = False  # set in a bold font throughout
    y: float | None = None  # height of its baseline on the page (None: not known)


# How a printed line is set: (font size in points, bold throughout, baseline height).
Style = tuple[float, bool, float]


_GAP = re.compile(r"\s+")


def mend_split_words(layout: str, plain: str) -> str:
    """Layout-mode lines with the gaps that cut a word in two closed again.

    pypdf's layout mode places each piece of text at the column its position gives;
    where it misjudges a glyph's width (a ligature such as "ﬁ" counted as one
    character), the rest of the line drifts and a word comes out torn apart
    ("konﬁgur      eret", "bor      geren"). Plain mode reads the same page
    without positions and keeps the words whole, but loses the columns and the
    vertical space. So a gap is closed where the page's plain text writes the two
    pieces as one word and never as two words side by side ("identiﬁer      en" is
    "identiﬁeren", though "identiﬁer" and "en" are words too): "Trin   Handling" (two
    table columns) stays apart, since "TrinHandling" is no word of the page.
    """
    plain_words = plain.split()
    if not plain_words:
        return layout
    whole = set(plain_words)
    pairs = set(zip(plain_words, plain_words[1:], strict=False))
    lines = []
    for line in layout.split("\n"):
        pieces = _GAP.split(line.strip())
        if len(pieces) < 2:
            lines.append(line)
            continue
        gaps = [m.group() for m in _GAP.finditer(line.strip())]
        out = pieces[0]
        spare = 0  # spaces taken out of the line by mending, not yet given back
        for gap, piece in zip(gaps, pieces[1:], strict=True):
            last = _last_word(out)
            numbers = last[-1:].isdigit() and piece[:1].isdigit()  # two cells: "1   2"
            if last + piece in whole and (last, piece) not in pairs and not numbers:
                out += piece
                spare += len(gap)
            elif _COLUMNS.fullmatch(gap):
                # The next column keeps the place it had, so the cells still line up
                # with the rows above and below.
                out += gap + " " * spare + piece
                spare = 0
            else:
                out += gap + piece
        indent = line[: len(line) - len(line.lstrip())]
        lines.append(indent + out)
    return "\n".join(lines)


def _last_word(text: str) -> str:
    return text[text.rfind(" ") + 1 :]


def _number_depth(heading: str) -> int:
    """A numbered heading's depth ("2.1 Formål": 2); 1 without a number."""
    number = re.match(r"\d{1,2}((?:\.\d{1,2})*)\.?\s", heading)
    return 1 + number.group(1).count(".") if number else 1


def page_styles(page) -> list[Style]:
    """The style of each line of a pypdf page, top to bottom: text pieces at the same
    height (within half their size) form a line; its size is that of most of its
    characters, and it is bold when nearly all of them are set in a bold face."""
    pieces: list[tuple[float, float, bool, int]] = []  # (y, size, bold, characters)

    def visit(text, cm, tm, font, size) -> None:
        chars = len(text.strip())
        if not chars:
            return
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = ((tm[2] * cm[0] + tm[3] * cm[2]) ** 2 + (tm[2] * cm[1] + tm[3] * cm[3]) ** 2) ** 0.5
        name = str((font or {}).get("/BaseFont", "")).lower()
        bold = any(w in name for w in ("bold", "black", "heavy", "semibold", "demi"))
        pieces.append((y, float(size) * (scale or 1.0), bold, chars))

    page.extract_text(visitor_text=visit)
    lines: list[list[tuple[float, float, bool, int]]] = []
    for piece in sorted(pieces, key=lambda p: -p[0]):
        if lines and abs(lines[-1][0][0] - piece[0]) <= max(1.0, piece[1] / 2):
            lines[-1].append(piece)
        else:
            lines.append([piece])
    styles: list[Style] = []
    for line in lines:
        sizes: Counter[float] = Counter()
        for _, size, _, chars in line:
            sizes[round(size, 1)] += chars
        bold_chars = sum(chars for _, _, bold, chars in line if bold)
        total = sum(chars for *_, chars in line)
        styles.append((sizes.most_common(1)[0][0], bold_chars >= 0.9 * total, line[0][0]))
    return styles


def _page_lines(page: str, styles: list[Style] | None = None) -> list[_Line]:
    lines: list[_Line] = []
    blank = False
    for raw in page.split("\n"):
        if not raw.strip():
            blank = bool(lines)
            continue
        lines.append(_Line(" ".join(raw.split()), raw.rstrip(), len(raw.rstrip()), blank))
        blank = False
    if styles is not None and len(styles) == len(lines):  # else the lines cannot be matched
        for line, (size, bold, y) in zip(lines, styles, strict=True):
            line.size, line.bold, line.y = size, bold, y
    return lines


def _running_lines(pages: list[list[_Line]]) -> set[str]:
    """Shapes of lines that stand at the top or bottom of at least half the pages
    (and of two or more): the running header and footer."""
    if len(pages) < 2:
        return set()
    seen: Counter[str] = Counter()
    for lines in pages:
        edge = {_shape(line.text) for line in lines[:EDGE_LINES] + lines[-EDGE_LINES:]}
        seen.update(edge)
    need = max(2, (len(pages) + 1) // 2)
    return {shape for shape, n in seen.items() if n >= need and shape}


# Columns of a line in layout mode stand three or more spaces apart.
_COLUMNS = re.compile(r"\s{3,}")
# Justified text spreads its words by a space or two; a gap of four or more is a column.
_WIDE_GAP = re.compile(r"\s{4,}")
_CELL = re.compile(r"\S+(?:\s{1,2}\S+)*")  # text up to a gap of three spaces or more
ALIGN = 2  # columns a cell's start may stand off its column's
# A list item's number or letter, set apart from its text as a cell of its own.
_MARKER_CELL = re.compile(r"\d{1,2}[.)]?|[a-zæøå][.)]")


def _is_page_number(line: _Line, outermost: bool) -> bool:
    """The line numbers the page: alone, or (on the page's first or last line) in a
    column of its own beside a header's or footer's other text, where the number
    carries its word or total ("Rapport 2026          Side 3 af 12"). A bare number
    in a column ("2     Vælg Journal") is a table's or list's."""
    if _PAGE_NUMBER.fullmatch(line.text):
        return True
    if not outermost:
        return False
    cells = [c for c in _COLUMNS.split(line.raw.strip()) if c]
    return len(cells) > 1 and any(
        _PAGE_NUMBER.fullmatch(c) and not c.isdigit() for c in (cells[0], cells[-1])
    )


def _set_apart(lines: list[_Line], i: int, body: float) -> bool:
    """Line ``i`` is the first or last of its page, in a smaller font than the body
    text and with vertical space between it and the text: a header or footer (of a
    one-page document too, where nothing repeats)."""
    if not body or not 0 < lines[i].size < body - 0.5 or len(lines) < 2:
        return False
    if i == 0:
        return lines[1].gap
    return i == len(lines) - 1 and lines[i].gap


def _without_furniture(pages: list[list[_Line]], body: float = 0.0) -> list[list[_Line]]:
    running = _running_lines(pages)
    cleaned = []
    for lines in pages:
        kept: list[_Line] = []
        for i, line in enumerate(lines):
            if _TOC_ENTRY.search(line.text):
                continue  # a table of contents line repeats a heading and its page
            at_edge = i < EDGE_LINES or i >= len(lines) - EDGE_LINES
            outermost = i in (0, len(lines) - 1)
            if at_edge and (_shape(line.text) in running or _is_page_number(line, outermost)):
                continue
            if _set_apart(lines, i, body):
                continue
            # the first line of a page follows the last of the page before: no gap
            line.gap = line.gap and bool(kept)
            kept.append(line)
        cleaned.append(kept)
    return cleaned


# Abbreviations Danish writes in lower case before a compound's hyphen
# (Retskrivningsordbogen: "it-system", "pc-skærm", "sms-besked", "cpr-nummer").
_LOWER_ABBREVIATIONS = frozenset(
    "it tv pc cd dvd ip id ai ux sms mms pdf cpr cvr url api gps usb".split()
)


def _join_hyphenated(first: str, second: str, vocabulary: set[str]) -> str:
    """``first`` ends with "word-": a hyphenated line break, or a compound's own hyphen
    ("it-" + "systemer")? The document's own spelling decides; without one, a hyphen
    after an abbreviation (capitals, or one Danish writes in lower case) or a digit
    stays, and a word that goes on in lower case is joined ("Avance-" + "ret")."""
    m = _HYPHEN_END.search(first)
    assert m is not None
    head = m.group(1)
    tail_match = re.match(r"\w+", second)
    tail = tail_match.group(0) if tail_match else ""
    joined, kept = f"{head}{tail}".lower(), f"{head}-{tail}".lower()
    abbreviation = (
        (head.isupper() and len(head) > 1)
        or head.lower() in _LOWER_ABBREVIATIONS
        or any(c.isdigit() for c in head)
        or len(head) == 1
    )
    keep = kept in vocabulary or not (
        joined in vocabulary or (not abbreviation and tail[:1].islower())
    )
    return first + second if keep else first[:-1] + second


def _is_list_item(line: str) -> bool:
    return bool(_BULLET.match(line) or _NUMBERED.match(line))


def _first_word(line: str) -> str:
    return line.split(" ", 1)[0]


def _broken_early(right: int, after: str, width: int) -> bool:
    """Was the line (ending at column ``right``) broken before the text column was
    full? Then the break is the author's: ``after``'s first word would still have
    fit on it."""
    return right + 1 + len(_first_word(after)) <= width


def _is_heading(
    line: str, after: str | None, then: str | None, width: int, lead_in: bool = False
) -> bool:
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
    if _is_list_item(after) and lead_in:
        return False  # set like the text, a line before a list is its lead-in
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


# In layout mode a list's number may stand without a dot, apart from its text
# ("1   Indstillinger"): a number, then two or more spaces.
_BARE_NUMBER = re.compile(r"^\s*(\d{1,2})\s{2,}(?=\S)")
# Above this share of lines with vertical space before them, the space is the
# document's line spacing (1.5 or double), not the space between paragraphs.
GAP_MAX_SHARE = 0.5
PARAGRAPHS_APART = 0.05  # share of body lines set apart where paragraphs are spaced
LINE_JITTER = 1.25  # distances between lines within this factor count as one spacing


def _bare_numbers(lines: list[_Line]) -> set[int]:
    """Lines that are items of a list numbered without dots: a bare number apart
    from its text, next to the item numbered one more or one less. A numbered
    heading ("2  Baggrund") stands alone."""
    numbers = {
        i: int(m.group(1)) for i, ln in enumerate(lines) if (m := _BARE_NUMBER.match(ln.raw))
    }
    items: set[int] = set()
    ordered = sorted(numbers)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if numbers[b] == numbers[a] + 1 or numbers[b] == 1:
            items.update((a, b))
    return items


def _body_size(pages: list[list[_Line]]) -> float:
    """The font size of the running text (0 when sizes are not known): the size most
    characters of the longer lines that start at the left margin and hold one column
    are set in. A table's cells (often in a smaller font, and able to hold more
    characters than the text around them) and headers and footers (columns apart)
    do not count."""
    lines = [line for page in pages for line in page]
    if not lines:
        return 0.0
    margin = min(len(line.raw) - len(line.raw.lstrip()) for line in lines)
    text = [
        line
        for line in lines
        if len(line.raw) - len(line.raw.lstrip()) <= margin + ALIGN and len(_cells(line)) == 1
    ] or lines
    wide = max(len(line.text) for line in text) / 2
    sizes: Counter[float] = Counter()
    for line in text:
        if len(line.text) >= wide:
            sizes[line.size] += len(line.text)
    size, _ = sizes.most_common(1)[0]
    return size


def _spaced(pages: list[list[_Line]]) -> set[int]:
    """Indexes (in reading order) of lines with more than the line spacing above them
    on their page: where a document spaces its paragraphs (or a table's rows)
    apart, a new paragraph (or row).

    The line spacing of a font size is the commonest distance between two lines set
    in it, among those near the smallest that recurs (so double spacing is the line
    spacing, not a gap); a gap is a quarter of a line more."""
    steps: dict[float, Counter[float]] = {}
    for lines in pages:
        for a, b in zip(lines, lines[1:], strict=False):
            if a.y is not None and b.y is not None and a.size == b.size:
                steps.setdefault(a.size, Counter())[round((a.y - b.y) * 2) / 2] += 1
    leading: dict[float, float] = {}
    for size, found in steps.items():
        recurring = [d for d, n in found.items() if n >= 2 and d > 0]
        if recurring:  # the commonest step near the smallest: lines jitter a little
            near = [d for d in recurring if d <= LINE_JITTER * min(recurring)]
            leading[size] = max(near, key=lambda d: found[d])
    spaced: set[int] = set()
    n = 0
    for lines in pages:
        for j, line in enumerate(lines):
            before = lines[j - 1] if j else None
            step = leading.get(line.size, 0.0)
            if before is not None and before.y is not None and line.y is not None and step:
                if before.y - line.y > max(LINE_JITTER * step, step + 1.5):
                    spaced.add(n)
            n += 1
    return spaced


def _goes_on(lines: list[_Line], i: int, positioned: set[int], spaced: set[int]) -> bool:
    """Line ``i`` goes on with the line above it: set alike, without space between,
    after a line that is not a heading on its own (a bold list item's second line)."""
    if i == 0 or i not in positioned or i in spaced:
        return False
    above = lines[i - 1]
    same = (above.size, above.bold) == (lines[i].size, lines[i].bold)
    return same and (_is_list_item(above.text) or above.text.endswith(","))


def _styled_heading(line: _Line, body: float) -> bool:
    """Set larger than the body text, or in bold at its size: a heading, unless it is
    a list item or a table row (cells apart) or too long for one."""
    if not body or not line.size or _is_list_item(line.text) or len(_cells(line)) > 1:
        return False
    words = len(line.text.split())
    if line.text.endswith((".", ",", ";")):
        return False  # a sentence, set apart for emphasis
    if line.size >= body + 1:
        return words <= 2 * HEADING_MAX_WORDS
    return line.bold and words <= HEADING_MAX_WORDS


def _cells(line: _Line) -> list[tuple[int, str]]:
    """(start column, text) of each cell of a line in layout mode; a bullet set apart
    from its text is not a cell of its own."""
    cells: list[tuple[int, str]] = []
    for m in _CELL.finditer(line.raw):
        if cells and _BULLET.fullmatch(cells[-1][1]):
            cells[-1] = (cells[-1][0], f"{cells[-1][1]} {m.group(0)}")
        else:
            cells.append((m.start(), m.group(0)))
    return cells


def _column_heads(line: _Line) -> bool:
    """A line of three or more cells set apart ("Trin   Handling   Illustration") heads
    a table's columns; it is no heading of the text, even short and without a period.
    (Two cells may be a heading's number and its title: "2.1      Formål".)"""
    return len(_cells(line)) >= 3


def _column_of(start: int, columns: list[int]) -> int | None:
    for k, column in enumerate(columns):
        if abs(start - column) <= ALIGN:
            return k
    return None


def _tables(
    lines: list[_Line],
    spaced: set[int],
    positioned: set[int],
    vocabulary: set[str],
) -> tuple[dict[int, list[str]], set[int]]:
    """Tables of a page in layout mode: a line of two or more cells (the header)
    followed by lines in its font size whose cells all start in its columns, two of
    them again with two cells or more. Where the table's rows stand apart, a row starts
    where vertical space stands above a line (and at the top of a page where the
    first column has text); else where the first column has text. The lines of a
    cell are joined. Returns the rows as "header: value" lines by the
    index of the table's first line, and the indexes of all its lines."""
    from assistant.markup import join_row

    found: dict[int, list[str]] = {}
    used: set[int] = set()
    i = 0
    while i < len(lines):
        head = _cells(lines[i])
        if len(head) < 2 or _MARKER_CELL.fullmatch(head[0][1]):  # a list item, not a header
            i += 1
            continue
        columns = [start for start, _ in head]
        member = [i]
        for j in range(i + 1, len(lines)):
            cells = _cells(lines[j])
            ks = [_column_of(start, columns) for start, _ in cells]
            if not cells or None in ks or lines[j].size != lines[i].size:
                break  # a heading or the text after the table, set in another size
            if len(cells) == 1 and ks[0] == 0 and len(columns) > 1:
                if cells[0][0] + len(cells[0][1]) >= columns[1] - 1:
                    break  # running text from the left margin, not a cell
            member.append(j)
        if sum(len(_cells(lines[j])) >= 2 for j in member) < 3:
            i += 1
            continue
        rows: list[list[str]] = []
        padded = any(j in spaced for j in member[1:])  # its rows stand apart
        for j in member:
            cells = _cells(lines[j])
            if padded and j in positioned:
                starts_row = j in spaced
            else:  # rows not apart, or the top of a page: text in the first column
                starts_row = _column_of(cells[0][0], columns) == 0
            if not rows or starts_row:
                rows.append([""] * len(columns))
            for start, text in cells:
                k = _column_of(start, columns)
                assert k is not None
                cell = rows[-1][k]
                if cell and _HYPHEN_END.search(cell) and text[:1].isalnum():
                    rows[-1][k] = _join_hyphenated(cell, text, vocabulary)
                else:
                    rows[-1][k] = f"{cell} {text}".strip()
        headers = rows[0]
        found[i] = [
            line
            for row in rows[1:]
            if row != headers
            and (line := join_row(headers, row))  # a header repeated on a new page
        ]
        used.update(member)
        i = member[-1] + 1
    return found, used


def pages_to_text(pages: list[str], styles: list[list[Style] | None] | None = None) -> str:
    """The blocks of a PDF whose pages extracted as ``pages`` (one string per page, in
    plain or layout mode). With ``styles`` (``page_styles`` of each page), a line set
    larger or in bold is a heading and a small line apart at a page's edge a header
    or footer; without them, the shape of the lines decides."""
    pages = [page.translate(_LIGATURES) for page in pages]
    styles = styles or [None] * len(pages)
    split = [_page_lines(page, st) for page, st in zip(pages, styles, strict=True)]
    known = [line.size > 0 for page in split for line in page]
    body = _body_size(split) if known and all(known) else 0.0
    split = _without_furniture(split, body)
    printed = [line for page in split for line in page]  # a sentence may run over a page break
    if not printed:
        return ""
    bare = _bare_numbers(printed)
    for i in bare:
        m = _BARE_NUMBER.match(printed[i].raw)
        assert m is not None
        printed[i].text = f"{m.group(1)}. {' '.join(printed[i].raw[m.end() :].split())}"
    lines = [line.text for line in printed]
    spaced = _spaced(split)
    # Where line positions are known, only space between lines ends a paragraph on
    # a page; a line at the top of a page may still go on with the page before.
    placed = {  # lines whose distance to the line above them on the page is known
        n
        for n, (line, first) in enumerate(
            (line, j == 0) for page in split for j, line in enumerate(page)
        )
        if line.y is not None and not first
    }
    # Trust spacing alone only where the document spaces its paragraphs: some body
    # lines, not just headings, tables or lists, stand apart from the line above.
    body_pairs = [
        i
        for i in placed
        if printed[i].size == printed[i - 1].size == body and not _is_list_item(printed[i].text)
    ]
    apart = sum(i in spaced for i in body_pairs)
    positioned = placed if apart >= max(2, PARAGRAPHS_APART * len(body_pairs)) else set()
    styled = {
        i
        for i, line in enumerate(printed)
        if _styled_heading(line, body) and not _goes_on(printed, i, placed, spaced)
    }
    # Heading levels: the larger the type, the higher the level (bold at a size below
    # plain text at it); headings guessed without sizes take their section number's depth.
    ranks = sorted({(printed[i].size, printed[i].bold) for i in styled}, reverse=True)
    level = {i: 1 + ranks.index((printed[i].size, printed[i].bold)) for i in styled}
    gaps = sum(line.gap for line in printed)
    use_gaps = gaps <= GAP_MAX_SHARE * max(1, len(printed) - len(split))
    vocabulary = {w.lower() for line in lines for w in re.findall(r"\w+(?:-\w+)*", line)}
    # The text column's width: no line of running text is wider (a table's columns may
    # reach further out than the text does); a document of short lines (a form, a
    # table) must not make every line look full.
    prose = [line.right for line in printed if not _WIDE_GAP.search(line.raw.strip())]
    width = max(max(prose or [line.right for line in printed]), MIN_WIDTH)
    blocks: list[list[str]] = []  # each: lines of one paragraph, heading or list
    current: list[str] = []
    kind = ""

    def close() -> None:
        nonlocal current, kind
        if current:
            blocks.append(current)
        current, kind = [], ""

    tables, in_table = _tables(printed, spaced, placed, vocabulary)
    previous: _Line | None = None  # the line before, as printed
    for i, line in enumerate(lines):
        if i in tables:
            close()
            blocks.extend([row] for row in tables[i])  # one block a row, as Markdown's
            previous = None
        if i in in_table:
            continue
        after = lines[i + 1] if i + 1 < len(lines) else None
        then = lines[i + 2] if i + 2 < len(lines) else None
        if current and _HYPHEN_END.search(current[-1]) and line[:1].isalnum():
            current[-1] = _join_hyphenated(current[-1], line, vocabulary)
            previous = printed[i]
            continue
        if current and _SLASH_END.search(current[-1]) and line[:1].isalnum():
            current[-1] += line  # a web address or path broken after a slash
            previous = printed[i]
            continue
        if i in styled:
            same = (
                i - 1 in styled
                and blocks
                and not printed[i].gap
                and (printed[i].size, printed[i].bold) == (printed[i - 1].size, printed[i - 1].bold)
            )
            close()
            if same:
                blocks[-1][0] += " " + line  # a heading set over two lines
            else:
                blocks.append([heading_line(line, level[i])])
            previous = None
            continue
        # The line before ended its paragraph (or row) when it was a heading, when
        # vertical space stands between them, or when it was broken before the
        # column was full and this line does not go on with its sentence (a
        # lower-case start does: a narrow column, a page break).
        ended = (
            previous is None
            or (i in spaced)
            or (i not in positioned and use_gaps and printed[i].gap)
            or (
                i not in positioned
                and _broken_early(previous.right, line, width)
                and (bool(_ENDS_SENTENCE.search(previous.text)) or not line[:1].islower())
            )
        )
        # Where font sizes mark headings, they alone do; where sizes are known but
        # mark none, a short line before a list set like the text around it is the
        # list's lead-in ("For at gøre dette skal du"), not a heading.
        if (
            not styled
            and ended
            and i not in bare
            and not _column_heads(printed[i])
            and _is_heading(line, after, then, width, lead_in=bool(body))
        ):
            close()
            blocks.append([heading_line(line, _number_depth(line))])
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
        previous = printed[i]
    close()
    return "\n\n".join("\n".join(block) for block in blocks)

"""Read the corpus folder into clean documents: one loader per file type.

Markdown goes through markdown-it-py, web pages through trafilatura (with a
BeautifulSoup fallback), front matter through python-frontmatter (see
``assistant.markup``). Any document may have a sidecar metadata file next to it
(``name.txt.meta.json`` or ``name.meta.yaml``: title, url, date) that gives it a
title and URL without editing it. Bylines, share links and cookie notices of web
pages are dropped (``is_furniture``).

A file that cannot be read, or is not text, is skipped with one warning that
names it; the rest of the corpus is still indexed.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from assistant.normalize import BOLD_HEADING_LEVEL, heading_line, heading_of, normalize_text

SUPPORTED = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx")


@dataclass(frozen=True)
class Document:
    doc_id: str
    title: str
    text: str  # normalised; headings as lines of "#" marks, one per level ("## Formål")
    path: str  # relative to the corpus folder
    sha256: str  # of the raw file bytes
    url: str | None = None
    date: str | None = None
    meta: dict = field(default_factory=dict, compare=False)
    # (link text, absolute URL) of the links in ``text``, in reading order
    links: tuple[tuple[str, str], ...] = ()
    # problems that did not stop the document from loading (a broken sidecar file)
    notes: tuple[str, ...] = field(default=(), compare=False)


class LoadError(Exception):
    """A file that cannot be turned into text."""


def decode_bytes(raw: bytes) -> str:
    """UTF-8 (with or without BOM), else cp1252, else latin-1 (never fails)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


# --- text or not ---------------------------------------------------------------

BINARY_SHARE = 0.05  # more unprintable characters than this: not a text file


def unprintable_share(text: str) -> float:
    """Share of control, unassigned, private-use and replacement characters in the
    first 100,000 characters. Text in any language has next to none (tabs and line
    breaks aside); bytes that are not text, decoded as cp1252 or latin-1, give 10-25 %."""
    sample = text[:100_000]
    if not sample:
        return 0.0
    bad = sum(
        1
        for ch in sample
        if ch == "\ufffd"
        or (ch not in "\t\n\r\f\v" and unicodedata.category(ch) in ("Cc", "Cn", "Co", "Cs"))
    )
    return bad / len(sample)


def read_text_file(path: Path) -> str:
    """Decode a text file; a file that is not text raises LoadError."""
    raw = path.read_bytes()
    if b"\x00" in raw[:4096]:
        raise LoadError(f"{path.name}: looks like a binary file, not text (it has NUL bytes)")
    text = decode_bytes(raw)
    share = unprintable_share(text)
    if share > BINARY_SHARE:
        raise LoadError(
            f"{path.name}: looks like a binary file, not text "
            f"({share:.0%} of its characters are unprintable)"
        )
    return text


# --- front matter and sidecar metadata ---------------------------------------------

METADATA_KEYS = ("id", "title", "url", "date")


def _scalars(data: object) -> dict[str, str]:
    """The scalar values of a metadata mapping, keys lower-cased (lists and maps dropped)."""
    if not isinstance(data, dict):
        return {}
    return {
        str(k).strip().lower(): str(v).strip()
        for k, v in data.items()
        if v is not None and not isinstance(v, list | dict | tuple | set) and str(v).strip()
    }


def split_front_matter(text: str, name: str = "") -> tuple[dict[str, str], str]:
    """YAML front matter between ``---`` lines (python-frontmatter); the body after it."""
    import frontmatter
    import yaml

    if not text.startswith("---"):
        return {}, text
    try:
        post = frontmatter.loads(text)
    except (yaml.YAMLError, ValueError) as exc:
        raise LoadError(f"{name}: the front matter is not valid YAML ({exc})") from exc
    return _scalars(post.metadata), post.content


SIDECAR_SUFFIXES = (".meta.json", ".meta.yaml", ".meta.yml")


def sidecar_path(path: Path) -> Path | None:
    """``name.txt.meta.json`` (or ``name.meta.json``; ``.yaml``/``.yml`` too) next to a
    document: its title, url and date, for files that cannot carry them inside."""
    for stem in (path.name, path.stem):
        for suffix in SIDECAR_SUFFIXES:
            candidate = path.with_name(stem + suffix)
            if candidate.is_file():
                return candidate
    return None


def read_sidecar(path: Path) -> dict[str, str]:
    """The metadata in ``path``'s sidecar file ({} when it has none)."""
    import json

    import yaml

    sidecar = sidecar_path(path)
    if sidecar is None:
        return {}
    try:
        text = decode_bytes(sidecar.read_bytes())
        data = json.loads(text) if sidecar.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError) as exc:
        raise LoadError(f"{sidecar.name}: not readable metadata ({exc})") from exc
    if not isinstance(data, dict):
        raise LoadError(f"{sidecar.name}: metadata must be a mapping such as title, url, date")
    return {k: v for k, v in _scalars(data).items() if k in METADATA_KEYS}


# --- page furniture --------------------------------------------------------------

# Web pages carry furniture around their article, and copies of pages (.txt, .md,
# .html) keep it: a byline or dateline (a label such as "Redaktør", "Skrevet af",
# "Sidst opdateret" or "Last updated", followed by at most a name or a date, or a
# date alone on its line), share and print controls ("Del på Facebook", "Share",
# "Print", "Udskriv", "Til toppen"), and cookie notices (a short text about
# cookies that asks for consent). Such a line says nothing about the subject and
# must never be quoted, so a line that is nothing but furniture is dropped.
_MONTHS = (
    r"(?:jan(?:uar|uary)?|feb(?:ruar|ruary)?|mar(?:ts|ch)?|apr(?:il)?|maj|may|juni?|june|"
    r"juli?|july|aug(?:ust)?|sep(?:tember)?|okt(?:ober)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
)
_DATE = (
    rf"(?:\d{{1,2}}[./-]\s?\d{{1,2}}[./-]\s?\d{{2,4}}|\d{{4}}-\d{{2}}-\d{{2}}|"
    rf"\d{{1,2}}\.?\s+{_MONTHS}\.?\s+\d{{4}}|{_MONTHS}\s+\d{{1,2}},?\s+\d{{4}})"
    rf"(?:,?\s*(?:kl\.?\s*)?\d{{1,2}}[:.]\d{{2}})?"
)
_BYLINE_LABEL = (
    r"(?:ansvarlig redaktør|redaktør|redaktion|skrevet af|forfatter|af|"
    r"sidst opdateret|senest opdateret|senest redigeret|opdateret|publiceret|udgivet|"
    r"by|written by|author|posted by|last updated|last modified|updated|published|posted)"
)
_NAME = r"(?-i:[A-ZÆØÅ][\w.'-]*(?:\s+(?:[A-ZÆØÅ][\w.'-]*|af|og|von|van|de))*)"
_SHARE_TARGET = r"(?:facebook|linkedin|twitter|x|e-?mail|mail|sms|messenger|bluesky|print|udskriv)"
_FURNITURE_LINE = re.compile(
    rf"(?:{_BYLINE_LABEL}(?:\s*[:–-]\s*|\s+)?(?:{_DATE}|{_NAME}(?:\s*[,|–-]\s*{_DATE})?)?"
    rf"|{_DATE}"
    rf"|(?:del|share)(?:\s+(?:på|via|on|this|denne|siden|artiklen|side|page|article))*"
    rf"(?:\s*[:|·,/-]?\s*{_SHARE_TARGET})*"
    rf"|(?:{_SHARE_TARGET}\s*[|·,/]?\s*){{2,}}"
    r"|print(?:\s+(?:siden|side|page|this page))?|udskriv(?:\s+siden)?|gem som pdf|læs op"
    r"|(?:tilbage )?til toppen|back to top|gå til (?:hovedindhold|indhold)|skip to (?:main )?content)"
    r"[.!]?",
    re.I,
)
_COOKIE = re.compile(r"\bcookies?\b", re.I)
_CONSENT = re.compile(
    r"\b(?:accept\w*|tillad\w*|afvis\w*|samtykke\w*|consent\w*|allow\w*|reject\w*)\b", re.I
)


def is_furniture(line: str) -> bool:
    """A byline, dateline, share or print control, or cookie notice (the rule above)."""
    line = " ".join(line.split()).strip(" |·•")
    if not line:
        return False
    words = len(line.split())
    if words <= 8 and _FURNITURE_LINE.fullmatch(line):
        return True
    parts = [p for p in re.split(r"\s+[|·•/]\s+", line) if p]
    if 1 < len(parts) and words <= 16 and all(_FURNITURE_LINE.fullmatch(p) for p in parts):
        return True  # "Del på Facebook | Del på LinkedIn | Print"
    return words <= 40 and bool(_COOKIE.search(line)) and bool(_CONSENT.search(line))


# A CMS's embed token left in exported text: Drupal writes a picture or file placed in
# the text as its settings in JSON between double brackets ('[[{"fid":"265",
# "view_mode":"default", …}]]'). A reader sees the picture, never the token.
_EMBED_TOKEN = re.compile(r'[ \t]*\[\[\{\s*"fid"\s*:.*?\}\]\]', re.S)


def _drop_embed(match: re.Match) -> str:
    """Nothing, or one space where the token stood between two words."""
    text, start, end = match.string, match.start(), match.end()
    before = text[start - 1 : start]
    after = text[end : end + 1]
    return " " if before and after and not before.isspace() and not after.isspace() else ""


def drop_page_furniture(text: str) -> str:
    """``text`` without its lines of page furniture and its CMS embed tokens."""
    text = _EMBED_TOKEN.sub(_drop_embed, text)
    return "\n".join(line for line in text.split("\n") if not is_furniture(line))


# --- loaders ----------------------------------------------------------------------


@dataclass
class Loaded:
    """What a loader returns: metadata, the text, and the links in it."""

    meta: dict[str, str]
    text: str
    links: list[tuple[str, str]] = field(default_factory=list)


def load_text(path: Path) -> Loaded:
    meta, body = split_front_matter(read_text_file(path), path.name)
    return Loaded(meta, drop_page_furniture(body))


def load_markdown(path: Path) -> Loaded:
    meta, body = split_front_matter(read_text_file(path), path.name)
    from assistant.markup import markdown_to_text  # loaded for builds only

    rendered = markdown_to_text(body)
    return Loaded(meta, drop_page_furniture(rendered.text), rendered.links)


def load_html(path: Path) -> Loaded:
    from assistant.markup import html_to_text

    rendered = html_to_text(read_text_file(path))
    return Loaded(rendered.meta, drop_page_furniture(rendered.text), rendered.links)


def load_pdf(path: Path) -> Loaded:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        pages = [_page_text(page) for page in reader.pages]
        styles = [_page_styles(page) for page in reader.pages]
        info = reader.metadata  # None: the PDF has no document information
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as exc:
        raise LoadError(f"{path.name}: not a readable PDF ({exc})") from exc
    title = embedded_title(str(info.title)) if info is not None and info.title else None
    meta = {"title": title} if title else {}
    from assistant.pdftext import pages_to_text

    text = pages_to_text(pages, styles)
    if not text:
        raise LoadError(f"{path.name}: the PDF has no extractable text (scanned image?)")
    return Loaded(meta, drop_page_furniture(text))


def _page_text(page) -> str:
    """A PDF page's text in layout mode: lines in the order they stand on the page
    (top to bottom, so running headers and footers are at its ends), columns and
    vertical space kept as spaces and blank lines for ``pdftext`` to read, and words
    that layout mode tore apart mended from the plain reading (``mend_split_words``).
    A page layout mode cannot read is read plainly."""
    from assistant.pdftext import mend_split_words

    try:
        layout = page.extract_text(extraction_mode="layout") or ""
    except Exception:  # pypdf's layout mode fails on some fonts; plain mode still reads them
        return page.extract_text() or ""
    try:
        plain = page.extract_text() or ""
    except Exception:  # then the words stay as layout mode gave them
        return layout
    return mend_split_words(layout, plain)


def _page_styles(page) -> list | None:
    """Font size and weight of each line of a PDF page (None: not readable)."""
    from assistant.pdftext import page_styles

    try:
        return page_styles(page)
    except Exception:  # styles only sharpen headings; the text is read without them
        return None


def load_docx(path: Path) -> Loaded:
    import zipfile

    from docx import Document as DocxDocument

    try:
        doc = DocxDocument(str(path))
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise LoadError(f"{path.name}: not a readable Word file ({exc})") from exc
    from docx.table import Table

    blocks: list[str] = []
    links: list[tuple[str, str]] = []
    numbers = _DocxNumbers(doc)
    in_list = False  # the last block is a list: its next item joins it, as in Markdown
    for item in _docx_blocks(doc.element.body, doc._body):  # in reading order
        if isinstance(item, Table):
            blocks.extend(_docx_table_rows(item))
            in_list = False
            continue
        text = docx_text(item._p).strip()
        if not text:
            continue
        links.extend(_docx_links(item))
        style = (item.style.name or "").lower() if item.style is not None else ""
        if style.startswith(_TOC_STYLES):
            continue  # a table of contents repeats the headings, with page numbers
        marker = numbers.marker(item, style)
        if style.startswith(("heading", "overskrift", "title", "titel")):
            text = heading_line(" ".join(text.split()), _docx_heading_level(style))
        elif in_list and style.startswith(_CONTINUE_STYLES):
            blocks[-1] += " " + " ".join(text.split())  # a list item's second paragraph
            continue
        elif marker is not None:
            text = f"{marker} {' '.join(text.split())}"
            if in_list:
                blocks[-1] += "\n" + text
                continue
            blocks.append(text)
            in_list = True
            continue
        elif _docx_bold_heading(item, text):
            text = heading_line(" ".join(text.split()), BOLD_HEADING_LEVEL)
        blocks.append(text)
        in_list = False
    title = embedded_title(doc.core_properties.title or "")
    meta = {"title": title} if title else {}
    return Loaded(meta, drop_page_furniture("\n\n".join(blocks)), links)


# Word's table of contents styles ("TOC 1", Danish "Indholdsfortegnelse 1").
_TOC_STYLES = ("toc ", "toc heading", "indholdsfortegnelse")

# Word's built-in "List Continue" styles (Danish "Liste - fortsat") hold a further
# paragraph of the list item above them, without a number or bullet of their own.
_CONTINUE_STYLES = ("list continue", "liste - fortsat", "liste fortsat")


class _DocxNumbers:
    """The number or bullet Word draws before a list paragraph.

    Word does not store a list item's number in its text: the paragraph (or its
    style, as "List Number" and "List Bullet" do) points to a numbering definition,
    whose level says whether it is a bullet or a number; Word counts the items. A
    paragraph in a list style without a definition counts as a bullet (or as a
    number when the style's name says so)."""

    def __init__(self, doc) -> None:
        self.formats: dict[tuple[str, str], str] = {}  # (numId, ilvl) -> numFmt
        self.counts: dict[str, list[int]] = {}  # numId -> one counter per level
        try:
            numbering = doc.part.numbering_part.element
        except (KeyError, NotImplementedError, AttributeError):
            return
        abstract = {
            a.get(_w("abstractNumId")): {
                lvl.get(_w("ilvl")): (lvl.find(_w("numFmt")).get(_w("val")) or "")
                for lvl in a.findall(_w("lvl"))
                if lvl.find(_w("numFmt")) is not None
            }
            for a in numbering.findall(_w("abstractNum"))
        }
        for num in numbering.findall(_w("num")):
            ref = num.find(_w("abstractNumId"))
            levels = abstract.get(ref.get(_w("val")) if ref is not None else None, {})
            for ilvl, fmt in levels.items():
                self.formats[(num.get(_w("numId")), ilvl)] = fmt

    @staticmethod
    def _num_pr(paragraph) -> tuple[str | None, str]:
        """(numId, ilvl) from the paragraph, else from its style or the styles it is based on."""
        holders = [paragraph._p.pPr]
        style = paragraph.style
        while style is not None:
            holders.append(style.element.pPr)
            style = style.base_style
        num_id, ilvl = None, None
        for ppr in holders:
            pr = ppr.find(_w("numPr")) if ppr is not None else None
            if pr is None:
                continue
            if num_id is None and pr.find(_w("numId")) is not None:
                num_id = pr.find(_w("numId")).get(_w("val"))
            if ilvl is None and pr.find(_w("ilvl")) is not None:
                ilvl = pr.find(_w("ilvl")).get(_w("val"))
        return num_id, ilvl or "0"

    def marker(self, paragraph, style: str) -> str | None:
        """ "-" for a bullet, "3." for the third item of a numbered list, None outside lists."""
        num_id, ilvl = self._num_pr(paragraph)
        if num_id == "0" or (num_id is None and not style.startswith(("list", "liste"))):
            return None  # numId 0 switches numbering off
        if style.startswith(_CONTINUE_STYLES):
            return None
        fmt = self.formats.get((num_id or "", ilvl))
        if fmt is None:
            fmt = "decimal" if re.search(r"number|nummer|tal", style) else "bullet"
        if fmt in ("bullet", "none"):
            return "-"
        level = int(ilvl) if ilvl.isdigit() else 0
        counts = self.counts.setdefault(num_id or style, [])
        del counts[level + 1 :]  # a higher level item restarts the levels below it
        counts.extend([0] * (level + 1 - len(counts)))
        counts[level] += 1
        return f"{counts[level]}."


def _w(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(f"w:{tag}")


def _docx_links(paragraph) -> list[tuple[str, str]]:
    """(text, absolute URL) of the paragraph's hyperlinks."""
    out = []
    for link in paragraph.hyperlinks:
        url = (link.url or "").strip()
        if re.match(r"https?://", url, re.I) and link.text.strip():
            out.append((link.text, url))
    return out


def _docx_heading_level(style: str) -> int:
    """1 for a title style, N for "Heading N" / "Overskrift N" (2 when unnumbered)."""
    if style.startswith(("title", "titel")):
        return 1
    number = re.search(r"(\d+)\s*$", style)
    return int(number.group(1)) if number else 2


def _docx_bold_heading(paragraph, text: str) -> bool:
    """A short paragraph whose text is all bold: many Word authors mark a section
    heading so instead of using a heading style (as Markdown writers do with
    ``**...**``, see ``markup._bold_heading``)."""
    if len(text.split()) > 12 or "\n" in text:
        return False
    style_bold = False  # the paragraph style's weight, from the styles it is based on
    style = paragraph.style
    while style is not None:
        if style.font.bold is not None:
            style_bold = bool(style.font.bold)
            break
        style = style.base_style
    runs = [r for r in paragraph.iter_inner_content() for r in getattr(r, "runs", [r])]
    runs = [r for r in runs if r.text.strip()]

    def bold(run) -> bool:  # the run's own setting, its character style's, the paragraph's
        for setting in (run.bold, run.style.font.bold if run.style is not None else None):
            if setting is not None:
                return bool(setting)
        return style_bold

    return bool(runs) and all(bold(r) for r in runs)


# Elements whose text Word does not show as part of the document: a tracked change's
# moved-away or deleted text, and the fallback copy of a drawing (a text box is stored
# twice, once for newer and once for older Word versions).
_DOCX_HIDDEN = ("moveFrom", "del", "Fallback")


def docx_text(element) -> str:
    """The text Word shows for a paragraph or table cell: every run, also those inside
    content controls, hyperlinks, smart tags and tracked insertions (python-docx's
    ``Paragraph.text`` skips content controls), a tab or line break as such, and a
    new line between the paragraphs a cell or text box holds."""
    parts: list[str] = []

    def walk(el, top: bool) -> None:
        local = _local(el)
        if local in _DOCX_HIDDEN or (local == "sdt" and _placeholder(el)):
            return
        in_run = el.getparent() is not None and el.getparent().tag == _w("r")
        if local == "t":
            parts.append(el.text or "")
        elif local == "tab" and in_run:  # not a tab stop of the paragraph's properties
            parts.append("\t")
        elif local in ("br", "cr") and in_run:
            parts.append("\n")
        elif local == "noBreakHyphen":
            parts.append("-")
        elif local == "p" and not top and parts:
            parts.append("\n")
        for child in el:
            walk(child, False)
        if local == "p" and not top:
            parts.append("\n")  # a text box's paragraph ends before the text around it goes on

    walk(element, True)
    return "".join(parts)


def _local(el) -> str:
    """An XML element's name without its namespace ('' for comments and the like)."""
    return el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""


def _placeholder(sdt) -> bool:
    """Does a content control still show its "Klik her for at skrive tekst" prompt?"""
    return sdt.find(f"{_w('sdtPr')}/{_w('showingPlcHdr')}") is not None


def _docx_children(container, names: tuple[str, ...]):
    """The children of a Word element named one of ``names``, in order, also those
    inside content controls (``w:sdt``: templates wrap whole sections, fields and
    repeating table rows in them) and custom XML, which python-docx's
    ``iter_inner_content`` and ``table.rows`` leave out. An unfilled control's prompt
    is no content."""
    for child in container:
        local = _local(child)
        if local in names:
            yield child
        elif local == "sdt" and not _placeholder(child):
            content = child.find(_w("sdtContent"))
            if content is not None:
                yield from _docx_children(content, names)
        elif local == "customXml":
            yield from _docx_children(child, names)


def _docx_blocks(container, parent):
    """The paragraphs and tables of a Word body in reading order."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    for child in _docx_children(container, ("p", "tbl")):
        yield Paragraph(child, parent) if _local(child) == "p" else Table(child, parent)


def _docx_rows(table) -> list:
    """A Word table's rows in order, those inside a content control too."""
    from docx.table import _Row

    return [_Row(tr, table) for tr in _docx_children(table._tbl, ("tr",))]


def _docx_table_rows(table) -> list[str]:
    """A Word table as "header: value; ..." rows, the first row giving the headers
    (a cell merged across columns is read once)."""
    from assistant.markup import join_row

    rows: list[str] = []
    headers: list[str] = []
    table_rows = _docx_rows(table)
    for r, row in enumerate(table_rows):
        if row._tr.find(f"{_w('trPr')}/{_w('del')}") is not None:
            continue  # a row deleted as a tracked change
        try:  # a merged cell reads as the cell it merges with
            tcs = [cell._tc for cell in row.cells]
        except (ValueError, IndexError):  # a merge python-docx cannot follow
            tcs = list(row._tr.tc_lst)
        cells: list[str] = []
        seen: set[int] = set()
        for tc in tcs:
            if id(tc) in seen:
                continue
            seen.add(id(tc))
            cells.append(" ".join(docx_text(tc).split()))
        if r == 0 and len(table_rows) > 1:
            headers = cells
        elif line := join_row(headers, cells):
            rows.append(line)
    return rows  # one block each, as Markdown and HTML tables give them


LOADERS: dict[str, Callable[[Path], Loaded]] = {
    ".txt": load_text,
    ".md": load_markdown,
    ".markdown": load_markdown,
    ".html": load_html,
    ".htm": load_html,
    ".pdf": load_pdf,
    ".docx": load_docx,
}


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFC", name.lower())
    ascii_name = ascii_name.replace("æ", "ae").replace("ø", "oe").replace("å", "aa")
    ascii_name = unicodedata.normalize("NFKD", ascii_name)
    ascii_name = "".join(c for c in ascii_name if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-") or "doc"


def corpus_files(corpus_dir: Path) -> list[Path]:
    """Supported files below the folder, sorted, hidden files skipped."""
    if not corpus_dir.is_dir():
        return []
    return sorted(
        p
        for p in corpus_dir.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED
        and not any(part.startswith(".") for part in p.relative_to(corpus_dir).parts)
    )


def source_files(corpus_dir: Path) -> list[Path]:
    """Every file the index depends on: the documents and their sidecar metadata files."""
    files = corpus_files(corpus_dir)
    sidecars = {s for p in files if (s := sidecar_path(p)) is not None}
    return sorted({*files, *sidecars})


# Titles that programs write into a file's properties when nobody gave it one: the
# printing program and file name ("Microsoft Word - notat.docx"), a template's or a new
# document's name ("Dokument1", "Skabelon", "Untitled").
_PRINTED_FROM = re.compile(r"^\s*microsoft\s+(?:word|powerpoint|excel)\s+-\s+", re.I)
_FILE_NAME = re.compile(r"\.(?:docx?|dotx?|pdf|odt|rtf|txt|pptx?|xlsx?)\s*$", re.I)
_PLACEHOLDER_TITLE = re.compile(
    r"^\s*(?:untitled|ingen titel|uden titel|document|dokument|title|titel|skabelon|"
    r"template|notat|rapport|brev|slide|præsentation|presentation)\s*\d*\s*$",
    re.I,
)


def embedded_title(title: str) -> str | None:
    """A title stored in a PDF's or Word file's properties, or None when it names no
    document: a program's placeholder or a file name (the first heading then serves)."""
    title = " ".join(title.split())
    if not re.search(r"[^\W\d_]", title):
        return None
    if _PRINTED_FROM.match(title) or _FILE_NAME.search(title) or _PLACEHOLDER_TITLE.match(title):
        return None
    return title


def _first_line_title(text: str) -> str | None:
    """The first line when it is short enough to be a title, else the first heading
    near the start (a PDF or Word file that opens with a paragraph)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and len(lines[0].lstrip("# ")) <= 120:
        return lines[0].lstrip("# ").strip()
    for line in lines[:20]:
        if (heading := heading_of(line)) and len(heading[1]) <= 120:
            return heading[1]
    return None


def _name_title(path: Path) -> str:
    """A title from the file name: "aarsrapport_2025-final" -> "Aarsrapport 2025 final"."""
    words = re.sub(r"[-_.]+", " ", path.stem).split()
    title = " ".join(words) or path.stem
    return title[:1].upper() + title[1:]


def load_document(path: Path, corpus_dir: Path) -> Document:
    """Load one file; raises LoadError with a message naming the file."""
    loader = LOADERS.get(path.suffix.lower())
    if loader is None:
        raise LoadError(f"{path.name}: unsupported file type {path.suffix!r}")
    try:
        raw = path.read_bytes()
        loaded = loader(path)
    except LoadError:
        raise
    except Exception as exc:  # a broken file must not stop the build
        raise LoadError(f"{path.name}: could not be read ({type(exc).__name__}: {exc})") from exc
    notes: list[str] = []
    try:
        sidecar = read_sidecar(path)
    except LoadError as exc:
        notes.append(f"ignored the metadata of {path.name}: {exc}")
        sidecar = {}
    text = normalize_text(loaded.text)
    meta = {k: normalize_text(str(v)) for k, v in {**loaded.meta, **sidecar}.items() if v}
    if not text.strip():
        raise LoadError(f"{path.name}: no text found")
    rel = path.relative_to(corpus_dir)
    doc_id = slugify(meta.get("id") or str(rel.with_suffix("")))
    return Document(
        doc_id=doc_id,
        title=meta.get("title") or _first_line_title(text) or _name_title(path),
        text=text,
        path=rel.as_posix(),
        sha256=hashlib.sha256(raw).hexdigest(),
        url=meta.get("url"),
        date=meta.get("date"),
        meta=meta,
        links=tuple((normalize_text(t), u) for t, u in loaded.links),
        notes=tuple(notes),
    )


def load_corpus(corpus_dir: Path) -> tuple[list[Document], list[str]]:
    """All readable documents, and one warning per file that was skipped.

    The warnings are returned, not logged: the caller (``build``) shows each once.
    """
    docs: list[Document] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}
    for path in corpus_files(corpus_dir):
        try:
            doc = load_document(path, corpus_dir)
        except LoadError as exc:
            warnings.append(f"skipped {exc}")
            continue
        warnings.extend(doc.notes)
        if doc.doc_id in seen:
            warnings.append(
                f"skipped {doc.path}: its id {doc.doc_id!r} is already used by {seen[doc.doc_id]}"
            )
            continue
        seen[doc.doc_id] = doc.path
        docs.append(doc)
    return docs, warnings

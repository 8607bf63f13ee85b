"""Markdown and HTML to the plain text the chunker reads.

Both renderers give the same shape: blocks separated by blank lines, headings as
lines starting with one "#" per level ("# ", "## ", …: ``normalize.heading_line``), list items as lines starting with "- " (or their
number), every table row as one line of "header: value" pairs. What a reader
sees is kept (link text, the text inside inline HTML such as
``<details><summary>``); what only a browser uses is dropped (images, tags,
link targets). The absolute URLs of links are returned beside the text, in
reading order, so a passage that contains a link can cite where it points.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

from assistant.normalize import BOLD_HEADING_LEVEL, heading_line


@dataclass
class Rendered:
    text: str
    links: list[tuple[str, str]] = field(default_factory=list)  # (link text, absolute URL)
    meta: dict[str, str] = field(default_factory=dict)  # title, url, date when the markup has them


# The elements of HTML. Markdown lets a writer mix them in; anything else in angle
# brackets ("<værdi>", "<navn på felt>") is a placeholder the reader must see.
HTML_ELEMENTS = frozenset(
    "a abbr acronym address area article aside audio b base bdi bdo big blink blockquote body "
    "br button canvas caption center cite code col colgroup data datalist dd del details dfn "
    "dialog dir div dl dt em embed fieldset figcaption figure font footer form frame frameset "
    "h1 h2 h3 h4 h5 h6 head header hgroup hr html i iframe img input ins kbd label legend li "
    "link main map mark marquee menu meta meter nav nobr noscript object ol optgroup option "
    "output p param picture pre progress q rp rt ruby s samp script search section select "
    "small source span strike strong style sub summary sup svg table tbody td template "
    "textarea tfoot th thead time title tr track tt u ul var video wbr".split()
)
_TAG = re.compile(r"</?([a-zA-Z][a-zA-Z0-9-]*)")


def _is_html(markup: str) -> bool:
    """Does this piece of markup open with a real HTML tag (or comment)?"""
    markup = markup.lstrip()
    if markup.startswith("<!--"):
        return True
    m = _TAG.match(markup)
    return m is not None and m.group(1).lower() in HTML_ELEMENTS


def _absolute(url: str | None) -> str | None:
    url = (url or "").strip()
    return url if re.match(r"https?://", url, re.I) else None


def join_row(headers: list[str], cells: list[str]) -> str:
    """One table row as "header: value; header: value" (empty cells left out)."""
    pairs = []
    for i, value in enumerate(cells):
        value = " ".join(value.split())
        if not value:
            continue
        header = " ".join(headers[i].split()) if i < len(headers) else ""
        pairs.append(f"{header}: {value}" if header and header != value else value)
    return "; ".join(pairs)


# --- Markdown ---------------------------------------------------------------------

# A "|" with space (or the line's end) on both sides: a table cell separator.
_CELL_SEPARATOR = re.compile(r"(?:^|(?<=\s))\|(?=\s|$)", re.M)

# Jekyll's {% raw %} / {% endraw %} only tell the site generator to print what lies
# between literally; they are not part of the page a reader sees.
_LIQUID_RAW = re.compile(r"\{%-?\s*(?:raw|endraw)\s*-?%\}")


@lru_cache(maxsize=1)
def _markdown_parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


def _bold_heading(inline) -> bool:
    """A paragraph that is one short line of bold text only: pages converted to
    Markdown (and many hand-written ones) mark their section headings so."""
    parts = [
        c
        for c in inline.children
        if not (c.type == "text" and not c.content.strip()) and c.type != "hardbreak"
    ]
    if len(parts) != 1 or parts[0].type != "strong":
        return False
    text = "".join(c.content for c in parts[0].children if c.type == "text")
    return 0 < len(text.split()) <= 12 and "\n" not in text


# A line break the writer asked for ("<br>", a line ending in two spaces or "\\"), unlike
# the break of a wrapped line. U+2028 is white space to ``str.split``, so wherever lines
# are joined (headings, list items, table cells) it reads as a space.
HARD_BREAK = "\u2028"
_LIST_ITEM = re.compile(r"^\s*(?:[-*•–]|\d{1,3}[.)])\s+")


def broken_lines(text: str) -> str:
    """A paragraph's lines, where the writer broke them by hand. Lines after one that
    ends in ":" are what it announces ("… på følgende to sider:<br>/admin/…-cvr<br>
    /admin/…-pnumber"): they become list items of that line, up to the next line that
    announces; other breaks join the lines as a wrapped line is joined."""
    if HARD_BREAK not in text:
        return text
    # Runs: a line, and the lines after it when it announces them.
    runs: list[list[str]] = []
    for line in (part.strip() for part in text.split(HARD_BREAK)):
        if not line:
            continue
        if runs and runs[-1][0].endswith(":") and not line.endswith(":"):
            runs[-1].append(line)
        else:
            runs.append([line])
    out: list[str] = []
    for head, *lines in runs:
        if len(lines) == 1:  # one line after a label is its value: "Webservice URL: https://…"
            out.append(f"{head} {lines[0]}")
            continue
        out.append(head)
        out.extend(line if _LIST_ITEM.match(line) else f"- {line}" for line in lines)
    return "\n".join(out)


class _MarkdownRenderer:
    def __init__(self) -> None:
        self.links: list[tuple[str, str]] = []
        self.headers: list[str] = []  # of the last table in this section

    def inline(self, node) -> str:
        """The text a reader sees in an inline node; links are recorded."""
        out: list[str] = []
        open_links: list[tuple[str | None, int]] = []  # inline-HTML <a>: (href, start in out)
        hidden: str | None = None  # inside an inline <script>/<style>: not text a reader sees
        for child in node.children:
            kind = child.type
            if hidden is not None:
                if kind == "html_inline" and child.content.strip().lower().startswith(hidden):
                    hidden = None
                continue
            if kind in ("text", "code_inline"):
                out.append(child.content)
            elif kind == "softbreak":
                out.append("\n")
            elif kind == "hardbreak":
                out.append(HARD_BREAK)
            elif kind == "image":
                continue  # a picture says nothing to a text reader; its alt text is mostly empty
            elif kind == "link":
                text = self.inline(child).replace(HARD_BREAK, " ")
                url = _absolute(child.attrs.get("href"))
                if url and text.strip():
                    self.links.append((text, url))
                out.append(text)
            elif kind == "html_inline":
                tag = child.content.strip().lower()
                if not _is_html(tag):
                    out.append(child.content)  # "<værdi>": a placeholder, not a tag
                elif re.match(r"<br\b", tag):
                    out.append(HARD_BREAK)
                elif m := re.match(r"<(script|style|template)\b", tag):
                    hidden = f"</{m.group(1)}"
                elif m := re.match(r"<a\b[^>]*\bhref\s*=\s*[\"']?([^\"' >]+)", tag, re.I):
                    open_links.append((_absolute(m.group(1)), len(out)))
                elif tag.startswith("</a") and open_links:
                    url, start = open_links.pop()
                    text = "".join(out[start:]).replace(HARD_BREAK, " ")
                    if url and text.strip():
                        self.links.append((text, url))
                # every other tag (<b>, <span>, <summary> ...) is dropped, its text kept
            elif child.children:  # strong, em, s: their text
                out.append(self.inline(child))
        return "".join(out)

    def blocks(self, node, out: list[str], list_depth: int = 0) -> None:
        for child in node.children:
            kind = child.type
            if kind == "heading":
                self.headers = []
                text = " ".join(self.inline(child.children[0]).split())
                if text:
                    out.append(heading_line(text, int(child.tag[1:])))
            elif kind == "paragraph" and _bold_heading(child.children[0]):
                self.headers = []
                text = " ".join(self.inline(child.children[0]).split())
                out.append(heading_line(text, BOLD_HEADING_LEVEL))
            elif kind == "paragraph":
                text = self.inline(child.children[0]).strip()
                if self.headers and _CELL_SEPARATOR.search(text):
                    text = self.broken_rows(text.replace(HARD_BREAK, "\n"))
                text = broken_lines(text)
                if text:
                    out.append(text)
            elif kind in ("bullet_list", "ordered_list"):
                lines: list[str] = []
                self.list_items(child, lines)
                if lines:
                    out.append("\n".join(lines))
            elif kind == "table":
                out.extend(self.table(child))
            elif kind in ("fence", "code_block"):
                text = child.content.strip("\n")
                if text.strip():
                    out.append(text)
            elif kind == "html_block":
                html = child.content
                text = html_fragment_text(html) if _is_html(html) else html.strip()
                if text:
                    out.append(text)
            elif kind == "blockquote":
                self.blocks(child, out)
            # hr and link reference definitions leave no text

    def list_items(self, node, lines: list[str]) -> None:
        number = int(node.attrs.get("start", 1) or 1) if node.type == "ordered_list" else None
        for item in node.children:
            marker = f"{number}." if number is not None else "-"
            parts: list[str] = []
            nested: list[str] = []
            for child in item.children:
                if child.type in ("bullet_list", "ordered_list"):
                    self.list_items(child, nested)
                elif child.type == "paragraph":
                    parts.append(" ".join(self.inline(child.children[0]).split()))
                else:
                    sub: list[str] = []
                    self.blocks(_Wrapper([child]), sub)
                    parts.extend(" ".join(s.split()) for s in sub)
            text = " ".join(p for p in parts if p)
            if text:
                lines.append(f"{marker} {text}")
            lines.extend(nested)
            if number is not None:
                number += 1

    def broken_rows(self, text: str) -> str:
        """Rows of a pipe table that a blank line inside a cell cut off from it.

        Converted pages often hold multi-paragraph cells; Markdown ends the table at
        the blank line, and the rest of the rows arrive as paragraphs with "|"
        between their cells. A line that starts a row (a number such as a step
        number in its first cell) becomes a row again, a block of its own as the
        rows of an unbroken table are (the lines after it, the rest of its cell,
        stay in its block); in other lines the cell separators become line breaks."""
        lines: list[str] = []
        for line in text.split("\n"):
            cells = [c.strip() for c in _CELL_SEPARATOR.split(line)]
            if len(cells) == 1:
                lines.append(line)
                continue
            if not re.fullmatch(r"\d{1,3}\.?", cells[0]):
                if cells[0]:
                    lines.append(cells[0])  # the end of the cell before the break
                cells = cells[1:]
            if cells and re.fullmatch(r"\d{1,3}\.?", cells[0]):
                if row := join_row(self.headers, cells):
                    if lines:
                        lines.append("")  # a blank line: each row is a block of its own
                    lines.append(row)
            else:
                lines.extend(c for c in cells if c)
        return "\n".join(lines)

    def table(self, node) -> list[str]:
        headers: list[str] = []
        rows: list[str] = []
        for section in node.children:  # thead, tbody
            for tr in section.children:
                cells = [
                    " ".join(self.inline(c.children[0]).split()) if c.children else ""
                    for c in tr.children
                ]
                if section.type == "thead":
                    headers = cells
                elif row := join_row(headers, cells):
                    rows.append(row)
        self.headers = headers
        return rows


@dataclass
class _Wrapper:
    children: list


def markdown_to_text(source: str) -> Rendered:
    """Render Markdown (CommonMark with tables) as plain text blocks."""
    from markdown_it.tree import SyntaxTreeNode

    source = _LIQUID_RAW.sub("", source)
    renderer = _MarkdownRenderer()
    out: list[str] = []
    renderer.blocks(SyntaxTreeNode(_markdown_parser().parse(source)), out)
    return Rendered("\n\n".join(out), renderer.links)


# --- HTML -------------------------------------------------------------------------

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "nav",
    "header",
    "footer",
    "aside",
    "form",
    "iframe",
    "svg",
    "button",
    "img",
    "picture",
)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCK_TAGS = ("p", "li", "dd", "dt", "blockquote", "pre", "figcaption", "caption", "summary", "tr")


def html_fragment_text(html: str) -> str:
    """The visible text of a piece of HTML (in Markdown), tags dropped, blocks kept."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(("script", "style", "template", "img", "picture", "svg")):
        tag.decompose()
    for br in soup("br"):
        br.replace_with("\n")
    lines = [" ".join(line.split()) for line in soup.get_text("\n").split("\n")]
    return "\n".join(line for line in lines if line)


@lru_cache(maxsize=1)
def _trafilatura_config():
    from trafilatura.settings import use_config

    config = use_config()
    # A short page is still a page: without this, trafilatura replaces a small
    # article by a flat dump of the whole page (menus included).
    config.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
    config.set("DEFAULT", "EXTRACTION_TIMEOUT", "0")  # no signal handlers: builds run in threads
    return config


def _xml_inline(el, links: list[tuple[str, str]]) -> str:
    """Text of a trafilatura XML element; <ref> links are recorded, <lb/> is a line break."""
    out = [el.text or ""]
    for child in el:
        if child.tag == "lb":
            out.append("\n")
        elif child.tag == "graphic":
            pass
        elif child.tag == "ref":
            text = _xml_inline(child, links)
            url = _absolute(child.get("target"))
            if url and text.strip():
                links.append((text, url))
            out.append(text)
        else:
            out.append(_xml_inline(child, links))
        out.append(child.tail or "")
    return "".join(out)


def _xml_list(el, links: list[tuple[str, str]], lines: list[str]) -> None:
    ordered = (el.get("rend") or "").lower() in ("ol", "ordered")
    for number, item in enumerate((c for c in el if c.tag == "item"), start=1):
        nested = [c for c in item if c.tag == "list"]
        for sub in nested:
            item.remove(sub)
        text = " ".join(_xml_inline(item, links).split())
        if text:
            lines.append(f"{number}. {text}" if ordered else f"- {text}")
        for sub in nested:
            _xml_list(sub, links, lines)


def _xml_blocks(root, links: list[tuple[str, str]], out: list[str]) -> None:
    for el in root:
        if el.tag == "head":
            text = " ".join(_xml_inline(el, links).split())
            rend = el.get("rend") or ""
            if text:
                out.append(heading_line(text, int(rend[1]) if re.fullmatch(r"h[1-6]", rend) else 2))
        elif el.tag == "list":
            lines: list[str] = []
            _xml_list(el, links, lines)
            if lines:
                out.append("\n".join(lines))
        elif el.tag == "table":
            headers: list[str] = []
            for row in el.iter("row"):
                cells = [" ".join(_xml_inline(c, links).split()) for c in row if c.tag == "cell"]
                if not headers and all(c.get("role") == "head" for c in row if c.tag == "cell"):
                    headers = cells
                elif line := join_row(headers, cells):
                    out.append(line)
        elif el.tag in ("div", "quote", "main", "body"):
            _xml_blocks(el, links, out)
        elif el.tag != "graphic":  # p, code and anything else with text
            text = _xml_inline(el, links).strip()
            if text:
                out.append(text)


def _trafilatura(html: str) -> Rendered | None:
    import trafilatura
    from lxml import etree

    xml = trafilatura.extract(
        html,
        output_format="xml",
        include_links=True,
        include_tables=True,
        include_images=False,
        include_comments=False,
        with_metadata=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
        config=_trafilatura_config(),
    )
    if not xml:
        return None
    doc = etree.fromstring(xml.encode())
    main = doc.find("main")
    links: list[tuple[str, str]] = []
    out: list[str] = []
    _xml_blocks(main if main is not None else doc, links, out)
    if not out:
        return None
    meta = {k: doc.get(k) for k in ("title", "url", "date") if doc.get(k)}
    return Rendered("\n\n".join(out), links, meta)


def _soup_meta(soup) -> dict[str, str]:
    meta: dict[str, str] = {}
    if soup.title and soup.title.get_text(strip=True):
        meta["title"] = soup.title.get_text(" ", strip=True)
    canonical = soup.find("link", rel="canonical")
    if canonical and canonical.get("href"):
        meta["url"] = str(canonical["href"])
    return meta


def _soup_text(soup) -> Rendered:
    """Fallback when trafilatura finds no main text: every block of <main>, <article>
    or the body, with navigation, headers, footers and scripts dropped."""
    from bs4 import NavigableString, Tag

    for tag in soup(_DROP_TAGS):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    links: list[tuple[str, str]] = []
    blocks: list[str] = []
    loose: list[str] = []  # text outside any heading or block tag (in <div>, <section> ...)

    def flush() -> None:
        text = " ".join(" ".join(loose).split())
        if text:
            blocks.append(text)
        loose.clear()

    for node in root.descendants:
        href = node.get("href") if isinstance(node, Tag) and node.name == "a" else None
        url = _absolute(href) if isinstance(href, str) else None  # href is never multi-valued
        if url:
            text = node.get_text(" ", strip=True)
            if text:
                links.append((text, url))
        if isinstance(node, Tag) and node.name in (*_HEADINGS, *_BLOCK_TAGS):
            if node.find_parent((*_HEADINGS, *_BLOCK_TAGS)):
                continue  # nested block: its parent already has the text
            flush()
            if node.name == "tr":
                cells = node.find_all(("th", "td"))
                text = "; ".join(
                    c.get_text(" ", strip=True) for c in cells if c.get_text(strip=True)
                )
            else:
                text = node.get_text(" ", strip=True)
            if text:
                if node.name in _HEADINGS:
                    blocks.append(heading_line(text, int(node.name[1])))
                else:
                    blocks.append(("- " if node.name == "li" else "") + text)
        elif isinstance(node, Tag) and node.name in ("div", "section", "article", "br", "hr"):
            flush()
        elif type(node) is NavigableString and not node.find_parent((*_HEADINGS, *_BLOCK_TAGS)):
            loose.append(str(node))
    flush()
    if not blocks:  # a page without block markup: take its text
        blocks = [root.get_text("\n", strip=True)]
    return Rendered("\n\n".join(b for b in blocks if b), links)


def html_to_text(html: str) -> Rendered:
    """The main content of a web page (trafilatura), else every block (BeautifulSoup).

    trafilatura finds the article of a real page and leaves menus, share bars and
    related links out. On a page without an article container it can return
    nothing, or paragraphs without their headings; headings are section
    boundaries here, so such a page is read block by block instead."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    meta = _soup_meta(soup)
    rendered = _trafilatura(html)
    lost_headings = (
        rendered is not None
        and not re.search(r"^#{1,9} ", rendered.text, re.M)
        and any(not h.find_parent(_DROP_TAGS) for h in soup.find_all(_HEADINGS))
    )
    if rendered is None or lost_headings:
        rendered = _soup_text(soup)
    # The page's own <title> and canonical link win over trafilatura's guesses.
    rendered.meta = {**rendered.meta, **meta}
    return rendered

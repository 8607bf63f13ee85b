"""Split documents into sentence-aligned chunks with stable ids.

Sentences come from NLTK's Danish Punkt model (data shipped inside llama-index-core),
with the Danish abbreviations it misses added, so "f.eks.", "bl.a." or "jf."
never end a sentence. Chunks never cross a heading and carry it as context
(``heading``: the section a citation names). Every chunk's text is a verbatim
slice of the whitespace-squashed document, so citations can always be found
again in the source. A chunk that contains a link carries the link's URL
(else the document's) as its source URL.

Passages that instruct the assistant or ask the reader for secrets
(``assistant.screening``) are left out: they end the chunk before them, so the
chunks around them stay verbatim, and ``chunk_corpus`` names them as warnings.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from assistant.normalize import heading_of, squash

if TYPE_CHECKING:  # answering needs Chunk only; ingestion and screening load for builds
    from assistant.ingest import Document

# Abbreviations that must never end a Danish sentence (lower case, no final dot).
DANISH_ABBREVIATIONS = {
    "f.eks",
    "bl.a",
    "jf",
    "ca",
    "nr",
    "pt",
    "fx",
    "mht",
    "vedr",
    "inkl",
    "ekskl",
    "osv",
    "mv",
    "m.v",
    "m.m",
    "o.l",
    "dvs",
    "d.v.s",
    "evt",
    "iflg",
    "ifm",
    "i.f.m",
    "pga",
    "p.g.a",
    "ang",
    "tlf",
    "kl",
    "stk",
    "bl.and",
    "henh",
    "hhv",
    "m.fl",
    "mfl",
    "o.a",
    "t.o.m",
    "f.o.m",
    "gl",
    "st",
    "skt",
    "prof",
    "dr",
    "cand",
    "stud",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "okt",
    "nov",
    "dec",
    "ref",
    "ib",
    "etc",
    "resp",
    "vha",
    "v.h.a",
    "alm",
    "afd",
    "adm",
    "o.lign",
    "olign",
    "pkt",
    "iht",
    "jvf",
    "mdr",
    "eks",
    "tilsv",
    "forts",
    "sml",
}


@lru_cache(maxsize=1)
def _punkt():
    import importlib.util
    from pathlib import Path

    import nltk
    from nltk.tokenize.punkt import PunktSentenceTokenizer, load_punkt_params

    # The Danish punkt_tab model comes from the NLTK data that llama-index-core ships
    # in its package folder (``_static/nltk_cache``). llama-index exposes that folder
    # only by importing llama_index.core (~1 s, too slow for a cold `ask`), so we
    # locate it without importing and pin llama-index-core in pyproject.toml. NLTK
    # reads data only from folders on ``nltk.data.path``; ours goes first so that
    # sentence splits (and so chunk ids) do not depend on other NLTK data installed.
    spec = importlib.util.find_spec("llama_index.core")
    if spec and spec.submodule_search_locations:
        cache = Path(list(spec.submodule_search_locations)[0]) / "_static" / "nltk_cache"
        if str(cache) not in nltk.data.path:
            nltk.data.path.insert(0, str(cache))
    params = load_punkt_params(nltk.data.find("tokenizers/punkt_tab/danish/"))
    params.abbrev_types.update(DANISH_ABBREVIATIONS)
    return PunktSentenceTokenizer(params)


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) in ``text``, Danish rules."""
    spans: list[tuple[int, int]] = []
    for s, e in _punkt().span_tokenize(text):
        if not text[s:e].strip():
            continue
        if spans and (
            _ends_with_abbreviation(text[spans[-1][0] : spans[-1][1]])
            or spans[-1][1] == s
            or _quoted_stop(text[spans[-1][0] : spans[-1][1]], text[s:e])
            or _inside_parenthesis(text[spans[-1][0] : spans[-1][1]], text[s:e])
            or _abbreviation_goes_on(text[spans[-1][0] : spans[-1][1]], text[s:e])
            or _BARE_TOKEN.match(text[s:e].strip())
        ):
            # Punkt's orthographic heuristic broke after "f.eks.", inside a word
            # ("no.:"), or at a quoted mark (`er "?" i url`): joining the parts with a
            # space would no longer quote the text, so the span runs on.
            spans[-1] = (spans[-1][0], e)
        else:
            spans.append((s, e))
    return spans


# Closing quotation marks: straight, typographic (”’) and the Danish »…« and «…» pairs.
_CLOSING_QUOTES = "\"'”’«»"
# A mark that is itself quoted (`"?"`, »!«): the text names the character, as manuals do.
_QUOTED_MARK = re.compile(rf"[{_CLOSING_QUOTES}“‘„][.!?]+[{_CLOSING_QUOTES}]$")
_STOP_BEFORE_QUOTE = re.compile(rf"[.!?][{_CLOSING_QUOTES}]+$")


def _quoted_stop(sentence: str, following: str) -> bool:
    """A ".", "?" or "!" inside quotes that does not end the sentence: a quoted mark
    (`indsæt "?" i url'en`), or a quotation ending in one that the sentence goes on
    after in lower case (`»Hvor er kortet?« spurgte hun`). Danish sentences begin
    with a capital (or a digit), so a lower-case word continues the sentence."""
    if _QUOTED_MARK.search(sentence):
        return True
    return bool(_STOP_BEFORE_QUOTE.search(sentence)) and following[:1].islower()


# Longest sentence that a parenthesis holding a sentence stop may make of its parts.
PARENTHESIS_CHARS = 400


def _inside_parenthesis(sentence: str, following: str) -> bool:
    """A stop inside a parenthesis that the next part closes does not end the sentence:
    a parenthesis is one unit ("(den er jeg ikke helt skarp i. Det ved Rebild)."; "(se
    afsnit 3. Der står mere.)"), and splitting it leaves both halves unbalanced."""
    if sentence.count("(") <= sentence.count(")"):
        return False
    closes = following.count(")") > following.count("(")
    return closes and len(sentence) + len(following) <= PARENTHESIS_CHARS


# An abbreviation nobody listed is a short word of letters with a dot ("alm.", "tilh.").
_SHORT_WORD_STOP = re.compile(r"(?:^|\s)[a-zæøå]{1,5}\.$")
# A plain lower-case word: not a product name with a capital inside ("mitID", "iPhone"),
# not a host name or a code with a dot or digit.
_PLAIN_WORD = re.compile(r"[a-zæøå]+(?=[\s,;:)]|$)")


def _abbreviation_goes_on(sentence: str, following: str) -> bool:
    """A short lower-case word with a dot, then a lower-case word: an abbreviation the
    sentence goes on after ("den helt alm. brug af …"), as a Danish sentence begins with
    a capital or a digit. A longer last word ends the sentence even so ("… i teksten.
    test.os2forms.dk er opdateret …": a host name may open a sentence)."""
    return bool(_SHORT_WORD_STOP.search(sentence)) and bool(_PLAIN_WORD.match(following))


# A part that is only a token, a template variable or a web address ("[maestro:task-url]",
# "{{ data.navn }}", "https://…") is no sentence of its own: it is what the sentence
# before it names ("… indsætter du nedenstående. [maestro:task-url]"), so it joins it.
_BARE_TOKEN = re.compile(r"(?:\[\[?[^\[\]\s]+\]\]?|\{\{[^{}\n]{1,80}\}\}|https?://\S+)[.,;:]?$")


def _ends_with_abbreviation(sentence: str) -> bool:
    last = sentence.rsplit(None, 1)[-1].lower()
    return last.endswith(".") and last[:-1].lstrip("(\"'") in DANISH_ABBREVIATIONS


# Bump when reading documents (assistant/ingest.py, markup.py, pdftext.py) or chunking
# them changes what the chunks hold: indexes built before are then rebuilt (only
# chunks whose text changed are embedded again). 2: PDF layout, Word tables, titles.
# 3: quoted marks do not end a sentence; rows of a broken Markdown table are blocks.
# 4: PDF lines by font size, spacing and columns (headings, tables, headers and
# footers); Word list numbers, bold headings and links. 5: a parenthesis is one unit.
# 6: a label and its one-word value in the next block are one sentence. 7: heading
# levels; a chunk knows the headings above its own. 8: an unlisted abbreviation before a
# lower-case word ends no sentence; more Danish abbreviations. 9: ... only before a plain
# lower-case word ("mitID" opens a sentence). 10: PDF words torn apart by layout mode
# mended from the plain reading; a table wider than the text sets no column width.
# 11: Word text inside content controls and tracked insertions is read. 12: a PDF line
# of three or more columns is no heading. 13: a torn word is mended also where both
# pieces are words of the page. 14: Word: no-break hyphens, no tab stops, no prompts of
# empty content controls, no deleted rows, text boxes apart; PDF columns kept in place.
# 15: Word table rows inside content controls are read. 16: a placeholder or file-name
# title in a PDF's or Word file's properties gives way to the first heading. 17: CMS
# embed tokens ('[[{"fid": …}]]') are dropped. 18: Markdown lines broken by hand after
# a line that ends in ":" are its list items. 19: only Drupal's "fid" token is dropped,
# and it takes no line break with it. 20: a bare token or web address after a stop joins
# the sentence before it. 21: a sentence up to twice the chunk size is not cut; a longer
# one is cut at clause boundaries.
TEXT_VERSION = 21

_WS = re.compile(r"\s+")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•–]|\d{1,3}[.)])\s+")


def _is_heading(block: str, guess: bool) -> bool:
    """'# ', '## ' … lines (every loader marks headings so); in plain text (``guess``)
    also a short single line without final punctuation."""
    if "\n" not in block and heading_of(block):
        return True
    if not guess:
        return False
    if "\n" in block:
        return False
    words = block.split()
    return (
        0 < len(words) <= 10 and not re.search(r"[.,;:!]$", block) and not _LIST_ITEM.match(block)
    )


@dataclass(frozen=True)
class Unit:
    """A sentence (or list item) in squashed form, with its section heading.

    ``left_out`` says why a passage must not be indexed (see ``assistant.screening``);
    such a unit holds the whole paragraph or list item it poisons."""

    text: str
    heading: str
    left_out: str = ""
    section: int = 0  # counts headings, so two sections with the same heading stay apart
    parents: tuple[str, ...] = ()  # the headings above ``heading``, the highest first


# A poisoned sentence takes its paragraph (or list item) with it, as the words
# around an instruction belong to it; in a longer block only the sentence goes.
POISON_BLOCK_SENTENCES = 6


def _label_values(blocks: list[str]) -> list[str]:
    """A label ending in a colon and its value alone in the next block, one word (a web
    address, a number, a code), become one block: "Webservice URL (LIVE):" and
    "https://…" are one statement, and the value alone says nothing of what it is."""
    out: list[str] = []
    for block in blocks:
        if (
            out
            and block
            and not any(c.isspace() for c in block)
            and out[-1].endswith(":")
            and "\n" not in out[-1]
        ):
            out[-1] = f"{out[-1]}\n{block}"  # two lines: one paragraph, never a heading
        else:
            out.append(block)
    return out


def document_units(doc: Document) -> list[Unit]:
    from assistant.screening import screen

    units: list[Unit] = []
    heading = ""
    section = 0
    # The open headings, (level, text), the highest first: a section's heading path.
    open_headings: list[tuple[int, str]] = []
    parents: tuple[str, ...] = ()
    lead: str | None = None
    # A heading line is a block of its own, also when text follows it directly.
    text = re.sub(r"^(#{1,9} .*)$", r"\n\1\n", doc.text, flags=re.M)
    for block in _label_values([b.strip() for b in re.split(r"\n\s*\n", text)]):
        if not block:
            continue
        if _is_heading(block, guess=doc.path.lower().endswith(".txt")):
            level, heading = heading_of(block) or (1, block)
            heading = _WS.sub(" ", heading).strip()
            section += 1
            while open_headings and open_headings[-1][0] >= level:
                open_headings.pop()
            # The page's first heading names the whole page, as its title does: every
            # chunk of it would share it, so it tells none apart (the ranking reads it as
            # the page's lead, ``retrieval.lead_headings``).
            parents = tuple(h for _, h in open_headings if h and h not in (doc.title, lead))
            if reason := screen(heading):
                units.append(Unit(heading, "", reason))
                heading = ""
            lead = lead if lead is not None else heading
            open_headings.append((level, heading))
            continue
        # A list keeps one unit per item; other lines of a paragraph are re-joined.
        lines = [ln for ln in block.split("\n") if ln.strip()]
        parts: list[str] = []
        for line in lines:
            if parts and not _LIST_ITEM.match(line):
                parts[-1] += " " + line.strip()
            else:
                parts.append(line.strip())
        for part in parts:
            part = _WS.sub(" ", part).strip()
            # Punkt would make "1." a sentence of its own: keep the marker on the item.
            marker = _LIST_ITEM.match(part)
            prefix = marker.group(0) if marker else ""
            body = part[len(prefix) :]
            sentences = [
                (prefix if i == 0 else "") + body[s:e].strip()
                for i, (s, e) in enumerate(split_sentences(body))
            ]
            reasons = [screen(sentence) for sentence in sentences]
            if any(reasons) and len(sentences) <= POISON_BLOCK_SENTENCES:
                reason = next(r for r in reasons if r)
                units.append(Unit(" ".join(sentences), heading, reason, section, parents))
                continue
            units.extend(
                Unit(t, heading, r or "", section, parents)
                for t, r in zip(sentences, reasons, strict=True)
            )
    return units


@dataclass(frozen=True)
class Chunk:
    chunk_id: str  # "{doc_id}#{i}-{hash8}": stable for the same text at the same place
    doc_id: str
    index: int
    text: str  # verbatim (whitespace-squashed) slice of the document
    heading: str
    title: str
    url: str | None
    sentences: tuple[tuple[int, int], ...]  # sentence spans inside ``text``
    hash: str  # sha256 of the text that gets embedded
    date: str | None = None  # the document's date, when it has one
    parents: tuple[str, ...] = ()  # the headings above ``heading``, the highest first

    def embed_text(self) -> str:
        """What the embedder and BM25 read: title and heading path give the passage
        context ("Vejledning — Installation — Krav": "Krav" alone says little)."""
        context = [self.title, *self.parents]
        if self.heading and self.heading != self.title:
            context.append(self.heading)
        return " — ".join(context) + "\n" + self.text

    def path(self) -> str:
        """The heading path, the highest first ("Installation — Krav"), for context."""
        return " — ".join(h for h in (*self.parents, self.heading) if h)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Chunk:
        data = dict(data)
        data["sentences"] = tuple(tuple(s) for s in data["sentences"])
        data["parents"] = tuple(data.get("parents", ()))
        return cls(**data)


# A sentence up to this many times the chunk size stays whole, in a chunk of its own: a
# piece of a sentence is quoted as if it were one ("… som man [1]. ønsker med logo osv."),
# and e5 reads ~1.6 tokens a Danish word, far below its 512 (OS2forms: 9 of 1,725
# sentences are longer than 45 words, the longest 62).
LONG_SENTENCE = 2
_CLAUSE_END = tuple(",;:")


def _split_long(text: str, max_words: int) -> list[str]:
    """A sentence longer than ``LONG_SENTENCE`` chunks, cut into pieces of at most
    ``max_words`` words, each at the last clause boundary (a comma, semicolon or colon)
    in its second half, where there is one."""
    words = text.split(" ")
    if len(words) <= LONG_SENTENCE * max_words:
        return [text]
    pieces, start = [], 0
    while len(words) - start > max_words:
        end = start + max_words
        cut = next(
            (
                i
                for i in range(end, start + max_words // 2, -1)
                if words[i - 1].endswith(_CLAUSE_END)
            ),
            end,
        )
        pieces.append(" ".join(words[start:cut]))
        start = cut
    pieces.append(" ".join(words[start:]))
    return pieces


def _link_urls(doc: Document, texts: list[str]) -> list[str | None]:
    """Per chunk text: the URL of the first link inside it, else the document's URL."""
    flat = squash(doc.text)
    links, pos = [], 0
    for text, url in doc.links:  # in reading order: find each after the previous one
        needle = squash(text)
        at = flat.find(needle, pos) if needle else -1
        if at >= 0:
            links.append((at, at + len(needle), url))
            pos = at + len(needle)
    urls: list[str | None] = []
    pos = 0
    for text in texts:
        at = flat.find(text, pos)
        found: str | None = None
        if at >= 0:
            pos = at + len(text)
            found = next((u for s, e, u in links if at <= s and e <= pos), None)
        urls.append(found or doc.url)
    return urls


def _excerpt(text: str, limit: int = 100) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def chunk_document(doc: Document, max_words: int, left_out: list[str] | None = None) -> list[Chunk]:
    """Pack consecutive sentences of one section into chunks of at most ``max_words``.

    Poisoned passages are skipped (a chunk ends before them); a warning naming the
    file is added to ``left_out`` for each."""
    groups: list[list[str]] = []
    headings: list[str] = []
    paths: list[tuple[str, ...]] = []
    size = 0
    last_section = None
    for unit in document_units(doc):
        if unit.left_out:
            if left_out is not None:
                left_out.append(
                    f"left out a passage of {doc.path} that {unit.left_out}: "
                    f'"{_excerpt(unit.text)}"'
                )
            last_section = None  # the next sentence starts a new chunk
            continue
        pieces = [unit.text]
        if len(unit.text.split()) > max_words:
            pieces = _split_long(unit.text, max_words)
        for piece in pieces:
            n = len(piece.split())
            if not groups or unit.section != last_section or size + n > max_words:
                groups.append([])
                headings.append(unit.heading)
                paths.append(unit.parents)
                size = 0
            groups[-1].append(piece)
            size += n
            last_section = unit.section
    texts = [" ".join(sentences) for sentences in groups]
    urls = _link_urls(doc, texts)
    chunks = []
    for i, (sentences, heading, parents, text, url) in enumerate(
        zip(groups, headings, paths, texts, urls, strict=True)
    ):
        spans, pos = [], 0
        for sentence in sentences:
            spans.append((pos, pos + len(sentence)))
            pos += len(sentence) + 1
        context = "\n".join((doc.title, *parents, heading))
        digest = hashlib.sha256(f"{context}\n{text}".encode()).hexdigest()
        chunks.append(
            Chunk(
                chunk_id=f"{doc.doc_id}#{i}-{digest[:8]}",
                doc_id=doc.doc_id,
                index=i,
                text=text,
                heading=heading,
                title=doc.title,
                url=url,
                sentences=tuple(spans),
                hash=digest,
                date=doc.date,
                parents=parents,
            )
        )
    return chunks


def chunk_corpus(docs: list[Document], max_words: int) -> tuple[list[Chunk], list[str]]:
    """The chunks of every document, and one warning per passage left out."""
    left_out: list[str] = []
    chunks = [c for d in docs for c in chunk_document(d, max_words, left_out)]
    return chunks, left_out

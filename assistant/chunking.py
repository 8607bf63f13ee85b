"""Split documents into sentence-aligned chunks with stable ids.

Sentences come from NLTK's Danish Punkt model (shipped inside llama-index-core),
with the Danish abbreviations it misses added, so "f.eks.", "bl.a." or "jf."
never end a sentence. Chunks never cross a heading and carry it as context.
Every chunk's text is a verbatim slice of the whitespace-squashed document, so
citations can always be found again in the source.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import asdict, dataclass
from functools import lru_cache

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
}


@lru_cache(maxsize=1)
def _punkt():
    import importlib.util
    from pathlib import Path

    import nltk
    from nltk.tokenize.punkt import PunktTokenizer

    spec = importlib.util.find_spec("llama_index.core")
    if spec and spec.submodule_search_locations:
        cache = Path(list(spec.submodule_search_locations)[0]) / "_static" / "nltk_cache"
        if str(cache) not in nltk.data.path:
            nltk.data.path.insert(0, str(cache))
    tokenizer = PunktTokenizer("danish")
    tokenizer._params.abbrev_types.update(DANISH_ABBREVIATIONS)
    return tokenizer


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) in ``text``, Danish rules."""
    spans: list[tuple[int, int]] = []
    for s, e in _punkt().span_tokenize(text):
        if not text[s:e].strip():
            continue
        if spans and _ends_with_abbreviation(text[spans[-1][0] : spans[-1][1]]):
            spans[-1] = (spans[-1][0], e)  # Punkt's orthographic heuristic broke after "f.eks."
        else:
            spans.append((s, e))
    return spans


def _ends_with_abbreviation(sentence: str) -> bool:
    last = sentence.rsplit(None, 1)[-1].lower()
    return last.endswith(".") and last[:-1].lstrip("(\"'") in DANISH_ABBREVIATIONS


_WS = re.compile(r"\s+")
_LIST_ITEM = re.compile(r"^\s*(?:[-*•–]|\d{1,3}[.)])\s+")


def _is_heading(block: str, guess: bool) -> bool:
    """'# ' lines (every loader marks headings so); in plain text (``guess``) also a
    short single line without final punctuation."""
    if block.startswith("# "):
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
    """A sentence (or list item) in squashed form, with its section heading."""

    text: str
    heading: str
    section: int = 0  # counts heading lines: a repeated heading still starts a new section


def document_units(doc: Document) -> list[Unit]:
    units: list[Unit] = []
    heading = ""
    section = 0
    # A "# " heading line is a block of its own, also when text follows it directly.
    text = re.sub(r"^(# .*)$", r"\n\1\n", doc.text, flags=re.M)
    for raw_block in re.split(r"\n\s*\n", text):
        block = raw_block.strip()
        if not block:
            continue
        if _is_heading(block, guess=doc.path.lower().endswith(".txt")):
            heading = _WS.sub(" ", block.removeprefix("# ")).strip()
            section += 1
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
            spans: list[tuple[int, int]] = []
            for s, e in split_sentences(body):
                gap = body[spans[-1][1] : s] if spans else " "
                if not gap or gap.strip():  # no space between ("no.: 5"): one piece of text
                    spans[-1] = (spans[-1][0], e)
                else:
                    spans.append((s, e))
            for i, (s, e) in enumerate(spans):
                units.append(Unit((prefix if i == 0 else "") + body[s:e].strip(), heading, section))
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

    def embed_text(self) -> str:
        """What the embedder and BM25 read: title and heading give the passage context."""
        context = [self.title]
        if self.heading and self.heading != self.title:
            context.append(self.heading)
        return " — ".join(context) + "\n" + self.text

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Chunk:
        data = dict(data)
        data["sentences"] = tuple(tuple(s) for s in data["sentences"])
        return cls(**data)


def _split_long(text: str, max_words: int) -> list[str]:
    words = text.split(" ")
    return [" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words)]


def chunk_document(doc: Document, max_words: int) -> list[Chunk]:
    """Pack consecutive sentences of one section into chunks of at most ``max_words``."""
    groups: list[list[str]] = []
    headings: list[str] = []
    size = 0
    last_section = None
    for unit in document_units(doc):
        pieces = [unit.text]
        if len(unit.text.split()) > max_words:
            pieces = _split_long(unit.text, max_words)
        for piece in pieces:
            n = len(piece.split())
            # A chunk never spans a heading line (its text must stay a verbatim slice).
            if not groups or unit.section != last_section or size + n > max_words:
                groups.append([])
                headings.append(unit.heading)
                size = 0
            groups[-1].append(piece)
            size += n
            last_section = unit.section
    chunks = []
    for i, (sentences, heading) in enumerate(zip(groups, headings, strict=True)):
        text = " ".join(sentences)
        spans, pos = [], 0
        for sentence in sentences:
            spans.append((pos, pos + len(sentence)))
            pos += len(sentence) + 1
        digest = hashlib.sha256(f"{doc.title}\n{heading}\n{text}".encode()).hexdigest()
        chunks.append(
            Chunk(
                chunk_id=f"{doc.doc_id}#{i}-{digest[:8]}",
                doc_id=doc.doc_id,
                index=i,
                text=text,
                heading=heading,
                title=doc.title,
                url=doc.url,
                sentences=tuple(spans),
                hash=digest,
            )
        )
    return chunks

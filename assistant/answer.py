"""Extractive answering: quote the sentences that answer, cite them, or refuse.

``answer(question, history, settings) -> Answer`` is the one library call that
the CLI, the HTTP API and the chat page adapt. Everything here is
deterministic and needs no LLM: the answer is made of sentences copied from the
retrieved passages, each followed by the number of the passage it came from.
Whether to answer at all is decided first, from the evidence (how much of the
question the passages cover, how close the best passage is in meaning, whether
the passages hold the kind of detail asked for), with thresholds calibrated on
the tuning split of the eval set.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from assistant import wording
from assistant.chunking import Chunk
from assistant.embedders import Embedder, make_embedder
from assistant.index import LoadedIndex, check_embedder, load_index
from assistant.lexical import analyze, words
from assistant.retrieval import Hit, Retrieval, Retriever
from assistant.settings import Settings


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


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    mode: str = "extractive"
    timings_ms: dict[str, float] = field(default_factory=dict)
    # Not part of the JSON contract: why, and what was retrieved (eval, debugging).
    reason: str = ""
    retrieval: Retrieval | None = None

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [asdict(c) for c in self.citations],
            "mode": self.mode,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }

    def sources_text(self, indent: str = "") -> str:
        """The cited sources as plain text, the one rendering that CLI and /v1 share:
        a "Kilder:" line, then "[n] title (url): passage" per citation ('' if none)."""
        if not self.citations:
            return ""
        lines = [f"{wording.SOURCES_HEADING}:"]
        for c in self.citations:
            where = f" ({c.url})" if c.url else ""
            lines.append(f"{indent}[{c.n}] {c.title}{where}: {c.text}")
        return "\n".join(lines)


# --- the refusal decision ----------------------------------------------------

_INJECTION = re.compile(
    r"ignor\w*\s+(alle\s+|all\s+|dine\s+|your\s+|de\s+|the\s+|tidligere\s+|previous\s+|"
    r"kravet|instru|regl|rules)|glem\s+(kilderne|dine|alt|dine instrukser)|forget\s+(your|all|the)|"
    r"system\s*prompt|systemprompt|\bsystem\s*:|\bdu er nu (?:en|et)\b|\byou are now\b|\bjailbreak|(?-i:\bDAN\b)|"
    r"ny instruktion|new instructions?|</?\s*(kontekst|context|system|instructions?)\s*>|"
    r"developer mode|udviklertilstand|uden regler|without (any )?rules|\bact as\b|\blad som om\b|"
    r"\bpretend\b",
    re.I,
)

# The kind of detail a question asks for, and what a passage must contain to give it.
_ASKS = {
    "name": re.compile(
        r"\bhvad hedder (han|hun|direktøren|formanden|personen|lederen|"
        r"it-direktøren|chefen)\b|\bnavn(et|ene)?\b|\bwhat is (his|her|the) name\b|"
        r"\bwho is the (current )?(director|chair|head)\b|\bhvem er it-direktør\b",
        re.I,
    ),
    "cost": re.compile(
        r"\bkost\w*|\bpris\w*|\bbudget\w*|\bbeløb\w*|\bkroner\b|\bomkostning\w*|"
        r"\bhow much\b|\bcosts?\b|\bprice\b|\bspend",
        re.I,
    ),
    "date": re.compile(r"\bdato\w*|\bhvilken dag\b|\bdate\b|\bwhich day\b", re.I),
    "when": re.compile(r"\bhvorn[aå]r\b|\bhvilket år\b|\bårstal\w*|\bwhen\b|\bwhat year\b", re.I),
    "contact": re.compile(
        r"\be-?mail\w*|\btelefon\w*|\btlf\b|\badresse\w*|\bkontakt\w*|"
        r"\bphone\b|\baddress\b|\bcontact\b",
        re.I,
    ),
}
_HAS = {
    # Two capitalised words inside a sentence, not an organisation ("Region X", "Danske Regioner").
    "name": re.compile(
        r"(?<![.:!?]\s)(?<!^)\b(?!Region|Danske|Regionern)[A-ZÆØÅ][a-zæøå]+"
        r"\s+[A-ZÆØÅ][a-zæøå]+"
    ),
    "cost": re.compile(r"\d[\d.,]*\s*(kr\b|kroner|mio|mia|millioner|milliarder|euro|dkk)", re.I),
    "date": re.compile(
        r"\b\d{1,2}\.\s*(jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)\w*|"
        r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b",
        re.I,
    ),
    "count": re.compile(
        r"\b\d+\b|\b(en|et|to|tre|fire|fem|seks|syv|otte|ni|ti|tolv|femten|tyve|"
        r"tredive|fyrre|halvtreds|hundrede|tusind)\b",
        re.I,
    ),
    "when": re.compile(
        r"\b(1[89]|20)\d\d\b|\b\d{1,2}\.\s*(jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)", re.I
    ),
    "contact": re.compile(r"@|\b\d{2}\s?\d{2}\s?\d{2}\s?\d{2}\b|\bvej\s+\d|\bgade\s+\d", re.I),
}


_ASKS_ACRONYM = re.compile(
    r"\b(?i:hvad\s+står\s+(?:forkortelsen\s+)?)([A-ZÆØÅ]{2,}[\w-]*)\s+for\b|"
    r"\b(?i:what\s+does\s+(?:the\s+abbreviation\s+)?)([A-Z]{2,}[\w-]*)\s+stand\s+for\b|"
    r"\b(?i:hvad\s+betyder\s+(?:forkortelsen\s+)?)([A-ZÆØÅ]{2,}[\w-]*)\b"
)


def asked_acronym(question: str) -> str | None:
    """'Hvad står RSI for?' -> 'RSI': the answer must spell the acronym out."""
    m = _ASKS_ACRONYM.search(question)
    return next((g for g in m.groups() if g), None) if m else None


def asked_detail(question: str) -> str | None:
    if asked_acronym(question):
        return "acronym"
    for kind, pattern in _ASKS.items():
        if pattern.search(question):
            return kind
    return None


_ASKS_COUNT = re.compile(r"\bhvor mange\b|\bantal\w*|\bhow many\b|\bnumber of\b", re.I)
# A sentence with one of these words leans on the sentence before it.
_LEANS_BACK = re.compile(r"\b(desuden|derved|dermed|derfor|herved|endvidere|ligeledes)\b", re.I)
# Sentences that open like this elaborate the sentence before them.
_ELABORATION = re.compile(
    r"^(fx|f\.eks\.|eksempelvis|for eksempel|bl\.a\.|blandt andet|herunder|"
    r"det vil sige|dvs\.)\s",
    re.I,
)


def expected_type(question: str) -> str | None:
    """The kind of detail a good answer sentence holds (for ranking sentences)."""
    return asked_detail(question) or ("count" if _ASKS_COUNT.search(question) else None)


def has_detail(kind: str, answer_text: str, question: str) -> bool:
    """Does the answer hold the kind of detail asked for (not merely echo the question)?"""
    if kind == "acronym":  # "Regionernes Sundheds-it (RSI)" spells out RSI
        return f"({(asked_acronym(question) or '').lower()})" in answer_text.lower()
    asked = question.lower()
    return any(m.group(0).lower() not in asked for m in _HAS[kind].finditer(answer_text))


def looks_english(question: str) -> bool:
    from assistant.lexical import DANISH_STOPWORDS, ENGLISH_STOPWORDS

    if re.search(r"[æøåÆØÅ]", question):
        return False
    ws = words(question)
    en = sum(w in ENGLISH_STOPWORDS and w not in DANISH_STOPWORDS for w in ws)
    da = sum(w in DANISH_STOPWORDS and w not in ENGLISH_STOPWORDS for w in ws)
    return en > da and en >= 1


@dataclass
class Evidence:
    coverage: float  # idf-weighted share of the question's words found in the top passages
    dense: float  # cosine similarity of the best passage
    english: bool
    score: float  # 0..1, compared with settings.answer.refusal_threshold


# Cosine similarities of e5 sit in a narrow band; this maps the band to 0..1.
DENSE_FLOOR, DENSE_CEIL = 0.78, 0.90


def evidence(
    retrieval: Retrieval, index: LoadedIndex, coverage_weight: float = 0.5, top: int = 3
) -> Evidence:
    bm25 = index.bm25
    tokens: set[str] = set()
    for hit in retrieval.hits[:top]:
        tokens.update(analyze(hit.chunk.embed_text()))
    total = covered = 0.0
    for term in retrieval.terms:
        weight = max((bm25.idf(t) for t in term.matches), default=bm25.idf(term.stem))
        total += weight
        if tokens.intersection(term.matches):
            covered += weight
    coverage = covered / total if total else 0.0
    dense_norm = min(
        1.0, max(0.0, (retrieval.top_dense - DENSE_FLOOR) / (DENSE_CEIL - DENSE_FLOOR))
    )
    english = looks_english(retrieval.question)
    score = coverage_weight * coverage + (1 - coverage_weight) * dense_norm
    if english:  # words missing from Danish sources say nothing; words found still count
        score = max(score, dense_norm)
    return Evidence(coverage, retrieval.top_dense, english, score)


# --- choosing and writing the sentences --------------------------------------

_LIST_MARKER = re.compile(r"^\s*(?:[-*•–]|\d{1,3}[.)])\s+")
_ITEM_HEAD = re.compile(r"^(.{3,80}?)(?:\s+som\s|\s+der\s|,\s|:\s|\s+-\s)")


@dataclass
class _Sentence:
    hit_rank: int
    chunk: Chunk
    position: int  # row of the chunk in the index
    start: int
    end: int
    score: float

    @property
    def text(self) -> str:
        return self.chunk.text[self.start : self.end]


def _score_sentences(retrieval: Retrieval, index: LoadedIndex, hits: list[Hit]) -> list[_Sentence]:
    """Relevance of every sentence of the passages: the question's words it holds
    (idf-weighted), the rank of its passage, and whether it has the kind of detail
    the question asks for (a year for "hvornår", a number for "hvor mange" ...)."""
    bm25 = index.bm25
    kind = expected_type(retrieval.question)
    weights = [
        (set(t.matches), max((bm25.idf(m) for m in t.matches), default=0.0))
        for t in retrieval.terms
    ]
    total = sum(w for _, w in weights) or 1.0
    out = []
    for rank, hit in enumerate(hits):
        for start, end in hit.chunk.sentences:
            toks = set(analyze(hit.chunk.text[start:end]))
            text = hit.chunk.text[start:end]
            lexical = sum(w for matches, w in weights if matches & toks) / total
            typed = 0.4 if kind and has_detail(kind, text, retrieval.question) else 0.0
            out.append(
                _Sentence(
                    rank, hit.chunk, hit.position, start, end, lexical + typed + 0.3 / (1 + rank)
                )
            )
    return out


def _neighbour(index: LoadedIndex, sentence: _Sentence, step: int) -> _Sentence | None:
    """The sentence just before (step -1) or after (+1) in the same document."""
    spans = list(sentence.chunk.sentences)
    k = spans.index((sentence.start, sentence.end)) + step
    if 0 <= k < len(spans):
        return _Sentence(
            sentence.hit_rank, sentence.chunk, sentence.position, *spans[k], sentence.score
        )
    pos = sentence.position + step
    if not 0 <= pos < len(index.chunks) or index.chunks[pos].doc_id != sentence.chunk.doc_id:
        return None
    chunk = index.chunks[pos]
    if not chunk.sentences:
        return None
    start, end = chunk.sentences[-1 if step < 0 else 0]
    return _Sentence(sentence.hit_rank, chunk, pos, start, end, sentence.score)


def _list_items(index: LoadedIndex, sentence: _Sentence) -> list[tuple[int, str]]:
    """The list items that follow a sentence ending in ':' (may run into later chunks)."""
    items: list[tuple[int, str]] = []
    pos, chunk = sentence.position, sentence.chunk
    spans = [s for s in chunk.sentences if s[0] >= sentence.end]
    while True:
        for start, end in spans:
            text = chunk.text[start:end]
            if not _LIST_MARKER.match(text):
                if items:  # a sentence inside an item: the item goes on
                    continue
                return items
            items.append((pos, text))
        pos += 1
        if pos >= len(index.chunks) or index.chunks[pos].doc_id != chunk.doc_id:
            return items
        chunk = index.chunks[pos]
        if not chunk.sentences or not _LIST_MARKER.match(chunk.text[slice(*chunk.sentences[0])]):
            return items
        spans = list(chunk.sentences)


def _condense_item(text: str) -> str:
    text = _LIST_MARKER.sub("", text).strip()
    if len(text) <= 90:
        return text.rstrip(".")
    m = _ITEM_HEAD.match(text)
    return m.group(1) if m else text.rstrip(".")


_SOURCE_MARK = re.compile(r"\s*\[\d+\]")


def _with_mark(text: str, marks: str) -> str:
    # Footnote marks of the source ("[3]") would pose as our citations: drop them.
    text = _SOURCE_MARK.sub("", _LIST_MARKER.sub("", text)).strip()
    if text and text[-1] in ".!":
        return f"{text[:-1]} {marks}{text[-1]}"
    if text.endswith(("?", ":")):
        return f"{text[:-1]} {marks}."
    return f"{text} {marks}."


def compose(
    retrieval: Retrieval, index: LoadedIndex, settings: Settings
) -> tuple[str, list[tuple[int, Chunk, float]]]:
    """The answer text with [n] marks, and the cited chunks in order of n."""
    cfg = settings.answer
    hits = retrieval.hits[: settings.retrieval.top_k]
    scored = _score_sentences(retrieval, index, hits)
    if not scored:
        return "", []
    scored.sort(key=lambda s: (-s.score, s.hit_rank, s.start))
    best = scored[0].score
    chosen = [scored[0]]
    length = len(scored[0].text)
    for cand in scored[1:]:
        if len(chosen) >= cfg.max_sentences or cand.score < 0.8 * best:
            break
        if length + len(cand.text) > cfg.max_chars:
            continue
        chosen.append(cand)
        length += len(cand.text)
    # Keep the context a chosen sentence needs: the example sentence after it
    # ("Fx ..."), or the sentence before one that leans back ("... desuden ...", or
    # an example sentence "Fx ..." whose subject is in the sentence before).
    for sentence in list(chosen):
        after = _neighbour(index, sentence, +1)
        before = _neighbour(index, sentence, -1)
        for extra, wanted in ((after, _ELABORATION.match), (before, None)):
            if extra is None:
                continue
            leans_back = _LEANS_BACK.search(sentence.text) or _ELABORATION.match(sentence.text)
            if wanted is None and not leans_back:
                continue
            if wanted is not None and not wanted(extra.text):
                continue
            taken = any(c.position == extra.position and c.start == extra.start for c in chosen)
            if not taken and length + len(extra.text) <= cfg.max_chars:
                chosen.append(extra)
                length += len(extra.text)
    chosen.sort(key=lambda s: (s.position, s.start))

    cited: dict[int, int] = {}  # chunk position -> n
    cited_chunks: list[tuple[int, Chunk, float]] = []
    scores = {h.position: h.score for h in hits}

    def mark(position: int) -> str:
        if position not in cited:
            cited[position] = len(cited) + 1
            chunk = index.chunks[position]
            cited_chunks.append((cited[position], chunk, scores.get(position, 0.0)))
        return f"[{cited[position]}]"

    parts = []
    for sentence in chosen:
        text = sentence.text
        items = _list_items(index, sentence) if text.rstrip().endswith(":") else []
        if items:
            heads = [_condense_item(t) for _, t in items]
            listed = ", ".join(heads[:-1]) + (" og " if len(heads) > 1 else "") + heads[-1]
            marks = "".join(dict.fromkeys([mark(sentence.position)] + [mark(p) for p, _ in items]))
            intro = _SOURCE_MARK.sub("", _LIST_MARKER.sub("", text)).strip()
            listed = _SOURCE_MARK.sub("", listed)
            parts.append(f"{intro} {listed} {marks}.")
        else:
            parts.append(_with_mark(text, mark(sentence.position)))
    return " ".join(parts), cited_chunks


# --- the assistant -----------------------------------------------------------


class Assistant:
    """A loaded index, its embedder and retriever; answers questions."""

    def __init__(self, settings: Settings, index: LoadedIndex, embedder: Embedder):
        check_embedder(index, embedder)
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.retriever = Retriever(index, embedder, settings.retrieval)

    @classmethod
    def load(
        cls, settings: Settings, embedder: Embedder | None = None, build: Path | None = None
    ) -> Assistant:
        index = load_index(settings.index_dir, build)
        return cls(settings, index, embedder or make_embedder(settings.embedder))

    def _refusal(
        self,
        question: str,
        reason: str,
        text: str,
        started: float,
        retrieval: Retrieval | None,
        timings: dict,
    ) -> Answer:
        timings["total"] = (time.perf_counter() - started) * 1e3
        return Answer(
            question, text, True, [], timings_ms=timings, reason=reason, retrieval=retrieval
        )

    def answer(self, question: str, history: list[dict] | None = None) -> Answer:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        question = " ".join(question.split())
        if _INJECTION.search(question):
            timings.update(retrieve=0.0, answer=0.0)
            return self._refusal(
                question, "injection", wording.REFUSAL_INJECTION, started, None, timings
            )
        retrieval = self.retriever.search(question, history)
        t_retrieved = time.perf_counter()
        timings["retrieve"] = (t_retrieved - started) * 1e3
        ev = evidence(retrieval, self.index, self.settings.answer.coverage_weight)
        if not retrieval.hits or ev.score < self.settings.answer.refusal_threshold:
            timings["answer"] = (time.perf_counter() - t_retrieved) * 1e3
            return self._refusal(
                question,
                f"weak evidence {ev.score:.2f}",
                wording.REFUSAL_NOT_COVERED,
                started,
                retrieval,
                timings,
            )
        text, cited = compose(retrieval, self.index, self.settings)
        detail = asked_detail(question)
        if detail and not has_detail(detail, text, question):
            timings["answer"] = (time.perf_counter() - t_retrieved) * 1e3
            return self._refusal(
                question,
                f"no {detail} in the passages",
                wording.REFUSAL_DETAIL_MISSING.format(detail=wording.DETAIL_NAMES[detail]),
                started,
                retrieval,
                timings,
            )
        citations = [
            Citation(
                n, c.doc_id, c.title, c.url, c.chunk_id, c.text, round(score, 4), c.heading, c.date
            )
            for n, c, score in cited
        ]
        timings["answer"] = (time.perf_counter() - t_retrieved) * 1e3
        timings["total"] = (time.perf_counter() - started) * 1e3
        return Answer(
            question,
            text,
            False,
            citations,
            timings_ms=timings,
            reason=f"evidence {ev.score:.2f}",
            retrieval=retrieval,
        )

    def stream(self, question: str, history: list[dict] | None = None) -> Iterator[str | Answer]:
        """Answer text in small pieces, then the whole Answer (for SSE and the chat page)."""
        result = self.answer(question, history)
        yield from re.findall(r"\S+\s*", result.answer)
        yield result

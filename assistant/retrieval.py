"""Hybrid retrieval: Danish BM25 and dense vectors, fused by reciprocal rank.

Follow-up questions ("Og hvem er medlemmer af den?") are resolved without an
LLM: when a question leans on the conversation (a pronoun, "og …", "hvad med
…", or almost no words of its own that the index knows), the previous user
question is searched together with it.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.chunking import Chunk
from assistant.embedders import Embedder
from assistant.english import translate_terms
from assistant.index import LoadedIndex
from assistant.language import looks_english
from assistant.lexical import QueryTerm, name_stems, query_terms, words
from assistant.settings import RetrievalSettings

_ANAPHORA = frozenset(
    "den det dem deres dens dets denne dette disse der han hun hans hendes "
    "its they them their those these that he she his her".split()
)
_CONTINUATION = re.compile(
    r"^\s*(og|men|også|så|hvad med|hvad så med|hvordan med|and|but|what about|how about)\b",
    re.I,
)
# The heading of a Q&A page's question ("Spørgsmål", "Question"); the answer follows
# under "Svar"/"Answer".
_ASKED_SECTION = re.compile(r"^\s*(?:spørgsmål(?:et)?|question)\s*:?\s*$", re.I)


def is_asked_section(heading: str) -> bool:
    """Is this the question section of a Q&A page (its heading "Spørgsmål"/"Question")?"""
    return bool(_ASKED_SECTION.match(heading))


@dataclass
class Hit:
    chunk: Chunk
    position: int  # row in the index
    score: float  # fused
    dense: float | None = None  # cosine similarity, when the dense ranker found it
    bm25: float | None = None


@dataclass
class Retrieval:
    question: str
    query: str  # what was searched (the question, or it with the previous question)
    followup: bool
    hits: list[Hit]
    terms: list[QueryTerm]
    top_dense: float  # best cosine similarity of any passage
    timings_ms: dict[str, float] = field(default_factory=dict)
    own_terms: list[QueryTerm] = field(default_factory=list)  # the question's own words
    previous: str | None = None  # the earlier question searched with it (follow-ups)


def previous_user_question(history: list[dict] | None) -> str | None:
    for message in reversed(history or []):
        if message.get("role") == "user" and str(message.get("content", "")).strip():
            return str(message["content"]).strip()
    return None


# "så" inside a question ("Hvordan kommer data så videre?", "Kan kladden så komme frem?")
# is the adverb "then": it asks on from what was said before. Not after a comma (", så
# borgeren kan …": the conjunction "so that"), nor before a word of degree ("så længe",
# "så lang tid", "så mange": "so long", "so many").
_THEN = re.compile(
    r"(?<![,;:])\s+så\b(?!\s+(?:længe|mange|meget|snart|vidt|godt|lidt|lang|langt|tit|"
    r"ofte|stor|store|små|hurtigt|sent|tidligt)\b)",
    re.I,
)
# Pronouns that point back, without "der" ("er der …", "som der …"); "det" and "den" only
# where they stand for something: not as an article before an adjective ("det nye
# system", "den vedhæftede fil"), nor as the empty subject of "er det muligt", "det er",
# "tager det at …".
_REFERS = _ANAPHORA - {"der", "det", "den"}
_POINTING = re.compile(
    r"\b(?:det|den)\b(?<!\ber det)"
    r"(?!\s+(?:er|var|muligt|nødvendigt|rigtigt|korrekt|at)\b|\s+[a-zæøå]\w*e\b)",
    re.I,
)
# A question with a pronoun or "så" and at most this many words the index knows leans
# on the conversation; with more, it names its own subject ("Er det muligt at slette en
# formular med vedhæftede filer?"). OS2forms tune split: 2 -> 4 gave follow-ups 0.69 ->
# 0.81 fact recall; standalone questions after an unrelated turn lost one answer in 68.
CONTEXT_MAX_KNOWN = 4


def needs_context(question: str, known_terms: int) -> bool:
    """Does the question lean on the conversation rather than stand on its own?"""
    if _CONTINUATION.match(question):
        return True
    ws = words(question)
    if known_terms <= 2 and any(w in _ANAPHORA for w in ws):
        return True
    if known_terms <= CONTEXT_MAX_KNOWN and (
        any(w in _REFERS for w in ws) or _POINTING.search(question) or _THEN.search(question)
    ):
        return True
    return known_terms == 0  # "Og hvad så?": nothing of its own to search for


def rrf(rankings: list[tuple[list[int], float]], k: int) -> dict[int, float]:
    """Weighted reciprocal rank fusion of several rankings (lists of positions)."""
    fused: dict[int, float] = {}
    for ranking, weight in rankings:
        for rank, pos in enumerate(ranking):
            fused[pos] = fused.get(pos, 0.0) + weight / (k + rank + 1)
    return fused


def cap_tokens(text: str, limit: int, count: Callable[[str], int], suffix: str = "") -> str:
    """The longest start of ``text`` (cut at a space where there is one) for which
    ``count(start + suffix)`` is at most ``limit`` tokens; ``text`` itself when it fits."""
    if count(text + suffix) <= limit:
        return text
    parts = text.split()
    if len(parts) > limit:  # every word is at least one token: cheap first cut
        text = " ".join(parts[:limit])
        if count(text + suffix) <= limit:
            return text
    lo, hi = 0, len(text)  # count(text[:lo] + suffix) <= limit < count(text[:hi] + suffix)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if count(text[:mid] + suffix) <= limit:
            lo = mid
        else:
            hi = mid
    cut = text[:lo]
    space = cut.rfind(" ")
    return (cut[:space] if space > 0 else cut).rstrip()


def _word_count(text: str) -> int:
    return len(text.split())


def known_share(bm25, terms: list[QueryTerm]) -> float:
    """Idf-weighted share of the question's words that the index knows in some form."""
    weights = [(bool(t.matches), bm25.idf(t.matches[0] if t.matches else t.stem)) for t in terms]
    total = sum(w for _, w in weights)
    return sum(w for known, w in weights if known) / total if total else 0.0


def _idf_weights(bm25, terms: list[QueryTerm]) -> list[tuple[set[str], float]]:
    return [
        (set(t.matches), max((bm25.idf(m) for m in t.matches), default=0.0))
        for t in terms
        if t.matches
    ]


def lead_headings(chunks: list[Chunk]) -> dict[str, str]:
    """Each document's first heading (its first chunk's), by document id.

    A page's first heading names what the whole page is about, where its title may not
    ("Oplæg" above "# Efterårsrelease 2025 - oplæg til koordinationsgruppen"); a chunk
    carries only its own section's heading, so the sections further down lose it."""
    leads: dict[str, str] = {}
    for chunk in chunks:
        leads.setdefault(chunk.doc_id, chunk.heading)
    return leads


class Retriever:
    def rerank(
        self,
        order: list[int],
        terms: list[QueryTerm],
        fused: dict[int, float],
        weight: float | None = None,
        question: str = "",
    ) -> list[int]:
        """Re-order the best fused candidates by where the question's words meet.

        A passage in which the question's words occur together in one sentence window
        (the sentence, its neighbours, its heading, its page's title and first heading:
        ``lead_headings``) answers more likely than
        one that holds them scattered, or holds only the words that every passage of a
        long page shares. A window that also holds the kind of detail the question asks
        for (a date for "hvornår", an e-mail address for "hvilken e-mailadresse", a
        number for "hvor mange": ``language.expected_detail``) answers more likely than
        one that only repeats the question's words: the neighbouring passages of one
        section share its words, the one with the detail is the answer. Score:
        (1 - w) * fused score (scaled to the best) + w * (the best window's idf-weighted
        coverage + ``rerank_detail_weight`` when it holds the detail), times
        ``asked_section_factor`` for a passage of a Q&A page's question section: the
        asker's problem in words much like the question's, which both rankers favour,
        while the answer stands under "Svar".
        """
        from assistant.language import expected_detail, has_detail
        from assistant.lexical import analyze

        weights = _idf_weights(self.index.bm25, terms)
        total = sum(w for _, w in weights)
        if not order or not total:
            return order
        top = max(fused[p] for p in order) or 1.0
        w = self.cfg.rerank_weight if weight is None else weight
        kind = expected_detail(question) if question else None
        bonus = self.cfg.rerank_detail_weight
        scored = []
        for p in order:
            chunk = self.index.chunks[p]
            lead = self.leads.get(chunk.doc_id, "")
            context = set(analyze(f"{chunk.title} {lead} {chunk.path()}"))
            spans = chunk.sentences or ((0, len(chunk.text)),)
            sents = [set(analyze(chunk.text[s:e])) for s, e in spans]
            best = 0.0
            for k in range(len(sents)):
                toks = context.union(*sents[max(0, k - 1) : k + 2])
                score = sum(x for m, x in weights if m & toks) / total
                if kind and bonus:
                    window = spans[max(0, k - 1) : k + 2]
                    if has_detail(kind, chunk.text[window[0][0] : window[-1][1]], question):
                        score += bonus
                best = max(best, score)
            score = (1 - w) * fused[p] / top + w * best
            if is_asked_section(chunk.heading):
                score *= self.cfg.asked_section_factor
            scored.append((score, p))
        scored.sort(key=lambda t: (-t[0], t[1]))
        return [p for _, p in scored]

    def __init__(self, index: LoadedIndex, embedder: Embedder, cfg: RetrievalSettings):
        self.index = index
        self.embedder = embedder
        self.cfg = cfg
        self.leads = lead_headings(index.chunks)
        index.bm25.vocab.names = name_stems(c.text for c in index.chunks)

    def dense(
        self, query: str, k: int, own: str | None = None
    ) -> tuple[list[tuple[int, float]], float]:
        """Top ``k`` (position, cosine similarity to ``query``) and the best similarity.

        ``own`` (a follow-up's own words, when ``query`` holds the earlier question
        too): passages are ranked by their similarity to ``query`` plus that to
        ``own``, so what is asked now counts twice and the earlier question only sets
        the topic (as in the BM25 ranking); the similarities reported stay those to
        ``query``."""
        vec = self.embedder.embed_query(query).reshape(1, -1)
        k = min(k, self.index.faiss.ntotal)
        if k == 0:
            return [], 0.0
        if own is None or own == query:
            pairs = self._nearest(vec, k)
            return pairs, (pairs[0][1] if pairs else 0.0)
        # Both searches go through the index (FAISS or pgvector's HNSW), twice as deep; a
        # passage one of them did not reach counts with that search's lowest similarity.
        wide = min(2 * k, self.index.faiss.ntotal)
        to_query = dict(self._nearest(vec, wide))
        to_own = dict(self._nearest(self.embedder.embed_query(own).reshape(1, -1), wide))
        if not to_query or not to_own:
            return list(to_query.items())[:k], max(to_query.values(), default=0.0)
        low_q, low_o = min(to_query.values()), min(to_own.values())
        ranked = sorted(
            to_query.keys() | to_own.keys(),
            key=lambda p: (-(to_query.get(p, low_q) + to_own.get(p, low_o)), p),
        )[:k]
        return [(p, to_query.get(p, low_q)) for p in ranked], max(to_query.values())

    def _nearest(self, vec, k: int) -> list[tuple[int, float]]:
        scores, found = self.index.faiss.search(vec, k)
        return [(int(i), float(s)) for i, s in zip(found[0], scores[0], strict=True) if i >= 0]

    def bounded_query(self, question: str, previous: str | None = None) -> str:
        """What the embedder reads, at most ``max_query_tokens``: the question, cut at
        the end if need be; for a follow-up, as much of the start of the earlier
        question as still fits is put before it."""
        limit = self.cfg.max_query_tokens
        count = getattr(self.embedder, "token_count", None) or _word_count
        question = cap_tokens(question, limit, count)
        if previous is None:
            return question
        context = cap_tokens(previous, limit, count, suffix=f" {question}")
        return f"{context} {question}" if context else question

    def search(
        self,
        question: str,
        history: list[dict] | None = None,
        top_k: int | None = None,
        mode: str = "hybrid",
    ) -> Retrieval:
        """Top passages for the question; ``mode`` 'bm25' or 'dense' for the baselines."""
        t0 = time.perf_counter()
        vocab = self.index.bm25.vocab
        cap = self.cfg.max_query_terms
        terms = own_terms = query_terms(question, vocab, cap)
        query, followup = self.bounded_query(question), False
        previous = previous_user_question(history)
        if previous and needs_context(question, sum(1 for t in terms if t.matches)):
            followup = True
            combined = f"{previous} {question}"
            if len(set(words(combined))) <= cap:
                terms = query_terms(combined, vocab)
            else:  # each part capped, so a long earlier question cannot crowd this one out
                terms = query_terms(previous, vocab, cap) + terms
            query = self.bounded_query(question, previous)
        if looks_english(question):  # English words also match their Danish translations
            terms, own_terms = translate_terms(terms, vocab), translate_terms(own_terms, vocab)
        n = self.cfg.candidates
        t1 = time.perf_counter()
        # In a follow-up the question's own words say what is asked now, the earlier
        # question only the topic: its own words count twice in the BM25 ranking and in
        # the re-ranking (where the words meet).
        searched = terms + own_terms if followup else terms
        lexical = self.index.bm25.search(searched, n) if mode != "dense" else []
        t2 = time.perf_counter()
        own = self.bounded_query(question) if followup else None
        dense, top_dense = self.dense(query, n, own) if mode != "bm25" else ([], 0.0)
        t3 = time.perf_counter()
        bm25_weight = self.cfg.bm25_weight
        rerank_weight = self.cfg.rerank_weight
        if mode == "hybrid" and known_share(self.index.bm25, terms) < self.cfg.dense_first_below:
            # Dense first: most of the question's words are unknown to the index (a
            # paraphrase in everyday words, an English question), so their BM25 ranking
            # rests on the few words left and counts for less; so does where those few
            # words meet (the re-ranking).
            bm25_weight *= self.cfg.dense_first_bm25_factor
            rerank_weight *= self.cfg.dense_first_bm25_factor
        fused = rrf(
            [
                ([p for p, _ in dense], self.cfg.dense_weight),
                ([p for p, _ in lexical], bm25_weight),
            ],
            self.cfg.rrf_k,
        )
        dense_by = dict(dense)
        bm25_by = dict(lexical)
        order = sorted(fused, key=lambda p: (-fused[p], p))
        if mode == "hybrid" and rerank_weight > 0:
            order = (
                self.rerank(
                    order[: self.cfg.rerank_depth],
                    searched,
                    fused,
                    rerank_weight,
                    question=question,
                )
                + order[self.cfg.rerank_depth :]
            )
        order = order[: top_k or self.cfg.top_k]
        hits = [
            Hit(self.index.chunks[p], p, fused[p], dense_by.get(p), bm25_by.get(p)) for p in order
        ]
        t4 = time.perf_counter()
        return Retrieval(
            question=question,
            query=query,
            followup=followup,
            hits=hits,
            terms=terms,
            top_dense=top_dense,
            own_terms=own_terms,
            previous=previous if followup else None,
            timings_ms={
                "analyze": (t1 - t0) * 1e3,
                "bm25": (t2 - t1) * 1e3,
                "dense": (t3 - t2) * 1e3,
                "fuse": (t4 - t3) * 1e3,
            },
        )

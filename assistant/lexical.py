"""Danish BM25: tokenising, stemming, stop words, compounds and typos.

bm25s does the scoring; everything language-specific lives here and is rebuilt
from code on load (bm25s persists only its matrices and vocabulary, and
llama-index's ``BM25Retriever.persist()`` would forget the stemmer), so a
reloaded index analyses queries exactly as the build did.

Danish compounds ("telemedicinløsninger", "hospitalsapoteker") are handled at
query time against the index vocabulary: a query word also matches the indexed
compounds that start or end with it, a compound query word is split into
indexed parts, two query words that form an indexed compound are joined, and a
word unknown to the index matches indexed words one or two edits away (typos).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

ANALYZER_VERSION = "da-bm25-v2"  # v2: endings after an apostrophe dropped

DANISH_STOPWORDS = frozenset(
    """
    ad af aldrig alle alt anden andet andre at bare begge blev blive bliver da de dem den
    denne dens der deres det dette dig din dine disse dit dog du efter eller en end er et
    for fordi fra få går gør ham han hans har havde have hende hendes her hos hun hvad
    hvem hver hvilke hvilken hvis hvor hvordan hvorfor hvornår i ikke ind jeg jer jo kan
    kom kommer kunne man mange med meget men mere mig min mine mit mod må måske ned nej
    noget nogen nogle nok nu når og også om op os over på sammen selv sig sin sine sit
    skal skulle som stadig så sådan thi til ud under var vi vil ville vor vores være været
    hvilket hvori hvorledes mon monstro blevet kaldes kaldet fortæl fortæller
    står stå betyder betyde hedder laver handler findes egentlig præcis gerne lige
    nævn forklar kort ting slags vide ved eksempler eksempel lidt helt nogen
    """.split()
)
ENGLISH_STOPWORDS = frozenset(
    """
    a an and are as at be by can did do does for from has have how i in is it its me my
    of on or please tell that the their them there these they this to was were what when
    where which who whom whose why will with would you your about many much been so far
    does did done had any some more most other than then into over since
    """.split()
)
STOPWORDS = DANISH_STOPWORDS | ENGLISH_STOPWORDS
# Danish function words that name nothing: the determiners "selve url'en" (the url
# itself), "den samme formular", "deres egen enhed", and the conjunctions of time "før" and
# "inden" (as "efter" above). Dropped from questions only: the index keeps them (changing
# index-time analysis would need a new analyzer version). As query words they stem into
# unrelated compounds ("selve" -> "selv" -> "selvbetjeningsside", "samme" ->
# "sammenhæng"), and they make a follow-up ("… før det kan virke?") look like a question
# with words of its own (``retrieval.needs_context``).
QUERY_STOPWORDS = STOPWORDS | frozenset("selve samme egen eget egne før inden".split())
_LONG_STOPWORDS = tuple(w for w in DANISH_STOPWORDS if len(w) >= 5)

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
# Danish inflects an abbreviation or a loanword after an apostrophe ("url'erne",
# "PDF'en", "API'et", "CPR-nummer'ets"); the ending is no word of its own. An English
# possessive ("webform's") loses its "s" the same way.
_APOSTROPHE_ENDING = re.compile(
    r"(?<=[^\W_])['’](?:s|e|en|et|er|erne|ernes|ens|ets|ne|nes|ers)(?![^\W_])", re.UNICODE
)


@lru_cache(maxsize=1)
def _stemmer():
    import Stemmer

    return Stemmer.Stemmer("danish")


def words(text: str) -> list[str]:
    """Lower-cased words; hyphenated words also give their parts ("kol-patienter")."""
    return _WORD.findall(_APOSTROPHE_ENDING.sub("", text.lower()))


def analyze(text: str) -> list[str]:
    """Index-time tokens: Danish stems of the words that are not stop words."""
    kept = [w for w in words(text) if w not in STOPWORDS]
    return _stemmer().stemWords(kept) if kept else []


def _edit_distance_at_most(a: str, b: str, limit: int) -> bool:
    """Optimal-string-alignment distance (adjacent swaps count 1) <= limit."""
    if abs(len(a) - len(b)) > limit:
        return False
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = a[i - 1] != b[j - 1]
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        if min(cur) > limit:
            return False
        prev2, prev = prev, cur
    return prev[-1] <= limit


@dataclass
class QueryTerm:
    """One content word of a question and the index tokens it matches."""

    word: str
    stem: str
    matches: tuple[str, ...]  # index tokens; empty = the index never mentions it
    parts: tuple[str, ...] = ()  # a compound split into indexed parts: each part is needed


_CAPITALISED = re.compile(r"\b[A-ZÆØÅ][a-zæøåéü]+\b")
_LOWER = re.compile(r"\b[a-zæøåéü]+\b")


def name_stems(texts) -> set[str]:
    """Stems of the words the texts write only with a capital (names: "Anders") that no
    word they write in lower case shares: "formand" is no "form" + "and" (of "Anders").
    A word that only ever opens a sentence counts as a name too; it is only kept out
    of compound splits."""
    capitalised: set[str] = set()
    ordinary: set[str] = set()
    for text in texts:
        capitalised.update(w.lower() for w in _CAPITALISED.findall(text))
        ordinary.update(_LOWER.findall(text))
    ordinary -= STOPWORDS  # never indexed: "anden" gives no token "and"
    stem = _stemmer().stemWords
    return set(stem(sorted(capitalised - ordinary - STOPWORDS))) - set(stem(sorted(ordinary)))


# A part this short matches by accident unless the sources use it as a word of their own,
# not only as the stem of a name ("formand" is no "form" + "and", the stem of "Anders").
SHORT_PART = 3


def _two_parts(word: str, start: int) -> Iterator[tuple[str, str]]:
    """Each split of ``word`` into a first part of at least ``start`` letters and the
    rest, and, where the rest opens with one, without the Danish linking -s- or -e-."""
    for i in range(start, len(word) - 2):
        head, tail = word[:i], word[i:]
        yield head, tail
        if tail[:1] in "se":
            yield head, tail[1:]


class Vocabulary:
    """Lookup structures over the index tokens for compound and typo matching."""

    MIN_PART = 4

    def __init__(self, tokens: list[str]):
        self.tokens = set(tokens)
        self.names: set[str] = set()  # stems of names (``name_stems``): no short part
        self._heads: dict[str, list[str]] = defaultdict(list)  # prefix -> compounds
        self._tails: dict[str, list[str]] = defaultdict(list)  # suffix -> compounds
        self._by_start: dict[str, list[str]] = defaultdict(list)
        for tok in self.tokens:
            self._by_start[tok[:1]].append(tok)
            for i in range(self.MIN_PART, len(tok) - self.MIN_PART + 2):
                self._heads[tok[:i]].append(tok)
                self._tails[tok[i:]].append(tok)

    def compounds(self, stem: str) -> list[str]:
        """Indexed compounds that start or end with ``stem``."""
        if len(stem) < self.MIN_PART:
            return []
        found = self._heads.get(stem, []) + self._tails.get(stem, [])
        return sorted(set(found) - {stem})[:8]

    def split(self, stem: str) -> list[str]:
        """Indexed parts of a compound (with the Danish linking -s- or -e-)."""
        best: list[str] = []
        for h, t in _two_parts(stem, self.MIN_PART - 1):
            if (
                h in self.tokens
                and t in self.tokens
                and len(t) >= 3
                and not ({p for p in (h, t) if len(p) <= SHORT_PART} & self.names)
            ):
                if len(h) + len(t) > sum(map(len, best)):
                    best = [h, t]
        return best

    def split_word(self, word: str) -> list[str]:
        """Indexed stems of a compound's parts, split as written: the stem of a whole
        word can hide its parts when a part ends in a suffix the stemmer strips
        ("hospitalsledelses|repræsentant": "hospitalsledelse" stems to "hospitalsled",
        which the stem of the compound does not contain)."""
        stem = _stemmer().stemWord
        best: list[str] = []
        best_len = 0
        for h, t in _two_parts(word, self.MIN_PART):
            if len(t) < 3:
                continue
            hs, ts = stem(h), stem(t)
            if (
                hs in self.tokens
                and ts in self.tokens
                and min(len(hs), len(ts)) >= self.MIN_PART  # "bygge|tilladelse": no "byg"
                and len(h) + len(t) > best_len
            ):
                best, best_len = [hs, ts], len(h) + len(t)
        return best

    def head_word(self, stem: str) -> list[str]:
        """The indexed word a compound ends in: Danish compounds are right-headed, so an
        "udviklingsopgave" is a kind of "opgave" and may be matched by it."""
        for i in range(3, len(stem) - self.MIN_PART + 1):
            tail = stem[i:]
            if tail in self.tokens:
                return [tail]
        return []

    def near(self, stem: str) -> list[str]:
        """Indexed tokens one edit away (two for long words): typos."""
        if len(stem) < 5:
            return []
        limit = 1 if len(stem) < 7 else 2
        cands = self._by_start.get(stem[:1], [])
        return sorted(t for t in cands if _edit_distance_at_most(stem, t, limit))[:4]


def query_terms(text: str, vocab: Vocabulary, max_terms: int | None = None) -> list[QueryTerm]:
    """The question's content words with the index tokens each one matches.

    ``max_terms`` caps the distinct words looked up (each unknown word costs a typo
    search over the vocabulary): words after the first ``max_terms`` distinct ones
    are dropped, repeats of kept words stay.
    """
    ws = [w for w in words(text) if w not in QUERY_STOPWORDS]
    if max_terms is not None and len(set(ws)) > max_terms:
        kept: set[str] = set()
        capped = []
        for w in ws:
            if w in kept or len(kept) < max_terms:
                kept.add(w)
                capped.append(w)
        ws = capped
    # A misspelt question word ("hvornar") is still a question word, not a rare term.
    ws = [
        w
        for w in ws
        if len(w) < 5
        or not any(_edit_distance_at_most(w, sw, 1) for sw in _LONG_STOPWORDS if sw[0] == w[0])
    ]
    stems = _stemmer().stemWords(ws) if ws else []
    terms: list[QueryTerm] = []
    for i, (word, stem) in enumerate(zip(ws, stems, strict=True)):
        matches: list[str] = []
        parts: list[str] = []
        if stem in vocab.tokens:
            matches.append(stem)
        if not matches:
            parts = vocab.split(stem) or vocab.split_word(word)
            matches += parts
        if not matches and i + 1 < len(stems):
            # A compound written apart: "digitaliserings kredsen" -> "digitaliseringskreds";
            # the joined word stems on its own ("kick off" -> "kickof", as "kickoff" does).
            for joined in (stem + stems[i + 1], _stemmer().stemWord(word + ws[i + 1])):
                if joined in vocab.tokens:
                    matches.append(joined)
                    break
        if not matches:
            matches += vocab.near(stem)
        if not matches:
            matches += vocab.head_word(stem)
        matches += vocab.compounds(matches[0] if matches else stem)
        terms.append(QueryTerm(word, stem, tuple(dict.fromkeys(matches)), tuple(parts)))
    return terms


class BM25Index:
    """bm25s over ``analyze``d chunk texts, plus the vocabulary for query expansion."""

    def __init__(self, retriever, vocab: Vocabulary):
        self._retriever = retriever
        self.vocab = vocab
        self._idf: dict[str, float] = {}

    @classmethod
    def build(cls, texts: list[str]) -> BM25Index:
        import bm25s

        corpus = [analyze(t) or [""] for t in texts]
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        retriever.index(corpus, show_progress=False)
        return cls(retriever, Vocabulary([t for t in retriever.vocab_dict if t]))

    @cached_property
    def num_docs(self) -> int:
        # bm25s's get_scores gives one score per chunk (a word no chunk holds: all 0).
        return len(self._retriever.get_scores([" "]))

    def idf(self, token: str) -> float:
        """BM25's inverse document frequency; unknown tokens count as the rarest."""
        idf = self._idf.get(token)
        if idf is None:
            # With BM25 'lucene' (as built here) every chunk that holds the token, and
            # only those, gets a positive score for it: their count is its df.
            known = token in self.vocab.tokens
            df = int(np.count_nonzero(self._retriever.get_scores([token]))) if known else 0
            idf = float(np.log(1 + (self.num_docs - df + 0.5) / (df + 0.5)))
            if known:  # bounded by the vocabulary
                self._idf[token] = idf
        return idf

    @property
    def nbytes(self) -> int:
        """Memory held by the BM25 score matrix (bm25s's ``scores`` arrays)."""
        return sum(self._retriever.scores[k].nbytes for k in ("data", "indices", "indptr"))

    def save(self, folder: Path) -> None:
        self._retriever.save(str(folder))

    @classmethod
    def load(cls, folder: Path) -> BM25Index:
        import bm25s

        retriever = bm25s.BM25.load(str(folder))
        return cls(retriever, Vocabulary([t for t in retriever.vocab_dict if t]))

    def search(self, terms: list[QueryTerm], k: int) -> list[tuple[int, float]]:
        """Top ``k`` (chunk position, score) for the expanded query terms.

        Each question word counts once, through the form of it that scores best in a
        passage: a word whose compounds are many ("borger": "borgerpc", "borgernetværk",
        "borgersag" …) would otherwise add one score per compound, and a page that uses
        many of them would outrank the passage that answers. A compound split into indexed
        parts needs them all: their scores add up."""
        if not any(term.matches for term in terms):
            return []
        scores = np.zeros(self.num_docs, dtype=np.float64)
        for term in terms:
            if not term.matches:
                continue
            best = np.zeros(self.num_docs, dtype=np.float64)
            if term.parts:
                best = np.asarray(self._retriever.get_scores(list(term.parts)), dtype=np.float64)
            for token in term.matches:
                if token in term.parts:
                    continue
                best = np.maximum(best, self._retriever.get_scores([token]))
            scores += best
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [(int(i), float(scores[i])) for i in top if scores[i] > 0]

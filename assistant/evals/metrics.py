"""Evaluation metrics: pure functions over one item's outcome, hand-checkable."""

from __future__ import annotations

import math
import re
import statistics

from assistant.normalize import squash

MAX_ANSWER_CHARS = 600  # longer "answers" are the document, not an answer


def _fold(text: str) -> str:
    return squash(text).casefold()


def is_relevant(passage: str, evidence: list[str]) -> bool:
    """A passage counts when it contains one of the evidence spans."""
    folded = _fold(passage)
    return any(_fold(span) in folded for span in evidence)


def first_relevant_rank(passages: list[str], evidence: list[str]) -> int | None:
    """1-based rank of the first relevant passage, or None."""
    for i, passage in enumerate(passages, start=1):
        if is_relevant(passage, evidence):
            return i
    return None


def hit_at(rank: int | None, k: int) -> float:
    return 1.0 if rank is not None and rank <= k else 0.0


def reciprocal_rank(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


def ndcg_at(relevance: list[bool], k: int, total_relevant: int) -> float:
    """Binary nDCG@k; the ideal ranking puts all ``total_relevant`` passages first."""
    dcg = sum(1.0 / math.log2(i + 2) for i, rel in enumerate(relevance[:k]) if rel)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(k, total_relevant)))
    return dcg / ideal if ideal else 0.0


def fact_recall(answer: str, facts: list[list[str]], refused: bool) -> float:
    """Share of facts (each a list of accepted phrasings) the answer states.

    A refusal states nothing; an answer over MAX_ANSWER_CHARS counts as a miss.
    """
    if not facts:
        return 0.0
    if refused or len(answer) > MAX_ANSWER_CHARS:
        return 0.0
    folded = _fold(answer)
    return sum(any(_fold(alt) in folded for alt in fact) for fact in facts) / len(facts)


_MARK = re.compile(r"\[(\d+)\]")


def citation_problems(
    answer: str, refused: bool, citations: list[dict], corpus_texts: list[str]
) -> list[str]:
    """Breaches of the answer invariants in docs/contracts.md (empty list = valid)."""
    problems = []
    numbers = {c.get("n") for c in citations}
    if refused and citations:
        problems.append("refused answer carries citations")
    for n in sorted({int(m) for m in _MARK.findall(answer)}):
        if n not in numbers:
            problems.append(f"[{n}] has no citation")
    squashed = [squash(t) for t in corpus_texts]
    for c in citations:
        if not any(squash(c.get("text", "")) in doc for doc in squashed):
            problems.append(f"citation [{c.get('n')}] text is not in the corpus")
    if [c.get("n") for c in citations] != list(range(1, len(citations) + 1)):
        problems.append("citations are not numbered 1..n")
    return problems


def citation_precision(citations: list[dict], evidence: list[str]) -> float | None:
    """Share of cited passages that contain the evidence (None when nothing is cited)."""
    if not citations:
        return None
    return sum(is_relevant(c.get("text", ""), evidence) for c in citations) / len(citations)


def refusal_scores(should: list[bool], did: list[bool]) -> tuple[float, float]:
    """(precision, recall) of refusing, where 'should refuse' is the positive class."""
    tp = sum(s and d for s, d in zip(should, did, strict=True))
    fp = sum((not s) and d for s, d in zip(should, did, strict=True))
    fn = sum(s and not d for s, d in zip(should, did, strict=True))
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return precision, recall


def percentile(values: list[float], q: float) -> float:
    """Linear-interpolated percentile, q in 0..100."""
    if not values:
        return 0.0
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def starts_with_fragment(answer: str) -> bool:
    """Does the answer open with something that is not a complete sentence?

    An English lead-in ("The sources are in Danish …:") and a "Ja,"/"Nej," are
    skipped; then ``language.opens_as_fragment`` judges the first quoted sentence
    (lower-case start, "Fx", "og", "som", a bullet, no finite verb).
    """
    from assistant.language import opens_as_fragment
    from assistant.wording import ENGLISH_LEAD_IN, ENGLISH_LEAD_IN_ENGLISH

    text = answer.strip()
    for lead_in in (ENGLISH_LEAD_IN, ENGLISH_LEAD_IN_ENGLISH):
        if text.startswith(lead_in):
            text = text[len(lead_in) :].strip()
    m = re.match(r"^(?:Ja|Nej),\s+(.)", text)
    if m:
        text = text[m.start(1) :]
        text = text[:1].upper() + text[1:]
    return opens_as_fragment(text)

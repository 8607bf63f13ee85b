"""Evaluation metrics by hand, the eval-set loader and the distractor generator."""

from __future__ import annotations

import math
import re

import pytest

from assistant.evals import metrics
from assistant.evals.distractors import generate_distractors
from assistant.evals.runner import EvalSetError, load_set
from assistant.lexical import DANISH_STOPWORDS, words

# --- retrieval metrics -------------------------------------------------------------


def test_hit_at():
    assert metrics.hit_at(1, 1) == 1.0
    assert metrics.hit_at(3, 3) == 1.0
    assert metrics.hit_at(4, 3) == 0.0
    assert metrics.hit_at(None, 10) == 0.0


def test_reciprocal_rank():
    assert metrics.reciprocal_rank(1) == 1.0
    assert metrics.reciprocal_rank(4) == 0.25
    assert metrics.reciprocal_rank(None) == 0.0


def test_first_relevant_rank_is_case_and_space_insensitive():
    passages = ["Intet her.", "Formanden er DIREKTØREN\u00a0for  Danske Regioner.", "x"]
    assert metrics.first_relevant_rank(passages, ["direktøren for Danske Regioner"]) == 2
    assert metrics.first_relevant_rank(passages, ["noget andet"]) is None


def test_ndcg_hand_computed():
    assert metrics.ndcg_at([False, True], 10, 1) == pytest.approx(1 / math.log2(3))
    assert metrics.ndcg_at([True], 10, 1) == 1.0
    # two relevant of which one is at rank 3: (1 + 1/log2(4)) / (1 + 1/log2(3))
    assert metrics.ndcg_at([True, False, True], 10, 2) == pytest.approx(
        1.5 / (1 + 1 / math.log2(3))
    )
    assert metrics.ndcg_at([False, False, True], 2, 1) == 0.0  # beyond k
    assert metrics.ndcg_at([True, True], 10, 0) == 0.0  # nothing relevant exists
    assert metrics.ndcg_at([True, True, False], 2, 5) == 1.0  # the ideal is capped at k too


# --- answer metrics ----------------------------------------------------------------

FACTS = [["2010"], ["direktøren for Danske Regioner", "Danske Regioners direktør"]]


def test_fact_recall_alternatives_and_case():
    assert (
        metrics.fact_recall("Siden 2010, og formand er DANSKE REGIONERS DIREKTØR.", FACTS, False)
        == 1.0
    )
    assert metrics.fact_recall("RSI har eksisteret siden 2010.", FACTS, False) == 0.5
    assert (
        metrics.fact_recall("Formand er direktøren\u00a0for Danske  Regioner.", FACTS, False) == 0.5
    )
    assert metrics.fact_recall("Intet relevant.", FACTS, False) == 0.0


def test_fact_recall_refusal_long_answer_and_no_facts():
    answer = "Siden 2010 og direktøren for Danske Regioner."
    assert metrics.fact_recall(answer, FACTS, refused=True) == 0.0
    padded = answer + " fyld" * 120
    assert len(padded) > metrics.MAX_ANSWER_CHARS == 600
    assert metrics.fact_recall(padded, FACTS, False) == 0.0
    exactly = answer + "x" * (600 - len(answer))
    assert metrics.fact_recall(exactly, FACTS, False) == 1.0  # 600 characters still count
    assert metrics.fact_recall(answer, [], False) == 0.0


CORPUS = [
    "RSI ledes af tre fora:\n\n  1. RSI-direktørkredsen, hvor formanden er direktøren\u00a0for Danske Regioner."
]


def _cit(n, text):
    return {
        "n": n,
        "doc_id": "rsi",
        "title": "RSI",
        "url": None,
        "chunk_id": f"rsi#{n}",
        "text": text,
        "score": 0.5,
    }


def test_citation_problems_valid_answer():
    cits = [_cit(1, "1. RSI-direktørkredsen, hvor formanden er direktøren for Danske Regioner.")]
    # NBSP and line breaks in the corpus do not matter
    assert metrics.citation_problems("Formanden er direktøren [1].", False, cits, CORPUS) == []
    assert metrics.citation_problems("Formanden [1] [1].", False, cits, CORPUS) == []
    assert (
        metrics.citation_problems(
            "Se kilden.", False, [_cit(1, "RSI ledes af tre fora: 1.")], CORPUS
        )
        == []
    )


def test_citation_problems_missing_citation():
    cits = [_cit(1, "RSI ledes af tre fora:")]
    assert metrics.citation_problems("A [1]. B [2].", False, cits, CORPUS) == [
        "[2] has no citation"
    ]


def test_citation_problems_text_not_in_corpus():
    cits = [_cit(1, "RSI ledes af fire fora:")]
    assert metrics.citation_problems("A [1].", False, cits, CORPUS) == [
        "citation [1] text is not in the corpus"
    ]


def test_citation_problems_refusal_with_citations():
    problems = metrics.citation_problems(
        "Det ved jeg ikke.", True, [_cit(1, "RSI ledes af tre fora:")], CORPUS
    )
    assert problems == ["refused answer carries citations"]
    assert metrics.citation_problems("Det ved jeg ikke.", True, [], CORPUS) == []


def test_citation_problems_numbering():
    cits = [_cit(2, "RSI ledes af tre fora:")]
    assert metrics.citation_problems("A [2].", False, cits, CORPUS) == [
        "citations are not numbered 1..n"
    ]


def test_citation_precision():
    evidence = ["formanden er direktøren for Danske Regioner"]
    assert metrics.citation_precision([], evidence) is None
    cits = [_cit(1, "Hvor FORMANDEN er direktøren for Danske Regioner."), _cit(2, "Andet.")]
    assert metrics.citation_precision(cits, evidence) == 0.5
    assert metrics.citation_precision(cits[:1], evidence) == 1.0


def test_refusal_scores():
    should = [True, True, True, False, False]
    did = [True, True, False, True, False]
    precision, recall = metrics.refusal_scores(should, did)
    assert precision == pytest.approx(2 / 3)
    assert recall == pytest.approx(2 / 3)
    assert metrics.refusal_scores([False, False], [False, False]) == (1.0, 1.0)
    assert metrics.refusal_scores([True, False], [False, False]) == (1.0, 0.0)
    with pytest.raises(ValueError):
        metrics.refusal_scores([True], [True, False])


def test_percentile_and_median():
    assert metrics.percentile([4, 1, 3, 2], 50) == 2.5
    assert metrics.percentile([10, 20], 95) == pytest.approx(19.5)
    assert metrics.percentile([10, 20, 30], 0) == 10
    assert metrics.percentile([10, 20, 30], 100) == 30
    assert metrics.percentile([7], 95) == 7
    assert metrics.percentile([], 50) == 0.0
    assert metrics.median([3, 1, 2]) == 2
    assert metrics.median([]) == 0.0


# --- eval set loader ----------------------------------------------------------------

GOOD = (
    '{"id": "factual-01", "category": "factual", "split": "tune", "question": "Hvem?", '
    '"history": [], "facts": [["x"]], "evidence": ["x"], "refuse": false}'
)


def test_load_set_reads_items_and_skips_blank_lines(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text(
        GOOD + "\n\n" + GOOD.replace("factual-01", "factual-02") + "\n", encoding="utf-8"
    )
    assert [i["id"] for i in load_set(path)] == ["factual-01", "factual-02"]


def test_load_set_errors_name_the_line(tmp_path):
    path = tmp_path / "set.jsonl"
    path.write_text(GOOD + "\n\n{oops\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match=r"set\.jsonl:3: not JSON"):
        load_set(path)
    path.write_text(GOOD + "\n" + GOOD.replace('"refuse": false', '"refuse": "nej"') + "\n")
    with pytest.raises(EvalSetError, match=r"set\.jsonl:2: field 'refuse' missing or not bool"):
        load_set(path)
    path.write_text(GOOD.replace('"history": [], ', "") + "\n")
    with pytest.raises(EvalSetError, match=r":1: field 'history'"):
        load_set(path)


def test_load_set_missing_or_empty(tmp_path):
    with pytest.raises(EvalSetError, match="not found"):
        load_set(tmp_path / "nope.jsonl")
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(EvalSetError, match="holds no items"):
        load_set(empty)


# --- distractors ---------------------------------------------------------------------


def test_distractors_are_unique_danish_and_never_about_rsi():
    passages = generate_distractors(50)
    assert len(passages) == 50 and len(set(passages)) == 50
    for text in passages:
        assert not re.search(r"\bRSI\b", text, re.I), text
        assert "sundheds-it" not in text.lower()
        ws = words(text)
        assert sum(w in DANISH_STOPWORDS for w in ws) >= 5, text
        assert text[0].isupper() and text.endswith(".")
    assert any(ch in "".join(passages) for ch in "æøå")
    assert generate_distractors(50) == passages  # deterministic
    assert generate_distractors(5, seed=8) != passages[:5]

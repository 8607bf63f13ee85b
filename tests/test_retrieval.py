"""Reciprocal-rank fusion, follow-up detection and hybrid search."""

from __future__ import annotations

import pytest

from assistant.embedders import FakeEmbedder
from assistant.index import build_index, load_index
from assistant.retrieval import Retriever, needs_context, previous_user_question, rrf

CORPUS = (
    "Fora under RSI\n\n"
    "Digitaliseringskredsen har to medlemmer fra hver region og er øverste styregruppe.\n\n"
    "Styregruppen for systemforvaltning har medlemmer fra driften af løsningerne.\n\n"
    "Projekter\n\n"
    "Regionerne samarbejder om 15 it-projekter, fx telemedicin til KOL-patienter.\n\n"
    "Arkitektur\n\n"
    "Regionernes it-arkitekturråd koordinerer arkitekturen.\n"
)


def test_rrf_hand_computed():
    fused = rrf([([10, 20, 30], 1.0), ([30, 40], 1.0)], k=60)
    assert fused == pytest.approx({10: 1 / 61, 20: 1 / 62, 30: 1 / 63 + 1 / 61, 40: 1 / 62})
    # the one item that both rankers found wins, although neither put it alone first
    assert max(fused, key=fused.get) == 30


def test_rrf_weights_and_k():
    fused = rrf([([1, 2], 2.0), ([2, 1], 0.5)], k=1)
    assert fused[1] == pytest.approx(2.0 / 2 + 0.5 / 3)
    assert fused[2] == pytest.approx(2.0 / 3 + 0.5 / 2)
    assert rrf([([], 1.0), ([5], 0.0)], k=60) == {5: 0.0}


@pytest.mark.parametrize(
    "question, known",
    [
        ("Og hvem er medlemmer af den?", 1),
        ("Hvad med SYS?", 1),
        ("What about its members?", 2),
        ("Kan du nævne nogle af dem?", 0),
        ("Hvad laver det?", 0),
        ("Hvor mange?", 0),
        ("Hvilke regioner drejer det sig om?", 2),
    ],
)
def test_needs_context_for_follow_ups(question, known):
    assert needs_context(question, known) is True


@pytest.mark.parametrize(
    "question, known",
    [
        ("Hvem er formand for RSI-direktørkredsen?", 2),
        ("Hvilke fora leder RSI?", 3),
        ("Hvilke regioner samarbejder om Sundhedsplatformen?", 3),
        ("Who chairs the RSI director group?", 3),
        ("Hvad er RITA?", 1),  # one word of its own is a topic switch, not a follow-up
        ("Hvad er Sundhedsplatformen?", 1),
    ],
)
def test_standalone_questions_need_no_context(question, known):
    assert needs_context(question, known) is False


def test_previous_user_question():
    history = [
        {"role": "user", "content": "Hvad er RITA?"},
        {"role": "assistant", "content": "RITA er ..."},
        {"role": "user", "content": "   "},
        {"role": "assistant", "content": "..."},
    ]
    assert previous_user_question(history) == "Hvad er RITA?"
    assert previous_user_question([{"role": "assistant", "content": "Hej"}]) is None
    assert previous_user_question(None) is None


@pytest.fixture
def retriever(tmp_path, make_settings):
    settings = make_settings(tmp_path, chunking={"max_words": 15})
    settings.corpus_dir.mkdir()
    (settings.corpus_dir / "rsi.txt").write_text(CORPUS, encoding="utf-8")
    build_index(settings, FakeEmbedder())
    return Retriever(load_index(settings.index_dir), FakeEmbedder(), settings.retrieval)


HISTORY = [
    {"role": "user", "content": "Hvad er Digitaliseringskredsen?"},
    {"role": "assistant", "content": "Digitaliseringskredsen er øverste styregruppe [1]."},
]


def test_follow_up_searches_with_the_previous_question(retriever):
    q = "Og hvem er medlemmer af den?"
    with_history = retriever.search(q, HISTORY)
    assert with_history.followup is True
    assert with_history.query == f"Hvad er Digitaliseringskredsen? {q}"
    assert "Digitaliseringskredsen" in with_history.hits[0].chunk.text
    alone = retriever.search(q)
    assert alone.followup is False and alone.query == q


def test_standalone_question_ignores_history(retriever):
    r = retriever.search("Hvad koordinerer regionernes arkitekturråd?", HISTORY)
    assert r.followup is False and r.query == r.question
    assert "arkitekturråd" in r.hits[0].chunk.text


@pytest.mark.parametrize(
    "question",
    [
        "Hvilke it-projekter samarbejder regionerne om?",
        "Hvor mange it-projekter samarbejder regionerne om i dag?",
        "Hvilke projekter er der om telemedicin til KOL-patienter?",
    ],
)
def test_standalone_question_with_it_or_der_ignores_history(retriever, question):
    r = retriever.search(question, HISTORY)
    assert r.followup is False


def test_history_without_user_turns_is_not_used(retriever):
    r = retriever.search("Og hvem er medlemmer af den?", [HISTORY[1]])
    assert r.followup is False


def test_hybrid_hits_carry_both_scores_and_respect_top_k(retriever):
    r = retriever.search("arkitekturråd", top_k=2)
    assert len(r.hits) == 2
    top = r.hits[0]
    assert "arkitekturråd" in top.chunk.text
    assert top.bm25 is not None and top.bm25 > 0 and top.dense is not None
    assert [h.score for h in r.hits] == sorted((h.score for h in r.hits), reverse=True)
    assert r.top_dense == pytest.approx(max(h.dense for h in r.hits if h.dense is not None))
    assert set(r.timings_ms) == {"analyze", "bm25", "dense", "fuse"}


def test_single_ranker_modes(retriever):
    bm25 = retriever.search("arkitekturråd", mode="bm25", top_k=10)
    assert bm25.hits and all(h.dense is None and h.bm25 > 0 for h in bm25.hits)
    assert len(bm25.hits) == 1  # only one passage shares a word with the question
    dense = retriever.search("arkitekturråd", mode="dense", top_k=10)
    assert all(h.bm25 is None and h.dense is not None for h in dense.hits)
    assert len(dense.hits) == len(retriever.index.chunks)


# --- the real model ------------------------------------------------------------------


@pytest.fixture(scope="module")
def real_retriever(real_settings):
    from assistant.embedders import make_embedder

    index = load_index(real_settings.index_dir)
    return Retriever(index, make_embedder(real_settings.embedder), real_settings.retrieval)


@pytest.mark.model
def test_real_follow_up_resolves_to_digitaliseringskredsen(real_retriever):
    q = "Og hvem er medlemmer af den?"
    r = real_retriever.search(q, HISTORY)
    assert r.followup is True
    assert r.hits[0].chunk.text.startswith("2. Digitaliseringskredsen som har to medlemmer")
    alone = real_retriever.search(q)
    assert alone.followup is False and alone.query == q
    # another conversation resolves the same words to another forum
    sys_history = [{"role": "user", "content": "Hvad er Styregruppen for systemforvaltning?"}]
    other = real_retriever.search(q, sys_history)
    assert other.followup is True
    assert "systemforvaltning" in other.hits[0].chunk.text


@pytest.mark.model
def test_real_standalone_question_after_unrelated_history(real_retriever):
    history = [{"role": "user", "content": "Hvem er formand for RSI-direktørkredsen?"}]
    r = real_retriever.search("Hvor mange projekter er der gennemført under RSI?", history)
    assert r.followup is False
    assert "over 40 fællesregionale projekter" in r.hits[0].chunk.text

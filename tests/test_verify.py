"""Sentence-level verification of generated text (no LLM, no server)."""

from __future__ import annotations

import pytest

from assistant.embedders import FakeEmbedder
from assistant.verify import (
    Numbering,
    Passage,
    SentenceStream,
    Verifier,
    parse_marks,
    split_sentences,
)

PASSAGES = [
    "Digitaliseringskredsen har to medlemmer fra hver region og er øverste styregruppe.",
    "Formanden for RSI-direktørkredsen er direktøren for Danske Regioner.",
    "Regionerne samarbejder om 15 it-projekter, fx telemedicin til KOL-patienter. "
    "Forummet har eksisteret siden 2010.",
]


@pytest.fixture
def verifier() -> Verifier:
    embedder = FakeEmbedder()
    vectors = embedder.embed_passages(PASSAGES)
    passages = [Passage(i + 1, t, vectors[i]) for i, t in enumerate(PASSAGES)]
    return Verifier(passages, embedder, threshold=0.5)


@pytest.mark.parametrize(
    "sentence, text, cited",
    [
        ("RSI har 15 projekter [3].", "RSI har 15 projekter.", [3]),
        ("RSI har 15 projekter. [3]", "RSI har 15 projekter.", [3]),
        ("To kilder [1][2].", "To kilder.", [1, 2]),
        ("To kilder [1, 2].", "To kilder.", [1, 2]),
        ("En række [1-3].", "En række.", [1, 2, 3]),
        ("Som kilden siger [Kilde 2].", "Som kilden siger.", [2]),
        ("Ingen mærker.", "Ingen mærker.", []),
    ],
)
def test_parse_marks(sentence, text, cited):
    assert parse_marks(sentence) == (text, cited)


def test_a_supported_sentence_is_kept(verifier):
    result = verifier.check("Digitaliseringskredsen har to medlemmer fra hver region [1].")
    assert result.kept, result.reason
    assert result.cites == [1]


def test_a_citation_number_that_names_no_passage_is_removed(verifier):
    result = verifier.check("Digitaliseringskredsen er øverste styregruppe [1][7].")
    assert result.kept and result.cites == [1] and result.removed_marks == [7]
    only_missing = verifier.check("Digitaliseringskredsen er øverste styregruppe [7].")
    assert not only_missing.kept and only_missing.reason == "cites only missing passages"


def test_a_sentence_must_cite(verifier):
    result = verifier.check("Digitaliseringskredsen er øverste styregruppe.")
    assert not result.kept and result.reason == "cites no passage"


@pytest.mark.parametrize(
    "sentence, reason",
    [
        ("Regionerne samarbejder om 16 it-projekter [3].", "number 16"),
        ("Forummet har eksisteret siden 2012 [3].", "number 2012"),
        ("Regionerne samarbejder om femten it-projekter med Jens Hansen [3].", "name 'Jens'"),
        ("Formanden for RSI-direktørkredsen er direktøren for KL [2].", "name 'KL'"),
        ("Forummet har eksisteret siden marts 2010 [3].", "name 'marts'"),
        ("Digitaliseringskredsen har tre medlemmer fra hver region [1].", "number word 'tre'"),
    ],
)
def test_numbers_dates_and_names_must_occur_in_the_cited_passage(verifier, sentence, reason):
    result = verifier.check(sentence)
    assert not result.kept
    assert result.reason.startswith(reason), result.reason


def test_a_fact_from_another_passage_than_the_cited_one_is_dropped(verifier):
    # 2010 is in passage 3, not in the passage the sentence cites.
    assert not verifier.check("Digitaliseringskredsen har eksisteret siden 2010 [1].").kept
    assert verifier.check("Forummet har eksisteret siden 2010 [3].").kept


def test_numbers_written_as_words_and_inflected_names_are_found(verifier):
    assert verifier.check("Digitaliseringskredsen har 2 medlemmer fra hver region [1].").kept
    assert verifier.check("Formanden er Danske Regioners direktør [2].").kept


def test_content_words_must_be_supported(verifier):
    result = verifier.check("Digitaliseringskredsen godkender budgetter og ansætter personale [1].")
    assert not result.kept and result.reason.startswith("support")
    assert verifier.check("Telemedicinen hjælper KOL-patienter i regionerne [3].").kept  # compounds


def test_an_uncited_sentence_can_be_given_the_one_passage_that_backs_it(verifier):
    sentence = "Forummet har eksisteret siden 2010."
    assert not verifier.check(sentence).kept  # strict: it must cite
    result = verifier.check(sentence, attribute=True)
    assert result.kept and result.cites == [3] and result.attributed
    invented = verifier.check("Forummet har eksisteret siden 1999.", attribute=True)
    assert not invented.kept and invented.reason == "cites no passage"
    wrong = verifier.check("Forummet har eksisteret siden 1999 [3].", attribute=True)
    assert not wrong.kept and wrong.cites == [3]  # a citation given is never replaced


def test_a_list_of_sources_is_not_an_answer(verifier):
    result = verifier.check("[1] Digitaliseringskredsen har to medlemmer fra hver region")
    assert not result.kept and result.reason == "source list line"


def test_a_bare_yes_states_what_no_word_can_show(verifier):
    assert not verifier.check("Ja [1].").kept


def test_split_sentences_keeps_abbreviations_and_marks_together():
    text = (
        "RSI leder bl.a. tre fora [1]. Fx telemedicin. [2] Det skete d. 1. januar 2020 [3].\n"
        "- en punktliste [1]"
    )
    assert split_sentences(text) == [
        "RSI leder bl.a. tre fora [1].",
        "Fx telemedicin. [2]",
        "Det skete d. 1. januar 2020 [3].",
        "- en punktliste [1]",
    ]


def test_sentence_stream_yields_each_sentence_once_it_is_complete():
    stream = SentenceStream()
    got: list[str] = []
    for delta in ["Første sæt", "ning [1", "]. Anden", " sætning.", " [2]"]:
        got += list(stream.feed(delta))
    assert got == ["Første sætning [1]."]  # the second may still get more marks
    got += list(stream.feed(" Tredje [3]."))
    assert got == ["Første sætning [1].", "Anden sætning. [2]"]
    got += list(stream.flush())
    assert got == ["Første sætning [1].", "Anden sætning. [2]", "Tredje [3]."]


def test_numbering_follows_first_use(verifier):
    numbering = Numbering()
    first = numbering.render(verifier.check("Forummet har eksisteret siden 2010 [3]."))
    second = numbering.render(
        verifier.check("Digitaliseringskredsen har to medlemmer fra hver region [1][3].")
    )
    assert first == "Forummet har eksisteret siden 2010 [1]."
    assert second == "Digitaliseringskredsen har to medlemmer fra hver region [2][1]."
    assert numbering.order == {3: 1, 1: 2}

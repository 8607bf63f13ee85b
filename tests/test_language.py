"""The Danish-language rules behind refusal and composition, each with examples from
more than one corpus (the bundled RSI page and the OS2forms documentation)."""

from __future__ import annotations

import pytest

from assistant.language import (
    EXAMPLE_MARKER,
    asked_acronym,
    asked_detail,
    asks_count,
    condition_words,
    count_nouns,
    counts_something,
    has_detail,
    has_finite_verb,
    is_yes_no_question,
    negated_condition,
    numerals,
    opens_as_fragment,
    person_names,
    same_action,
    spells_out,
    states_count,
)


def test_articles_are_not_numbers():
    # "en"/"et" are nearly always the indefinite article.
    assert numerals("Et forum der har eksisteret siden 2010.") == ["2010"]
    assert numerals("Der skal vælges en kommune.") == []
    assert numerals("Koordinationsgruppen opfordrer til, at der vælges 30 dage.") == ["30"]
    assert numerals("de øvrige fire regioner") == ["fire"]


@pytest.mark.parametrize(
    "question, kind",
    [
        # RSI
        ("Hvornår blev RSI etableret?", "when"),
        ("Hvad er RSI's årlige budget?", "cost"),
        ("Hvad hedder direktøren for Danske Regioner?", "name"),
        ("Hvad hedder driftsstyregruppen i RSI?", None),  # a thing's name, any sentence
        ("Hvor ofte holder direktørkredsen møde?", "frequency"),
        # OS2forms
        ("Hvornår lukker DAWA?", "when"),
        ("Hvad er Bellcoms timepris for udviklingsopgaver?", "cost"),  # compound "-pris"
        ("Hvilken e-mailadresse skal handleren sende til?", "email"),
        ("Hvad er telefonnummeret til supporten?", "phone"),
        ("Hvad er den maksimale filstørrelse for vedhæftede filer?", "size"),
        ("Hvor angiver man standard dato format?", None),  # "dato" as a topic
        ("Hvordan sender jeg en e-mail fra formularen?", None),
        ("What happens when a form is submitted?", None),  # "when" as a conjunction
        ("When does DAWA close?", "when"),
        ("When was the collaboration founded?", "when"),
        ("When I edit a list in the source view, what must I do?", None),  # a clause
        ("When the citizen logs in, which data is fetched?", None),
    ],
)
def test_what_a_question_asks_for(question, kind):
    assert asked_detail(question) == kind


@pytest.mark.parametrize(
    "acronym, text, expected",
    [
        ("RSI", "Regionernes Sundheds-it (RSI) er et forum.", True),
        ("RSI", "RSI står for Regionernes Sundheds-it.", True),
        (
            "EHMI",
            "EHMI-økosystemet (Enhanced Healthcare Messaging Infrastructure) bruges.",
            True,
        ),
        ("DAWA", "DAWA (Danmarks Adressers Web API) lukker ned pr. 1. juli 2026.", True),
        ("SBSIP", "Data afleveres til SBSYS via SBSIP i Holstebro.", False),
        ("CIMT", "CIMT har et tæt samarbejde med de øvrige fire regioner.", False),
    ],
)
def test_an_acronym_is_spelt_out_in_any_of_the_usual_forms(acronym, text, expected):
    assert spells_out(acronym, text) is expected


def test_acronym_questions():
    assert asked_acronym("Hvad står EHMI for?") == "EHMI"
    assert asked_acronym("What does DAWA stand for?") == "DAWA"
    assert asked_acronym("hvad står der om rsi for nylig") is None
    # "stå for" is also "be in charge of": then more follows "for"
    assert asked_acronym("Hvad står ITK for i projektet om den nye komponent?") is None
    assert asked_acronym("Hvad står DAWA for, og hvornår lukker det?") == "DAWA"


@pytest.mark.parametrize(
    "text, names",
    [
        ("Anders Jensen er formand for styregruppen.", ["Anders Jensen"]),
        ("Projektleder Pernille Thorsen svarer.", ["Pernille Thorsen"]),
        ("Samarbejdet med Kommunernes Landsforening.", []),  # genitive: an organisation
        ("mellem Region Sjælland og Region Hovedstaden", []),  # organisation noun
        ("formanden er direktøren for Danske Regioner", []),
        # a capitalised opener is no first name; a compound headed by "styrelse" is no
        # surname
        ("Da Klimadatastyrelsen står bag det nye API.", []),
        ("Når Anders Jensen kommer, går vi.", ["Anders Jensen"]),
        ("Det blev besluttet af Sundhedsdatastyrelsen.", []),
        ("Formand Hans Jensen åbnede mødet.", ["Hans Jensen"]),  # "hans", yet a name
    ],
)
def test_person_names_are_first_name_and_surname_not_organisations(text, names):
    assert person_names(text) == names


def test_name_detail_needs_a_person_not_the_question_words():
    q = "Hvad hedder direktøren for Danske Regioner?"
    assert not has_detail("name", "formanden er direktøren for Danske Regioner.", q)
    assert has_detail("name", "Direktøren hedder Anders Jensen.", q)


def test_a_count_is_a_numeral_before_the_counted_noun():
    q = "Hvor mange andre regioner samarbejder CIMT med?"
    assert count_nouns(q) == ["regioner"]
    assert states_count("CIMT samarbejder med de øvrige fire regioner.", q, {"region"})
    assert not states_count("RSI ledes af tre fora.", q, {"region"})
    q2 = "Hvor mange dage anbefaler koordinationsgruppen?"
    assert states_count("Koordinationsgruppen opfordrer til, at der vælges 30 dage.", q2, {"dag"})
    assert count_nouns("Hvor mange er der af dem?") == []


@pytest.mark.parametrize(
    ("question", "detail", "count"),
    [
        # Asking for the value: the answer must hold it.
        ("Hvad er telefonnummeret til Bellcoms support?", "phone", False),
        ("Hvad er RSI's årlige budget?", "cost", False),
        ("Kan du give mig telefonnummeret til sekretariatet?", "phone", False),  # a request
        ("Er der en e-mailadresse til support?", "email", False),  # is there one: give it
        ("Hvor mange kommuner bruger OS2forms?", None, True),
        ("How many IT projects are there?", None, True),
        # How, why and yes/no questions name the detail as their subject.
        ("Hvordan ændrer man e-mailadressen i email-handleren?", None, False),
        ("Og hvordan ændrer jeg datoen for lukning af formularen?", None, False),
        ("Hvorfor er prisen på regionernes it-drift steget?", None, False),
        ("Kan borgeren se prisen, før betalingen gennemføres?", None, False),
        ("Kan man se, hvor mange der har svaret på formularen?", None, False),
        ("How do I change the price?", None, False),
    ],
)
def test_a_detail_is_asked_for_only_by_a_question_for_its_value(question, detail, count):
    assert asked_detail(question) == detail
    assert asks_count(question) is count


@pytest.mark.parametrize(
    ("question", "noun"),
    [
        ("Hvor mange digitale udviklingsopgaver arbejder regionerne på?", "udviklingsopgaver"),
        ("Hvor mange forskellige datoformater anbefales?", "datoformater"),  # OS2forms
        ("Hvor mange nye kommuner er med?", "kommuner"),
        ("Hvor mange medarbejdere har CIMT?", "medarbejdere"),
        ("Hvor mange tekniske er der?", "tekniske"),  # nothing after it: it is the noun
    ],
)
def test_the_counted_noun_comes_after_its_adjectives(question, noun):
    assert count_nouns(question) == [noun]


def test_a_parenthesis_after_the_counted_words_names_what_they_are():
    q = "Hvor mange it-direktører sidder der i RSI-direktørkredsen?"
    text = "RSI-direktørkredsen har to medlemmer fra hver region (en koncerndirektør og it-direktøren)."
    assert states_count(text, q, {"direktør"})
    assert not states_count(
        "RSI-direktørkredsen har to medlemmer fra hver region.", q, {"direktør"}
    )
    q2 = "Hvor mange sagsbehandlere skal godkende?"  # OS2forms-style
    text2 = "Sagen godkendes af tre personer fra hver afdeling (en sagsbehandler og en leder)."
    assert states_count(text2, q2, {"sagsbehandl"})
    other = "Sagen godkendes af tre personer fra hver afdeling (en jurist og en leder)."
    assert not states_count(other, q2, {"sagsbehandl"})


def test_a_number_counts_something_when_a_content_word_follows_it():
    q = "Hvor mange udviklingsopgaver er der?"
    assert counts_something("Pt. samarbejder regionerne om 15 it-projekter.", q)
    assert counts_something("Koordinationsgruppen opfordrer til, at der vælges 30 dage.", q)
    assert not counts_something("Et forum der har eksisteret siden 2010.", q)  # a year
    assert not counts_something("Opdater modulet til version 5.1.0.", q)  # a version
    assert not counts_something("Vi har 15 af dem.", "Hvor mange? Vi har 15")  # the asker's number


@pytest.mark.parametrize(
    "text, has_verb",
    [
        ("RSI ledes af tre fora:", True),
        ("Et forum der har eksisteret siden 2010.", True),
        ("Koordinationsgruppen opfordrer til, at der vælges 30 dage.", True),
        ("Projektleder, ITK, Aarhus Kommune", False),  # byline
        ("IT-Projektleder, Hillerød Kommune, Digitalisering og IKT-drift", False),
        ("Sundhedsdatastyrelsen, it-projektleder", False),
        ("Kommunen kontrollerer data.", True),
        ("Faggruppe: IT", False),
        ("Regionernes Sundheds-it (RSI)", False),  # title
    ],
)
def test_finite_verbs(text, has_verb):
    assert has_finite_verb(text) is has_verb


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("RSI ledes af tre fora: RSI-direktørkredsen [1].", False),
        ("Pt. samarbejder regionerne om 15 it-projekter [1].", False),
        ("Koordinationsgruppen opfordrer til, at der vælges 30 dage [1].", False),
        ("Fx sundhedsjournal, præhospital patientjournal [1].", True),
        ("og hvor formanden er direktøren for Danske Regioner [1].", True),
        ("- Versionsskift af CKEditor [1].", True),
        ("Som med alle andre afleveringer [1].", True),
        ("Projektleder, ITK, Aarhus Kommune [1].", True),
        ("Anonym bruger [1].", False),  # "bruger" reads as a verb: the check is lenient
    ],
)
def test_what_opens_as_a_fragment(text, fragment):
    assert opens_as_fragment(text) is fragment


def test_yes_no_questions_open_with_the_verb():
    assert is_yes_no_question("Er RITA repræsenteret i det nationale it-arkitekturråd?")
    assert is_yes_no_question("Får borgerne en konto, når de logger ind?")
    assert not is_yes_no_question("Hvem er formand for RSI-direktørkredsen?")


@pytest.mark.parametrize(
    "question, text, same",
    [
        # OS2forms: an instruction keeps the English name of the button
        (
            "Hvad skal administratoren slå til i indstillingerne?",
            "Aktivér Send out notifications",
            True,
        ),
        ("Hvad skal administratoren slå til i indstillingerne?", "Gå til Indstillinger", False),
        ("How do I enable logging?", "Trin: 2; Handling: Aktivér logning", True),
        # Ordinary prose: "slå … fra" is the opposite action
        ("Hvordan slår man påmindelserne fra?", "Man kan deaktivere påmindelserne i appen.", True),
        ("Hvordan slår man påmindelserne fra?", "Man kan aktivere påmindelserne i appen.", False),
        ("Hvad koster det?", "Aktivér Send out notifications", False),  # asks no action
    ],
)
def test_one_action_named_in_other_words(question, text, same):
    assert same_action(question, text) is same


def test_the_words_of_a_conditional_clause():
    # A follow-up in the documentation's words, and a sentence of ordinary prose.
    assert condition_words("Og hvis listen er meget lang, er der en hurtigere måde?") == {
        "list",
        "lang",
    }
    assert {"list"} <= condition_words("Hvis det er en meget stor liste kan man vælge Kilde.")
    assert condition_words("Ved at vælge automatisk sendes posten rigtigt.") >= {"automatisk"}
    assert condition_words("Såfremt regionen ønsker det, kan mødet flyttes.") == {"region", "ønsk"}
    assert condition_words("RSI ledes af tre fora.") == set()  # states no case


def test_a_negated_case_is_another_case():
    assert negated_condition("Hvad sker der, hvis man ikke angiver en afleveringsregel?")
    assert not negated_condition('Hvis afleveringsreglen "digital_post" er angivet, skal …')
    assert negated_condition("Hvis regionen ikke deltager, kan den ikke stemme.")
    assert not negated_condition("Regionen deltager ikke i mødet.")  # no case stated


def test_a_version_is_asked_and_given_after_the_product_or_the_word_version():
    from assistant.language import asked_detail, has_detail

    # Software documentation: the number must be the asked product's.
    q = "Hvilken PHP-version kræver Drupal 11-opgraderingen?"
    assert asked_detail(q) == "version"
    assert has_detail("version", "Opgraderingen kræver PHP 8.3 eller nyere.", q)
    assert not has_detail("version", "Efter releasen 5.1.0 er 3 ud af 4 moduler klar.", q)
    assert not has_detail("version", "Drupal 11 kræver en nyere PHP.", q)
    # A page about health IT: "version af …" and the word version.
    q = "Hvilken version af Fælles Medicinkort bruger regionerne?"
    assert asked_detail(q) == "version"
    assert has_detail("version", "Regionerne bruger FMK i version 1.4.", q)
    assert not has_detail("version", "Regionerne bruger Fælles Medicinkort siden 2013.", q)
    # Without a product any new version number does; a how question asks for a way.
    assert has_detail("version", "Den nyeste er 5.1.0.", "Hvilken version er den nyeste?")
    assert asked_detail("Hvordan opdaterer man til den nyeste version?") is None


def test_a_length_of_time_is_a_number_with_a_unit_of_time_or_a_start():
    from assistant.language import asked_detail, has_detail

    # A page about health IT.
    q = "Hvor lang tid tager det at få adgang til sundhedsjournalen?"
    assert asked_detail(q) == "duration"
    assert has_detail("duration", "Adgangen gives normalt inden for 3 hverdage.", q)
    assert not has_detail("duration", "Sundhedsjournalen giver adgang til journaldata.", q)
    q = "Hvor længe har RSI eksisteret?"
    assert has_detail("duration", "Et forum der har eksisteret siden 2010.", q)
    # Software documentation.
    q = "Hvor længe gemmes indsendelser, før de slettes?"
    assert has_detail("duration", "Koordinationsgruppen opfordrer til, at der vælges 30 dage.", q)
    assert not has_detail("duration", "Indsendelser slettes automatisk.", q)
    assert asked_detail("Hvornår slettes indsendelserne?") == "when"


def test_a_web_address_is_asked_for_and_given():
    from assistant.language import asked_detail, has_detail

    q = "Hvad er webadressen til testmiljøet?"
    assert asked_detail(q) == "url"
    assert has_detail("url", "URL til testmiljø: https://test.os2forms.dk/", q)
    assert has_detail("url", "Læs mere på regioner.dk.", "Hvad er linket til hjemmesiden?")
    assert not has_detail("url", "Skemaet findes på regionens side.", "Hvad er linket til skemaet?")
    # A way to get a link, or where to read more, is not a request for the address.
    assert asked_detail("Hvordan får man et link til opgaven?") is None
    assert asked_detail("Hvor kan man læse mere om RSI?") is None


@pytest.mark.parametrize(
    "line, marker",
    [
        ("eks.", True),  # OS2forms forum answer, before a token line
        ("Fx:", True),  # RSI-like page, before an address
        ("F.eks.", True),
        ("Eksempel:", True),
        ("e.g.", True),
        ("Fx kan du oprette en selvbetjeningsside.", False),  # the example itself
        ("Eksempel på en formular med beregninger", False),  # a heading
        ("Ekstra felter", False),
    ],
)
def test_a_line_that_only_says_example(line, marker):
    assert bool(EXAMPLE_MARKER.match(line)) is marker


@pytest.mark.parametrize(
    ("text", "holds"),
    [
        ("Testmiljøet ligger på https://test.os2forms.dk/ fra i dag.", True),
        ("Læs mere på www.regioner.dk under digitalisering.", True),
        ("Se aarhus.dk for vejledningen.", True),
        # The domain of an e-mail address is not a web address (two kinds of text).
        ("Standardværdien er sgl+standard@aarhus.dk i feltet.", False),
        ("Skriv til sekretariatet på rsi@regioner.dk.", False),
    ],
)
def test_a_web_address_is_not_the_domain_of_an_e_mail_address(text, holds):
    assert has_detail("url", text, "Hvad er webadressen?") is holds


def test_every_asked_detail_kind_has_a_danish_name_for_refusals():
    """A refusal names the detail the sources lack: every kind ``asked_detail`` can give
    needs its words ("Kilderne nævner emnet, men de oplyser ikke IP-adressen.")."""
    from assistant.language import ASKS
    from assistant.wording import DETAIL_NAMES

    assert set(ASKS) <= set(DETAIL_NAMES)


def test_an_ip_address_is_a_detail_of_its_own():
    q = "Hvilken IP-adresse er formularen låst til?"
    assert asked_detail(q) == "ip"
    assert has_detail("ip", "Formularen er låst til 10.20.30.40 på rådhuset.", q)
    assert has_detail("ip", "Kun fra 2001:db8::1 er der adgang.", q)
    assert not has_detail("ip", "Formularen er låst til en bestemt IP adresse.", q)
    assert not has_detail("ip", "Releasen 5.1.0 kom i maj.", q)  # a version, three parts
    assert not has_detail("ip", "Mødet starter kl. 10:30:00 i salen.", q)  # a clock time
    assert asked_detail("Hvilken IP adresse skal vi åbne for?") == "ip"


@pytest.mark.parametrize(
    ("question", "detail"),
    [
        # A detail word in a clause of purpose or case names the case, not what is asked.
        ("Hvad skal jeg skrive i beskeden, så modtageren får den unikke url til opgaven?", None),
        ("Hvad skal man gøre, hvis hjemmesiden ikke svarer?", None),
        ("Hvem skal jeg kontakte, når telefonnummeret er skiftet?", None),
        # A statement before the question proper, and "hvad gør jeg" (a way, as "hvordan").
        ("Jeg forudfylder felter via url'en – hvad gør jeg så, hvis der står et ? i den?", None),
        ("Vi har mistet webadressen. Hvad gør vi?", None),
        ("Hvad skal jeg skrive for også at give feltet en værdi via url'en?", None),
        # The asking clause keeps its detail, before or after such a clause.
        ("Hvad er webadressen til sundhedsjournalen, hvis man er borger?", "url"),
        ("Hvis jeg vil ringe til sekretariatet, hvad er så telefonnummeret?", "phone"),
        ("Hvilken dato lukker DAWA, når overgangsperioden er slut?", "date"),
        # An abbreviation ends no statement, "hvert" is no question word, ", så hvilket"
        # is the question itself, and "datoen for at …" keeps its "datoen for".
        ("Hvad koster det pr. hver bruger?", "cost"),
        ("Hvad er e-mailadressen til Aarhus, dvs. hvem skriver jeg til?", "email"),
        ("Jeg har mistet koden, så hvilket telefonnummer skal jeg ringe til?", "phone"),
        ("Hvad er datoen for at søge om tilskud?", "date"),
    ],
)
def test_only_the_asking_clause_says_which_detail_is_asked_for(question, detail):
    assert asked_detail(question) == detail


def test_hvornaar_in_the_present_is_answered_by_the_case_it_happens_in():
    from assistant.language import has_detail

    # Software documentation: a condition answers "when is it sent".
    q = "Hvornår bliver afsendernavnet fra Digital Post-handleren sendt på SMS?"
    yes = "Sender label: afsenderens navn (sendes på SMS, hvis borger er tilmeldt NemSMS)"
    assert has_detail("when", yes, q)
    # A condition about something else does not.
    q = "Hvornår bliver opdateringen til Maestro 4.1.4 udgivet i OS2forms?"
    no = "Hvis OS2forms får en fejl tilbage fra Digital Post, bliver den aldrig skrevet i køen."
    assert not has_detail("when", no, q)
    # A page about health IT: in the past tense "hvornår" asks for a time, and a
    # condition does not give one.
    q = "Hvornår blev den fælles sundhedsjournal indført i regionerne?"
    cond = "Sundhedsjournalen blev indført i regionerne, når de havde fælles it-drift."
    assert not has_detail("when", cond, q)
    assert has_detail("when", "Sundhedsjournalen blev indført i regionerne i 2015.", q)
    # A past or perfect verb anywhere asks for a time; a condition that is the event
    # asked about ("Når opdateringen er udgivet, …") does not say when it happens.
    q = "Hvornår er sundhedsjournalen blevet indført i regionerne?"
    assert not has_detail("when", "Sundhedsjournalen er indført, når regionerne er klar.", q)
    q = "Hvornår bliver opdateringen til Maestro 4.1.4 udgivet?"
    event = "Når opdateringen til Maestro 4.1.4 er udgivet, skal du opdatere formularerne."
    assert not has_detail("when", event, q)
    q = "Hvornår får regionerne adgang til sundhedsjournalen?"
    assert has_detail(
        "when", "Regionerne får adgang til sundhedsjournalen, når aftalen er underskrevet.", q
    )


@pytest.mark.parametrize(
    ("question", "polite"),
    [
        ("Kan du nævne nogle af dem?", True),
        ("Kan du give mig telefonnummeret til sekretariatet?", True),
        ("Could you list the forums?", True),
        # Real yes/no questions: "Ja"/"Nej" may answer them.
        ("Kan de bruge systemet uden login?", False),
        ("Kan jeg få adgang uden NemID?", False),
        ("Kan borgeren gemme en kladde?", False),
    ],
)
def test_a_polite_request_is_told_from_a_yes_no_question(question, polite):
    from assistant.language import is_request

    assert is_request(question) is polite

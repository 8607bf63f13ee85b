"""Facts about Danish (and the English users also type) that answering relies on.

Each rule here is a named, documented property of the language, not of one
corpus or one question: what kind of detail a question asks for ("hvornår"
asks for a time), what counts as a number (not the articles "en"/"et"), what
a person's name looks like, how an acronym is spelt out, which words open a
sentence that cannot stand alone ("Fx …", "og …"), and whether a sentence has
a finite verb. The refusal decision (``refusal.py``) and the composition of
answers (``compose.py``) share them; ``tests/test_language.py`` gives each rule
examples from more than one corpus.
"""

from __future__ import annotations

import re

from assistant.lexical import DANISH_STOPWORDS, ENGLISH_STOPWORDS, words

# --- which language ------------------------------------------------------------


def looks_english(text: str) -> bool:
    """English when English function words outnumber Danish ones and no æ/ø/å occurs.

    Danish and English share words ("for", "under", "over"), so only words that
    belong to one language's stop list and not the other's are counted.
    """
    if re.search(r"[æøåÆØÅ]", text):
        return False
    ws = words(text)
    en = sum(w in ENGLISH_STOPWORDS and w not in DANISH_STOPWORDS for w in ws)
    da = sum(w in DANISH_STOPWORDS and w not in ENGLISH_STOPWORDS for w in ws)
    return en > da and en >= 1


# --- numbers -----------------------------------------------------------------------

# Danish cardinal numbers written as words. "en"/"et" are left out on purpose: they
# are far more often the indefinite article than the number one, so counting them
# would make nearly every Danish sentence "hold a number".
NUMBER_WORDS = (
    "to tre fire fem seks syv otte ni ti elleve tolv tretten fjorten femten seksten "
    "sytten atten nitten tyve tredive fyrre halvtreds tres halvfjerds firs halvfems "
    "hundrede tusind million millioner milliard milliarder "
    "two three four five six seven eight nine ten eleven twelve fifteen twenty "
    "hundred thousand"
).split()
NUMERAL = re.compile(r"\b\d+(?:[.,]\d+)*\b|\b(?:" + "|".join(NUMBER_WORDS) + r")\b", re.I)


def numerals(text: str) -> list[str]:
    """Numbers in the text: digits, or Danish/English number words (never en/et)."""
    return [m.group(0).lower() for m in NUMERAL.finditer(text)]


# --- what a question asks for -----------------------------------------------------

# Words for people in a role: "Hvad hedder direktøren?" asks for a person's name.
PERSON_ROLES = (
    r"direktør\w*|formand\w*|forkvinde\w*|leder\w*|chef\w*|minister\w*|borgmester\w*|"
    r"sekretær\w*|kontaktperson\w*|projektleder\w*|koordinator\w*|konsulent\w*|"
    r"ansvarlig\w*|person\w*|han|hun|director|chair\w*|head|manager|ceo|person"
)

ASKS = {
    # "Hvad hedder <person>?" / "navnet på <person>" / "what is the name of <person>"
    "name": re.compile(
        rf"\bhvad\s+hedder\s+(?:den\s+|det\s+|de\s+|nuværende\s+)?(?:{PERSON_ROLES})\b|"
        rf"\bnavn(?:et|ene)?\s+på\s+(?:den\s+|de\s+)?(?:{PERSON_ROLES})\b|"
        rf"\bwhat\s+is\s+(?:the\s+)?name\s+of\s+(?:the\s+)?(?:{PERSON_ROLES})\b|"
        rf"\bwhat\s+is\s+(?:his|her)\s+name\b",
        re.I,
    ),
    # Money: "koster", "pris" (also in compounds: "timepris"), "budget", "how much … cost".
    "cost": re.compile(
        r"\bkost(?:er|ede|ar|e|ede)\b|pris(?:en|er|erne)?\b|\bbudget\w*|\bbeløb\w*|"
        r"\bomkostning\w*|\bhonorar\w*|\bhow\s+much\b.*\b(?:cost|pay|charge)|\bcosts?\b|\bprice\b",
        re.I,
    ),
    # A calendar date: "dato", "hvilken dag", "which date".
    # A calendar date: "hvilken dato", "datoen for"; "dato" alone names a topic
    # ("dato format", "datoliste"), not a request for one.
    "date": re.compile(
        r"\bhvilken\s+dato\b|\bdatoen\s+for\b|\bhvilken\s+dag\b|\bwhat\s+date\b|"
        r"\bwhich\s+day\b|\bon\s+what\s+day\b",
        re.I,
    ),
    # A time: "hvornår" is always interrogative in Danish (the conjunction is "når");
    # English "when" asks for a time only when it opens the question and an auxiliary
    # follows it ("When does …", "When was …"); "When I edit …, what …" is a clause.
    "when": re.compile(
        r"\bhvorn[aå]r\b|\bhvilket\s+år\b|\bi\s+hvilken\s+uge\b|\bårstal\w*|"
        r"^\s*(?:since\s+)?when\s+(?:is|was|are|were|do|does|did|will|would|can|could|"
        r"should|shall|has|have|had|must|may)\b|"
        r"\bwhat\s+year\b|\bwhich\s+year\b|\bin\s+which\s+week\b",
        re.I,
    ),
    # A size or a limit: "filstørrelse", "hvor stor", "den maksimale længde".
    "size": re.compile(
        r"størrelse\w*|\bhvor\s+stor\w*|\bmaksimal\w*\s+(?:længde|antal)|"
        r"\bmax(?:imum)?\s+(?:size|length)|\bhow\s+(?:big|large)\b|\bfile\s+size\b",
        re.I,
    ),
    # How often: "hvor ofte", "how often" ask for a frequency.
    "frequency": re.compile(r"\bhvor\s+ofte\b|\bhvor\s+tit\b|\bhow\s+often\b", re.I),
    # Contact details: an e-mail address, a phone number, a postal address.
    "email": re.compile(r"\b(?:e-?)?mail-?adresse\w*|\bemail\s+address\w*", re.I),
    "phone": re.compile(
        r"\btelefon-?nummer\w*|\btelefonnr\w*|\btlf\.?(?:\s*nr)?\b|\bphone\s+number\b|"
        r"\bhvad\s+er\s+telefonen\b",
        re.I,
    ),
    "contact": re.compile(r"\bkontaktoplysning\w*|\bcontact\s+details\b", re.I),
    # A network address: "Hvilken IP-adresse …", "IP'en".
    "ip": re.compile(r"\bip[-\s]?adresse\w*|\bip\s+address\w*|\bip'en\b", re.I),
    # A length of time: "Hvor lang tid tager …", "hvor længe", "sagsbehandlingstiden".
    "duration": re.compile(
        r"\bhvor\s+lang\s+tid\b|\bhvor\s+længe\b|\bhow\s+long\b|\bvarighed\w*|"
        r"\w*behandlingstid\w*|\bventetid\w*|\bleveringstid\w*",
        re.I,
    ),
    # A web address: "webadressen", "hjemmesiden", "linket til …", "URL'en".
    "url": re.compile(
        r"\bwebadresse\w*|\bhjemmeside(?:n|adresse\w*)?\b|\blink(?:et)?\s+til\b|"
        r"\burl(?:'en|en)?\b|\bwebsite\b|\bweb\s+address\b",
        re.I,
    ),
    # A version: "Hvilken version …", "Hvilken PHP-version …", "versionsnummeret".
    "version": re.compile(
        r"\bhvilken\s+(?:[\w.]+-)?version\b|\bversionsnummer\w*|\bwhich\s+version\b|"
        r"\bwhat\s+version\b",
        re.I,
    ),
}

HAS = {
    # IPv4 (with a prefix length), or IPv6 with "::" or a hex letter (not a clock time).
    "ip": re.compile(
        r"\b\d{1,3}(?:\.\d{1,3}){3}(?:/\d{1,2})?\b|"
        r"(?<![\w:])[0-9a-f]{0,4}(?::[0-9a-f]{1,4})*::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4})*)?(?![\w:])|"
        r"\b(?=[0-9a-f:]*[a-f])[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){3,7}\b",
        re.I,
    ),
    "cost": re.compile(
        r"\d[\d.,]*\s*(?:kr\b|kr\.|kroner|mio|mia|millioner|milliarder|euro|dkk)|"
        r"(?:kr\.?|dkk|€|\$)\s*\d",
        re.I,
    ),
    "date": re.compile(
        r"\b\d{1,2}\.\s*(?:jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)\w*|"
        r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b",
        re.I,
    ),
    "when": re.compile(
        r"\b(?:1[89]|20)\d\d\b|\b\d{1,2}\.\s*(?:jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)|"
        r"\b\d{1,2}[./-]\d{1,2}[./-]\d{2,4}\b|\buge\s+\d{1,2}\b|\bweek\s+\d{1,2}\b|"
        r"\b(?:januar|februar|marts|april|maj|juni|juli|august|september|oktober|november|december)\b|"
        r"\b(?:i\s+dag|i\s+morgen|i\s+går|næste|sidste)\s+(?:uge|måned|år)\b|\bkvartal\w*|\bQ[1-4]\b",
        re.I,
    ),
    "size": re.compile(
        r"\d[\d.,]*\s*(?:kb|mb|gb|tb|bytes?|tegn|sider|pixels?|px|%|procent)\b", re.I
    ),
    "frequency": re.compile(
        r"\b(?:hver|hvert|hvers|en\s+gang\s+(?:om|i|pr\.?)|to\s+gange|\d+\s+gange)\s+"
        r"(?:dag|uge|måned|år|kvartal|halvår)\w*|\b(?:dagligt|ugentligt|månedligt|årligt|"
        r"kvartalsvis|løbende)\b|\b(?:daily|weekly|monthly|yearly|annually|every)\b",
        re.I,
    ),
    # A number or a number word with a unit of time ("30 dage", "to uger", "3-5
    # hverdage"), or a start ("siden 2010": as long as since then).
    "duration": re.compile(
        r"(?:\b\d+(?:[,.-]\d+)?|\b(?:en|et|" + "|".join(NUMBER_WORDS) + r"))\s+"
        r"(?:\w+\s+)?(?:sekund|minut|time|timer|døgn|dag|dage|hverdag|uge|måned|år|kvartal|"
        r"second|minute|hour|day|week|month|year)\w*|\bsiden\s+(?:1[89]|20)\d\d\b|"
        r"\bsince\s+(?:1[89]|20)\d\d\b",
        re.I,
    ),
    # A web address; the domain of an e-mail address ("sgl@aarhus.dk") is not one.
    "url": re.compile(
        r"https?://\S+|\bwww\.[\w-]+\.\w+|"
        r"(?<![@\w.+-])[\w-]+(?:\.[\w-]+)*\.(?:dk|com|eu|org|net|io|nu)\b(?!@)",
        re.I,
    ),
    "email": re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+"),
    "phone": re.compile(r"(?:\+45\s?)?\b\d{2}\s?\d{2}\s?\d{2}\s?\d{2}\b"),
    "contact": re.compile(
        r"[\w.+-]+@[\w-]+\.[\w.]+|\b\d{2}\s?\d{2}\s?\d{2}\s?\d{2}\b|\b\w+(?:vej|gade|allé)\s+\d",
        re.I,
    ),
}

# "Hvad står EHMI for?" asks what an acronym spells out only when "for" ends the clause:
# "Hvad står ITK for i projektet?" asks what ITK is in charge of ("stå for").
_CLAUSE_END = r"\s*(?:[?.!,;:]|$)"
_ASKS_ACRONYM = re.compile(
    rf"\b(?i:hvad\s+står\s+(?:forkortelsen\s+)?)([A-ZÆØÅ]{{2,}}[\w-]*)\s+for{_CLAUSE_END}|"
    r"\b(?i:what\s+does\s+(?:the\s+abbreviation\s+)?)([A-Z]{2,}[\w-]*)\s+stand\s+for\b|"
    r"\b(?i:hvad\s+betyder\s+(?:forkortelsen\s+)?)([A-ZÆØÅ]{2,}[\w-]*)\b|"
    r"\b(?i:what\s+is\s+)([A-Z]{2,}[\w-]*)\s+short\s+for\b"
)

_ASKS_COUNT = re.compile(r"\bhvor\s+mange\b|\bantal\w*|\bhow\s+many\b|\bnumber\s+of\b", re.I)


def asked_acronym(question: str) -> str | None:
    """'Hvad står EHMI for?' -> 'EHMI': an upper-case word the question asks to spell out."""
    m = _ASKS_ACRONYM.search(question)
    return next((g for g in m.groups() if g), None) if m else None


# How and why questions ask for a way or a reason: a detail word in them names what the
# question is about ("Hvordan ændrer man e-mailadressen?", "Hvorfor er prisen steget?").
_HOW_WHY = re.compile(
    r"^\s*(?:og\s+)?(?:hvordan|hvorfor|why|how(?!\s+(?:many|much|often|big|large|long)\b))\b",
    re.I,
)
# A polite request is a yes/no question only in form ("Kan du give mig telefonnummeret?",
# "Kan jeg få e-mailadressen?", "Could you tell me the price?"), and so is asking whether
# a thing exists ("Er der et telefonnummer til support?"): the answer is the detail.
_REQUEST = re.compile(
    r"^\s*(?:kan|vil|kunne|ville|må)\s+(?:du|i|de|jeg\s+få|vi\s+få)\b|"
    r"^\s*(?:er|findes|fandtes|var)\s+der\b|"
    r"^\s*(?:can|could|would)\s+you\b|^\s*(?:is|are)\s+there\b",
    re.I,
)


_POLITE = re.compile(
    r"^\s*(?:og\s+)?(?:kan|vil|kunne|ville)\s+(?:du|i)\s+(?:\w+\s+)?(?:nævne|give|fortælle|"
    r"sige|sende|vise|forklare|liste|opremse|beskrive|finde|skrive)\b|"
    r"^\s*(?:og\s+)?(?:kan|må|kunne)\s+(?:jeg|vi)\s+få\s+(?:\w+\s+)?(?:at\s+vide|oplyst|en\s+liste)\b|"
    r"^\s*(?:can|could|would)\s+you\s+(?:\w+\s+)?(?:name|give|tell|list|show|explain|send)\b",
    re.I,
)


def is_request(question: str) -> bool:
    """A polite request ("Kan du nævne nogle af dem?", "Vil du give mig …?"): a yes/no
    question in form only, answered by what is asked for, never by "Ja"."""
    return bool(_POLITE.match(question))


def asks_for_value(question: str) -> bool:
    """Can the question ask for a value at all? Not when it asks how or why, and not
    when it asks for a yes or a no ("Kan borgeren se prisen?"), unless it is a polite
    request ("Kan du give mig prisen?") or asks whether the thing exists ("Er der …?")."""
    if _HOW_WHY.match(question):
        return False
    return not is_yes_no_question(question) or bool(_REQUEST.match(question))


_QUESTION_WORD = r"(?:hvad|hvem|hvor\w*|hvilk\w*|what|which|how|who|where|when)\b"
# A clause that says the case or the purpose, not what is asked: "…, så modtageren får
# url'en" (so that), "hvis der står et "?" i url'en", "når …", "for at …", "fordi …". It
# runs to the next comma, dash or the end. ", så hvilket …" is the question itself.
_SIDE_CLAUSE = re.compile(
    rf"(?:,\s*så(?!\s+{_QUESTION_WORD})|\b(?:hvis|når|såfremt|for\s+(?:\w+\s+)?at|fordi|"
    r"selvom|if|when(?=\s+(?:i|we|you)\b)|so\s+that))\b[^,–—?]*",
    re.I,
)
# A statement before the question proper: "Jeg forudfylder felter via url'en – hvad gør
# jeg så?"; the question is the part after a dash, a colon or a full stop that ends a
# sentence (after a word of four letters or more, a quote or a digit: "pr." or "dvs." is
# an abbreviation), and it opens with a question word.
_LEAD_STATEMENT = re.compile(
    r"^.*?(?:\s[–—-]\s|:\s+|(?:(?<=[^\W\d_]{4})|(?<=[\"”»'\d)]))\.\s+)"
    rf"(?=(?:og\s+)?{_QUESTION_WORD})",
    re.I,
)
# "Hvad gør jeg (så)?" asks what to do: a way, as "hvordan" does.
_ASKS_ACTION = re.compile(
    r"^\s*(?:og\s+)?hvad\s+(?:gør|skal)\s+(?:jeg|man|vi|du)(?:\s+så)?\s*(?:[?,]|$)", re.I
)


def asking_clause(question: str) -> str:
    """The part of a question that says what is asked: without a statement before it
    and without the clauses that set the case or the purpose (see ``_SIDE_CLAUSE``).
    A detail word there ("url", "dato") names the case, not the detail wanted:
    "Hvad skal jeg skrive, så modtageren får den unikke url?" asks for a text."""
    rest = _LEAD_STATEMENT.sub("", question, count=1)
    main = _SIDE_CLAUSE.sub("", rest).strip(" ,–—")
    return main if re.search(r"\w", main) else question


def _outside_side_clauses(pattern: re.Pattern, question: str) -> bool:
    """Does ``pattern`` match the question (less a statement before it) somewhere that
    is not wholly inside a clause of case or purpose? ("Hvad er datoen for at søge?"
    keeps "datoen for", though "for at søge" is a clause of purpose.)"""
    rest = _LEAD_STATEMENT.sub("", question, count=1)
    sides = [m.span() for m in _SIDE_CLAUSE.finditer(rest)]
    return any(
        not any(a <= m.start() and m.end() <= b for a, b in sides) for m in pattern.finditer(rest)
    )


def asked_detail(question: str) -> str | None:
    """The kind of detail a question asks for, when an answer must contain one.

    None for questions any relevant sentence can answer ("Hvem er formand for …?"),
    and for how, why and yes/no questions (``asks_for_value``): "Hvordan ændrer man
    datoen for …?" asks for a way, not for a date. Only the asking clause counts
    (``asking_clause``).
    """
    if asked_acronym(question):
        return "acronym"
    if not asks_for_value(question):
        return None
    if _ASKS_ACTION.match(asking_clause(question)):
        return None
    for kind, pattern in ASKS.items():
        if _outside_side_clauses(pattern, question):
            return kind
    return None


def asks_count(question: str) -> bool:
    """ "Hvor mange …?" / "how many …?": the answer holds a number ("Hvordan ser man
    antallet af indsendelser?" asks for a way, see ``asks_for_value``)."""
    return bool(_ASKS_COUNT.search(question)) and asks_for_value(question)


_COUNT_NOUNS = re.compile(r"\bhvor\s+mange\s+((?:[\w-]+\s+){0,2}[\w-]+)", re.I)
# Danish adjectives before a plural noun end in -e after an adjective suffix ("digitale",
# "forskellige", "tekniske", "aktive"): the noun they describe comes next.
_ADJECTIVE = re.compile(r"(?:ig|isk|sk|al|ell|iv|ær|bar|somm|løs)e$|^(?:nye|store|små|gamle)$")


def count_nouns(question: str) -> list[str]:
    """The word a "hvor mange …" question counts: the first content word after it that
    is not an adjective before another word ("Hvor mange andre regioner …" ->
    ["regioner"], "Hvor mange digitale udviklingsopgaver …" -> ["udviklingsopgaver"]);
    empty when none follows."""
    from assistant.lexical import STOPWORDS

    m = _COUNT_NOUNS.search(question)
    if not m:
        return []
    content = [w for w in words(m.group(1)) if w not in STOPWORDS]
    while len(content) > 1 and _ADJECTIVE.search(content[0]):
        content = content[1:]
    return content[:1]


# "to medlemmer fra hver region (en koncerndirektør og it-direktøren)": a parenthesis
# right after the counted words names what they are.
_COUNT_THEN_PARENTHESIS = re.compile(r"^\s*(?:[^\W\d]+[\s,]+){1,5}?\(([^()]{1,120})\)")


def states_count(text: str, question: str, noun_stems: set[str] | None) -> bool:
    """A number that the question does not already hold, followed within three words by
    the counted noun ("15 it-projekter", "de øvrige fire regioner"), or by a parenthesis
    that names it ("to medlemmer fra hver region (en koncerndirektør og it-direktøren)"):
    Danish puts the numeral before the noun it counts. Without a noun, any new number
    will do."""
    from assistant.lexical import analyze

    asked = set(numerals(question))
    text = LIST_MARKER.sub("", text)
    ws = words(text)
    for i, w in enumerate(ws):
        if not NUMERAL.fullmatch(w) or w in asked:
            continue
        if not noun_stems:
            return True
        following = {t for x in ws[i + 1 : i + 5] for t in analyze(x)}
        if following & noun_stems:
            return True
    if noun_stems:
        for m in NUMERAL.finditer(text):
            if m.group(0).lower() in asked:
                continue
            named = _COUNT_THEN_PARENTHESIS.match(text[m.end() :])
            if named and set(analyze(named.group(1))) & noun_stems:
                return True
    return False


def counts_something(text: str, question: str) -> bool:
    """A number the question does not hold, followed by the word it counts (a content
    word): "15 it-projekter", "tre fora". "siden 2010" and "version 5.1" count nothing."""
    from assistant.lexical import STOPWORDS

    asked = set(numerals(question))
    ws = words(LIST_MARKER.sub("", text))
    for i, w in enumerate(ws[:-1]):
        if not NUMERAL.fullmatch(w) or w in asked or re.fullmatch(r"(?:1[89]|20)\d\d", w):
            continue
        nxt = next((x for x in ws[i + 1 : i + 3] if x not in STOPWORDS), "")
        if len(nxt) >= 3 and not NUMERAL.fullmatch(nxt):
            return True
    return False


def expected_detail(question: str) -> str | None:
    """The detail a good answer sentence holds (for ranking sentences)."""
    return asked_detail(question) or ("count" if asks_count(question) else None)


# --- names and acronyms --------------------------------------------------------------

# Nouns that make a capitalised phrase an organisation or a place, not a person.
ORGANISATION_NOUNS = frozenset(
    """
    region regioner regionen kommune kommuner kommunen styrelse styrelsen styrelser
    ministerium ministeriet landsforening forening foreningen råd rådet selskab selskabet
    universitet universitetet hospital hospitalet sygehus sygehuset center centret centeret
    institut instituttet agentur agenturet fond fonden gruppe gruppen danmark danmarks sundhed
    kommunernes regionernes danske
    """.split()
)
_CAPITALISED = r"[A-ZÆØÅ][a-zæøåéü]+(?:-[A-ZÆØÅ][a-zæøåéü]+)?"
_NAME = re.compile(rf"\b{_CAPITALISED}(?:\s+{_CAPITALISED})+\b")


# Words that open a Danish sentence or clause and are no first name ("Hans" is one).
_OPENERS = frozenset(
    "da når hvis men og eller så der den det de dem i på for med til om efter før som at "
    "mens fordi selvom hvor hvad hvem hvilken hvilket hvilke her nu også dog".split()
)


def _is_organisation(word: str) -> bool:
    """An organisation noun, alone or as the head of a compound ("Vejdatastyrelsen",
    "Sundhedsministeriet", "Hovedstadens Kommune")."""
    word = word.lower()
    return word in ORGANISATION_NOUNS or any(
        word.endswith(noun) for noun in ORGANISATION_NOUNS if len(noun) >= 6
    )


def person_names(text: str) -> list[str]:
    """Two capitalised words in a row that are neither an organisation nor a genitive.

    A Danish person is written first name + surname ("Anders Jensen"); an
    organisation's name holds an organisation noun or a genitive -s ("Region
    Hovedstaden", "Kommunernes Landsforening", "Sundhedsstyrelsens Råd").
    """
    names = []
    for m in _NAME.finditer(text):
        # In a longer run the name comes last ("Projektleder Pernille Thorsen").
        first, last = m.group(0).split()[-2:]
        if first.lower() in _OPENERS:  # "Da Vejdatastyrelsen …": a capitalised opener
            continue
        if any(_is_organisation(w) for w in (first, last)):
            continue
        if len(first) > 6 and first.endswith(("nes", "ens")):  # "Kommunernes", "Styrelsens"
            continue
        names.append(f"{first} {last}")
    return names


def spells_out(acronym: str, text: str) -> bool:
    """Does the text give the words an acronym stands for?

    Accepted forms: "Xyz Abc (XA)", "XA (Xyz Abc …)", "XA står for …", "XA betyder …",
    "XA er en forkortelse for …", "XA stands for …", and any run of words whose
    initials (hyphen parts included) spell the acronym.
    """
    a = re.escape(acronym)
    if re.search(rf"\({a}\)|\b{a}\s*\(\s*[A-ZÆØÅa-zæøå]", text):
        return True
    if re.search(
        rf"\b{a}\s+(?:står\s+for|betyder|er\s+en\s+forkortelse\s+for|stands\s+for|means)\b",
        text,
        re.I,
    ):
        return True
    letters = acronym.lower().replace("-", "")
    tokens = re.findall(r"[^\W\d_]+", text)
    initials = "".join(t[0].lower() for t in tokens)
    return len(letters) >= 2 and letters in initials and _initials_run(tokens, letters)


def _initials_run(tokens: list[str], letters: str) -> bool:
    """The acronym's letters are the initials of consecutive words, the first capitalised."""
    for i in range(len(tokens) - len(letters) + 1):
        run = tokens[i : i + len(letters)]
        if "".join(t[0].lower() for t in run) == letters and run[0][0].isupper():
            return True
    return False


def has_detail(kind: str, text: str, question: str) -> bool:
    """Does the text hold the kind of detail asked for, and not merely echo the question?"""
    text = LIST_MARKER.sub("", text)  # "1." numbers a list item, it counts nothing
    if kind == "acronym":
        return spells_out(asked_acronym(question) or "", text)
    if kind == "name":
        asked = question.lower()
        return any(n.lower() not in asked for n in person_names(text))
    if kind == "count":
        asked_numbers = set(numerals(question))
        return any(n not in asked_numbers for n in numerals(text))
    if kind == "version":
        return states_version(text, question)
    asked = question.lower()
    if kind == "when" and asks_for_circumstance(question) and states_case_of(text, question):
        return True
    return any(m.group(0).lower() not in asked for m in HAS[kind].finditer(text))


# "Hvornår" asks for a time or for the circumstances: "Hvornår bliver navnet sendt på
# SMS?" is answered by "… hvis borgeren er tilmeldt NemSMS". Only a question in the
# present tense asks so ("bliver", "sendes", "skal"); one in the past ("blev", "lukkede")
# asks for the time something happened.
_WHEN_VERB = re.compile(r"\bhvornår\s+([a-zæøå]+)", re.I)
_PAST = re.compile(r"(?:ede|te|blev|var|kom|gik|fik|så|lå|stod|gav|tog)$")
# A past or perfect verb anywhere in the question ("Hvornår præcis blev …", "Hvornår er
# den blevet indført?"): the question asks for a time.
_PAST_ANYWHERE = re.compile(
    r"\b(?:blev|blevet|var|været|kom|gik|fik|havde|startede|begyndte|udkom|skete|"
    r"lukkede|åbnede|indførte|[a-zæøå]{3,}ede)\b",
    re.I,
)
_CASE_CLAUSE = re.compile(r"\b(?:hvis|når|så\s+snart|såfremt|i\s+tilfælde\s+af)\b", re.I)


def asks_for_circumstance(question: str) -> bool:
    """A "hvornår" question in the present tense (see ``_WHEN_VERB``)."""
    m = _WHEN_VERB.search(question)
    return (
        m is not None
        and not _PAST.search(m.group(1).lower())
        and not _PAST_ANYWHERE.search(question)
    )


def states_case_of(text: str, question: str) -> bool:
    """A condition ("hvis …", "når …") in a sentence about what the question asks: it
    holds at least two of the question's content words and a third of them ("sendes på
    SMS, hvis borger er tilmeldt NemSMS" for "Hvornår bliver navnet sendt på SMS?"), not
    any "hvis" near one shared name."""
    from assistant.lexical import STOPWORDS, analyze

    if not _CASE_CLAUSE.search(text):
        return False
    asked = {t for w in words(question) if w not in STOPWORDS for t in analyze(w)}
    asked.discard("hvornår")
    # The words must stand outside the condition: "Når opdateringen er udgivet, skal du
    # …" takes the event asked about as given, it does not say when it happens.
    main = re.sub(rf"{_CASE_CLAUSE.pattern}[^,;()]*?(?=[,;()]|\.\s|\.?$)", " ", text, flags=re.I)
    shared = asked & set(analyze(main))
    return len(shared) >= 2 and 3 * len(shared) >= len(asked)


# "Hvilken PHP-version …", "Hvilken version af Drupal …": the product whose version is asked.
_VERSION_OF = re.compile(
    r"\b([\w.]+)-version\b|\bversion(?:en|snummeret)?\s+(?:af|of)\s+([\w.-]+)|"
    r"\b([\w.]+)\s+version\b",
    re.I,
)
_VERSION_NUMBER = r"v?\d+(?:\.\d+){0,3}\b"


def states_version(text: str, question: str) -> bool:
    """Does the text give the version the question asks for? Danish and English write a
    version right after the product's name or the word version ("PHP 8.3", "Drupal
    10.6.7", "version 5.1.0"). When the question names the product ("Hvilken
    PHP-version …"), the number must follow that name or the word version, and not
    be a number the question holds: "releasen 5.1.0" gives no PHP version."""
    m = _VERSION_OF.search(question)
    product = next((g for g in m.groups() if g), None) if m else None
    if product and product.lower() in {"hvilken", "which", "what", "den", "the"}:
        product = None
    asked = set(numerals(question))
    names = [r"version(?:en)?", r"v"] + ([re.escape(product)] if product else [])
    pattern = rf"\b(?:{'|'.join(names)})[\s:-]*({_VERSION_NUMBER})"
    if not product:
        pattern += r"|\b(\d+\.\d+(?:\.\d+)*)\b"
    for hit in re.finditer(pattern, text, re.I):
        number = next(g for g in hit.groups() if g)
        if number.lstrip("vV") not in asked:
            return True
    return False


# --- one action, several names ---------------------------------------------------------

# Danish names switching a setting on or off in several ways, and instructions often
# keep the English name of the button: "slå X til" = "aktivere X" = "tænde for X"
# ("Enable"); "slå X fra" = "deaktivere X" = "slukke for X" ("Disable").
_SWITCH_ON = re.compile(
    r"\bslå\w*\s+(?:\w+\s+){0,2}?til\b|\baktiv(?:er|ere|erer|érer|eres|ér|eret)\b|"
    r"\btænd\w*|\benabl\w*|\bswitch\w*\s+on\b|\bturn\w*\s+on\b",
    re.I,
)
_SWITCH_OFF = re.compile(
    r"\bslå\w*\s+(?:\w+\s+){0,2}?fra\b|\bdeaktiv\w*|\bsluk\w*|\bdisabl\w*|"
    r"\bswitch\w*\s+off\b|\bturn\w*\s+off\b",
    re.I,
)


def same_action(question: str, text: str) -> bool:
    """Does the text name the action the question asks about, in other words?
    ("Hvad skal man slå til?" / "Aktivér Send out notifications")."""
    for action in (_SWITCH_OFF, _SWITCH_ON):
        if action.search(question):
            return bool(action.search(text))
    return False


# --- conditions ------------------------------------------------------------------------

# "Hvis …", "Såfremt …", "Dersom …" (English "if") open a conditional clause, and "Ved at
# …" states the case as a means ("Ved at vælge automatisk …"); the clause runs to the
# comma that closes it, or to the end ("Hvis det er en meget stor liste kan man …").
_CONDITION = re.compile(r"\b(?:hvis|såfremt|dersom|ved\s+at|if)\b([^,.;:?!]*)", re.I)


def condition_words(text: str) -> set[str]:
    """The stems of the words in the text's conditional clauses: a question that asks
    about a case ("Og hvis listen er meget lang, …?") is answered by the sentence that
    states that case ("Hvis det er en meget stor liste kan man …")."""
    from assistant.lexical import analyze

    return {stem for m in _CONDITION.finditer(text) for stem in analyze(m.group(1))}


def negated_condition(text: str) -> bool:
    """Is a conditional clause of the text negated ("hvis man ikke angiver …")? The case
    "not X" is another case than "X": a sentence must state the one asked about."""
    return any(NEGATION.search(m.group(1)) for m in _CONDITION.finditer(text))


# --- sentences that cannot stand alone ------------------------------------------------

# Words that open a sentence which continues or illustrates the one before it:
# "Fx …", "Eksempelvis …", "Herunder …", "Dvs. …", or a coordinating conjunction.
DEPENDENT_OPENERS = re.compile(
    r"^(?:fx|f\.eks\.|eksempelvis|for\s+eksempel|bl\.a\.|blandt\s+andet|herunder|"
    r"det\s+vil\s+sige|dvs\.|og|men|samt|eller|som|hvor|hvilket|hvorfor|så\s+(?=[a-zæøå])|"
    r"e\.g\.|and|but|or|which)\b",
    re.I,
)
# A line that is only the word "example", abbreviated or not ("eks.", "Fx:", "F.eks.",
# "Eksempel:", "e.g."): the example it announces follows on the next line (a code line, a
# token, an address), and it illustrates the sentence before the marker.
EXAMPLE_MARKER = re.compile(
    r"^\s*(?:eks|fx|f\.\s?eks|eksempel|eksempelvis|for\s+eksempel|e\.\s?g|example|"
    r"for\s+example)\s*[.:]?\s*$",
    re.I,
)
# A word that makes the sentence lean on the one before it ("desuden", "derfor" …).
LEANS_BACK = re.compile(
    r"\b(?:desuden|derved|dermed|derfor|herved|endvidere|ligeledes|heraf|herefter|"
    r"dette|disse|den\s+nye|det\s+nye|ovenfor|førnævnte)\b",
    re.I,
)
LIST_MARKER = re.compile(r"^\s*(?:[-*•–]|\d{1,3}[.)])\s+")

# Finite verbs: the common irregular and auxiliary forms, and the regular endings
# of the present (-er, -ar), the past (-ede, -te) and the s-passive (-es).
_FINITE = frozenset(
    """
    er var har havde kan kunne skal skulle vil ville må måtte bør burde gør gjorde får fik
    går gik ser så står stod ligger lå sidder sad giver gav tager tog kommer kom bliver blev
    findes fandtes hedder hed ved vidste siger sagde synes syntes lader lod sker skete
    betyder indeholder kræver virker fungerer mangler bruges vises sendes gemmes oprettes
    is are was were has have had can could will would shall should may might must do does did
    """.split()
)
_HYPHENATED_WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")  # "IT-Projektleder" as one
_REGULAR_FINITE = re.compile(r"^[a-zæøå]{3,}(?:erer|ede|edes|ter|ler|ner|rer|ker|ger|der|es)$")


def has_finite_verb(sentence: str) -> bool:
    """A main clause has a finite verb; a heading, byline or noun list does not.

    Lenient by design (Danish plural nouns also end in -er): it catches the
    verbless lines that documents are full of ("Projektleder, ITK, Aarhus
    Kommune", "Emne: Formular elementer"), not every noun phrase.
    """
    if any(w in _FINITE for w in words(sentence)):
        return True
    # Regular endings count after the first word: Danish statements put the finite verb
    # second ("Koordinationsgruppen opfordrer …"), while a byline opens with its noun
    # ("Projektleder, ITK, …"). A verb stands on its own: the head of a hyphenated
    # compound is a noun ("IT-Projektleder, Hillerød Kommune", "it-projektleder").
    tokens = _HYPHENATED_WORD.findall(sentence)
    return any(
        i > 0 and "-" not in t and _REGULAR_FINITE.match(t.lower()) for i, t in enumerate(tokens)
    )


def opens_as_fragment(text: str) -> bool:
    """Does this text open with something that cannot stand as a sentence?

    A list bullet, a lower-case first word, a word that leans on what came
    before ("Fx", "og", "som" …), or a first sentence without a finite verb.
    """
    text = text.lstrip()
    if not text:
        return True
    if LIST_MARKER.match(text):
        return True
    first = text[0]
    if first.isalpha() and first.islower():
        return True
    if not (first.isalnum() or first in "\"'«“„(["):
        return True
    if DEPENDENT_OPENERS.match(text):
        return True
    sentence = re.split(r"\s\[\d+\]|\s\[\[", text, maxsplit=1)[0]  # up to its citation
    return not has_finite_verb(sentence)


# --- yes/no questions ------------------------------------------------------------------

# A Danish yes/no question opens with its finite verb ("Er …?", "Kan man …?",
# "Findes der …?"); an English one with an auxiliary ("Is …?", "Can …?").
_YES_NO = re.compile(
    r"^\s*(?:er|var|har|havde|kan|kunne|skal|skulle|vil|ville|må|bør|findes|fandtes|får|"
    r"gør|bliver|blev|sker|virker|understøtter|giver|is|are|was|were|can|could|does|do|did|"
    r"has|have|will|should)\b",
    re.I,
)
NEGATION = re.compile(r"\b(?:ikke|ingen|intet|aldrig|hverken|not|no|never|cannot|can't)\b", re.I)


def is_yes_no_question(question: str) -> bool:
    return bool(_YES_NO.match(question))

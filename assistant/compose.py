"""Extractive composition: pick the sentences that answer and write them readably.

The answer is made of sentences copied from the retrieved passages, each
followed by a ``[[chunk_id]]`` mark that ``citations.cite`` numbers. Choosing:

- a sentence scores by the question's *own* words it holds (idf-weighted, with
  compounds and typos matched through the index vocabulary; a word found only
  inside a longer one, "afsluttes" in "Projektafslutning", counts for less; a
  compound the question writes apart, "måneds navnene", counts joined and weighs as
  both its words), less by words only its heading or neighbours hold, by whether it
  holds the kind of
  detail asked for (a number for "hvor mange", a time for "hvornår" …, and
  for "hvorfor"/"why" a cause, for "hvem" a role or a person, for a list question an
  enumeration of options), by whether it replies to a question in the source that
  holds the asker's words (a FAQ's "Hvorfor …? Fordi …"), by whether it states the
  case a "hvis …" question asks about, and by the rank of its passage; in a
  follow-up the earlier question's words count a little, a passage that holds none
  of them (another topic that shares a generic word) counts for half, and a
  sentence already given in the previous answer is held back; the asker's own
  words on a Q&A page (its "Spørgsmål" section) count for less, and a line of
  tags ("Nøgleord: …") not at all;
- the best sentence leads, unless it cannot open an answer (see
  ``language.opens_as_fragment``); then the best one that can. A "Label: value"
  line or table row ("Projektafslutning: 15. november 2026", "Trin: 2;
  Handling: …") may lead, introduced by where it stands ("Under »Sammenfatning«
  står der: …");
- when the lead holds under half of the question's own words (idf-weighted), no
  sentence answers well: the sentences right after it in its section follow (up to
  ``FILL_CHARS``), for the passage that matched says the answer near its best sentence;
- further sentences from any of the top passages join when they score half the
  best, or hold question words the chosen ones lack (an answer that spans two
  passages).

Writing (rules from ``language``):

- a list item is quoted with the head that announces it ("RSI ledes af tre
  fora: …"; a head may also break off after a function word, its colon lost),
  and such a head brings its items when a list is asked for; an item that is a
  whole sentence needs no head that does not announce it;
- a list question ("Hvilke … kan man vælge imellem?") is answered by an enumeration
  of options, label lines with distinct names (""sbsys_ny": her …", "Hardcoded Value:
  …"), quoted with the sentence that introduces them; when they do not fit, by that
  sentence and the options' names. Lines that repeat one label ("Fix: …", "Fix: …")
  are records, not options;
- a procedure ("Hvordan …", "Hvad skal man gøre …") led by a step keeps the
  steps that follow it, in order; when not all fit, the steps that hold the question's
  words or name the action it asks about ("slå til" / "Aktivér …") go first;
- a sentence right after a list item runs that item on: it brings no items of its own,
  and when a list is asked for it stands after its item in the list;
- a sentence that leans on the one before ("Fx …", "… desuden …", "Derfor …")
  brings it;
- about ``target_chars`` characters, more only for a list or steps;
- "Ja,"/"Nej," only when the quoted sentence itself states it;
- an English question gets a short English lead-in, then the Danish quote.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass, field

from assistant import wording
from assistant.citations import MARK, mark
from assistant.language import (
    DEPENDENT_OPENERS,
    EXAMPLE_MARKER,
    LEANS_BACK,
    LIST_MARKER,
    NEGATION,
    PERSON_ROLES,
    asked_acronym,
    condition_words,
    count_nouns,
    expected_detail,
    has_detail,
    has_finite_verb,
    is_request,
    is_yes_no_question,
    looks_english,
    negated_condition,
    opens_as_fragment,
    person_names,
    same_action,
    spells_out,
    states_count,
)
from assistant.lexical import DANISH_STOPWORDS, STOPWORDS, analyze, words
from assistant.normalize import squash
from assistant.retrieval import Hit, is_asked_section

# Weights of the sentence score (documented in the module docstring).
W_CONTEXT = 0.3  # a question word found only in the heading/title/neighbours
W_PREVIOUS = 0.25  # a word of the earlier question (follow-ups)
W_DETAIL = 0.35  # the sentence holds the kind of detail asked for
W_RANK = 0.3  # prior of the passage's rank: W_RANK / (1 + rank)
W_KIND = W_DETAIL  # it gives a cause ("hvorfor") or names a role or person ("hvem")
W_ANSWERS = 0.5  # the sentence replies to a question in the source that the asker's matches
W_PHRASE = 0.3  # share of the question's word pairs found side by side in the sentence
W_QUOTED = 0.15  # the sentence holds a phrase the question puts in quotes (orders alike rows)
KEEP_RATIO = 0.5  # further sentences must score this share of the best
COVER_RATIO = 0.4  # … or this share, when they hold question words the others lack:
MIN_GAIN = 0.2  # at least this share of the question's (idf-weighted) words
REPEAT_PENALTY = 0.35  # factor for a sentence the previous answer already gave
VERBLESS_PENALTY = 0.4  # factor for a line without a finite verb (headings, bylines)
MISSING_DETAIL_PENALTY = 0.5  # factor for a sentence without the detail asked for
QUESTION_PENALTY = 0.3  # factor for a question in the source: it asks, it does not answer
ASKED_SECTION_PENALTY = 0.7  # factor for a sentence in a Q&A page's question section
MARKUP_PENALTY = 0.3  # factor for a line that is mostly markup (tables, code, JSON)
MIN_WORDS = 4  # a statement has a subject, a verb and more; shorter lines are labels
SHORT_PENALTY = 0.4  # factor for a line under MIN_WORDS words ("Anonym bruger", "Hej Ole")
MARKUP_SHARE = 0.08  # above this share of markup characters a line is not prose
FIELD_PENALTY = 0.85  # factor for a "Label: value" line: it states a fact without a verb
PARTIAL = 0.7  # a question word found only inside a longer word (compound, derivation)
MIN_STEM = 5  # shorter stems are not looked for inside other words
MAX_STEPS = 8  # most steps quoted after the step that leads
DEFINITIONS = 2  # passages that spell out an asked acronym, added to the candidates
CASE_SHARE = 0.5  # share of a "hvis" question's case words a sentence must state
COMMON_IDF = math.log(2)  # BM25 idf of a word in half the passages: too common to tell
MAX_OPTIONS = 8  # most option lines quoted for "Hvilke … kan man vælge imellem?"
MAX_ROWS = 8  # most rows of a table quoted for a list question
PLACE_WORDS = 10  # a heading or title longer than this is not named in "Under »…« står der:"
# When the lead (with what it brings) holds under FILL_COVER of the question's own words
# (idf-weighted), no sentence answers well: the sentences right after it in its section
# follow, up to FILL_CHARS characters. A passage that matches a question as a whole says
# the answer near its best sentence more often than another passage's sentence that
# happens to share a word (OS2forms tune 0.78 -> 0.79, blind dev 0.44 -> 0.46, RSI equal).
FILL_COVER = 0.5
FILL_CHARS = 380
# In a follow-up, factor for a passage that holds no word of the earlier question
# (OS2forms tune: one follow-up answered, no "switch" item lost).
OFF_TOPIC = 0.5

_ASKS_LIST = re.compile(
    r"^\s*(?:hvilke|nævn|list|which|what\s+are)\b|\bhvilke\s+\w+\s+(?:er|findes|har|kan)\b|"
    # after a preposition ("På hvilke to sider …", "I hvilke kommuner …"), or with a
    # number ("hvilke to …"), "hvilke" asks for several things as well
    r"^\s*(?:på|i|til|med|fra|for|under|af|om|hos)\s+hvilke\b|"
    r"\bhvilke\s+(?:to|tre|fire|fem|seks|syv|otte|\d+)\b|"
    r"\beksempler\b|\bexamples\b|\bhvem\s+sidder\b",
    re.I,
)
# A procedure: "Hvordan …", "How do I …", "Hvad skal administratoren slå til …": the steps.
_ASKS_STEPS = re.compile(
    r"^\s*(?:hvordan|how)\b|\bhvad\s+skal\s+(?:\w+\s+){1,2}(?:gøre|slå|vælge|aktivere|sætte|"
    r"udfylde|klikke|angive|indstille|huske)\b",
    re.I,
)
# "Hvorfor …?" asks for a cause; a sentence that gives one says so.
_ASKS_REASON = re.compile(r"^\s*(?:hvorfor|why)\b|\b(?:årsagen|grunden)\s+til\b", re.I)
_GIVES_REASON = re.compile(
    r"\b(?:fordi|derfor|idet|skyldes|skyldtes|årsag\w*|grunden|på\s+grund\s+af|because|"
    r"therefore|due\s+to)\b|,\s+da\s",
    re.I,
)
# "Hvem …?" asks for a person or a body: a sentence naming a role or a person answers it.
_ASKS_WHO = re.compile(r"^\s*(?:hvem|who)\b", re.I)
_ROLE = re.compile(rf"\b(?:{PERSON_ROLES})", re.I)
# A line of tags or keywords ("Nøgleord: lister dropdown genbrug"): metadata, not a statement.
_METADATA = re.compile(r"^\s*(?:nøgleord|emneord|søgeord|tags?|keywords?|labels?)\s*:", re.I)
# A page's taxonomy fields ("Emne: Formular konfiguration", "Faggruppe: IT"): a few words,
# no verb, no other field after them (a table row "Emne: …; Ansvarlig: …" is text).
_TAXONOMY = re.compile(
    r"^\s*(?:emne|faggruppe|kategori(?:er)?|categor(?:y|ies))\s*:\s*([^;]*)$", re.I
)
_SOURCE_NOTE = re.compile(r"\s*\[\d+\]")  # the source's own footnote marks
_MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_MD_EMPHASIS = re.compile(r"(\*\*|__|`)")
_HTML_BREAK = re.compile(r"<br\s*/?>", re.I)
_ITEM_LABEL = re.compile(r"^\s*#\d+\s*:\s*")  # "#246: …", an issue number before a title
# "Projektafslutning: 15. november 2026", "Dato: 10.11.2025; Milepæl: …", "29.10.2025: Kickoff
# …": a label (a few words or a date) and its value, the way documents and tables state facts.
_FIELD = re.compile(
    r"^\s*(?:[-*•–]\s+)?[\"“«']?(?:[^\W\d_][^:;.!?]{0,40}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})"
    r"\s*:\s+\S"
)
# A label's colon inside a line: "Hardcoded Value: En fast værdi By function: …" (a list
# whose line breaks were lost runs its labels together); a URL's "https:" has no space.
_LABEL_COLON = re.compile(r"[^\W_]\S{0,2}:\s+\S")
_QUOTED_LABEL = re.compile(r"[\"“«]([^\"“”«»]{1,40})[\"”»]:\s")


# A phrase in quotes: straight or typographic double quotes, »…«, or single quotes
# that do not belong to a word ("url'en" is no quote).
_QUOTED = re.compile(
    r'"([^"]{2,80})"|“([^”]{2,80})”|„([^“”]{2,80})[“”]|»([^«]{2,80})«|'
    r"(?<!\w)'([^']{2,80})'(?!\w)"
)


def quoted_phrases(question: str) -> list[str]:
    """The phrases a question quotes, folded ("Alle opgaver" -> "alle opgaver"); only
    those with a letter (a quoted "?" or "&" is a character the asker talks about)."""
    out = []
    for m in _QUOTED.finditer(question):
        phrase = squash(next(g for g in m.groups() if g)).lower().strip()
        if re.search(r"[^\W\d_]", phrase):
            out.append(phrase)
    return out


def _bigrams(text: str) -> set[tuple[str, str]]:
    """Adjacent word pairs that are not both function words ("to regioner", "main branch")."""
    ws = words(text)
    return {
        (a, b) for a, b in zip(ws, ws[1:], strict=False) if not (a in STOPWORDS and b in STOPWORDS)
    }


def asks_for_list(question: str) -> bool:
    """ "Hvilke …", "Nævn …", "eksempler": the answer may list several things."""
    return bool(_ASKS_LIST.search(question))


def asks_for_steps(question: str) -> bool:
    """ "Hvordan …", "Hvad skal man gøre …": the answer is a procedure, its steps in order."""
    return bool(_ASKS_STEPS.search(question))


def _gives_kind(question: str, text: str) -> bool:
    """Does a sentence give what a "hvorfor" or "hvem" question asks for (a cause, a person
    or role)? Without an explicit detail to hold, these only favour a sentence."""
    if _ASKS_REASON.search(question):
        return bool(_GIVES_REASON.search(text))
    if _ASKS_WHO.search(question):
        return bool(_ROLE.search(text)) or bool(person_names(text))
    return False


@dataclass(frozen=True)
class Sentence:
    position: int  # row of the chunk in the index
    k: int  # sentence number inside the chunk; -1: the chunk's section heading

    def text(self, index) -> str:
        chunk = index.chunks[self.position]
        if self.k < 0:
            return chunk.heading
        return chunk.text[slice(*chunk.sentences[self.k])]


@dataclass
class Draft:
    text: str  # with [[chunk_id]] marks
    passages: dict  # chunk id -> (Chunk, score): everything the draft may cite
    lead: Sentence | None = None
    sentences: list[Sentence] = field(default_factory=list)
    statements: list[tuple[str, str]] = field(default_factory=list)  # (quote, title+heading)
    documents: list[str] = field(default_factory=list)  # each statement's document id


# Per question: which of its own words each sentence holds, and the words' weights.
_Coverage = tuple[dict[Sentence, frozenset[int]], list[float]]


@dataclass
class _Row:
    """A candidate sentence while ``Composer.score`` weighs it."""

    score: float
    sentence: Sentence
    match: float  # the question's words it holds (its own and, in a follow-up, earlier ones)
    repeated: bool  # the previous answer gave it
    text: str
    covers: frozenset[int] = frozenset()  # which of the question's own words it holds


def _neighbour(index, s: Sentence, step: int) -> Sentence | None:
    """The sentence just before (-1) or after (+1) in the same document."""
    chunk = index.chunks[s.position]
    if s.k < 0:  # a heading: what follows it is its section
        return Sentence(s.position, 0) if step > 0 and chunk.sentences else None
    k = s.k + step
    if 0 <= k < len(chunk.sentences):
        return Sentence(s.position, k)
    pos = s.position + step
    if not 0 <= pos < len(index.chunks) or index.chunks[pos].doc_id != chunk.doc_id:
        return None
    other = index.chunks[pos]
    if not other.sentences:
        return None
    return Sentence(pos, len(other.sentences) - 1 if step < 0 else 0)


def _is_item(text: str) -> bool:
    return bool(LIST_MARKER.match(text))


def _is_step(text: str) -> bool:
    """A numbered item or a table row ("2. Klik …", "Trin: 2; Handling: …")."""
    return bool(re.match(r"^\s*\d{1,3}[.)]\s", text)) or (is_field(text) and ";" in text)


def announces(text: str) -> bool:
    """Does the sentence announce what follows? It ends in ":", or it breaks off after a
    function word where a list's colon was lost ("For at kunne gøre dette skal du")."""
    text = text.rstrip()
    if text.endswith(":"):
        return True
    last = words(text)[-1:] if text[-1:].isalpha() else []
    return bool(last) and last[0] in DANISH_STOPWORDS


def _bare_field(text: str) -> bool:
    """A table row, or a label whose value is no sentence: it cannot open an answer alone
    ("Trin: 1; Handling: Gå til …"); "Bemærk: Nogle konfigurationer gemmer …" can."""
    if not is_field(text):
        return False
    value = text.split(":", 1)[1].strip()
    return ";" in text or opens_as_fragment(value) or value[-1:] not in ".!"


def is_field(text: str) -> bool:
    """A "Label: value" line or table row: a statement of fact that has no verb."""
    return bool(_FIELD.match(text)) and not text.rstrip().endswith(":")


def _list_head(index, s: Sentence, limit: int = 12) -> Sentence | None:
    """The sentence a list item depends on: the nearest earlier sentence ending in ':'
    (an item may run on over several sentences), else the nearest earlier non-item."""
    cur, fallback = s, None
    for _ in range(limit):
        prev = _neighbour(index, cur, -1)
        if prev is None:
            break
        cur = prev
        text = cur.text(index).rstrip()
        if not re.search(r"[^\W\d_]", text):  # a rule or a bare number: not a head
            continue
        if announces(text):
            return cur
        if fallback is None and not _is_item(text):
            fallback = cur
    return fallback


def _list_items(index, head: Sentence, limit: int = 15) -> list[Sentence]:
    """The list items that follow a head sentence (they may run into later passages);
    only the first sentence of an item that runs on is kept."""
    items: list[Sentence] = []
    cur = head
    for _ in range(limit * 3):
        nxt = _neighbour(index, cur, +1)
        if nxt is None or announces(nxt.text(index)):
            break
        cur = nxt
        if _is_item(cur.text(index)):
            items.append(cur)
            if len(items) >= limit:
                break
        elif not items:
            break
        elif not has_finite_verb(cur.text(index)) or not _continues_item(index, cur):
            break  # a sub-heading or the text after the list: the list has ended
    return items


def _continues_item(index, s: Sentence) -> bool:
    """Is a non-item sentence inside a list (the next item follows it shortly)?"""
    cur = s
    for _ in range(3):
        nxt = _neighbour(index, cur, +1)
        if nxt is None:
            return False
        cur = nxt
        if _is_item(cur.text(index)):
            return True
    return False


def _labels(text: str) -> int:
    """How many "Label: value" pairs a line holds (a row of a table holds none: its
    labels are the columns, "Trin: 2; Handling: …")."""
    if ";" in text or text.rstrip().endswith(":"):
        return 0
    count = len(_LABEL_COLON.findall(text))
    return count if is_field(text) or count >= 2 else 0


def is_option(text: str) -> bool:
    """A line that names one of several options by a label and describes it:
    ""sbsys_ny": her vil data altid …", "Hardcoded Value: En fast værdi". Options are
    distinct names; steps ("Trin: 1; Handling: …") are rows of one table."""
    return _labels(text) > 0


def _same_section(index, a: Sentence, b: Sentence) -> bool:
    ca, cb = index.chunks[a.position], index.chunks[b.position]
    return ca.doc_id == cb.doc_id and ca.heading == cb.heading


def _columns(text: str) -> tuple[str, ...]:
    """The column labels of a table row ("Trin: 2; Handling: …" -> ("trin", "handling"))."""
    return tuple(cell.split(":", 1)[0].strip().lower() for cell in text.split(";") if ":" in cell)


# A sentence that gives an example of the one before it ("Fx opgave", "F.eks.: …").
_EXAMPLE_OPENER = re.compile(r"^(?:fx|f\.\s?eks|eks|eksempelvis|e\.g)\.?:?\s", re.I)


def table_rows(index, s: Sentence, limit: int = MAX_ROWS) -> list[Sentence]:
    """The rows of the table ``s`` is a row of, in order: the lines around it in its
    section with the same columns."""
    columns = _columns(s.text(index))
    if len(columns) < 2:
        return [s]

    def same(x: Sentence | None) -> bool:
        return x is not None and _same_section(index, x, s) and _columns(x.text(index)) == columns

    first = s
    while same(prev := _neighbour(index, first, -1)):
        assert prev is not None
        first = prev
    rows = [first]
    while len(rows) < limit and same(nxt := _neighbour(index, rows[-1], +1)):
        assert nxt is not None
        rows.append(nxt)
    return rows if s in rows else [s]


def option_run(index, s: Sentence, limit: int = MAX_OPTIONS) -> tuple[Sentence | None, list]:
    """The enumeration an option line belongs to: its head (the sentence before the first
    option, in the same section) and its option lines in order. A sentence that describes
    an option further may stand between two options ("Hvis en eksisterende sag findes …")."""
    if not is_option(s.text(index)):
        return None, []

    def step(cur: Sentence, direction: int) -> Sentence | None:
        """The next option line in ``direction``, over at most one describing sentence."""
        nxt = _neighbour(index, cur, direction)
        if nxt is None or not _same_section(index, nxt, s):
            return None
        if is_option(nxt.text(index)):
            return nxt
        further = _neighbour(index, nxt, direction)
        if (
            further is not None
            and _same_section(index, further, s)
            and is_option(further.text(index))
            and has_finite_verb(nxt.text(index))
            and not announces(nxt.text(index))
        ):
            return further
        return None

    first = s
    for _ in range(limit):
        prev = step(first, -1)
        if prev is None:
            break
        first = prev
    options = [first]
    while len(options) < limit:
        nxt = step(options[-1], +1)
        if nxt is None:
            break
        options.append(nxt)
    head = _neighbour(index, first, -1)
    if head is not None and (
        not _same_section(index, head, s) or not re.search(r"[^\W\d_]", head.text(index))
    ):
        head = None
    return head, options


def _label_noun(text: str) -> str:
    """What a label names, to tell options from records: its last word without numbers
    ("Acceptkriterie 1" and "MVP acceptkriterie" both name an "acceptkriterie"; "Fix:"
    opening line after line is a record's field); a date stays itself."""
    label = clean(text).split(":", 1)[0].lower()
    plain = re.sub(r"[\d\W_]+", " ", label).split()
    return plain[-1] if plain else label


def _names_enumeration(text: str) -> bool:
    """A short line without a verb just before an enumeration's head is its name, a
    heading the conversion to text kept as a line ("Afleveringsregler", "Leveringsformer")."""
    text = clean(text)
    return 0 < len(text.split()) < MIN_WORDS and not has_finite_verb(text) and text[-1:] != ":"


def option_labels(text: str) -> list[str]:
    """The names of the options a line gives: its quoted labels, else its one label."""
    quoted = _QUOTED_LABEL.findall(text)
    if quoted:
        return quoted
    if _labels(text) == 1:
        return [clean(text).split(":", 1)[0].strip(' "“”«»')]
    return []


_QUESTION_OPENER = re.compile(
    r"^(?:hvordan|hvad|hvorfor|hvem|hvilke|hvilken|hvilket|hvor|hvornår|kan\s+man|er\s+der|"
    r"how|what|why|who|which|where|when)\b",
    re.I,
)


def is_question(text: str) -> bool:
    """A sentence that asks (ends in '?' or opens with an interrogative) states nothing."""
    text = clean(text)
    return text.endswith("?") or bool(_QUESTION_OPENER.match(text))


def markup_share(text: str) -> float:
    """Share of characters that are neither letters, digits, spaces nor ordinary punctuation."""
    if not text:
        return 1.0
    if text.count("|") >= 2:  # a table row
        return 1.0
    if _METADATA.match(text):  # "Nøgleord: …": the page's tags, not its text
        return 1.0
    taxonomy = _TAXONOMY.match(text)
    if taxonomy and len(taxonomy.group(1).split()) <= 6 and not has_finite_verb(taxonomy.group(1)):
        return 1.0
    plain = sum(c.isalnum() or c.isspace() or c in ".,;:!?()-–'\"«»/%" for c in text)
    return 1 - plain / len(text)


def clean(text: str) -> str:
    """Answer text from a source sentence: no list marker, footnote mark or Markdown."""
    text = LIST_MARKER.sub("", text)
    text = _SOURCE_NOTE.sub("", text)
    text = _MD_LINK.sub(lambda m: m.group(1), text)
    text = _MD_EMPHASIS.sub("", text)
    text = _HTML_BREAK.sub(" ", text)
    text = _ITEM_LABEL.sub("", text)
    return " ".join(text.split()).strip()


# A table row keyed by a number or a date, with one more column: "Trin: 3; Handling:
# Vælg opgave", "Dato: 08.10.2025; Milepæl: Projektet fremlagt", "Uge: Uge 41;
# Aktivitet: Test". A writer puts the key first and the rest after a colon ("Trin 3:
# Vælg opgave", "08.10.2025: Projektet fremlagt", "Uge 41: Test"); a number column
# headed "#" or "Nr." numbers the row ("3. Vælg opgave").
_KEYED_ROW = re.compile(
    r"^(?P<label>[^\W\d_][\w.]*|#):\s*(?P<key>[^;:]+?);\s*[^;:]+?:\s*(?P<value>[^;]+)$"
)
_ROW_NUMBER = re.compile(r"(?P<n>\d{1,3})\.?")
_ROW_DATE = re.compile(r"\d{1,2}[./-]\d{1,2}[./-]\d{2,4}|\d{4}-\d{2}-\d{2}")
_NUMBER_LABELS = frozenset({"#", "nr", "nr.", "no", "no.", "nummer"})


def readable_row(text: str) -> str:
    """A keyed table row as a writer puts it; any other text as it is."""
    m = _KEYED_ROW.match(text)
    if not m:
        return text
    label, key, value = m["label"], m["key"], m["value"]
    if number := _ROW_NUMBER.fullmatch(key):
        if label.lower() in _NUMBER_LABELS:
            return f"{number['n']}. {value}"
        return f"{label} {number['n']}: {value}"
    numbered = key.lower().startswith(f"{label.lower()} ") and _ROW_NUMBER.fullmatch(
        key[len(label) + 1 :]
    )
    if _ROW_DATE.fullmatch(key) or numbered:
        return f"{key}: {value}"
    return text


def _with_mark(text: str, chunk_id: str) -> str:
    text = readable_row(clean(text))
    if not text:
        return ""
    if text[-1] in ".!":
        return f"{text[:-1]}{mark(chunk_id)}{text[-1]}"
    if text[-1] in "?:;,":
        return f"{text[:-1]}{mark(chunk_id)}."
    return f"{text}{mark(chunk_id)}."


def _share(weights, toks: set[str], exclude: set[str] | None = None) -> float:
    """Idf-weighted matched weight; a split compound counts by the share of its parts
    present ("driftsstyregruppen" is fully there only where "drift" and "styregruppe" are)."""
    got = 0.0
    for matches, w, parts in weights:
        if exclude is not None and (matches & exclude or _inside(matches, exclude)):
            continue
        if parts:
            got += w * sum(p in toks for p in parts) / len(parts)
        elif matches & toks:
            got += w
        elif _inside(matches, toks):
            got += w * PARTIAL
    return got


def _inside(matches: set[str], toks: set[str]) -> bool:
    """Is a question word's stem part of a longer word here? Danish builds words by
    compounding and derivation: "afsluttes" lives in "projektafslutning", "vedhæftede"
    in "vedhæftninger", "rolle" in "nøgleroller"."""
    return any(len(m) >= MIN_STEM and m in t for m in matches for t in toks if len(t) > len(m))


class Composer:
    """Writes one answer from one retrieval (stateless between questions)."""

    def __init__(self, index, settings):
        from assistant.retrieval import lead_headings

        self.index = index
        self.cfg = settings.answer
        self.top_k = settings.retrieval.top_k
        self.leads = lead_headings(index.chunks)

    # --- scoring ---------------------------------------------------------------------

    def _weights(self, terms) -> list[tuple[set[str], float, tuple[str, ...]]]:
        bm25 = self.index.bm25
        out = []
        for t in terms:
            matches = set(t.matches)
            if not matches and len(t.stem) >= MIN_STEM:
                # No indexed word is this word, but it may live inside some ("afsluttes"
                # in "projektafslutning"): it counts where it does.
                matches = {t.stem} if self._inside_vocabulary(t.stem) else set()
            if matches:
                out.append((matches, max(bm25.idf(m) for m in matches), t.parts))
        return out

    @functools.cached_property
    def _ordinary_words(self) -> frozenset[str]:
        """Words the sources write in lower case somewhere (so not names)."""
        return frozenset(w for chunk in self.index.chunks for w in _LOWER_WORD.findall(chunk.text))

    def _inside_vocabulary(self, stem: str) -> bool:
        return any(stem in tok for tok in self.index.bm25.vocab.tokens if len(tok) > len(stem))

    def _written_apart(self, question: str, known: set[str]) -> list:
        """Compounds the question writes as two words ("kick off", "måneds navnene"), a
        common Danish misspelling: their joined stem, when the index knows it."""
        vocab = self.index.bm25.vocab
        ws = words(question)
        out = []
        for a, b in zip(ws, ws[1:], strict=False):
            if a in STOPWORDS or not a.isalpha() or not b.isalpha():
                continue
            stems = analyze(a + b)
            if stems and stems[0] in vocab.tokens and stems[0] not in known:
                known.add(stems[0])
                # It stands for both words the question wrote, and weighs as both.
                out.append(({stems[0]}, 2 * self.index.bm25.idf(stems[0]), ()))
        return out

    def score(self, retrieval, previous_answer: str | None) -> list[tuple[float, Sentence]]:
        return self._score(retrieval, previous_answer)[0]

    def _candidates(self, retrieval) -> list[tuple[int, Hit]]:
        """The passages to quote from, with their rank: the ``top_k`` hits, then the
        passages just before and after each hit in the same section (ranked one below
        it). Chunks are small: a section's answer often runs on into the next chunk,
        which ranks low for lack of the question's words (OS2forms tune split: fact
        recall 0.71 -> 0.74; RSI unchanged)."""
        hits = retrieval.hits[: self.top_k]
        out = list(enumerate(hits))
        have = {h.position for h in hits}
        chunks = self.index.chunks
        for rank, hit in enumerate(hits):
            for pos in (hit.position - 1, hit.position + 1):
                if pos in have or not 0 <= pos < len(chunks):
                    continue
                other = chunks[pos]
                if other.doc_id != hit.chunk.doc_id or other.heading != hit.chunk.heading:
                    continue
                have.add(pos)
                out.append((rank + 1, Hit(other, pos, hit.score)))
        out += self._definitions(retrieval.question, have, hits[0].score if hits else 0.0)
        return out

    def _definitions(self, question: str, have: set[int], score: float) -> list[tuple[int, Hit]]:
        """For "Hvad står X for?": the passages that spell the acronym out ("Xyz Abc (XA)").

        An acronym stands in nearly every passage of a document about it, so ranking
        cannot single out the one that defines it: the definition is looked up."""
        acronym = asked_acronym(question)
        if not acronym:
            return []
        found: list[tuple[int, Hit]] = []
        for pos, chunk in enumerate(self.index.chunks):
            if pos in have or acronym not in chunk.text or not spells_out(acronym, chunk.text):
                continue
            found.append((0, Hit(chunk, pos, score)))
            if len(found) == DEFINITIONS:
                break
        return found

    def _score(self, retrieval, previous_answer: str | None) -> tuple[list, _Coverage]:
        """Scored sentences, best first, and which question words each one holds."""
        index = self.index
        own = self._weights(retrieval.own_terms or retrieval.terms)
        known = set().union(*(m for m, _, _ in own)) if own else set()
        own += self._written_apart(retrieval.question, known)
        previous_words = [
            t for t in retrieval.terms if t.stem not in {o.stem for o in retrieval.own_terms}
        ]
        prev = self._weights(previous_words) if retrieval.followup else []
        if not own:  # "Hvad laver det?": the earlier question's words decide
            own, prev = prev, []
        own_total = sum(w for _, w, _ in own) or 1.0
        prev_total = sum(w for _, w, _ in prev) or 1.0
        bigrams = _bigrams(retrieval.question)
        quoted = [
            re.compile(rf"(?<!\w){re.escape(q)}(?!\w)") for q in quoted_phrases(retrieval.question)
        ]
        kind = expected_detail(retrieval.question)
        want_list = asks_for_list(retrieval.question)
        # The case a "hvis …" question asks about: its words, less those most passages
        # hold (the corpus's own subject, "RSI", tells no case apart).
        bm25 = index.bm25
        case = {w for w in condition_words(retrieval.question) if bm25.idf(w) > COMMON_IDF}
        case_negated = negated_condition(retrieval.question)
        given = squash(previous_answer or "")
        given = _SOURCE_NOTE.sub("", given)
        rows: list[_Row] = []
        seen_headings: set[str] = set()
        for rank, hit in self._candidates(retrieval):
            chunk = hit.chunk
            context = set(analyze(f"{chunk.title} {chunk.heading}"))
            off_topic = False
            if prev and OFF_TOPIC < 1:
                passage = context | set(analyze(chunk.text))
                off_topic = _share(prev, passage) == 0
            asked_section = is_asked_section(clean(chunk.heading))
            ks = list(range(len(chunk.sentences)))
            heading = clean(chunk.heading)
            if (
                heading
                and heading != clean(chunk.title)
                and heading not in seen_headings
                and len(heading.split()) >= 4
                and has_finite_verb(heading)
            ):
                seen_headings.add(heading)  # a heading that says something is a sentence too
                ks.insert(0, -1)
            for k in ks:
                s = Sentence(hit.position, k)
                text = s.text(index)
                if not re.search(r"[^\W\d_]", clean(text)):  # a rule, a number: no words
                    continue
                toks = set(analyze(text))
                enumeration = self.enumeration(s) if want_list else None
                if enumeration:  # the options answer with their head, as one
                    head, options = enumeration
                    for o in ([head] if head else []) + options:
                        toks.update(analyze(o.text(index)))
                    name = _neighbour(index, head, -1) if head else None
                    if name is not None and _names_enumeration(name.text(index)):
                        toks.update(analyze(name.text(index)))
                near = set(context)
                for step in (-1, 1):
                    n = _neighbour(index, s, step)
                    if n is not None and n.position == s.position:
                        near.update(analyze(n.text(index)))
                lexical = _share(own, toks) / own_total
                ctx = _share(own, near, exclude=toks) / own_total
                topic = _share(prev, toks) / prev_total if prev else 0.0
                score = lexical + W_CONTEXT * ctx + W_RANK / (1 + rank) + W_PREVIOUS * topic
                before = _neighbour(index, s, -1)
                if before is not None and is_question(before.text(index)) and not asked_section:
                    # The source asks a question and this sentence replies (a FAQ, a Q&A
                    # page, "Hvorfor …? Fordi …"): as far as that question is the asker's,
                    # this is the answer to it (not in a Q&A page's question section: the
                    # asker goes on describing the problem there).
                    asked = _share(own, set(analyze(before.text(index)))) / own_total
                    score += W_ANSWERS * asked
                folded = squash(clean(text)).lower() if quoted else ""
                if any(q.search(folded) for q in quoted):
                    # The asker quotes a label ("menupunktet "Alle opgaver""): the line
                    # that holds it as written is the one about it.
                    score += W_QUOTED
                if bigrams:  # the question's words in the same order, side by side
                    score += W_PHRASE * len(bigrams & _bigrams(text)) / len(bigrams)
                if kind and self._holds(kind, text, retrieval):
                    score += W_DETAIL
                elif kind:  # it cannot answer what was asked
                    score *= MISSING_DETAIL_PENALTY
                elif _gives_kind(retrieval.question, text) or enumeration:
                    score += W_KIND
                if (
                    case
                    and len(case & condition_words(text)) >= CASE_SHARE * len(case)
                    and negated_condition(text) == case_negated
                ):
                    # it states the case asked about (half its words, at least)
                    score += W_KIND
                if is_field(text) and not has_finite_verb(text):
                    score *= FIELD_PENALTY
                elif not _is_item(text) and not has_finite_verb(text):
                    score *= VERBLESS_PENALTY
                if asked_section:  # a Q&A page's question: it states the problem
                    score *= ASKED_SECTION_PENALTY
                if is_question(text):
                    score *= QUESTION_PENALTY
                if len(clean(text).split()) < MIN_WORDS and not _is_item(text):
                    score *= SHORT_PENALTY
                if markup_share(text) > MARKUP_SHARE:
                    score *= MARKUP_PENALTY
                if off_topic:
                    score *= OFF_TOPIC
                repeated = bool(given) and bool(clean(text)) and squash(clean(text)) in given
                covers = frozenset(i for i, w in enumerate(own) if _share([w], toks) > 0)
                rows.append(_Row(score, s, lexical + topic, repeated, text, covers))
        # A sentence the previous answer gave is not given again, unless it is the answer:
        # nothing new holds as much of the question, and it is not the same figure asked
        # for again ("Og hvor mange kører nu?" after "40 er gennemført" wants another number).
        fresh = max((r.match for r in rows if not r.repeated), default=0.0)
        for r in rows:
            if not r.repeated:
                continue
            same_figure = kind is not None and has_detail(kind, r.text, retrieval.question)
            if r.match <= fresh or same_figure:
                r.score *= REPEAT_PENALTY
        coverage = ({r.sentence: r.covers for r in rows}, [w for _, w, _ in own])
        out = [(r.score, r.sentence) for r in rows]
        out.sort(key=lambda p: (-p[0], p[1].position, p[1].k))
        return out, coverage

    @staticmethod
    def _gain(coverage: _Coverage, chosen: list[Sentence], group: list[Sentence]) -> float:
        """Share of the question's own words (idf-weighted) that ``group`` adds to the
        sentences already chosen: an answer that spans two passages needs both."""
        covers, weights = coverage
        have = set().union(*(covers.get(s, frozenset()) for s in chosen))
        new = set().union(*(covers.get(s, frozenset()) for s in group)) - have
        return sum(weights[i] for i in new) / (sum(weights) or 1.0)

    def enumeration(self, s: Sentence) -> tuple[Sentence | None, list[Sentence]] | None:
        """The head and option lines of the enumeration ``s`` belongs to, when it names
        at least two options ("Hvilke … kan man vælge imellem?" is answered by them)."""
        head, options = option_run(self.index, s)
        if sum(_labels(o.text(self.index)) for o in options) < 2:
            return None
        names = [_label_noun(o.text(self.index)) for o in options]
        if len(set(names)) < len(names):  # "Fix: …", "Fix: …": records, not options
            return None
        return head, options

    def _holds(self, kind: str, text: str, retrieval) -> bool:
        """Does a sentence hold the detail asked for? A count must count the asked noun."""
        if kind == "count" and not looks_english(retrieval.question):
            nouns = set(count_nouns(retrieval.question))
            stems = set().union(*(set(t.matches) for t in retrieval.own_terms if t.word in nouns))
            return states_count(text, retrieval.question, stems)
        return has_detail(kind, text, retrieval.question)

    # --- groups: a sentence with the context it needs -----------------------------------

    def group(self, s: Sentence, want_list: bool) -> list[Sentence]:
        """The sentence with what it depends on (list head, the sentence it leans on)
        and, for a head ending in ':', its items when a list is wanted."""
        index = self.index
        if s.k == -1 and index.chunks[s.position].sentences:
            # A heading announces its section: it is quoted with the first sentence
            # under it ("Ændre listen …" is the topic, "Ændres under Besvarelser: …"
            # what it says), as a head is with its list; only when this passage opens
            # the section, and without what that sentence leans on outside it.
            chunk = index.chunks[s.position]
            above = index.chunks[s.position - 1] if s.position > 0 else None
            opens = above is None or (above.doc_id, above.heading, above.parents) != (
                chunk.doc_id,
                chunk.heading,
                chunk.parents,
            )
            if not opens:
                return [s]
            first = self.group(Sentence(s.position, 0), want_list)
            return [s, *(x for x in first if x.position == s.position)]
        text = s.text(index)
        before: list[Sentence] = []
        after: list[Sentence] = []
        if _is_item(text):
            head = _list_head(index, s)
            heads = head is not None and announces(head.text(index))
            if head is not None and heads and want_list:
                return [head] + _list_items(index, head)
            # A head that does not announce the list ("… :") is only a guess; an item that
            # is a whole sentence ("Test CPR nr. 1012628000 … har børn.") does without it.
            if head is not None and (heads or opens_as_fragment(clean(text))):
                before.append(head)
        elif (
            DEPENDENT_OPENERS.match(clean(text))
            or LEANS_BACK.search(text)
            or (clean(text)[:1].islower())
        ):
            prev = _neighbour(index, s, -1)
            if (
                prev is not None
                and not _is_item(prev.text(index))
                and markup_share(prev.text(index)) <= MARKUP_SHARE
            ):
                before.append(prev)
                if DEPENDENT_OPENERS.match(clean(prev.text(index))):
                    grand = _neighbour(index, prev, -1)
                    if grand is not None:
                        before.insert(0, grand)
        # A sentence right after an item runs that item on ("1. Skolebestyrelsen som …
        # Skolebestyrelsen er det øverste råd …"): the items after it are the
        # list's next ones, not its own, unless it announces them.
        prev = _neighbour(index, s, -1)
        runs_on = prev is not None and _is_item(prev.text(index)) and not announces(text)
        if runs_on and want_list and prev is not None:
            # A list is asked for: the list, this sentence after the item it runs on;
            # when that is too long, the list without it (the list is what was asked);
            # when even the list is too long, that item with its head.
            listed = self.group(prev, True)
            if prev in listed and s not in listed:
                at = listed.index(prev) + 1
                whole = listed[:at] + [s] + listed[at:]
                for option in (whole, listed):
                    if sum(len(x.text(index)) for x in option) <= self.cfg.max_chars:
                        return option
                return [*self.group(prev, False), s]
        items = _list_items(index, s) if not _is_item(text) and not runs_on else []
        if items and (want_list or announces(text)):
            after.extend(items)  # a head brings its items
        elif announces(text):  # a colon announces what follows: quote it too
            nxt = _neighbour(index, s, +1)
            if nxt is not None and markup_share(nxt.text(index)) <= MARKUP_SHARE:
                after.append(nxt)
        else:
            after += self._example_after(s)
        return before + [s] + after

    def _example_after(self, s: Sentence) -> list[Sentence]:
        """The example that illustrates ``s`` right after it ("Fx opgave"; "eks." alone on
        a line, then the example), or nothing."""
        index = self.index
        nxt = _neighbour(index, s, +1)
        if nxt is None:
            return []
        if _EXAMPLE_OPENER.match(nxt.text(index)):
            return [nxt]
        if EXAMPLE_MARKER.match(nxt.text(index)):
            example = _neighbour(index, nxt, +1)  # "eks." alone: the example follows
            if example is not None and not EXAMPLE_MARKER.match(example.text(index)):
                return [nxt, example]
        return []

    # --- writing --------------------------------------------------------------------------

    def _render(self, sentences: list[Sentence], budget: int, want_list: bool = False) -> str:
        """Sentences in document order; list items joined after their head."""
        index = self.index
        parts: list[str] = []
        i = 0
        while i < len(sentences):
            s = sentences[i]
            text = s.text(index)
            chunk_id = index.chunks[s.position].chunk_id
            if (
                not _is_item(text)
                and i + 1 < len(sentences)
                and _is_item(sentences[i + 1].text(index))
                and (
                    announces(text)
                    or want_list
                    and _list_head(index, sentences[i + 1]) == s
                    and opens_as_fragment(clean(sentences[i + 1].text(index)))
                )
            ):
                items = []
                j = i + 1
                while j < len(sentences) and _is_item(sentences[j].text(index)):
                    items.append(sentences[j])
                    j += 1
                head = clean(text)
                if head and head[-1] not in ":":
                    head = head.rstrip(".") + ":"
                texts = [clean(it.text(index)).rstrip(".;,") for it in items]
                ids = [chunk_id] + [index.chunks[it.position].chunk_id for it in items]
                marks = "".join(mark(c) for c in dict.fromkeys(ids))
                kept: list[str] = []
                for t in texts:
                    if kept and len(head) + sum(len(x) + 2 for x in kept) + len(t) > budget:
                        break
                    kept.append(t)
                long_items = any(len(t) > 80 for t in kept)
                if len(kept) == 1:
                    listed = kept[0]
                elif long_items:
                    listed = "; ".join(kept)
                else:
                    listed = ", ".join(kept[:-1]) + " og " + kept[-1]
                parts.append(f"{head} {listed}{marks}.")
                i = j
                continue
            piece = _with_mark(text, chunk_id)
            if piece:
                parts.append(piece)
            i += 1
        return " ".join(parts)

    def compose(self, retrieval, previous_answer: str | None = None) -> Draft:
        index = self.index
        passages = {h.chunk.chunk_id: (h.chunk, h.score) for _, h in self._candidates(retrieval)}
        scored, coverage = self._score(retrieval, previous_answer)
        if not scored:
            return Draft("", passages)
        want_list = asks_for_list(retrieval.question)
        budget = self.cfg.max_chars if want_list else self.cfg.target_chars

        # The lead: the best sentence whose group can open an answer, or a "Label: value"
        # line introduced by where it stands; none: nothing to say.
        lead = lead_group = None
        framed = ""
        options: list[Sentence] = []
        for _, cand in scored:
            enumeration = self.enumeration(cand) if want_list else None
            if enumeration and markup_share(cand.text(index)) <= MARKUP_SHARE:
                head, options = enumeration
                lead = cand
                if head is not None and self._opens(head):
                    lead_group = [head, *options]
                else:
                    lead_group = list(options)
                    framed = wording.quoted_from(self._place(options[0]))
                break
            group = self.group(cand, want_list)
            opening = clean(group[0].text(index))
            if opening.endswith(":") and len(group) > 1:  # "Label: item …" reads as one
                opening = f"{opening} {clean(group[1].text(index))}"
            if markup_share(cand.text(index)) > MARKUP_SHARE:
                continue
            if (
                not opens_as_fragment(opening)
                and len(opening.split()) >= MIN_WORDS
                and not _bare_field(opening)
            ):
                lead, lead_group = cand, group
                break
            if is_field(cand.text(index)) and len(clean(cand.text(index)).split()) >= 2:
                lead, lead_group = cand, [cand]
                framed = wording.quoted_from(self._place(cand))
                break
        if lead is None:
            return Draft("", passages)
        assert lead_group is not None  # set together with lead
        if want_list and not options and lead_group[0] == lead and ";" in lead.text(index):
            # A list is asked for and a table row leads: the table's rows are the list
            # (an example after the row gives way to them).
            rows: list[Sentence] = []
            size = 0
            for row in table_rows(index, lead):
                size += len(row.text(index)) + 1
                if size > budget and rows:
                    break
                rows.append(row)
            if lead in rows and len(rows) > 1:
                lead_group = rows
                framed = framed or wording.quoted_from(self._place(lead))
        if asks_for_steps(retrieval.question) and _is_step(lead.text(index)):
            budget = self.cfg.max_chars - len(framed)
            lead_group = self._steps_before(lead_group[0], lead_group, budget) + lead_group
            lead_group = lead_group + self._steps_after(
                lead_group[-1], lead_group, budget, retrieval
            )
        if lead_group == [lead]:  # a row alone: the example after it says what to write
            lead_group = [lead, *self._example_after(lead)]
        best = next(sc for sc, s in scored if s == lead)
        if (
            not options
            and not framed
            and not want_list
            and self._gain(coverage, [], lead_group) < FILL_COVER
        ):
            # No sentence answers well: the lead's passage says more right after it.
            budget = max(budget, FILL_CHARS)
            lead_group = lead_group + self._run_on(lead_group, budget)
        chosen = list(lead_group)
        length = sum(len(s.text(index)) for s in chosen)
        for sc, cand in scored:
            if len({*chosen}) >= self.cfg.max_sentences + len(lead_group) - 1:
                break
            if cand in chosen or sc < COVER_RATIO * best:
                continue
            if sc < KEEP_RATIO * best and self._gain(coverage, chosen, [cand]) < MIN_GAIN:
                continue
            ctext = cand.text(index)
            if (
                not has_finite_verb(ctext)
                and not _is_item(ctext)
                and not is_field(ctext)
                or markup_share(ctext) > MARKUP_SHARE
            ):
                continue
            group = [g for g in self.group(cand, want_list) if g not in chosen]
            extra = sum(len(g.text(index)) for g in group)
            if length + extra > budget and want_list and _is_item(ctext):
                # A list too long to add whole: the item that matched, with its head.
                group = [g for g in self.group(cand, False) if g not in chosen]
                extra = sum(len(g.text(index)) for g in group)
            if length + extra > budget:
                continue
            chosen += group
            length += extra
        # The lead's group first; then the others in document order. Items that continue
        # the lead's list stay with it; a sentence quoted twice (repeated in the source) once.
        rest = sorted((s for s in chosen if s not in lead_group), key=lambda s: (s.position, s.k))
        lead_group = list(lead_group)
        while (
            rest
            and _neighbour(index, lead_group[-1], +1) == rest[0]
            and _is_item(rest[0].text(index))
        ):
            lead_group.append(rest.pop(0))
        seen = {clean(s.text(index)) for s in lead_group}
        unique = []
        for s in rest:
            if clean(s.text(index)) not in seen:
                seen.add(clean(s.text(index)))
                unique.append(s)
        rest = unique
        ordered = lead_group + rest
        for s in ordered:
            chunk = index.chunks[s.position]
            passages.setdefault(chunk.chunk_id, (chunk, 0.0))
        if options:
            text = self._render_options(lead_group, budget)
        else:
            text = self._render(lead_group, budget, want_list)
        # "Under »X« står der:" introduces what follows it: quoted sentences from another
        # section are introduced by where they stand, or they would be said to stand there.
        place = self._place(lead) if framed else None
        for run_place, run in self._runs(rest, place):
            more = self._render(run, max(0, budget - shown_length(text)), want_list)
            if not more:
                continue
            if run_place is not None and run_place != place:
                more = f"{wording.quoted_from(run_place)} {more}"
            if shown_length(text) + shown_length(more) <= self.cfg.max_chars:
                text = f"{text} {more}"
                place = run_place
        text = merge_marks(text)
        if framed:
            text = f"{framed} {text}"
        text = self._lead_in(
            retrieval.question, text, lead, framed=bool(framed), previous=retrieval.previous
        )
        statements = [(clean(s.text(index)), self._context(s)) for s in ordered]
        documents = [index.chunks[s.position].doc_id for s in ordered]
        return Draft(text, passages, lead, ordered, statements, documents)

    def _run_on(self, group: list[Sentence], budget: int) -> list[Sentence]:
        """The sentences right after ``group`` in its section, in order, as far as they fit
        in ``budget`` characters with it. It stops at what is not the passage's prose: a
        question (the next FAQ entry), markup (a table, code) or a short line that is no
        full sentence with a verb and a full stop (a signature "Vh. Simon", a heading, a
        byline "Anonym bruger", where the noun "bruger" reads as a verb); a rule or bare
        number is passed."""
        index = self.index
        length = sum(len(clean(x.text(index))) for x in group)
        out: list[Sentence] = []
        cur = group[-1]
        while True:
            nxt = _neighbour(index, cur, +1)
            if nxt is None or not _same_section(index, nxt, group[-1]) or nxt in group:
                break
            text = nxt.text(index)
            if not re.search(r"[^\W\d_]", clean(text)):
                cur = nxt
                continue
            if (
                markup_share(text) > MARKUP_SHARE
                or is_question(text)
                or (
                    len(clean(text).split()) < MIN_WORDS
                    and not _is_item(text)
                    and not (has_finite_verb(text) and clean(text).endswith((".", "!")))
                )
            ):
                break
            size = len(clean(text))
            if length + size > budget:
                break
            out.append(nxt)
            length += size
            cur = nxt
        return out

    def _opens(self, s: Sentence) -> bool:
        """Can this sentence open an answer on its own?"""
        text = clean(s.text(self.index))
        return (
            not opens_as_fragment(text)
            and len(text.split()) >= MIN_WORDS
            and not _bare_field(text)
            and not is_question(text)
            and markup_share(s.text(self.index)) <= MARKUP_SHARE
        )

    def _render_options(self, group: list[Sentence], budget: int) -> str:
        """An enumeration: its head and option lines quoted whole when they fit in
        ``budget``; else the head and the options' names ("… til SBSYS: sbsys_ny, …")."""
        index = self.index
        whole = self._render(group, budget)
        if shown_length(whole) <= budget:
            return whole
        head = [] if is_option(group[0].text(index)) else [group[0]]
        options = group[len(head) :]
        labels = [label for o in options for label in option_labels(o.text(index))]
        if len(labels) < 2:
            return whole
        ids = [index.chunks[s.position].chunk_id for s in group]
        marks = "".join(mark(c) for c in dict.fromkeys(ids))
        listed = ", ".join(labels[:-1]) + " og " + labels[-1]
        if not head:
            return f"{listed}{marks}."
        opening = clean(head[0].text(index)).rstrip(".:;, ")
        return f"{opening}: {listed}{marks}."

    def _steps_before(self, s: Sentence, have: list[Sentence], budget: int) -> list[Sentence]:
        """The steps of the same procedure before the step that leads, in order: a "how"
        question is answered from the procedure's start ("Gå til Indstillinger", "Fold
        skabelon ud" before "Vælg din ønskede standard …"), as far as they fit in
        ``budget`` characters with the sentences already chosen (the nearest first)."""
        index = self.index
        length = sum(len(clean(x.text(index))) for x in have)
        steps: list[Sentence] = []
        cur = s
        for _ in range(MAX_STEPS):
            prev = _neighbour(index, cur, -1)
            if prev is None or not _is_step(prev.text(index)) or not _same_section(index, prev, s):
                break
            if markup_share(prev.text(index)) > MARKUP_SHARE:
                break
            size = len(clean(prev.text(index)))
            if length + size > budget:
                break
            steps.insert(0, prev)
            length += size
            cur = prev
        return steps

    def _steps_after(
        self, s: Sentence, have: list[Sentence], budget: int, retrieval=None
    ) -> list[Sentence]:
        """The steps that follow a step of a procedure (numbered items or table rows), in
        order. When they do not all fit in ``budget`` characters with the sentences already
        chosen, the steps that hold the question's words or name the action it asks about
        ("slå til" / "Aktivér …") go first, then the others from the top; each step keeps
        its number, so a step left out shows."""
        index = self.index
        length = sum(len(clean(x.text(index))) for x in have)
        steps: list[Sentence] = []
        cur = s
        for _ in range(MAX_STEPS):
            nxt = _neighbour(index, cur, +1)
            if nxt is not None and not _is_step(nxt.text(index)):
                # A sentence between two steps is the rest of the step before it (a
                # table cell or list item may hold several sentences): it runs that
                # step on, and the steps after it still follow.
                after = _neighbour(index, nxt, +1)
                if after is None or not _is_step(after.text(index)):
                    break
            if nxt is None:
                break
            if markup_share(nxt.text(index)) > MARKUP_SHARE:
                break
            steps.append(nxt)
            cur = nxt
        sizes = [len(clean(x.text(index))) for x in steps]
        if length + sum(sizes) <= budget or retrieval is None:
            kept: list[Sentence] = []
            for x, size in zip(steps, sizes, strict=True):
                if length + size > budget:
                    break
                kept.append(x)
                length += size
            return kept
        own = self._weights(retrieval.own_terms or retrieval.terms)
        asked = [
            x
            for x in steps
            if _share(own, set(analyze(x.text(index)))) > 0
            or same_action(retrieval.question, x.text(index))
        ]
        order = asked + [x for x in steps if x not in asked]
        kept_set: set[Sentence] = set()
        for x in order:
            size = len(clean(x.text(index)))
            if length + size <= budget:
                kept_set.add(x)
                length += size
        return [x for x in steps if x in kept_set]

    def _context(self, s: Sentence) -> str:
        """What a quoted sentence is about: its page's title and first heading (what the
        whole page is about: ``retrieval.lead_headings``), its heading path and the
        sentence before it."""
        chunk = self.index.chunks[s.position]
        before = _neighbour(self.index, s, -1)
        prev = before.text(self.index) if before is not None else ""
        lead = self.leads.get(chunk.doc_id, "")
        lead = "" if lead in (chunk.title, chunk.heading) else lead
        return f"{chunk.title} {lead} {chunk.path()} {prev}"

    def _runs(self, sentences: list[Sentence], framed: str | None) -> list[tuple[str | None, list]]:
        """``sentences`` grouped by the place they stand in (``_place``), for an answer
        framed by where its lead stands (``framed``: that place, whose quotes come first);
        else one run, its place unsaid (None)."""
        if framed is None:
            return [(None, sentences)] if sentences else []
        runs: dict[str | None, list] = {framed: []}
        for s in sentences:  # each place once: the framed one first, then as they come
            runs.setdefault(self._place(s), []).append(s)
        return [(where, run) for where, run in runs.items() if run]

    def _place(self, s: Sentence) -> str:
        """Where a sentence stands, for "Under »…« står der:": its section heading, else
        the document title, when short enough to name ('' otherwise)."""
        chunk = self.index.chunks[s.position]
        for name in (chunk.heading, chunk.title):
            name = clean(name).rstrip(":").strip()
            if name and len(name.split()) <= PLACE_WORDS and "«" not in name and "»" not in name:
                return name
        return ""

    def _lead_in(
        self,
        question: str,
        text: str,
        lead: Sentence,
        framed: bool = False,
        previous: str | None = None,
    ) -> str:
        """An English lead-in, or "Ja,"/"Nej," when the lead sentence states what a yes/no
        question asks: it holds half its words. A follow-up ("Er det så med i
        estimatet?") asks about the earlier question's subject too, so the sentence must
        hold half of both questions' words."""
        if looks_english(question):
            quoted = MARK.sub("", text)
            if looks_english(quoted):
                return f"{wording.ENGLISH_LEAD_IN_ENGLISH} {text}"
            return f"{wording.ENGLISH_LEAD_IN} {text}"
        if is_yes_no_question(question) and not is_request(question) and not framed:
            said = clean(lead.text(self.index))
            own = set(analyze(question))
            words_asked = own | set(analyze(previous or ""))
            words_said = set(analyze(said))
            if words_asked and all(
                len(asked & words_said) >= 0.5 * len(asked) for asked in (own, words_asked)
            ):
                yes_no = "Nej" if NEGATION.search(said) else "Ja"
                return f"{yes_no}, {_lower_first(text, self._ordinary_words)}"
        return text


def shown_length(text: str) -> int:
    """The length of a draft as the reader sees it: each ``[[chunk_id]]`` mark becomes a
    short "[n]" (``citations.cite``), so a long chunk id must not use up the budget."""
    return len(MARK.sub(" [9]", text))


def merge_marks(text: str) -> str:
    """One mark after a run of sentences from the same passage: "A [[x]]. B [[x]]." reads
    "A. B [[x]]." (the mark then covers both; ``cite`` numbers what is left)."""
    marks = list(MARK.finditer(text))
    drop = [
        m
        for m, nxt in zip(marks, marks[1:], strict=False)
        if m.group(1) == nxt.group(1) and not MARK.search(text, m.end(), nxt.start())
    ]
    for m in reversed(drop):
        text = text[: m.start()] + text[m.end() :]
    return text


_LOWER_WORD = re.compile(r"(?<![\w-])[a-zæøåéü]+(?![\w-])")


def _lower_first(text: str, ordinary: frozenset[str] = frozenset()) -> str:
    """Lower-case the first word after "Ja, " when it is an ordinary word, not a name.

    Danish capitalises names, not nouns: a word the sources also write in lower case
    ("Foreløbig", "Formularen") is ordinary; one they only write with a capital
    ("Odense", "Folketinget") or in capitals ("KL") is a name.
    """
    first, _, rest = text.partition(" ")
    word = first.strip(".,:;!?»«\"'()")
    if not word or not word[0].isupper() or not word[1:].islower():
        return text
    if rest[:1].isupper():  # "Odense Kommune", "Aalborg Universitet": a name of two words
        return text
    abbreviation = first.endswith(".") and len(word) <= 4  # "Pt.", "Fx.", "Bl.a."
    if abbreviation or word.lower() in DANISH_STOPWORDS or word.lower() in ordinary:
        return first.lower() + text[len(first) :]
    return text

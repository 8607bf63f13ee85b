"""English questions over Danish sources: dictionary-based query translation.

BM25 cannot match "form" to "formular", and a small multilingual embedder is weak
across languages. Cross-language retrieval's standard remedy is a bilingual lexicon:
each English content word of a question also matches the index tokens of its common
Danish translations. The lexicon below is general language (everyday verbs and nouns,
and the vocabulary of IT, self-service and public administration), one English base
form to the Danish words a dictionary gives for it; the Danish side is analysed like
any question word (stem, compounds), so inflected and compound Danish forms match.

Only the question's matching changes: the English word stays the term (it counts once
in BM25 and in the refusal's coverage), its matches grow by the translations'. The
answer's English lead-in is untouched.
"""

from __future__ import annotations

from dataclasses import replace

from assistant.lexical import QueryTerm, Vocabulary, query_terms

# English base form -> Danish translations (space-separated).
_LEXICON_TEXT = """
access=adgang
account=konto
act=handle lov
action=handling
activate=aktivere
add=tilføje
address=adresse
admin=administrator
administrator=administrator
advice=råd rådgivning
again=igen
agreement=aftale
allow=tillade
alone=alene
already=allerede
always=altid
answer=svar besvare
app=app
application=ansøgning program
apply=ansøge søge
appoint=udpege udnævne
appointment=aftale
approval=godkendelse
approve=godkende
area=område
ask=spørge
attach=vedhæfte
attachment=bilag vedhæftning
authority=myndighed
available=tilgængelig
back=tilbage
bank=bank
begin=begynde
benefit=ydelse fordel
bill=regning
birth=fødsel
board=bestyrelse
book=bog booke
box=boks felt
browser=browser
budget=budget
build=bygge
button=knap
buy=købe
calendar=kalender
call=ringe opkald
cancel=annullere afmelde
case=sag
caseworker=sagsbehandler
chair=formand
chairman=formand
chairperson=formand
change=ændre ændring
check=tjekke kontrollere
checkbox=afkrydsningsfelt
child=barn
children=børn
choose=vælge
citizen=borger
city=by
clear=rydde
click=klikke
close=lukke
code=kode
collaborate=samarbejde
collaboration=samarbejde
color=farve
colour=farve
comment=kommentar
committee=udvalg
common=fælles
company=virksomhed
complaint=klage
complete=færdiggøre udfylde
condition=betingelse
confirm=bekræfte
confirmation=bekræftelse kvittering
connect=forbinde
consent=samtykke
consultant=konsulent
contact=kontakt kontakte
content=indhold
copy=kopi kopiere
correct=rette korrekt
cost=pris koste
council=råd
country=land
create=oprette
data=data
date=dato
day=dag
deadline=frist
decide=beslutte
decision=afgørelse beslutning
default=standard
delete=slette
department=afdeling
describe=beskrive
description=beskrivelse
design=design
develop=udvikle
development=udvikling
digital=digital
director=direktør
display=vise
document=dokument
download=downloade hente
draft=kladde
drop=droppe
due=frist
edit=redigere rette
editor=redaktør
education=uddannelse
elect=vælge
element=element
email=mail
employee=medarbejder
empty=tom
enable=aktivere
end=slut afslutte
enter=indtaste
error=fejl
example=eksempel
export=eksportere
fail=fejle
family=familie
fee=gebyr
field=felt
file=fil
fill=udfylde
find=finde
finish=afslutte
first=første
fix=rette
folder=mappe
form=formular skema blanket
free=gratis
friend=ven
front=forside
function=funktion
future=fremtid
get=få
give=give
goal=mål
group=gruppe
guide=vejledning
head=leder chef
health=sundhed
help=hjælp hjælpe
hidden=skjult
hide=skjule
history=historik
home=hjem
hospital=hospital
hour=time
house=hus
image=billede
import=importere
include=inkludere
information=information oplysning
input=input
install=installere
institution=institution
instruction=vejledning
integration=integration
invoice=faktura
issue=problem sag
item=punkt
job=job
keep=beholde gemme
key=nøgle
label=etiket
language=sprog
last=sidste
later=senere
law=lov
layout=layout
lead=lede
leader=leder
leave=forlade orlov
letter=brev
limit=grænse
line=linje
link=link
list=liste
log=log
login=login
logo=logo
long=lang
look=se
lose=miste
mail=mail
manage=administrere
manager=leder
mandatory=obligatorisk
meeting=møde
member=medlem
menu=menu
message=besked
method=metode
mobile=mobil
module=modul
money=penge
month=måned
move=flytte
municipality=kommune
name=navn
new=ny
news=nyhed
next=næste
notification=notifikation besked
number=nummer antal
office=kontor
old=gammel
open=åbne
option=mulighed valgmulighed
order=bestille rækkefølge
organisation=organisation
organization=organisation
owner=ejer
page=side
parent=forælder
part=del
partner=partner
password=adgangskode
pay=betale
payment=betaling
people=personer
permission=tilladelse rettighed
person=person
phone=telefon
picture=billede
place=sted
plan=plan
point=punkt
police=politi
policy=politik
possible=muligt
price=pris
print=udskrive
privacy=privatliv
problem=problem
process=proces behandle
project=projekt
protection=beskyttelse
provide=levere
public=offentlig
publish=udgive publicere
purpose=formål
question=spørgsmål
read=læse
reason=grund
receipt=kvittering
receive=modtage
recipient=modtager
region=region
register=registrere
registration=tilmelding registrering
reject=afvise
remove=fjerne
repeat=gentage
reply=svar svare
report=rapport indberette
request=anmodning
require=kræve
required=obligatorisk påkrævet
responsibility=ansvar
responsible=ansvarlig
result=resultat
return=returnere
review=gennemgå
right=rettighed højre
role=rolle
rule=regel
run=køre
safe=sikker
save=gemme
school=skole
screen=skærm
search=søge søgning
secretariat=sekretariat
secretary=sekretær
secure=sikker
security=sikkerhed
see=se
select=vælge
send=sende
sender=afsender
service=service tjeneste
session=session
setting=indstilling
setup=opsætning
share=dele
show=vise
sign=underskrive
signature=underskrift
site=side
size=størrelse
solution=løsning
source=kilde
speak=tale
staff=personale medarbejdere
start=starte begynde
status=status
step=trin
stop=stoppe
store=gemme
student=elev studerende
submission=besvarelse indsendelse
submit=indsende sende
subscribe=abonnere
support=support hjælp
system=system
table=tabel
task=opgave
tax=skat
team=team
template=skabelon
test=test teste
text=tekst
time=tid
title=titel
today=i dag
tool=værktøj
track=spore
translate=oversætte
type=type
understand=forstå
update=opdatere
upload=uploade
use=bruge
user=bruger
validate=validere
value=værdi
variable=variabel
version=version
visible=synlig
vote=stemme
wait=vente
website=hjemmeside
week=uge
work=arbejde
write=skrive
wrong=forkert
year=år
"""


def _parse(text: str) -> dict[str, tuple[str, ...]]:
    lexicon: dict[str, tuple[str, ...]] = {}
    for line in text.strip().splitlines():
        english, danish = line.split("=", 1)
        lexicon[english.strip()] = tuple(danish.split())
    return lexicon


LEXICON = _parse(_LEXICON_TEXT)

# Irregular English forms a suffix rule would miss.
_IRREGULAR = {
    "found": "find",
    "made": "make",
    "saw": "see",
    "seen": "see",
    "sent": "send",
    "got": "get",
    "gave": "give",
    "given": "give",
    "kept": "keep",
    "lost": "lose",
    "paid": "pay",
    "people": "people",
    "wrote": "write",
    "written": "write",
    "ran": "run",
    "built": "build",
    "chose": "choose",
    "chosen": "choose",
}


def base_forms(word: str) -> list[str]:
    """Candidate English base forms of ``word`` (plural, past, -ing and possessive off)."""
    w = word.lower()
    cands = [w, _IRREGULAR.get(w, "")]
    if w.endswith("ies"):
        cands.append(w[:-3] + "y")
    if w.endswith("es"):
        cands.append(w[:-2])
    if w.endswith("s") and not w.endswith("ss"):
        cands.append(w[:-1])
    for suffix in ("ed", "ing"):
        if w.endswith(suffix):
            stem = w[: -len(suffix)]
            cands += [stem, stem + "e"]
            if len(stem) > 2 and stem[-1] == stem[-2]:  # "submitted" -> "submit"
                cands.append(stem[:-1])
    return [c for c in dict.fromkeys(cands) if c]


def translate(word: str) -> tuple[str, ...]:
    """The Danish translations of an English word (any inflection), or ()."""
    for base in base_forms(word):
        if base in LEXICON:
            return LEXICON[base]
    return ()


# English function words the shared stop lists leave in (they are no Danish stop words):
# in an English question they name nothing. With them the semi-modals ("need to", "want
# to", "be able to", "try to"), whose Danish counterparts (skal, vil, kan, må) are stop
# words too.
FUNCTION_WORDS = frozenset(
    "if not no yes also just very only own after before about all each every "
    "need needs want wants able try tries".split()
)


def translate_terms(terms: list[QueryTerm], vocab: Vocabulary) -> list[QueryTerm]:
    """The terms of an English question, each also matching its Danish translations.

    A translated word keeps the index token of its own stem when the index has it (the
    sources may use the English word, "webform", "login") but drops its guesses (typo
    and compound matches of an English word in a Danish vocabulary are noise); the
    translations' matches are added. A word without a translation, or whose
    translations the index never mentions, is left as it was; English function words
    (``FUNCTION_WORDS``) are dropped.
    """
    out = []
    for term in terms:
        if term.word in FUNCTION_WORDS:
            continue
        danish = translate(term.word)
        found: list[str] = []
        for da in danish:
            for t in query_terms(da, vocab):
                found += t.matches
        if not found:
            out.append(term)
            continue
        own = [term.stem] if term.stem in vocab.tokens else []
        out.append(replace(term, matches=tuple(dict.fromkeys(own + found)), parts=()))
    return out

"""Generated Danish distractor passages: other public-sector work, never RSI.

They hide the RSI page among thousands of plausible passages (eval's
``--distractors`` mode and the scaling benchmark).
"""

from __future__ import annotations

import random
from pathlib import Path

_ORGS = [
    "Kommunernes Landsforening",
    "Trafikselskabet Movia",
    "Miljøstyrelsen",
    "Kulturstyrelsen",
    "Børne- og Undervisningsministeriet",
    "Vejdirektoratet",
    "Sundhedsstyrelsen",
    "Lægemiddelstyrelsen",
    "Digitaliseringsstyrelsen",
    "Energistyrelsen",
    "Styrelsen for Arbejdsmarked",
    "Danmarks Statistik",
    "Erhvervsstyrelsen",
    "Naturstyrelsen",
    "Skattestyrelsen",
    "Kystdirektoratet",
    "Det Kongelige Bibliotek",
    "Nationalmuseet",
    "Banedanmark",
    "Sikkerhedsstyrelsen",
]
_TOPICS = [
    "cykelstier",
    "skolebiblioteker",
    "grundvandsbeskyttelse",
    "kollektiv trafik",
    "madspild i kantiner",
    "digital post",
    "energirenovering af skoler",
    "ældrepleje",
    "affaldssortering",
    "klimatilpasning",
    "museumsformidling",
    "erhvervsfremme",
    "sygefravær",
    "udbud af rengøring",
    "vejvedligeholdelse",
    "lægevagten",
    "hjemmehjælp",
    "fritidsordninger",
    "borgerservice",
    "byfornyelse",
    "sprogscreening",
    "medicinhåndtering på plejehjem",
    "genoptræning",
    "patientbefordring",
    "journalføring i kommunerne",
    "telefonbetjening",
    "hospitalsparkering",
    "arkivering af sager",
    "it-sikkerhed i daginstitutioner",
    "kantinedrift",
]
_ROLES = [
    "formand",
    "næstformand",
    "sekretariatschef",
    "projektleder",
    "kontorchef",
    "direktør",
    "styregruppeformand",
    "chefkonsulent",
]
_GROUPS = [
    "styregruppe",
    "arbejdsgruppe",
    "følgegruppe",
    "koordinationsforum",
    "netværk",
    "faglig referencegruppe",
    "programbestyrelse",
    "brugerpanel",
]
_PLACES = [
    "Aalborg",
    "Esbjerg",
    "Odense",
    "Vejle",
    "Roskilde",
    "Holbæk",
    "Herning",
    "Viborg",
    "Svendborg",
    "Hjørring",
    "Næstved",
    "Kolding",
    "Silkeborg",
    "Helsingør",
    "Randers",
]
_TEMPLATES = [
    "{org} har siden {year} haft en {group} for {topic}, og {role}en kommer fra {place}.",
    "I {place} er der gennemført {n} projekter om {topic} i samarbejde med {org}.",
    "Den fælles {group} om {topic} består af {k} medlemmer fra hver kommune.",
    "{org} vil i {year2} afprøve en ny løsning for {topic} i {place} og omegn.",
    "Erfaringerne med {topic} viser, at tæt samarbejde mellem {org} og kommunerne giver "
    "bedre resultater.",
    "Formålet med indsatsen for {topic} er at gøre hverdagen lettere for borgerne i {place}.",
    "En evaluering fra {year2} peger på, at {topic} kræver flere ressourcer end ventet.",
    "{role} i {group}en for {topic} er udpeget af {org} for en periode på {k} år.",
]


def generate_distractors(n: int, seed: int = 7) -> list[str]:
    """``n`` unique Danish passages about other public-sector work (never about RSI)."""
    rng = random.Random(seed)
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        sentences = []
        for template in rng.sample(_TEMPLATES, 3):
            sentences.append(
                template.format(
                    org=rng.choice(_ORGS),
                    topic=rng.choice(_TOPICS),
                    role=rng.choice(_ROLES),
                    group=rng.choice(_GROUPS),
                    place=rng.choice(_PLACES),
                    year=rng.randint(1995, 2022),
                    year2=rng.randint(2015, 2026),
                    n=rng.randint(2, 60),
                    k=rng.randint(2, 6),
                )
            )
        text = " ".join(s[0].upper() + s[1:] for s in sentences)
        if text not in seen:
            seen.add(text)
            out.append(text)
    return out


def write_distractor_corpus(folder: Path, n: int, per_file: int = 200) -> None:
    """Distractors as Markdown files, one heading per passage (one chunk each)."""
    folder.mkdir(parents=True, exist_ok=True)
    passages = generate_distractors(n)
    wanted = set()
    for f in range(0, n, per_file):
        name = f"distraktor-{f // per_file:04d}.md"
        wanted.add(name)
        body = "\n\n".join(
            f"# Notat {f + i + 1}\n\n{p}" for i, p in enumerate(passages[f : f + per_file])
        )
        path = folder / name
        text = f"---\ntitle: Distraktornotater {f // per_file + 1}\n---\n\n{body}\n"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    for old in folder.glob("distraktor-*.md"):
        if old.name not in wanted:
            old.unlink()

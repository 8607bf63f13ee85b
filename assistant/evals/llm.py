"""``rsi-assistant eval --llm``: the configured LLM next to the extractive answerer.

Both answer the same items with the same retrieval and the same refusal decision;
they are scored with the runner's metrics (fact recall, citation precision,
citation invariants, refusal) and the LLM side adds what only it has: how many
generated sentences verification dropped, how often it fell back to the
extractive answer, tokens per second and time to the first verified sentence.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from assistant.evals import metrics
from assistant.evals.runner import OursSystem, Outcome, _corpus_texts, run_systems
from assistant.settings import Settings


@dataclass
class LLMStats:
    mode: str
    first_piece_ms: float  # time to the first text the user sees (stream)
    first_sentence_ms: float | None  # of the generation, to the first verified sentence
    tokens: int
    tokens_per_s: float
    sentences: int
    dropped: int
    drop_reasons: list[str] = field(default_factory=list)


class LLMSystem:
    """The service with an LLM configured, answering through ``stream`` as users get it."""

    name = "llm"
    label = "RSI-assistenten (LLM + verifikation)"

    def __init__(self, service):
        self.service = service
        self.stats: list[LLMStats] = []

    def run(self, item: dict) -> Outcome:
        t0 = time.perf_counter()
        first_piece = None
        result = None
        for piece in self.service.stream(item["question"], item["history"]):
            if isinstance(piece, str):
                if first_piece is None:
                    first_piece = (time.perf_counter() - t0) * 1e3
            else:
                result = piece
        latency = (time.perf_counter() - t0) * 1e3
        if result is None:  # the stream always ends with the whole Answer
            raise RuntimeError("the answer stream ended without an answer")
        info: dict[str, Any] = getattr(result, "verification", {}) or {}
        self.stats.append(
            LLMStats(
                mode=result.mode,
                first_piece_ms=first_piece if first_piece is not None else latency,
                first_sentence_ms=info.get("first_sentence_ms"),
                tokens=info.get("tokens", 0),
                tokens_per_s=info.get("tokens_per_s", 0.0),
                sentences=info.get("sentences", 0),
                dropped=len(info.get("dropped", [])),
                drop_reasons=[d["reason"] for d in info.get("dropped", [])],
            )
        )
        assistant = self.service.assistant()
        ranked = assistant.retriever.search(item["question"], item["history"], top_k=10)
        return Outcome(
            result.answer,
            result.refused,
            [asdict(c) for c in result.citations],
            [h.chunk.text for h in ranked.hits],
            [h.chunk.chunk_id for h in ranked.hits],
            latency,
        )


def llm_summary(stats: list[LLMStats]) -> dict:
    """What verification did and how fast the model was, over the generated answers."""
    generated = [s for s in stats if s.mode != "extractive"]  # refusals never reach the LLM
    first = [s.first_sentence_ms for s in generated if s.first_sentence_ms is not None]
    rates = [s.tokens_per_s for s in generated if s.tokens]
    reasons: dict[str, int] = {}
    for s in generated:
        for r in s.drop_reasons:
            key = r.split(" ", 1)[0] if not r.startswith("number word") else "number"
            reasons[key] = reasons.get(key, 0) + 1
    sentences = sum(s.sentences for s in generated)
    dropped = sum(s.dropped for s in generated)
    return {
        "asked_llm": len(generated),
        "llm_answers": sum(s.mode == "llm" for s in generated),
        "fallbacks": sum(s.mode != "llm" for s in generated),
        "sentences": sentences,
        "dropped_sentences": dropped,
        "drop_rate": dropped / sentences if sentences else None,
        "drop_reasons": reasons,
        "tokens_per_s_median": metrics.median(rates) if rates else None,
        "first_sentence_p50_ms": metrics.percentile(first, 50) if first else None,
        "first_sentence_p95_ms": metrics.percentile(first, 95) if first else None,
        "first_piece_p50_ms": metrics.percentile([s.first_piece_ms for s in stats], 50),
    }


def evaluate_llm(settings: Settings, items: list[dict], progress: bool = True) -> dict:
    """Extractive ("ours") and LLM ("llm") side by side on ``items``; needs
    ``settings.llm.backend`` other than "none". Returns the runner's results dict
    with an ``llm_summary`` entry for the LLM side."""
    from assistant.service import AssistantService

    if settings.llm.backend == "none":
        raise ValueError("eval --llm needs an LLM: set RSI_LLM=openai or RSI_LLM=local")
    service = AssistantService(settings)
    service.store.ensure(progress=progress)
    service.warm_up()  # as a server does at startup: not counted in the first answer
    assistant = service.assistant()
    llm = LLMSystem(service)
    passages = [c.text for c in assistant.index.chunks]
    results = run_systems(
        [OursSystem(assistant), llm],
        items,
        _corpus_texts(settings),
        {"ours": passages, "llm": passages},
        progress,
    )
    results["llm"]["llm_summary"] = llm_summary(llm.stats)
    results["llm"]["llm_stats"] = [asdict(s) for s in llm.stats]
    return results


_ROWS = [
    ("fact_recall", "fact recall", "{:.2f}"),
    ("citation_precision", "citation precision", "{:.2f}"),
    ("citation_failures", "citation failures", "{}"),
    ("refusal_recall", "refusal recall", "{:.2f}"),
    ("refusal_precision", "refusal precision", "{:.2f}"),
    ("median_answer_chars", "median answer chars", "{:.0f}"),
    ("latency_p50_ms", "latency p50 ms", "{:.0f}"),
    ("latency_p95_ms", "latency p95 ms", "{:.0f}"),
]


def llm_table(results: dict) -> str:
    """A plain-text table: extractive and LLM side by side, then the LLM's own numbers."""

    def fmt(value, pattern: str) -> str:
        return "-" if value is None else pattern.format(value)

    lines = [f"{'metric':<28}{'extractive':>12}{'llm':>12}"]
    for key, label, pattern in _ROWS:
        a = results["ours"]["overall"].get(key)
        b = results["llm"]["overall"].get(key)
        lines.append(f"{label:<28}{fmt(a, pattern):>12}{fmt(b, pattern):>12}")
    s = results["llm"]["llm_summary"]
    lines += [
        "",
        f"LLM asked {s['asked_llm']}x: {s['llm_answers']} verified answers, "
        f"{s['fallbacks']} extractive fallbacks",
        f"sentences dropped by verification: {s['dropped_sentences']} of {s['sentences']} "
        f"{s['drop_reasons']}",
        f"tokens/s (median): {fmt(s['tokens_per_s_median'], '{:.1f}')}; first verified "
        f"sentence p50/p95: {fmt(s['first_sentence_p50_ms'], '{:.0f}')}/"
        f"{fmt(s['first_sentence_p95_ms'], '{:.0f}')} ms",
    ]
    return "\n".join(lines)


def run(settings: Settings, set_path: Path, split: str | None, limit: int | None) -> dict:
    """``eval --llm``: the LLM and the extractive answerer side by side on one set."""
    from assistant.evals.runner import load_set

    items = load_set(set_path)
    if split:
        items = [i for i in items if i["split"] == split]
    if limit:
        items = items[:limit]
    return evaluate_llm(settings, items)

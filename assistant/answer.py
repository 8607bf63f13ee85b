"""The assistant: refuse, or retrieve, compose and cite.

``Assistant.answer(question, history) -> Answer`` is what ``AssistantService``
(the one library call behind the CLI, the HTTP API and the chat page) runs.
Everything is deterministic and needs no LLM:

1. ``refusal.decide(question)``: health questions and clear instruction
   overrides are answered before any retrieval;
2. ``Retriever.search``: hybrid BM25 + dense passages;
3. ``compose.Composer``: sentences copied from the passages, marked with
   their chunk ids;
4. ``refusal.decide(…, retrieval, draft)``: enough evidence, and the detail
   asked for is there;
5. ``citations.cite``: marks become ``[n]`` with numbered sources.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

from assistant import calibration as calib
from assistant import wording
from assistant.citations import Citation, cite
from assistant.compose import Composer
from assistant.embedders import Embedder, make_embedder
from assistant.index import LoadedIndex, check_embedder
from assistant.refusal import Decision, decide
from assistant.retrieval import Retrieval, Retriever
from assistant.settings import Settings
from assistant.store import IndexStore, open_store

__all__ = ["Answer", "Assistant", "Citation"]


@dataclass
class Answer:
    question: str
    answer: str
    refused: bool
    citations: list[Citation]
    mode: str = "extractive"
    timings_ms: dict[str, float] = field(default_factory=dict)
    # Not part of the JSON contract: why, and what was retrieved (eval, debugging).
    reason: str = ""
    retrieval: Retrieval | None = None

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "answer": self.answer,
            "refused": self.refused,
            "citations": [asdict(c) for c in self.citations],
            "mode": self.mode,
            "timings_ms": {k: round(v, 2) for k, v in self.timings_ms.items()},
        }

    def sources_text(self, indent: str = "") -> str:
        """The cited sources as plain text, the one rendering that CLI and /v1 share:
        a "Kilder:" line, then "[n] title (url): passage" per citation ('' if none)."""
        if not self.citations:
            return ""
        lines = [f"{wording.SOURCES_HEADING}:"]
        for c in self.citations:
            where = f" ({c.url})" if c.url else ""
            lines.append(f"{indent}[{c.n}] {c.title}{where}: {c.text}")
        return "\n".join(lines)


def previous_answer(history: list[dict] | None) -> str | None:
    for message in reversed(history or []):
        if message.get("role") == "assistant":
            return str(message.get("content", ""))
    return None


class Assistant:
    """A loaded index, its embedder, retriever and calibration; answers questions."""

    def __init__(self, settings: Settings, index: LoadedIndex, embedder: Embedder):
        check_embedder(index, embedder)
        self.settings = settings
        self.index = index
        self.embedder = embedder
        self.retriever = Retriever(index, embedder, settings.retrieval)
        self.composer = Composer(index, settings)
        band = None
        if (index.manifest.get("calibration") or {}).get("version") != calib.CALIBRATION_VERSION:
            # An index built before calibration existed: measure its band now.
            band = calib.measure_band(index.chunks, index.vectors, embedder)
        self.calibration = calib.resolve(index.manifest, settings.answer, band)

    @classmethod
    def load(
        cls,
        settings: Settings,
        embedder: Embedder | None = None,
        build: str | None = None,
        store: IndexStore | None = None,
    ) -> Assistant:
        """The assistant over the served build (or build ``build``) of the settings'
        index store (files, or PostgreSQL with ``RSI_DATABASE_URL``)."""
        index = (store or open_store(settings)).load(build)
        return cls(settings, index, embedder or make_embedder(settings.embedder))

    def decide(self, question: str, **kwargs) -> Decision:
        """``refusal.decide`` with this assistant's calibration and wording."""
        kwargs.setdefault("calibration", self.calibration)
        return decide(question, deployment=self.settings.deployment, index=self.index, **kwargs)

    def answer(self, question: str, history: list[dict] | None = None) -> Answer:
        started = time.perf_counter()
        timings: dict[str, float] = {}
        question = " ".join(question.split())

        def done(text, refused, citations, reason, retrieval) -> Answer:
            timings.setdefault("retrieve", 0.0)
            timings["answer"] = (time.perf_counter() - started) * 1e3 - timings["retrieve"]
            timings["total"] = (time.perf_counter() - started) * 1e3
            return Answer(
                question,
                text,
                refused,
                citations,
                timings_ms=timings,
                reason=reason,
                retrieval=retrieval,
            )

        screened = self.decide(question)
        if screened.refuse:
            return done(screened.message, True, [], screened.reason, None)
        retrieval = self.retriever.search(question, history)
        timings["retrieve"] = (time.perf_counter() - started) * 1e3
        draft = self.composer.compose(retrieval, previous_answer(history))
        decision = self.decide(
            question, retrieval=retrieval, statements=draft.statements, documents=draft.documents
        )
        score = decision.evidence.score if decision.evidence else 0.0
        if decision.refuse:
            return done(decision.message, True, [], f"{decision.reason} {score:.2f}", retrieval)
        text, citations = cite(draft.text, draft.passages)
        return done(text, False, citations, f"evidence {score:.2f}", retrieval)

    def stream(self, question: str, history: list[dict] | None = None) -> Iterator[str | Answer]:
        """Answer text in small pieces, then the whole Answer (for SSE and the chat page)."""
        result = self.answer(question, history)
        yield from re.findall(r"\S+\s*", result.answer)
        yield result

"""The one library call behind every adapter (CLI, HTTP API, SSE, OpenAI routes,
chat page, widget): ``AssistantService.answer`` / ``.stream``.

One service is built per process or app (FastAPI keeps it in ``app.state`` and hands
it to routes as a dependency). It answers from the index build that is current
when a question arrives: when ``build`` switches in a new build, the next question
loads it, reusing the loaded embedding model.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

from assistant.answer import Answer, Assistant
from assistant.embedders import Embedder
from assistant.index import current_build
from assistant.settings import Settings


class AssistantService:
    """Answers questions for one ``Settings``; safe to share between threads."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self._embedder = embedder
        self._loaded: tuple[Path | None, Assistant] | None = None
        self._lock = threading.Lock()

    def assistant(self) -> Assistant:
        """The assistant over the current build (loaded on first use, reloaded on change).

        Raises ``IndexMissing``/``IndexMismatch`` (subclasses of ``IndexProblem``) with
        a message that says what to run.
        """
        build = current_build(self.settings.index_dir)
        with self._lock:
            if self._loaded is None or self._loaded[0] != build:
                loaded = Assistant.load(self.settings, self._embedder, build)
                self._embedder = loaded.embedder  # loading a model costs time: keep it
                self._loaded = (build, loaded)
            return self._loaded[1]

    def answer(self, question: str, history: list[dict] | None = None) -> Answer:
        """Answer one question, given the conversation so far (oldest first)."""
        return self.assistant().answer(question, history)

    def stream(self, question: str, history: list[dict] | None = None) -> Iterator[str | Answer]:
        """The answer text in pieces as it is ready, then the whole ``Answer``."""
        return self.assistant().stream(question, history)

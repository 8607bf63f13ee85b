"""The one library call behind every adapter (CLI, HTTP API, SSE, OpenAI routes,
chat page, widget): ``AssistantService.answer`` / ``.stream``.

One service is built per process or app (FastAPI keeps it in ``app.state`` and hands
it to routes as a dependency). It answers from the index build that is current
when a question arrives (it asks its index store, ``assistant.store``, for the served
build id: a file read, or one query on PostgreSQL): when ``build`` switches in a new
build, the next question loads it, reusing the loaded embedding model.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator

from assistant.answer import Answer, Assistant
from assistant.embedders import Embedder
from assistant.index import IndexProblem
from assistant.settings import Settings
from assistant.store import IndexStore, open_store

log = logging.getLogger(__name__)


class AssistantService:
    """Answers questions for one ``Settings``; safe to share between threads."""

    # A build that failed to load (damaged files, a store that is down) is not loaded
    # again for this many seconds: every question in between gets the same problem at
    # once instead of re-reading and re-checksumming the whole index. A new build id
    # is tried at once.
    retry_failed_load_s = 10.0

    def __init__(self, settings: Settings, embedder: Embedder | None = None):
        self.settings = settings
        self.store: IndexStore = open_store(settings)
        self._embedder = embedder
        self._loaded: tuple[str | None, Assistant] | None = None
        self._failed: tuple[str | None, float, IndexProblem] | None = None
        self._lock = threading.Lock()
        self._generator = None

    def assistant(self) -> Assistant:
        """The assistant over the current build (loaded on first use, reloaded on change).

        Raises ``IndexMissing``/``IndexMismatch`` (subclasses of ``IndexProblem``) with
        a message that says what to run.
        """
        build = self.store.served_build()
        with self._lock:
            if self._loaded is None or self._loaded[0] != build:
                failed = self._failed
                if failed and failed[0] == build:
                    if time.monotonic() - failed[1] < self.retry_failed_load_s:
                        raise failed[2]
                try:
                    loaded = Assistant.load(self.settings, self._embedder, build, self.store)
                except IndexProblem as exc:
                    self._failed = (build, time.monotonic(), exc)
                    raise
                self._failed = None
                self._embedder = loaded.embedder  # loading a model costs time: keep it
                self._loaded = (build, loaded)
            return self._loaded[1]

    def answer(self, question: str, history: list[dict] | None = None) -> Answer:
        """Answer one question, given the conversation so far (oldest first)."""
        assistant = self.assistant()
        result = assistant.answer(question, history)
        if self.settings.llm.backend == "none" or result.refused:
            return result
        return self.generator().answer(assistant, result, history)

    def stream(self, question: str, history: list[dict] | None = None) -> Iterator[str | Answer]:
        """The answer text in pieces as it is ready, then the whole ``Answer``."""
        assistant = self.assistant()  # index problems raise here, before the stream starts
        if self.settings.llm.backend == "none":
            return assistant.stream(question, history)
        return self._stream_generated(assistant, question, history)

    def _stream_generated(
        self, assistant: Assistant, question: str, history: list[dict] | None
    ) -> Iterator[str | Answer]:
        # The refusal is decided (extractively) before any LLM call.
        result = assistant.answer(question, history)
        if result.refused:
            yield from re.findall(r"\S+\s*", result.answer)
            yield result
            return
        yield from self.generator().stream(assistant, result, history)

    def generator(self):
        """The LLM answerer (``RSI_LLM=openai|local``), made on first use; importing it
        loads llama-index, so the extractive path never does."""
        with self._lock:
            if self._generator is None:
                from assistant.generate import Generator

                self._generator = Generator(self.settings)
            return self._generator

    def warm_up(self) -> None:
        """Load what the first question would otherwise wait for: the index and
        embedder, and the LLM when one is configured (call at server start)."""
        try:
            self.assistant()
        except Exception as exc:  # a missing index is reported when a question comes
            log.warning("warm-up could not load the index (%s)", type(exc).__name__)
        if self.settings.llm.backend != "none":
            self.generator().warm_up()

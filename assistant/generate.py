"""Generated answers (``RSI_LLM=openai|local``), verified sentence by sentence.

The extractive assistant decides first whether the sources cover the question
(the calibrated refusal). Only when it answers does a language model see the
retrieved passages, numbered, and the last turns of the conversation, with the
Danish instructions in ``assistant.wording``. Its reply is split into sentences
as it streams; each is checked by ``assistant.verify`` and passed on only when
the passages it cites back it. When nothing survives, the model says the
sources do not hold the answer, or the server is slow, unreachable or failing,
the extractive answer is given instead (``mode="extractive-fallback"``) and a
warning is logged (never the question text).

Backends are llama-index ``LLM`` objects made by ``make_llm``: ``OpenAILike`` for
any OpenAI-compatible server, ``LocalLlamaCpp`` for a GGUF run in-process by
llama-cpp-python with the model's own chat template. This module imports
llama-index; ``assistant.service`` imports it only when an LLM is configured.
"""

from __future__ import annotations

import contextlib
import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from llama_index.core.base.llms.types import (
    ChatMessage,
    ChatResponse,
    ChatResponseGen,
    CompletionResponse,
    CompletionResponseGen,
    LLMMetadata,
    MessageRole,
)
from llama_index.core.llms import LLM, CustomLLM
from llama_index.core.llms.callbacks import llm_chat_callback, llm_completion_callback
from pydantic import PrivateAttr

from assistant import wording
from assistant.answer import Answer, Citation
from assistant.settings import LLMSettings, Settings
from assistant.verify import Checked, Numbering, Passage, SentenceStream, Verifier

log = logging.getLogger(__name__)

FALLBACK_MODE = "extractive-fallback"


class GenerationError(RuntimeError):
    """The LLM backend cannot be set up; the message says what to install or set."""


# --- backends ------------------------------------------------------------------


class LocalLlamaCpp(CustomLLM):
    """A GGUF model run by llama-cpp-python, chatting through the model's own template
    (``create_chat_completion`` reads it from the GGUF). Loaded on first use; one
    generation at a time (a llama.cpp context is not thread-safe)."""

    model_path: str
    context_window: int = 4096
    max_tokens: int = 300
    temperature: float = 0.0
    threads: int | None = None
    _llama: Any = PrivateAttr(default=None)
    _lock: Any = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def class_name(cls) -> str:
        return "RSILocalLlamaCpp"

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(
            context_window=self.context_window,
            num_output=self.max_tokens,
            is_chat_model=True,
            model_name=Path(self.model_path).name,
        )

    def load(self) -> Any:
        if self._llama is None:
            try:
                from llama_cpp import Llama
            except ImportError as exc:
                raise GenerationError(
                    "llama-cpp-python is not installed: run "
                    'CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install -e ".[local-llm]"'
                ) from exc
            self._llama = Llama(
                model_path=self.model_path,
                n_ctx=self.context_window,
                n_threads=self.threads,
                verbose=False,
            )
        return self._llama

    def _request(self, messages: list[ChatMessage], stream: bool, **kwargs: Any) -> Any:
        return self.load().create_chat_completion(
            messages=[{"role": m.role.value, "content": m.content or ""} for m in messages],
            max_tokens=int(kwargs.get("max_tokens") or self.max_tokens),
            temperature=self.temperature,
            stream=stream,
        )

    @llm_chat_callback()
    def chat(self, messages: list[ChatMessage], **kwargs: Any) -> ChatResponse:
        with self._lock:
            raw = self._request(messages, stream=False, **kwargs)
        text = raw["choices"][0]["message"]["content"] or ""
        return ChatResponse(message=ChatMessage(role=MessageRole.ASSISTANT, content=text), raw=raw)

    @llm_chat_callback()
    def stream_chat(self, messages: list[ChatMessage], **kwargs: Any) -> ChatResponseGen:
        def gen() -> ChatResponseGen:
            with self._lock:
                text = ""
                for chunk in self._request(messages, stream=True, **kwargs):
                    delta = chunk["choices"][0]["delta"].get("content") or ""
                    text += delta
                    yield ChatResponse(
                        message=ChatMessage(role=MessageRole.ASSISTANT, content=text),
                        delta=delta,
                        raw=chunk,
                    )

        return gen()

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        reply = self.chat([ChatMessage(role=MessageRole.USER, content=prompt)])
        return CompletionResponse(text=reply.message.content or "", raw=reply.raw)

    @llm_completion_callback()
    def stream_complete(
        self, prompt: str, formatted: bool = False, **kwargs: Any
    ) -> CompletionResponseGen:
        def gen() -> CompletionResponseGen:
            for r in self.stream_chat([ChatMessage(role=MessageRole.USER, content=prompt)]):
                yield CompletionResponse(text=r.message.content or "", delta=r.delta, raw=r.raw)

        return gen()


def local_model_path(cfg: LLMSettings, data_dir: Path) -> Path:
    """The GGUF for the local backend: RSI_LLM_PATH, else the installed bundled model."""
    if cfg.path is not None:
        if not cfg.path.is_file():
            raise GenerationError(f"RSI_LLM_PATH {cfg.path} is not a file")
        return cfg.path
    from assistant.models import DEFAULT_MODEL, model_path

    path = model_path(DEFAULT_MODEL, data_dir)
    if not path.is_file():
        raise GenerationError(
            f"no local model in {path.parent}: run `rsi-assistant models install "
            f"{DEFAULT_MODEL}` or set RSI_LLM_PATH to a GGUF file"
        )
    return path


def make_llm(cfg: LLMSettings, data_dir: Path) -> LLM:
    """The one factory: ``cfg.backend`` to a llama-index LLM (imports lazily)."""
    if cfg.backend == "openai":
        try:
            from llama_index.llms.openai_like import OpenAILike
        except ImportError as exc:
            raise GenerationError(
                "llama-index-llms-openai-like is not installed: run pip install -e ."
            ) from exc
        # No tokenizer: a name would make it download one from the model hub.
        return OpenAILike(
            model=cfg.model or "default",
            api_base=cfg.base_url,
            api_key=cfg.api_key.get_secret_value(),
            is_chat_model=True,
            context_window=cfg.context_window,
            max_tokens=cfg.max_tokens,
            temperature=cfg.temperature,
            max_retries=0,
            timeout=cfg.timeout,
        )
    if cfg.backend == "local":
        return LocalLlamaCpp(
            model_path=str(local_model_path(cfg, data_dir)),
            context_window=cfg.context_window,
            max_tokens=cfg.max_tokens,
            temperature=cfg.temperature,
            threads=cfg.threads,
        )
    raise GenerationError(f"no LLM backend for RSI_LLM={cfg.backend!r}")


# --- the prompt ----------------------------------------------------------------

_OLD_MARKS = re.compile(r"\s*\[\d+\]")
_CHARS_PER_TOKEN = 3  # Danish text with a multilingual tokenizer, a safe side estimate


@dataclass
class Source:
    """A passage shown to the model, with what its citation needs."""

    passage: Passage
    doc_id: str
    title: str
    url: str | None
    chunk_id: str
    score: float


def build_messages(
    question: str, history: list[dict] | None, sources: list[Source], cfg: LLMSettings
) -> list[ChatMessage]:
    """System instructions, the last turns of the conversation, then the numbered
    passages with the question (all wording from ``assistant.wording``)."""
    messages = [ChatMessage(role=MessageRole.SYSTEM, content=wording.LLM_SYSTEM_PROMPT)]
    turns = (history or [])[-cfg.history_messages :] if cfg.history_messages else []
    for turn in turns:
        role = MessageRole.USER if turn.get("role") == "user" else MessageRole.ASSISTANT
        # Earlier answers' [n] pointed at earlier passages: drop them.
        content = _OLD_MARKS.sub("", str(turn.get("content", "")))[:1000]
        messages.append(ChatMessage(role=role, content=content))
    budget = (cfg.context_window - cfg.max_tokens - 400) * _CHARS_PER_TOKEN
    budget -= sum(len(m.content or "") for m in messages) + len(question)
    shown: list[str] = []
    for s in sources:
        line = wording.LLM_PASSAGE.format(n=s.passage.n, title=s.title, text=s.passage.text)
        if shown and len(line) > budget:
            break
        shown.append(line)
        budget -= len(line)
    prompt = wording.LLM_USER_PROMPT.format(passages="\n\n".join(shown), question=question)
    messages.append(ChatMessage(role=MessageRole.USER, content=prompt))
    return messages


def sources_for(extractive: Answer, index: Any, top_k: int) -> list[Source]:
    """The passages to show: the retrieved ones in rank order, then any passage the
    extractive answer cited besides (a neighbouring sentence or list item)."""
    sources: list[Source] = []
    seen: set[str] = set()

    def add(position: int, score: float) -> None:
        chunk = index.chunks[position]
        if chunk.chunk_id in seen:
            return
        seen.add(chunk.chunk_id)
        vector = index.vectors[position] if len(index.vectors) > position else None
        passage = Passage(len(sources) + 1, chunk.text, vector)
        sources.append(Source(passage, chunk.doc_id, chunk.title, chunk.url, chunk.chunk_id, score))

    hits = extractive.retrieval.hits[:top_k] if extractive.retrieval else []
    for hit in hits:
        add(hit.position, hit.score)
    positions = {c.chunk_id: i for i, c in enumerate(index.chunks)} if extractive.citations else {}
    for c in extractive.citations:
        if c.chunk_id not in seen and c.chunk_id in positions:
            add(positions[c.chunk_id], c.score)
    return sources


# --- generation with verification ------------------------------------------------


@dataclass
class GeneratedAnswer(Answer):
    """An ``Answer`` with what verification did (not part of the JSON contract)."""

    verification: dict = field(default_factory=dict)


def _pieces(text: str) -> Iterator[str]:
    yield from re.findall(r"\S+\s*", text)


def _is_no_answer(text: str) -> bool:
    folded = " ".join(text.casefold().split()).rstrip(".")
    return folded.startswith(wording.LLM_NO_ANSWER.casefold().rstrip(".")) or folded in (
        "not in the sources",
        "the sources do not say",
    )


class Generator:
    """Generates, verifies and streams answers with one configured LLM."""

    def __init__(self, settings: Settings, llm: LLM | None = None):
        self.settings = settings
        self.cfg = settings.llm
        self._llm = llm
        self._lock = threading.Lock()

    @property
    def llm(self) -> LLM:
        with self._lock:
            if self._llm is None:
                self._llm = make_llm(self.cfg, self.settings.data_dir)
            return self._llm

    def warm_up(self) -> bool:
        """Import the backend, load the model or open the connection, with one tiny
        request; True when it answered. Failures are logged, never raised."""
        started = time.perf_counter()
        try:
            llm = self.llm
            if isinstance(llm, LocalLlamaCpp):
                llm.load()
            else:  # OpenAILike sends its own max_tokens whatever a call asks: use a copy
                llm = llm.model_copy(update={"max_tokens": 1})
            llm.chat([ChatMessage(role=MessageRole.USER, content="OK?")], max_tokens=1)
        except Exception as exc:
            log.warning("LLM warm-up failed (%s)", type(exc).__name__)
            return False
        log.info("LLM warm-up took %.1f s", time.perf_counter() - started)
        return True

    def answer(self, assistant: Any, extractive: Answer, history: list[dict] | None) -> Answer:
        result: Answer = extractive
        for piece in self.stream(assistant, extractive, history):
            if isinstance(piece, Answer):
                result = piece
        return result

    def stream(
        self, assistant: Any, extractive: Answer, history: list[dict] | None
    ) -> Iterator[str | Answer]:
        """Verified sentences as they pass, then the ``Answer``; or, when generation
        fails or too little survives, the extractive answer in pieces, then it."""
        started = time.perf_counter()
        sources = sources_for(extractive, assistant.index, self.settings.retrieval.top_k)
        verifier = Verifier(
            [s.passage for s in sources], assistant.embedder, self.cfg.support_threshold
        )
        by_n = {s.passage.n: s for s in sources}
        numbering = Numbering()
        kept: list[str] = []
        checked: list[Checked] = []
        stats: dict[str, Any] = {"tokens": 0, "first_sentence_ms": None}
        problem = ""
        no_answer = False

        def verified(sentence: str) -> str | None:
            nonlocal no_answer
            result = verifier.check(sentence, attribute=self.cfg.attribute_uncited)
            checked.append(result)
            if not kept and _is_no_answer(result.text):
                no_answer = True
                return None
            if not result.kept:
                return None
            text = numbering.render(result)
            kept.append(text)
            if stats["first_sentence_ms"] is None:
                stats["first_sentence_ms"] = (time.perf_counter() - started) * 1e3
            return text if len(kept) == 1 else " " + text

        splitter = SentenceStream()
        stack = contextlib.ExitStack()
        try:
            llm = self.llm  # the first call imports and builds the backend: not timed
            started = time.perf_counter()
            messages = build_messages(extractive.question, history, sources, self.cfg)
            replies = llm.stream_chat(messages)
            stack.callback(getattr(replies, "close", lambda: None))  # ends the request early
            for response in replies:
                delta = response.delta or ""
                stats["tokens"] += 1 if delta else 0
                for sentence in splitter.feed(delta):
                    text = verified(sentence)
                    if text:
                        yield text
                if no_answer:
                    break
                if time.perf_counter() - started > self.cfg.timeout:
                    problem = f"took longer than {self.cfg.timeout:g} s"
                    break
            if not no_answer and not problem:
                for sentence in splitter.flush():
                    text = verified(sentence)
                    if text:
                        yield text
        except GenerationError as exc:
            problem = str(exc)
        except Exception as exc:  # timeouts, refused connections, HTTP 5xx, bad replies
            # The type and HTTP status only: a server's error text may quote the prompt.
            status = getattr(exc, "status_code", None)
            problem = type(exc).__name__ + (f" (HTTP {status})" if status else "")
        finally:
            stack.close()
        generate_s = time.perf_counter() - started
        dropped = [c for c in checked if not c.kept]
        info = {
            "sentences": len(checked),
            "kept": len(kept),
            "dropped": [{"reason": c.reason, "sentence": c.text} for c in dropped],
            "removed_marks": sorted({n for c in checked for n in c.removed_marks}),
            "attributed": sum(c.attributed for c in checked if c.kept),
            "tokens": stats["tokens"],
            "tokens_per_s": round(stats["tokens"] / generate_s, 2) if generate_s > 0 else 0.0,
            "first_sentence_ms": stats["first_sentence_ms"],
            "problem": problem,
        }
        if dropped:  # the kinds of reason only: names and numbers may echo the question
            log.info(
                "verification dropped %d of %d sentences (%s)",
                len(dropped),
                len(checked),
                ", ".join(c.reason.split(" ", 1)[0] for c in dropped),
            )
        timings = dict(extractive.timings_ms)
        timings["generate"] = generate_s * 1e3
        timings["total"] = timings.get("total", 0.0) + generate_s * 1e3
        if not kept:
            why = problem or ("model found no answer" if no_answer else "no sentence verified")
            if problem:
                log.warning("LLM answer failed (%s); giving the extractive answer", problem)
            else:
                log.info("LLM answer not used (%s); giving the extractive answer", why)
            info["fallback"] = why
            yield from _pieces(extractive.answer)
            yield GeneratedAnswer(
                extractive.question,
                extractive.answer,
                extractive.refused,
                extractive.citations,
                mode=FALLBACK_MODE,
                timings_ms=timings,
                reason=f"{extractive.reason}; llm fallback: {why}",
                retrieval=extractive.retrieval,
                verification=info,
            )
            return
        if problem:
            log.warning("LLM answer cut short (%s); keeping the verified sentences", problem)
        citations = []
        for n, shown in sorted(numbering.order.items(), key=lambda kv: kv[1]):
            s = by_n[n]
            citations.append(
                Citation(
                    shown, s.doc_id, s.title, s.url, s.chunk_id, s.passage.text, round(s.score, 4)
                )
            )
        yield GeneratedAnswer(
            extractive.question,
            " ".join(kept),
            False,
            citations,
            mode="llm",
            timings_ms=timings,
            reason=f"{extractive.reason}; llm: {len(kept)} of {len(checked)} sentences verified",
            retrieval=extractive.retrieval,
            verification=info,
        )

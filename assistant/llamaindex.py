"""llama-index integration: our embedders as llama-index ``BaseEmbedding``.

Kept apart from ``assistant.embedders`` so that the query path never pays for
importing llama-index (~1 s).
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.embeddings.base import BaseEmbedding
from pydantic import PrivateAttr

from assistant.embedders import Embedder


class LlamaIndexEmbedding(BaseEmbedding):
    """A llama-index embedding model backed by one of our embedders."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder: Embedder, **kwargs: Any):
        super().__init__(model_name=embedder.name, **kwargs)
        self._embedder = embedder

    @classmethod
    def class_name(cls) -> str:
        return "RSIEncoderEmbedding"

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._embedder.embed_query(query).tolist()

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._embedder.embed_passages([text])[0].tolist()

    def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
        return self._embedder.embed_passages(texts).tolist()

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._get_query_embedding(query)


def as_llama_embedding(embedder: Embedder) -> LlamaIndexEmbedding:
    return LlamaIndexEmbedding(embedder)

"""llama-index integration: the Danish hybrid retrieval and the cited answers as
llama-index components, and our embedders as a llama-index ``BaseEmbedding``.

- ``RSIRetriever`` (a ``BaseRetriever``): our hybrid Danish retrieval (BM25 with
  compounds and typos, dense vectors, fused by reciprocal rank) as
  ``NodeWithScore(TextNode(id_=chunk_id, ...))``; any llama-index component that
  takes a retriever can use it.
- ``RSIQueryEngine`` (a ``CustomQueryEngine``): our answer, with ``[n]`` citations,
  as a llama-index ``Response`` whose ``source_nodes`` are exactly the citations.

Both load the index of ``assistant.settings.Settings`` with ``.from_settings()``,
building it first when it is missing or older than the corpus. Nothing here needs
an LLM or touches llama-index's global ``Settings``: a stock component that needs
an LLM gets one passed in by its caller.

Kept apart from the core: the CLI, the API and the chat page never import this
module, so a cold ``rsi-assistant ask`` does not pay for importing llama_index.core
(~1 s; tests/test_cli.py guards it).
"""

from __future__ import annotations

from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.base.response.schema import Response
from llama_index.core.query_engine import CustomQueryEngine
from llama_index.core.schema import (
    NodeRelationship,
    NodeWithScore,
    QueryBundle,
    RelatedNodeInfo,
    TextNode,
)
from pydantic import Field, PrivateAttr, field_validator

from assistant.answer import Citation
from assistant.chunking import Chunk
from assistant.embedders import Embedder, make_embedder
from assistant.service import AssistantService
from assistant.settings import Settings

__all__ = ["LlamaIndexEmbedding", "RSIQueryEngine", "RSIRetriever", "as_llama_embedding"]


def load_service(
    settings: Settings | None = None, embedder: Embedder | None = None
) -> AssistantService:
    """An ``AssistantService`` over the configured index, built first if needed.

    ``settings=None`` means ``Settings()`` (the ``RSI_*`` environment). The index is
    loaded here, so a missing corpus or a mismatched embedder fails now, with a
    message that says what to do, not at the first question.
    """
    settings = settings if settings is not None else Settings()
    embedder = embedder or make_embedder(settings.embedder)
    service = AssistantService(settings, embedder)
    service.store.ensure(embedder)
    service.assistant()
    return service


def chunk_node(source: Chunk | Citation, **metadata: Any) -> TextNode:
    """A retrieved chunk or a cited one as a llama-index node: the chunk's id and
    text, and the document it comes from (also as the node's ``ref_doc_id``)."""
    return TextNode(
        id_=source.chunk_id,
        text=source.text,
        metadata={**metadata, "doc_id": source.doc_id, "title": source.title, "url": source.url},
        relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=source.doc_id)},
    )


class RSIRetriever(BaseRetriever):
    """The hybrid Danish retrieval as a llama-index retriever.

    Scores are the fused reciprocal-rank scores (higher is better); ``top_k``
    defaults to ``settings.retrieval.top_k``.
    """

    def __init__(self, service: AssistantService, top_k: int | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.service = service
        self.top_k = top_k

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        top_k: int | None = None,
    ) -> RSIRetriever:
        """Load (building if needed) the index of ``settings`` (None: ``Settings()``)."""
        return cls(load_service(settings, embedder), top_k=top_k)

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        assistant = self.service.assistant()
        question = " ".join(query_bundle.query_str.split())
        top_k = self.top_k or assistant.settings.retrieval.top_k
        retrieval = assistant.retriever.search(question, top_k=top_k)
        return [
            NodeWithScore(node=chunk_node(hit.chunk), score=hit.score) for hit in retrieval.hits
        ]


class RSIQueryEngine(CustomQueryEngine):
    """Our cited answers as a llama-index query engine.

    ``response`` is the Danish answer with ``[n]`` citations; ``source_nodes`` are
    the citations in ``[n]`` order (``metadata["n"]`` is the number); a refusal is
    the Danish refusal text with no source nodes. ``metadata`` holds ``refused``,
    ``mode`` and ``timings_ms``. ``history`` (the conversation so far, oldest first,
    as ``{"role", "content"}`` dicts or llama-index ``ChatMessage``s) lets a
    follow-up question ("Og hvem er medlemmer af den?") lean on the previous one.
    """

    service: AssistantService = Field(exclude=True)
    history: list[dict] = Field(default_factory=list)

    @field_validator("history", mode="before")
    @classmethod
    def _as_dicts(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [
                m
                if isinstance(m, dict)
                else {"role": getattr(m.role, "value", m.role), "content": m.content}
                for m in value
            ]
        return value

    @classmethod
    def from_settings(
        cls,
        settings: Settings | None = None,
        *,
        embedder: Embedder | None = None,
        history: list | None = None,
    ) -> RSIQueryEngine:
        """Load (building if needed) the index of ``settings`` (None: ``Settings()``)."""
        return cls(service=load_service(settings, embedder), history=history or [])

    def with_history(self, history: list) -> RSIQueryEngine:
        """The same engine (same loaded index) answering within ``history``."""
        return type(self)(service=self.service, history=history)

    def as_retriever(self, top_k: int | None = None) -> RSIRetriever:
        """A retriever over the same loaded index."""
        return RSIRetriever(self.service, top_k=top_k)

    def custom_query(self, query_str: str) -> Response:
        answer = self.service.answer(query_str, self.history or None)
        nodes = [
            NodeWithScore(node=chunk_node(c, n=c.n), score=c.score)
            for c in sorted(answer.citations, key=lambda c: c.n)
        ]
        return Response(
            response=answer.answer,
            source_nodes=nodes,
            metadata={
                "refused": answer.refused,
                "mode": answer.mode,
                "timings_ms": answer.timings_ms,
            },
        )


class LlamaIndexEmbedding(BaseEmbedding):
    """A llama-index embedding model backed by one of our embedders."""

    _embedder: Any = PrivateAttr()

    def __init__(self, embedder: Embedder, **kwargs: Any):
        super().__init__(model_name=embedder.name, **kwargs)
        self._embedder = embedder

    @classmethod
    def class_name(cls) -> str:
        return "RSIEmbedding"

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

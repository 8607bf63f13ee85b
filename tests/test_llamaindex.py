"""The llama-index integration: RSIRetriever and RSIQueryEngine on the bundled corpus."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from assistant import wording
from assistant.index import current_build, load_index
from assistant.llamaindex import RSIQueryEngine, RSIRetriever
from assistant.service import AssistantService
from assistant.settings import RetrievalSettings

CHAIR = "Hvem er formand for RSI-direktørkredsen?"
OUT_OF_SCOPE = "Hvordan bliver vejret i Aarhus i morgen?"
CITE = re.compile(r"\[(\d+)\]")


@pytest.fixture(scope="module")
def fake_settings(build_fake_rsi_index, tmp_path_factory):
    return build_fake_rsi_index(tmp_path_factory.mktemp("llamaindex"))


@pytest.fixture(scope="module")
def engine(fake_settings) -> RSIQueryEngine:
    return RSIQueryEngine.from_settings(fake_settings)


def _chunks_by_id(settings) -> dict:
    return {c.chunk_id: c for c in load_index(settings.index_dir).chunks}


def _assert_nodes_are_the_citations(response) -> None:
    """source_nodes are exactly the answer's [n] citations, in [n] order."""
    cited = sorted({int(n) for n in CITE.findall(response.response)})
    numbers = [s.node.metadata["n"] for s in response.source_nodes]
    assert numbers == cited == list(range(1, len(cited) + 1))


def test_retriever_returns_the_hybrid_hits_as_text_nodes(fake_settings, engine):
    retriever = RSIRetriever.from_settings(fake_settings)
    nodes = retriever.retrieve(CHAIR)
    chunks = _chunks_by_id(fake_settings)
    assert len(nodes) == fake_settings.retrieval.top_k
    for hit in nodes:
        chunk = chunks[hit.node.node_id]  # every id is a chunk of the index
        assert hit.node.text == chunk.text
        assert hit.node.metadata == {"doc_id": chunk.doc_id, "title": chunk.title, "url": None}
        assert hit.node.ref_doc_id == "regionernes-sundheds-it"
    assert [n.score for n in nodes] == sorted((n.score for n in nodes), reverse=True)
    assert "direktøren for Danske Regioner" in nodes[0].node.text
    # The same ranking as the retrieval behind the answers.
    hits = retriever.service.assistant().retriever.search(CHAIR).hits
    assert [n.node.node_id for n in nodes] == [h.chunk.chunk_id for h in hits]
    assert [n.score for n in nodes] == [h.score for h in hits]


def test_retriever_top_k_comes_from_settings_or_the_caller(fake_settings, engine):
    three = fake_settings.model_copy(update={"retrieval": RetrievalSettings(top_k=3)})
    assert len(RSIRetriever(AssistantService(three)).retrieve(CHAIR)) == 3
    assert len(engine.as_retriever(top_k=2).retrieve(CHAIR)) == 2


def test_query_engine_answers_with_the_citations_as_source_nodes(engine):
    response = engine.query(CHAIR)
    answer = engine.service.answer(CHAIR)
    assert response.response == answer.answer
    assert "direktøren for Danske Regioner" in response.response
    _assert_nodes_are_the_citations(response)
    assert [s.node.node_id for s in response.source_nodes] == [c.chunk_id for c in answer.citations]
    first = response.source_nodes[0]
    assert first.node.text == answer.citations[0].text
    assert first.score == answer.citations[0].score
    assert first.node.metadata == {
        "n": 1,
        "doc_id": "regionernes-sundheds-it",
        "title": answer.citations[0].title,
        "url": None,
    }
    assert response.metadata["refused"] is False
    assert response.metadata["mode"] == "extractive"


def test_a_refusal_has_no_source_nodes(engine):
    response = engine.query(OUT_OF_SCOPE)
    assert response.response == wording.REFUSAL_NOT_COVERED
    assert response.source_nodes == []
    assert response.metadata["refused"] is True


def test_history_lets_a_follow_up_lean_on_the_previous_question(engine):
    from llama_index.core.llms import ChatMessage, MessageRole

    first = "Hvad er Styregruppen for systemforvaltning?"
    follow_up = "Og hvem er medlemmer af den?"
    as_dicts = [{"role": "user", "content": first}]
    as_messages = [ChatMessage(role=MessageRole.USER, content=first)]
    expected = engine.service.answer(follow_up, as_dicts)
    assert expected.retrieval is not None and expected.retrieval.followup
    for history in (as_dicts, as_messages):
        response = engine.with_history(history).query(follow_up)
        assert response.response == expected.answer
        _assert_nodes_are_the_citations(response)
    assert engine.history == []  # with_history gives a new engine


def test_from_settings_builds_a_missing_index(make_settings, rsi_corpus, tmp_path):
    settings = make_settings(tmp_path)
    assert current_build(settings.index_dir) is None
    retriever = RSIRetriever.from_settings(settings)
    assert current_build(settings.index_dir) is not None
    chunks = _chunks_by_id(settings)
    assert {n.node.node_id for n in retriever.retrieve(CHAIR)} <= set(chunks)


def test_from_settings_none_reads_the_environment(monkeypatch, rsi_corpus, tmp_path):
    monkeypatch.setenv("RSI_CORPUS_DIR", str(rsi_corpus))
    monkeypatch.setenv("RSI_INDEX_DIR", str(tmp_path / "env-index"))
    monkeypatch.setenv("RSI_EMBEDDER", "fake")
    engine = RSIQueryEngine.from_settings()
    assert engine.service.settings.index_dir == tmp_path / "env-index"
    assert current_build(tmp_path / "env-index") is not None
    assert not engine.query(CHAIR).metadata["refused"]


def test_stock_retriever_query_engine_consumes_the_retriever(engine):
    from llama_index.core.llms import MockLLM
    from llama_index.core.postprocessor import SimilarityPostprocessor
    from llama_index.core.query_engine import RetrieverQueryEngine

    retriever = engine.as_retriever(top_k=3)
    stock = RetrieverQueryEngine.from_args(
        retriever,
        llm=MockLLM(),  # echoes its prompt: the passages reach the LLM
        node_postprocessors=[SimilarityPostprocessor(similarity_cutoff=0.0)],
    )
    response = stock.query(CHAIR)
    expected = [n.node.node_id for n in retriever.retrieve(CHAIR)]
    assert [s.node.node_id for s in response.source_nodes] == expected
    assert "direktøren for Danske Regioner" in str(response)


_PROBE = """
import json, sys
from llama_index.core import Settings as LlamaSettings
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from assistant.llamaindex import RSIQueryEngine, RSIRetriever
from assistant.service import AssistantService
from assistant.settings import RetrievalSettings
from assistant.settings import Settings

settings = Settings(corpus_dir=sys.argv[1], index_dir=sys.argv[2], embedder={"backend": "fake"})
q = "Hvem er formand for RSI-direktørkredsen?"

def use():
    engine = RSIQueryEngine.from_settings(settings)
    engine.query(q)
    retriever = RSIRetriever.from_settings(settings)
    retriever.retrieve(q)
    RetrieverQueryEngine.from_args(retriever, llm=MockLLM()).query(q)

use()  # with llama-index's global Settings never set
llm, embed = MockLLM(max_tokens=3), MockEmbedding(embed_dim=3)
LlamaSettings.llm, LlamaSettings.embed_model = llm, embed
use()
print("PROBE " + json.dumps({
    "openai": sorted(m for m in sys.modules if m.split(".")[0] == "openai"
                     or m.startswith(("llama_index.llms.openai", "llama_index.embeddings.openai"))),
    "settings_kept": LlamaSettings.llm is llm and LlamaSettings.embed_model is embed,
}))
"""


def test_no_openai_import_and_global_settings_untouched(rsi_corpus, tmp_path):
    """In a fresh process: llama-index never resolves its OpenAI defaults for us, and
    our components leave llama-index's global Settings as the caller set them."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RSI_")}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parent.parent)  # this checkout
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(rsi_corpus), str(tmp_path / "index")],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout.rpartition("PROBE ")[2])
    assert report == {"openai": [], "settings_kept": True}


@pytest.mark.model
def test_real_model_retriever_and_query_engine(real_settings):
    from assistant.embedders import make_embedder

    embedder = make_embedder(real_settings.embedder)
    retriever = RSIRetriever.from_settings(real_settings, embedder=embedder)
    engine = RSIQueryEngine(service=retriever.service)
    chunks = _chunks_by_id(real_settings)
    nodes = retriever.retrieve(CHAIR)
    assert nodes and all(n.node.node_id in chunks for n in nodes)
    assert "direktøren for Danske Regioner" in nodes[0].node.text

    response = engine.query(CHAIR)
    assert "direktøren for Danske Regioner" in response.response
    _assert_nodes_are_the_citations(response)
    assert all(s.node.node_id in chunks for s in response.source_nodes)
    assert "direktøren for Danske Regioner" in response.source_nodes[0].node.text

    refused = engine.query(OUT_OF_SCOPE)
    assert refused.metadata["refused"] is True and refused.source_nodes == []

"""Generated answers through a real OpenAI-compatible HTTP server on 127.0.0.1.

The server is written here (http.server in a thread) and replies as each test
scripts it, plain or streamed as server-sent events, slowly, or with HTTP 500.
The answers go through ``AssistantService`` exactly as the adapters call it.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

pytest.importorskip("llama_index.llms.openai_like")

from assistant.answer import Answer  # noqa: E402
from assistant.embedders import make_embedder  # noqa: E402
from assistant.evals.metrics import citation_problems  # noqa: E402
from assistant.generate import FALLBACK_MODE, build_messages, make_llm  # noqa: E402
from assistant.index import build_index  # noqa: E402
from assistant.service import AssistantService  # noqa: E402
from assistant.settings import LLMSettings  # noqa: E402

CORPUS = (
    "Fora under RSI\n\n"
    "RSI ledes af tre fora. Formanden for RSI-direktørkredsen er direktøren for Danske Regioner.\n\n"
    "Digitaliseringskredsen\n\n"
    "Digitaliseringskredsen har to medlemmer fra hver region og er øverste styregruppe.\n\n"
    "Systemforvaltning\n\n"
    "Styregruppen for systemforvaltning har medlemmer fra driften af de fælles løsninger.\n\n"
    "Projekter\n\n"
    "Regionerne samarbejder om 15 it-projekter, fx telemedicin til KOL-patienter.\n"
)
QUESTION = "Hvor mange medlemmer har Digitaliseringskredsen?"
FACT = "Digitaliseringskredsen har to medlemmer fra hver region"

Reply = str | dict  # text, or {"status": 500} / {"delay": s, "text": ...} / {"chunks": [...]}


class ScriptedOpenAI:
    """A tiny OpenAI-compatible chat server: ``reply(messages) -> Reply``."""

    def __init__(self, reply: Callable[[list[dict]], Reply]):
        self.reply = reply
        self.requests: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                outer.requests.append(body)
                script = outer.reply(body["messages"])
                if isinstance(script, str):
                    script = {"text": script}
                if script.get("status"):
                    self.send_response(script["status"])
                    self.send_header("Content-Type", "application/json")
                    self.end_headers()
                    self.wfile.write(b'{"error": {"message": "scripted failure"}}')
                    return
                time.sleep(script.get("delay", 0))
                chunks = script.get("chunks") or re.findall(r"\S+\s*", script["text"])
                try:
                    if body.get("stream"):
                        self._stream(chunks, script.get("pause", 0))
                    else:
                        self._plain("".join(chunks))
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def _plain(self, text: str):
                data = json.dumps(
                    {
                        "id": "x",
                        "object": "chat.completion",
                        "created": 0,
                        "model": "scripted",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": text},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
                    }
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, chunks: list, pause: float):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                for i, chunk in enumerate(chunks):
                    if isinstance(chunk, float):  # a pause in the middle of the reply
                        time.sleep(chunk)
                        continue
                    event = {
                        "id": "x",
                        "object": "chat.completion.chunk",
                        "created": 0,
                        "model": "scripted",
                        "choices": [
                            {
                                "index": 0,
                                "delta": {"role": "assistant", "content": chunk}
                                if i == 0
                                else {"content": chunk},
                                "finish_reason": None,
                            }
                        ],
                    }
                    self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
                    self.wfile.flush()
                    time.sleep(pause)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def passage_number(messages: list[dict], needle: str) -> int:
    """The number the prompt gave the passage that holds ``needle``."""
    for line in messages[-1]["content"].splitlines():
        m = re.match(r"\[(\d+)\] ", line)
        if m and needle in line:
            return int(m.group(1))
    raise AssertionError(f"no passage with {needle!r} in the prompt")


@pytest.fixture(scope="module")
def index_root(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("llm")
    (root / "corpus").mkdir()
    (root / "corpus" / "rsi.txt").write_text(CORPUS, encoding="utf-8")
    return root


@pytest.fixture
def server():
    servers: list[ScriptedOpenAI] = []

    def start(reply: Callable[[list[dict]], Reply]) -> ScriptedOpenAI:
        servers.append(ScriptedOpenAI(reply))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


@pytest.fixture(scope="module")
def _warm_client(index_root):
    """The index, and one request first: the OpenAI client imports much of itself on
    its first request (seconds on a busy machine), which would blur the timing tests.
    Servers do the same at startup (``AssistantService.warm_up``)."""
    from assistant.settings import Settings

    warm = ScriptedOpenAI(lambda m: "OK")
    settings = Settings(
        corpus_dir=index_root / "corpus",
        index_dir=index_root / "index",
        data_dir=index_root / "data",
        embedder={"backend": "fake"},
        chunking={"max_words": 20},
        llm={"backend": "openai", "base_url": warm.url, "model": "scripted", "timeout": 60},
    )
    build_index(settings, make_embedder(settings.embedder))
    assert make_llm(settings.llm, settings.data_dir).complete("OK?").text == "OK"
    warm.close()


@pytest.fixture
def service_for(index_root, make_settings, _warm_client):
    """``service_for(url, **llm) -> AssistantService`` over the small corpus, top 3."""

    def make(url: str, **llm) -> AssistantService:
        settings = make_settings(
            index_root,
            chunking={"max_words": 20},
            retrieval={"top_k": 3},
            llm={"backend": "openai", "base_url": url, "model": "scripted", "timeout": 30, **llm},
        )
        return AssistantService(settings)

    return make


def _corpus() -> list[str]:
    return [CORPUS]


def test_a_good_reply_passes_with_its_citations(server, service_for):
    srv = server(
        lambda m: (
            f"{FACT} [{passage_number(m, FACT)}]. "
            f"Den er øverste styregruppe [{passage_number(m, FACT)}]."
        )
    )
    result = service_for(srv.url).answer(QUESTION)
    assert result.mode == "llm" and not result.refused
    assert result.answer == f"{FACT} [1]. Den er øverste styregruppe [1]."
    assert [c.n for c in result.citations] == [1]
    assert FACT in result.citations[0].text
    d = result.to_dict()
    assert citation_problems(d["answer"], d["refused"], d["citations"], _corpus()) == []
    # The model was told, in Danish, to answer from the numbered passages only.
    messages = srv.requests[0]["messages"]
    assert messages[0]["role"] == "system" and "kilder" in messages[0]["content"]
    assert QUESTION in messages[-1]["content"]
    assert len(re.findall(r"^\[\d\] ", messages[-1]["content"], re.M)) == 3


def test_a_citation_to_a_passage_that_was_not_given_is_removed(server, service_for):
    srv = server(lambda m: f"{FACT} [{passage_number(m, FACT)}][7].")
    result = service_for(srv.url).answer(QUESTION)
    assert result.mode == "llm"
    assert "[7]" not in result.answer and result.answer == f"{FACT} [1]."
    assert result.verification["removed_marks"] == [7]
    d = result.to_dict()
    assert citation_problems(d["answer"], d["refused"], d["citations"], _corpus()) == []


def test_sentences_with_a_number_or_name_from_no_passage_are_dropped(server, service_for):
    srv = server(
        lambda m: (
            f"{FACT} [{passage_number(m, FACT)}]. "
            f"Digitaliseringskredsen har 12 medlemmer i alt [{passage_number(m, FACT)}]. "
            f"Digitaliseringskredsen ledes af Jens Hansen [{passage_number(m, FACT)}]."
        )
    )
    result = service_for(srv.url).answer(QUESTION)
    assert result.mode == "llm"
    assert result.answer == f"{FACT} [1]."
    reasons = [d["reason"] for d in result.verification["dropped"]]
    assert reasons[0].startswith("number 12") and reasons[1].startswith("name 'Jens'")


def test_a_reply_that_is_all_invention_falls_back_to_extractive(server, service_for):
    srv = server(
        lambda m: (
            "Kredsen blev grundlagt i 1999 af Mette Frederiksen [1]. Den mødes 52 gange om året [2]."
        )
    )
    service = service_for(srv.url)
    extractive = service.assistant().answer(QUESTION)
    result = service.answer(QUESTION)
    assert result.mode == FALLBACK_MODE
    assert result.answer == extractive.answer and FACT in result.answer
    assert [c.chunk_id for c in result.citations] == [c.chunk_id for c in extractive.citations]
    assert result.verification["kept"] == 0 and len(result.verification["dropped"]) == 2


def test_the_model_saying_the_sources_do_not_answer_falls_back(server, service_for):
    srv = server(lambda m: "Det fremgår ikke af kilderne.")
    result = service_for(srv.url).answer(QUESTION)
    assert result.mode == FALLBACK_MODE and FACT in result.answer
    assert result.verification["fallback"] == "model found no answer"


@pytest.mark.parametrize("script", [{"status": 500}, {"delay": 8, "text": f"{FACT} [1]."}])
def test_a_failing_or_slow_server_gives_the_extractive_answer(server, service_for, caplog, script):
    srv = server(lambda m: script)
    service = service_for(srv.url, timeout=1)
    started = time.perf_counter()
    with caplog.at_level(logging.WARNING):
        result = service.answer(QUESTION)
    assert time.perf_counter() - started < 6  # did not wait for the slow reply
    assert result.mode == FALLBACK_MODE and FACT in result.answer and not result.refused
    assert "LLM answer failed" in caplog.text
    assert QUESTION not in caplog.text and "Digitaliseringskredsen" not in caplog.text


def test_an_unreachable_server_gives_the_extractive_answer(service_for, caplog):
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with caplog.at_level(logging.WARNING):
        result = service_for(f"http://127.0.0.1:{port}/v1").answer(QUESTION)
    assert result.mode == FALLBACK_MODE and FACT in result.answer
    assert "LLM answer failed" in caplog.text and QUESTION not in caplog.text


def test_a_refusal_is_decided_before_any_llm_call(server, service_for):
    srv = server(lambda m: "Vejret i morgen bliver solrigt [1].")
    result = service_for(srv.url).answer("Hvad koster en kop kaffe i kantinen på Mars?")
    assert result.refused and result.mode == "extractive"
    assert srv.requests == []


def test_streaming_yields_verified_sentences_as_they_come(server, service_for):
    def reply(m):
        n = passage_number(m, FACT)
        return {
            "chunks": [
                f"{FACT} ",
                f"[{n}]. ",
                "Den har 12 medlemmer ",
                f"[{n}]. ",  # invented number: dropped
                1.0,  # the model thinks for a second
                f"Den er øverste styregruppe [{n}].",
            ]
        }

    srv = server(reply)
    service = service_for(srv.url)
    started = time.perf_counter()
    pieces, arrivals = [], []
    for piece in service.stream(QUESTION):
        pieces.append(piece)
        arrivals.append(time.perf_counter() - started)
    final = pieces[-1]
    assert isinstance(final, Answer) and final.mode == "llm"
    texts = pieces[:-1]
    assert all(isinstance(t, str) for t in texts)
    assert "".join(texts) == final.answer == f"{FACT} [1]. Den er øverste styregruppe [1]."
    assert texts[0] == f"{FACT} [1]."
    assert arrivals[0] < arrivals[-1] - 0.5  # the first sentence came before the pause ended
    assert srv.requests[0]["stream"] is True


def test_streaming_falls_back_to_the_extractive_answer_in_pieces(server, service_for):
    srv = server(lambda m: {"status": 500})
    service = service_for(srv.url)
    pieces = list(service.stream(QUESTION))
    final = pieces[-1]
    assert final.mode == FALLBACK_MODE
    assert "".join(pieces[:-1]) == final.answer and FACT in final.answer


def test_history_reaches_the_model_without_old_citation_marks(server, service_for):
    srv = server(lambda m: f"{FACT} [{passage_number(m, FACT)}].")
    history = [
        {"role": "user", "content": "Hvad er Digitaliseringskredsen?"},
        {"role": "assistant", "content": "Den er øverste styregruppe [1]."},
    ]
    result = service_for(srv.url).answer("Og hvor mange medlemmer har den?", history)
    assert result.mode == "llm"
    roles = [m["role"] for m in srv.requests[0]["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert srv.requests[0]["messages"][2]["content"] == "Den er øverste styregruppe."


def test_warm_up_sends_one_small_request_and_survives_a_dead_server(server, service_for, caplog):
    srv = server(lambda m: "OK")
    service = service_for(srv.url)
    service.warm_up()
    assert len(srv.requests) == 1 and srv.requests[0]["max_tokens"] == 1
    srv.close()
    dead = service_for(srv.url, timeout=1)
    with caplog.at_level(logging.WARNING):
        dead.warm_up()  # logs, never raises
    assert "LLM warm-up failed" in caplog.text


def test_the_openai_backend_is_built_as_documented():
    llm = make_llm(
        LLMSettings(backend="openai", base_url="http://127.0.0.1:9/v1", model="m", timeout=7),
        Path("data"),
    )
    assert type(llm).__name__ == "OpenAILike"
    assert (llm.max_retries, llm.timeout, llm.is_chat_model) == (0, 7, True)
    assert llm.tokenizer is None  # a tokenizer name would reach for the model hub


def test_the_prompt_fits_the_context_window():
    from assistant.generate import Source
    from assistant.verify import Passage

    cfg = LLMSettings(backend="openai", context_window=1024, max_tokens=100)
    sources = [Source(Passage(i, "ord " * 300), "d", "T", None, f"d#{i}", 0.5) for i in range(1, 6)]
    messages = build_messages("Hvad?", None, sources, cfg)
    assert len(messages[-1].content) < 1024 * 3
    assert "[1] T: " in messages[-1].content and "[5] T: " not in messages[-1].content


def _copy_first_passage(messages: list[dict]) -> str:
    """A 'model' that answers with the first sentence of passage [1], cited."""
    for line in messages[-1]["content"].splitlines():
        m = re.match(r"\[1\] [^:]*: (.+?[.!?])(\s|$)", line)
        if m:
            return f"{m.group(1)[:-1]} [1]."
    return "Det fremgår ikke af kilderne."


def test_eval_llm_scores_llm_and_extractive_side_by_side(server, service_for):
    from assistant.evals.llm import evaluate_llm, llm_table

    srv = server(_copy_first_passage)
    settings = service_for(srv.url).settings
    items = [
        {
            "id": "a",
            "category": "factual",
            "split": "tune",
            "question": QUESTION,
            "history": [],
            "facts": [["to medlemmer fra hver region"]],
            "evidence": [FACT],
            "refuse": False,
        },
        {
            "id": "b",
            "category": "refuse",
            "split": "tune",
            "question": "Hvad koster en kop kaffe i kantinen på Mars?",
            "history": [],
            "facts": [],
            "evidence": [],
            "refuse": True,
        },
    ]
    results = evaluate_llm(settings, items, progress=False)
    assert set(results) == {"ours", "llm"}
    llm, ours = results["llm"]["overall"], results["ours"]["overall"]
    assert llm["n"] == ours["n"] == 2
    assert llm["fact_recall"] == ours["fact_recall"] == 1.0
    assert llm["citation_failures"] == 0 and llm["refusal_recall"] == 1.0
    summary = results["llm"]["llm_summary"]
    assert summary["asked_llm"] == 1 and summary["llm_answers"] == 1
    assert summary["tokens_per_s_median"] > 0 and summary["first_sentence_p50_ms"] > 0
    table = llm_table(results)
    assert "fact recall" in table and "tokens/s" in table
    assert len(srv.requests) == 2  # warm-up, then the one answerable question


def test_llm_short_aliases_and_nested_variables_combine(monkeypatch):
    from assistant.settings import Settings

    monkeypatch.setenv("RSI_LLM", "openai")
    monkeypatch.setenv("RSI_LLM_BASE_URL", "http://gpu.example:8000/v1")
    monkeypatch.setenv("RSI_LLM_MODEL", "qwen")
    monkeypatch.setenv("RSI_LLM_API_KEY", "hemmelig")
    monkeypatch.setenv("RSI_LLM__TIMEOUT", "5")
    llm = Settings().llm
    assert (llm.backend, llm.base_url, llm.model, llm.timeout) == (
        "openai",
        "http://gpu.example:8000/v1",
        "qwen",
        5.0,
    )
    assert llm.api_key.get_secret_value() == "hemmelig" and "hemmelig" not in repr(llm)
    monkeypatch.setenv("RSI_LLM", "gpt")
    with pytest.raises(ValueError):
        Settings()


def _local_model() -> Path | None:
    from assistant.models import DEFAULT_MODEL, model_path

    root = Path(__file__).resolve().parent.parent
    path = model_path(DEFAULT_MODEL, root / "data")
    return path if path.is_file() else None


@pytest.mark.llm
@pytest.mark.skipif(_local_model() is None, reason="run `rsi-assistant models install` first")
def test_the_local_model_answers_one_question(index_root, make_settings, _warm_client):
    pytest.importorskip(
        "llama_cpp", reason='CMAKE_ARGS="-DGGML_NATIVE=OFF" pip install -e ".[local-llm]"'
    )
    settings = make_settings(
        index_root,
        chunking={"max_words": 20},
        retrieval={"top_k": 3},
        llm={"backend": "local", "path": str(_local_model()), "timeout": 300, "max_tokens": 120},
    )
    service = AssistantService(settings)
    result = service.answer(QUESTION)
    info = result.verification
    assert info["tokens"] > 0 and not info["problem"], info  # the model really generated
    assert result.mode in ("llm", FALLBACK_MODE) and not result.refused
    d = result.to_dict()
    assert citation_problems(d["answer"], d["refused"], d["citations"], _corpus()) == []
    if result.mode == "llm":  # what survived verification cites the passage with the fact
        assert any("to medlemmer fra hver region" in c.text for c in result.citations)


def test_verified_sentences_stream_end_to_end_through_api_chat(server, service_for):
    """/api/chat (SSE) carries the model's verified sentences; the invented one never."""
    from fastapi.testclient import TestClient

    from ui.app import create_app

    def reply(m):
        n = passage_number(m, FACT)
        return {"chunks": [f"{FACT} ", f"[{n}]. ", "Den har 12 medlemmer ", f"[{n}]."]}

    srv = server(reply)
    settings = service_for(srv.url).settings
    settings = settings.model_copy(
        update={"server": settings.server.model_copy(update={"rate_limit": ""})}
    )
    client = TestClient(create_app(settings, with_chat=False))
    r = client.post("/api/chat", json={"question": QUESTION})
    assert r.status_code == 200
    events = [
        (block.split("\n")[0].removeprefix("event: "), json.loads(block.split("\n")[1][6:]))
        for block in r.text.strip().split("\n\n")
    ]
    deltas = "".join(d.get("text", "") for e, d in events if e == "delta")
    assert deltas.strip() == f"{FACT} [1]."
    assert "12" not in deltas  # the unsupported sentence was dropped before streaming
    done = [d for e, d in events if e == "done"]
    assert done and done[-1]["mode"] == "llm" and done[-1]["citations"][0]["n"] == 1
    assert srv.requests and srv.requests[0]["stream"] is True

"""A health emergency gets the fixed safety reply on every channel (issue 11, item 6):
the CLI (``rsi-assistant ask --json``), ``/api/ask``, ``/api/chat`` (SSE),
``/v1/chat/completions`` (whole and streamed) and the chat page's handler. Each says to
call 112, is a refusal, and cites nothing. All over the fake-embedder RSI index.
"""

from __future__ import annotations

import json
import os

import pytest

from assistant import wording

QUESTION = "Jeg har ondt i brystet, hvad skal jeg gøre?"


@pytest.fixture(scope="module")
def settings(tmp_path_factory, build_fake_rsi_index):
    from assistant.settings import Settings

    with pytest.MonkeyPatch.context() as mp:  # module scope: conftest's autouse is not active
        for name in [n for n in os.environ if n.startswith("RSI_")]:
            mp.delenv(name)
        built = build_fake_rsi_index(tmp_path_factory.mktemp("health"))
        return Settings(
            corpus_dir=built.corpus_dir,
            index_dir=built.index_dir,
            data_dir=built.data_dir,
            embedder={"backend": "fake"},
            server={"rate_limit": "off"},  # tests/test_ratelimit.py covers it
        )


@pytest.fixture(scope="module")
def client(settings):
    from fastapi.testclient import TestClient

    from ui.app import create_app

    return TestClient(create_app(settings, with_chat=False))


def assert_safety_reply(text: str) -> None:
    assert "112" in text, text
    assert text.strip() == wording.HEALTH_REPLY, text
    assert "[1]" not in text and wording.SOURCES_HEADING not in text


def test_cli_ask_json(settings, monkeypatch, capsys):
    from assistant.cli import main

    monkeypatch.setenv("RSI_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("RSI_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("RSI_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("RSI_EMBEDDER__BACKEND", "fake")
    code = main(["ask", "--json", QUESTION])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert_safety_reply(data["answer"])
    assert data["refused"] is True and data["citations"] == []


def test_api_ask(client):
    data = client.post("/api/ask", json={"question": QUESTION}).json()
    assert_safety_reply(data["answer"])
    assert data["refused"] is True and data["citations"] == []


def test_api_chat_sse(client):
    r = client.post("/api/chat", json={"question": QUESTION})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = []
    for block in r.text.strip().split("\n\n"):
        name, data = block.split("\n", 1)
        events.append((name.removeprefix("event: "), json.loads(data.removeprefix("data: "))))
    assert [name for name, _ in events][-2:] == ["citations", "done"]
    streamed = "".join(data["text"] for name, data in events if name == "delta")
    assert_safety_reply(streamed)
    assert events[-2][1] == {"refused": True, "citations": []}
    done = events[-1][1]
    assert_safety_reply(done["answer"])
    assert done["refused"] is True and done["citations"] == []


def test_openai_chat_completions(client):
    body = {"model": "rsi-assistant", "messages": [{"role": "user", "content": QUESTION}]}
    data = client.post("/v1/chat/completions", json=body).json()
    assert_safety_reply(data["choices"][0]["message"]["content"])
    assert data["refused"] is True and data["citations"] == []


def test_openai_chat_completions_streamed(client):
    body = {"messages": [{"role": "user", "content": QUESTION}], "stream": True}
    r = client.post("/v1/chat/completions", json=body)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    blocks = r.text.strip().split("\n\n")
    assert blocks[-1] == "data: [DONE]"
    chunks = [json.loads(b.removeprefix("data: ")) for b in blocks[:-1]]
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
    assert_safety_reply(text)
    assert chunks[-1]["refused"] is True and chunks[-1]["citations"] == []


def test_chat_page_handler(settings):
    from assistant.service import AssistantService
    from ui.chat import as_text, build_chat

    demo = build_chat(AssistantService(settings))
    respond = next(f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "respond")
    shown, session, box = list(respond(QUESTION, None))[-1]
    assert box == ""
    assert [m["role"] for m in shown] == ["user", "assistant"]  # no "Kilder" block
    assert shown[-1]["content"] == as_text(wording.HEALTH_REPLY)
    assert "112" in shown[-1]["content"] and "](#" not in shown[-1]["content"]
    assert session["turns"][-1] == {"role": "assistant", "content": wording.HEALTH_REPLY}
    assert session["records"]["1"]["citations"] == []

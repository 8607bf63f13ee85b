"""The official ``openai`` Python client against /v1/chat/completions: through the
in-process TestClient, and over real HTTP to uvicorn on a free local port."""

from __future__ import annotations

import re
import socket
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

openai = pytest.importorskip("openai")

from assistant import wording  # noqa: E402
from assistant.settings import Settings  # noqa: E402
from ui.app import create_app  # noqa: E402

CORPUS_FILE = Path(__file__).parent.parent / "corpus" / "regionernes-sundheds-it.txt"
QUESTION = "Hvilke fora leder RSI?"


@pytest.fixture(scope="module")
def settings(tmp_path_factory, build_fake_rsi_index) -> Settings:
    s = build_fake_rsi_index(tmp_path_factory.mktemp("rsi-openai"))
    # One live server for the module: its requests must not run into RSI_RATE_LIMIT.
    return s.model_copy(update={"server": s.server.model_copy(update={"rate_limit": ""})})


@pytest.fixture(scope="module")
def live_url(settings):
    """The app served by uvicorn in a background thread on a free port."""
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, with_chat=False), port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}/v1"
    server.should_exit = True
    thread.join(timeout=5)


@pytest.fixture(params=["testclient", "uvicorn"])
def client(request, settings):
    if request.param == "testclient":
        http = TestClient(create_app(settings, with_chat=False))
        return openai.OpenAI(base_url="http://testserver/v1", api_key="x", http_client=http)
    url = request.getfixturevalue("live_url")
    return openai.OpenAI(base_url=url, api_key="x", max_retries=0, timeout=10)


def test_create_returns_answer_with_sources(client):
    completion = client.chat.completions.create(
        model="rsi-assistant", messages=[{"role": "user", "content": QUESTION}]
    )
    assert completion.object == "chat.completion"
    assert completion.model == "rsi-assistant"
    choice = completion.choices[0]
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    text = choice.message.content
    answer, sources = text.split(f"\n\n{wording.SOURCES_HEADING}:\n", 1)
    assert "Digitaliseringskredsen" in answer
    marks = set(re.findall(r"\[\d+\]", answer))
    assert "[1]" in marks
    assert all(f"{m} " in sources for m in marks)
    extra = completion.model_extra or {}
    assert [c["n"] for c in extra["citations"]] == list(range(1, len(extra["citations"]) + 1))
    assert extra["refused"] is False


def test_stream_joins_to_the_same_text(client):
    messages = [{"role": "user", "content": QUESTION}]
    whole = client.chat.completions.create(model="rsi-assistant", messages=messages)
    stream = client.chat.completions.create(model="rsi-assistant", messages=messages, stream=True)
    chunks = list(stream)
    assert len(chunks) >= 3
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == whole.choices[0].message.content
    assert chunks[-1].choices[0].finish_reason == "stop"


def test_followup_through_client(client):
    completion = client.chat.completions.create(
        model="rsi-assistant",
        messages=[
            {"role": "system", "content": "Svar kort."},
            {"role": "user", "content": "Hvilke it-projekter samarbejder regionerne om nu?"},
            {"role": "assistant", "content": "Fx telemedicin til KOL-patienter."},
            {"role": "user", "content": "Hvor mange er der af dem?"},
        ],
    )
    assert "15" in completion.choices[0].message.content


def test_refusal_and_errors_through_client(client):
    refused = client.chat.completions.create(
        model="rsi-assistant",
        messages=[{"role": "user", "content": "Hvordan bliver vejret i Aarhus i morgen?"}],
    )
    assert refused.choices[0].message.content == wording.REFUSAL_NOT_COVERED
    with pytest.raises(openai.BadRequestError) as info:
        client.chat.completions.create(
            model="rsi-assistant", messages=[{"role": "system", "content": "Hej"}]
        )
    assert info.value.status_code == 400
    assert info.value.response.json() == {"error": "empty_question", "message": wording.ERROR_EMPTY}


def test_models_list(client):
    assert [m.id for m in client.models.list()] == ["rsi-assistant"]

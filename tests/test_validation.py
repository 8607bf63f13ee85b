"""The one request validator (ui/validation.py) that /api, /v1 and the chat page share."""

from __future__ import annotations

import pytest

from assistant import wording
from assistant.settings import ServerSettings
from ui.errors import RequestError
from ui.validation import validate_question

LIMITS = ServerSettings(max_question_chars=40, max_history_messages=2, max_history_chars=50)


def refusal(question: str, history: list[dict] | None = None) -> RequestError:
    with pytest.raises(RequestError) as info:
        validate_question(question, history or [], LIMITS)
    return info.value


def test_accepts_and_strips():
    history = [{"role": "user", "content": "Hvad er RSI?\n\tMed tab."}]
    assert validate_question("  Hvem leder RSI?\n", history, LIMITS) == "Hvem leder RSI?"


@pytest.mark.parametrize(
    ("question", "history", "status", "code"),
    [
        ("", [], 400, "empty_question"),
        (" \n\t", [], 400, "empty_question"),
        ("x" * 41, [], 413, "question_too_long"),
        ("Hvad er RSI?", [{"role": "user", "content": "a"}] * 3, 413, "history_too_long"),
        ("Hvad er RSI?", [{"role": "user", "content": "a" * 51}], 413, "history_too_long"),
        ("Hvad er RSI\ud800?", [], 400, "invalid_request"),
        ("Hvad er RSI?", [{"role": "user", "content": "\udc00"}], 400, "invalid_request"),
        ("Hvad er\x00 RSI?", [], 400, "invalid_request"),
        ("Hvad er\x1b[31m RSI?", [], 400, "invalid_request"),
        ("Hvad er RSI?", [{"role": "assistant", "content": "a\x07"}], 400, "invalid_request"),
        ("Hvad er\x85 RSI?", [], 400, "invalid_request"),
    ],
)
def test_refusals(question, history, status, code):
    problem = refusal(question, history)
    assert (problem.status, problem.code) == (status, code)
    assert problem.message in vars(wording).values() or problem.message.startswith(
        wording.ERROR_TOO_LONG.split("{")[0]
    )


def test_control_characters_are_refused_by_every_adapter(tmp_path, build_fake_rsi_index):
    from fastapi.testclient import TestClient

    from ui.app import create_app

    settings = build_fake_rsi_index(tmp_path)
    client = TestClient(create_app(settings, with_chat=False))
    bad = "Hvad er\x00 RSI?"
    for path, body in (
        ("/api/ask", {"question": bad}),
        ("/api/chat", {"question": bad}),
        ("/v1/chat/completions", {"messages": [{"role": "user", "content": bad}]}),
        ("/api/feedback", {"rating": "up", "question": bad, "answer": "a"}),
    ):
        r = client.post(path, json=body)
        assert r.status_code == 400, (path, r.text)
        assert r.json()["error"] == "invalid_request"


def test_chat_page_uses_the_shared_validator(tmp_path, build_fake_rsi_index, monkeypatch):
    """The Gradio handler refuses what /api refuses, with the same Danish message."""
    from assistant.service import AssistantService
    from ui import chat
    from ui.chat import build_chat

    shown_warnings: list[str] = []
    monkeypatch.setattr(chat.gr, "Warning", shown_warnings.append)

    settings = build_fake_rsi_index(tmp_path)
    settings = settings.model_copy(
        update={"server": settings.server.model_copy(update={"max_question_chars": 40})}
    )
    demo = build_chat(AssistantService(settings))
    respond = next(f.fn for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "respond")
    for message, expected in (
        ("x" * 41, wording.ERROR_TOO_LONG.format(limit=40)),
        ("Hvad er\x00 RSI?", wording.ERROR_BAD_REQUEST),
    ):
        shown, _, box = list(respond(message, None))[-1]
        assert shown_warnings[-1] == expected
        assert shown == []  # nothing was asked
        assert box == message  # the text stays in the box to be corrected

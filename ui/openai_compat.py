"""OpenAI-compatible routes, so OpenAI clients and chat front-ends can use the
assistant: ``GET /v1/models`` and ``POST /v1/chat/completions`` (streaming or not).

The last user message is the question, earlier user and assistant messages the
history (trimmed to the newest ``max_history_messages``). The answer text is followed
by the plain-text sources block of ``Answer.sources_text``; the citations also travel
in the extra fields ``citations`` and ``refused``.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Any

from fastapi import APIRouter
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from assistant import wording
from assistant.answer import Answer
from ui.deps import Service
from ui.errors import ERROR_RESPONSES, RequestError, error_body
from ui.validation import validate_question

log = logging.getLogger(__name__)

router = APIRouter()

MODEL_ID = "rsi-assistant"


class OpenAIMessage(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: str
    content: str | list[dict[str, Any]] | None = None


class ChatCompletionRequest(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "model": MODEL_ID,
                    "stream": False,
                    "messages": [
                        {"role": "user", "content": "Hvem er formand for RSI-direktørkredsen?"}
                    ],
                }
            ]
        },
    )
    model: str = MODEL_ID
    messages: list[OpenAIMessage]
    stream: bool = Field(False, strict=True, description="Server-sent events if true.")


def message_text(content: str | list[dict[str, Any]] | None) -> str:
    """The text of an OpenAI message (a string, or the text parts of a list)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return " ".join(str(p.get("text", "")) for p in content if p.get("type") == "text")


def with_sources(result: Answer) -> str:
    """What an OpenAI client shows: the answer, then the plain-text sources."""
    sources = result.sources_text()
    return f"\n\n{sources}" if sources else ""


@router.get("/v1/models")
def models() -> dict:
    """The one model this server offers, for OpenAI clients that list models."""
    return {
        "object": "list",
        "data": [{"id": MODEL_ID, "object": "model", "created": 0, "owned_by": "rsi"}],
    }


@router.post(
    "/v1/chat/completions",
    responses={200: {"content": {"text/event-stream": {}}}, **ERROR_RESPONSES},
)
def chat_completions(body: ChatCompletionRequest, service: Service):
    """OpenAI-compatible chat. The last user message is the question, earlier user and
    assistant messages the history. Sources follow the answer text ("Kilder:") and
    travel in the extra field `citations`."""
    limits = service.settings.server
    turns = [
        {"role": m.role, "content": message_text(m.content)}
        for m in body.messages
        if m.role in ("user", "assistant")
    ]
    if not turns or turns[-1]["role"] != "user":
        raise RequestError(400, "empty_question", wording.ERROR_EMPTY)
    history = turns[:-1][-limits.max_history_messages :] if limits.max_history_messages else []
    question = validate_question(turns[-1]["content"], history, limits)
    cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.stream:
        result = service.answer(question, history)
        return {
            "id": cid,
            "object": "chat.completion",
            "created": created,
            "model": body.model,
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {
                        "role": "assistant",
                        "content": result.answer + with_sources(result),
                    },
                }
            ],
            "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            "citations": result.to_dict()["citations"],
            "refused": result.refused,
        }

    pieces = service.stream(question, history)  # an index problem raises here, as JSON

    def chunk(delta: dict, finish: str | None = None, **extra) -> str:
        data = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": created,
            "model": body.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
            **extra,
        }
        return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"

    def chunks() -> Iterator[str]:
        yield chunk({"role": "assistant", "content": ""})
        try:
            for piece in pieces:
                if isinstance(piece, Answer):
                    yield chunk({"content": with_sources(piece)})
                    yield chunk(
                        {}, "stop", citations=piece.to_dict()["citations"], refused=piece.refused
                    )
                else:
                    yield chunk({"content": piece})
        except Exception:  # the stream has started: say so in-band, then end it
            log.exception("streaming failed")
            yield chunk(
                {"content": wording.ERROR_INTERNAL},
                "stop",
                error=error_body("internal", wording.ERROR_INTERNAL),
            )
        yield "data: [DONE]\n\n"

    return StreamingResponse(chunks(), media_type="text/event-stream")

"""The project's own HTTP API: ``/api/ask``, ``/api/chat`` (server-sent events),
``/api/feedback`` and ``/healthz``. Each route validates with ``ui.validation`` and
calls the app's ``AssistantService`` (a dependency); errors become the Danish
``{"error", "message"}`` body in ``ui.app``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Annotated, Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from assistant import feedback, wording
from assistant.answer import Answer
from assistant.index import IndexCorrupt, IndexProblem
from ui.deps import Service
from ui.errors import ERROR_RESPONSES, RequestError, error_body
from ui.validation import check_text, validate_question

log = logging.getLogger(__name__)

router = APIRouter()


# --- request and response models ---------------------------------------------------


class Message(BaseModel):
    model_config = ConfigDict(extra="ignore")
    role: Literal["user", "assistant"]
    content: str


class AskRequest(BaseModel):
    """A question and, for follow-ups, the conversation so far (oldest first)."""

    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {"question": "Hvem er formand for RSI-direktørkredsen?", "history": []},
                {
                    "question": "Og hvem er medlemmer af den?",
                    "history": [
                        {"role": "user", "content": "Hvad er Digitaliseringskredsen?"},
                        {"role": "assistant", "content": "Digitaliseringskredsen er …"},
                    ],
                },
            ]
        },
    )
    question: str = Field(description="The question, in Danish or English.")
    history: list[Message] = Field(default_factory=list, description="Earlier messages.")


class CitationOut(BaseModel):
    n: int
    doc_id: str
    title: str
    url: str | None
    chunk_id: str
    text: str = Field(description="The cited passage, verbatim from the source.")
    score: float
    section: str = Field("", description="The heading of the passage's section.")
    date: str | None = Field(None, description="The document's date, when known.")


class AskResponse(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "question": "Hvem er formand for RSI-direktørkredsen?",
                    "answer": "RSI-direktørkredsen … hvor formanden er direktøren for Danske "
                    "Regioner [1].",
                    "refused": False,
                    "citations": [
                        {
                            "n": 1,
                            "doc_id": "regionernes-sundheds-it",
                            "title": "Regionernes Sundheds-it (RSI)",
                            "url": None,
                            "chunk_id": "regionernes-sundheds-it#3-1a2b3c4d",
                            "text": "1. RSI-direktørkredsen som har to medlemmer …",
                            "score": 0.03,
                        }
                    ],
                    "mode": "extractive",
                    "timings_ms": {"retrieve": 12.1, "answer": 0.4, "total": 12.5},
                }
            ]
        }
    )
    question: str
    answer: str
    refused: bool
    citations: list[CitationOut]
    mode: str
    timings_ms: dict[str, float]


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(
        extra="ignore",
        json_schema_extra={
            "examples": [
                {
                    "rating": "up",
                    "question": "Hvad er RSI?",
                    "answer": "RSI er …",
                    "citation_ids": ["rsi#0-1a2b3c4d"],
                }
            ]
        },
    )
    rating: Literal["up", "down", 1, -1] = Field(description="Thumbs up (up/1) or down.")
    question: str = Field(max_length=feedback.MAX_QUESTION_CHARS)
    answer: str = Field(max_length=feedback.MAX_ANSWER_CHARS)
    citation_ids: list[Annotated[str, Field(max_length=feedback.MAX_CITATION_ID_CHARS)]] = Field(
        default_factory=list, max_length=feedback.MAX_CITATIONS
    )
    comment: str = Field("", max_length=feedback.MAX_COMMENT_CHARS)

    @field_validator("rating", mode="before")
    @classmethod
    def _not_bool_or_float(cls, value):
        # JSON true and 1.0 equal 1 in Python; only the documented values count.
        if isinstance(value, bool | float):
            raise ValueError("rating is 'up', 'down', 1 or -1")
        return value


class FeedbackResponse(BaseModel):
    ok: bool
    id: int | None = Field(description="Row id of the stored feedback (null when not stored).")
    stored: bool = Field(description="False when feedback storage is off (RSI_FEEDBACK=off).")


class HealthResponse(BaseModel):
    status: Literal["ok"]
    index_loaded: bool
    store: Literal["files", "postgres"] = Field(
        description="Where the index lives: files in the index folder, or PostgreSQL "
        "(RSI_DATABASE_URL)."
    )
    build_id: str = Field(description="The index build this worker answers from.")
    documents: int
    chunks: int
    embedder: str


# --- routes ------------------------------------------------------------------------


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def _checked(body: AskRequest, service: Service) -> tuple[str, list[dict]]:
    history = [m.model_dump() for m in body.history]
    return validate_question(body.question, history, service.settings.server), history


@router.post("/api/ask", response_model=AskResponse, responses=ERROR_RESPONSES)
def api_ask(body: AskRequest, service: Service) -> dict:
    """Answer one question with inline [n] citations, or refuse in Danish."""
    question, history = _checked(body, service)
    return service.answer(question, history).to_dict()


@router.post(
    "/api/chat",
    responses={200: {"content": {"text/event-stream": {}}}, **ERROR_RESPONSES},
)
def api_chat(body: AskRequest, service: Service) -> StreamingResponse:
    """Stream the answer as server-sent events: `delta` events with pieces of text,
    then `citations`, then `done` with the whole answer object (or `error`)."""
    question, history = _checked(body, service)
    pieces = service.stream(question, history)  # an index problem raises here, as JSON

    def events() -> Iterator[str]:
        try:
            for piece in pieces:
                if isinstance(piece, Answer):
                    data = piece.to_dict()
                    yield sse(
                        "citations", {"refused": data["refused"], "citations": data["citations"]}
                    )
                    yield sse("done", data)
                else:
                    yield sse("delta", {"text": piece})
        except Exception:  # the stream has started: report in-band
            log.exception("streaming failed")
            yield sse("error", error_body("internal", wording.ERROR_INTERNAL))

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
    )


@router.post("/api/feedback", response_model=FeedbackResponse, responses=ERROR_RESPONSES)
def api_feedback(body: FeedbackRequest, service: Service) -> dict:
    """Store a thumbs up (`up`/1) or down (`down`/-1) for an answer. CPR numbers,
    e-mail addresses and phone numbers are masked before storing; with feedback
    storage off (`RSI_FEEDBACK=off`) nothing is stored and `stored` is false."""
    check_text(body.question, body.answer, body.comment, *body.citation_ids)
    rating = 1 if body.rating in ("up", 1) else -1
    try:
        row = feedback.store(
            service.settings,
            rating,
            body.question,
            body.answer,
            body.citation_ids,
            body.comment,
            source="api",
        )
    except feedback.FeedbackRejected as exc:
        raise RequestError(422, "invalid_request", wording.ERROR_BAD_REQUEST) from exc
    return {"ok": True, "id": row, "stored": row is not None}


@router.get("/healthz", response_model=HealthResponse, responses={503: ERROR_RESPONSES[503]})
@router.head("/healthz", include_in_schema=False)
def healthz(service: Service):
    """Is the index loaded? The store (`files` or `postgres`) and the build this worker
    serves, document and chunk counts, and the embedder; when not, 503 with `reason`
    saying why (missing, damaged file, other version, database unreachable)."""
    store = service.store.name
    ok, reason = service.store.health()
    if ok:
        try:
            helper = service.assistant()
        except IndexProblem as exc:
            ok, reason = False, exc.reason if isinstance(exc, IndexCorrupt) else str(exc)
    if not ok:
        log.error("index unavailable: %s", reason)
        body = error_body("index_unavailable", wording.ERROR_INDEX_MISSING)
        return JSONResponse({**body, "reason": reason, "store": store}, status_code=503)
    manifest = helper.index.manifest
    return {
        "status": "ok",
        "index_loaded": True,
        "store": store,
        "build_id": manifest["build_id"],
        "documents": len(manifest["documents"]),
        "chunks": len(helper.index.chunks),
        "embedder": manifest["embedder"],
    }

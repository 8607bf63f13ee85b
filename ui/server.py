"""The web face: ``create_app(settings)`` builds one FastAPI app with

- ``/``                      the Gradio chat page (``ui.chat``)
- ``POST /api/ask``          one answer as the DESIGN.md JSON contract
- ``POST /api/chat``         the same, streamed as server-sent events
- ``POST /v1/chat/completions`` OpenAI-compatible chat (streaming or not)
- ``POST /api/feedback``     thumbs up/down, stored in SQLite
- ``GET /widget.js``         the embeddable widget
- ``GET /healthz``           index and embedder status; OpenAPI at ``/docs``

Every handler is a thin adapter over ``assistant.answer``; bad input gets a 4xx
with ``{"error": code, "message": "dansk besked"}``, never a 500.
"""

from __future__ import annotations

import json
import logging
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from assistant import feedback, wording
from assistant.answer import Answer
from assistant.index import IndexCorrupt, IndexProblem, index_health
from assistant.service import AssistantService
from assistant.settings import Settings

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_body(code: str, message: str) -> dict:
    return {"error": code, "message": message}


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


class ErrorResponse(BaseModel):
    error: str = Field(examples=["empty_question"])
    message: str = Field(examples=[wording.ERROR_EMPTY])


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
    rating: Literal["up", "down", 1, -1]
    question: str = Field(max_length=feedback.MAX_QUESTION_CHARS)
    answer: str = Field(max_length=feedback.MAX_ANSWER_CHARS)
    citation_ids: list[Annotated[str, Field(max_length=feedback.MAX_CITATION_ID_CHARS)]] = Field(
        default_factory=list, max_length=feedback.MAX_CITATIONS
    )
    comment: str = Field("", max_length=feedback.MAX_COMMENT_CHARS)


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
                    "model": "rsi-assistant",
                    "stream": False,
                    "messages": [
                        {"role": "user", "content": "Hvem er formand for RSI-direktørkredsen?"}
                    ],
                }
            ]
        },
    )
    model: str = "rsi-assistant"
    messages: list[OpenAIMessage]
    stream: bool = False


# --- helpers ---------------------------------------------------------------------


def check_text(*values: str) -> None:
    """Reject text that cannot be written back as UTF-8 (lone surrogates such as "\\ud800"
    are valid JSON but would break the response or the database mid-way)."""
    for value in values:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ApiError(400, "invalid_request", wording.ERROR_BAD_REQUEST) from exc


def check_question(question: str, history: list[dict], settings: Settings) -> str:
    cfg = settings.server
    check_text(question, *(m["content"] for m in history))
    question = question.strip()
    if not question:
        raise ApiError(400, "empty_question", wording.ERROR_EMPTY)
    if len(question) > cfg.max_question_chars:
        raise ApiError(
            413, "question_too_long", wording.ERROR_TOO_LONG.format(limit=cfg.max_question_chars)
        )
    if (
        len(history) > cfg.max_history_messages
        or sum(len(m["content"]) for m in history) > cfg.max_history_chars
    ):
        raise ApiError(413, "history_too_long", wording.ERROR_HISTORY_TOO_LONG)
    return question


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def sources_text(result: Answer) -> str:
    if not result.citations:
        return ""
    lines = [f"\n\n{wording.SOURCES_HEADING}:"]
    for c in result.citations:
        where = f" ({c.url})" if c.url else ""
        lines.append(f"[{c.n}] {c.title}{where}: {c.text}")
    return "\n".join(lines)


def _origin_allowed(origin: str, request: Request, allowed: list[str]) -> bool:
    if "*" in allowed or origin in allowed:
        return True
    own = f"{request.url.scheme}://{request.headers.get('host', '')}"
    return origin == own


class _BodyLimit:
    """Stop reading an API body past MAX_BODY_BYTES, also one sent without a
    Content-Length (chunked), which the policy middleware cannot see up front."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith(("/api/", "/v1/")):
            return await self.app(scope, receive, send)
        size = 0

        async def limited_receive():
            nonlocal size
            message = await receive()
            size += len(message.get("body", b""))
            if size > MAX_BODY_BYTES:  # FastAPI passes its own HTTPException through
                raise HTTPException(413, "body too large")
            return message

        await self.app(scope, limited_receive, send)


def _openai_text(content: str | list[dict[str, Any]] | None) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    return " ".join(str(p.get("text", "")) for p in content if p.get("type") == "text")


# --- the app -----------------------------------------------------------------------


def create_app(settings: Settings, with_chat: bool = True) -> FastAPI:
    """The whole web face for one settings object (a fresh app per call)."""
    app = FastAPI(
        title="RSI-assistenten API",
        version="0.1.0",
        description="Danske svar om Regionernes Sundheds-it med kildehenvisninger.",
    )
    allowed = [o.rstrip("/") for o in settings.server.allowed_origins]
    service = app.state.service = AssistantService(settings)

    def assistant():
        try:
            return service.assistant()
        except IndexProblem as exc:
            log.error("index unavailable: %s", exc)
            raise ApiError(503, "index_unavailable", wording.ERROR_INDEX_MISSING) from exc

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return JSONResponse(error_body(exc.code, exc.message), status_code=exc.status)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        # Routing and parsing errors (404, 405, unparsable or too large body) keep their
        # status but get the same error body as everything else.
        codes = {
            404: ("not_found", wording.ERROR_NOT_FOUND),
            405: ("method_not_allowed", wording.ERROR_BAD_REQUEST),
            413: ("body_too_large", wording.ERROR_BODY_TOO_LARGE),
        }
        body = (
            error_body("internal", wording.ERROR_INTERNAL)
            if exc.status_code >= 500
            else error_body(
                *codes.get(exc.status_code, ("invalid_request", wording.ERROR_BAD_REQUEST))
            )
        )
        return JSONResponse(
            body,
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError):
        not_json = any(e.get("type") == "json_invalid" for e in exc.errors())
        return JSONResponse(
            error_body("invalid_request", wording.ERROR_BAD_REQUEST),
            status_code=400 if not_json else 422,
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # pragma: no cover - last resort
        log.exception("unexpected error on %s", request.url.path)
        return JSONResponse(error_body("internal", wording.ERROR_INTERNAL), status_code=503)

    app.add_middleware(_BodyLimit)  # inside _policy (middleware added later wraps it)

    @app.middleware("http")
    async def _policy(request: Request, call_next):
        path = request.url.path
        is_api = path.startswith(("/api/", "/v1/"))
        origin = request.headers.get("origin")
        # Gradio's own routes answer any origin: hold them to the same policy.
        guarded = is_api or path.startswith("/gradio_api/")
        if guarded and origin and not _origin_allowed(origin, request, allowed):
            return JSONResponse(
                error_body("origin_not_allowed", wording.ERROR_ORIGIN), status_code=403
            )
        if is_api and request.method == "OPTIONS" and origin:
            response: Response = Response(status_code=204)
        else:
            length = request.headers.get("content-length")
            if length and length.isdigit() and int(length) > MAX_BODY_BYTES:
                return JSONResponse(
                    error_body("body_too_large", wording.ERROR_BODY_TOO_LARGE), status_code=413
                )
            response = await call_next(request)
        if is_api and origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
            response.headers["Access-Control-Max-Age"] = "600"
            response.headers["Vary"] = "Origin"
        elif not is_api and path != "/widget.js":
            ancestors = "*" if "*" in allowed else " ".join(["'self'", *allowed])
            response.headers["Content-Security-Policy"] = f"frame-ancestors {ancestors}"
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        return response

    error_responses = {
        400: {"model": ErrorResponse},
        413: {"model": ErrorResponse},
        422: {"model": ErrorResponse},
        503: {"model": ErrorResponse},
    }

    @app.post("/api/ask", response_model=AskResponse, responses=error_responses)
    def api_ask(body: AskRequest) -> dict:
        """Answer one question with inline [n] citations, or refuse in Danish."""
        history = [m.model_dump() for m in body.history]
        question = check_question(body.question, history, settings)
        return assistant().answer(question, history).to_dict()

    @app.post(
        "/api/chat", responses={200: {"content": {"text/event-stream": {}}}, **error_responses}
    )
    def api_chat(body: AskRequest) -> StreamingResponse:
        """Stream the answer as server-sent events: `delta` events with pieces of text,
        then `citations`, then `done` with the whole answer object (or `error`)."""
        history = [m.model_dump() for m in body.history]
        question = check_question(body.question, history, settings)
        helper = assistant()

        def events() -> Iterator[str]:
            try:
                for piece in helper.stream(question, history):
                    if isinstance(piece, Answer):
                        data = piece.to_dict()
                        yield sse(
                            "citations",
                            {"refused": data["refused"], "citations": data["citations"]},
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

    @app.post("/api/feedback", responses=error_responses)
    def api_feedback(body: FeedbackRequest) -> dict:
        """Store a thumbs up (`up`/1) or down (`down`/-1) for an answer. CPR numbers,
        e-mail addresses and phone numbers are masked before storing; with feedback
        storage off (`RSI_FEEDBACK=off`) nothing is stored and `stored` is false."""
        check_text(body.question, body.answer, body.comment, *body.citation_ids)
        rating = 1 if body.rating in ("up", 1) else -1
        try:
            row = feedback.store(
                settings,
                rating,
                body.question,
                body.answer,
                body.citation_ids,
                body.comment,
                source="api",
            )
        except feedback.FeedbackRejected as exc:
            raise ApiError(422, "invalid_request", wording.ERROR_BAD_REQUEST) from exc
        return {"ok": True, "id": row, "stored": row is not None}

    @app.get("/healthz", responses={503: {"model": ErrorResponse}})
    def healthz():
        """Is the index loaded? Document and chunk counts, and the embedder; when not,
        503 with `reason` saying why (missing, damaged file, other version)."""
        ok, reason = index_health(settings)
        if ok:
            try:
                helper = service.assistant()
            except IndexProblem as exc:
                ok, reason = False, exc.reason if isinstance(exc, IndexCorrupt) else str(exc)
        if not ok:
            log.error("index unavailable: %s", reason)
            body = error_body("index_unavailable", wording.ERROR_INDEX_MISSING)
            return JSONResponse({**body, "reason": reason}, status_code=503)
        manifest = helper.index.manifest
        return {
            "status": "ok",
            "index_loaded": True,
            "build_id": manifest["build_id"],
            "documents": len(manifest["documents"]),
            "chunks": len(helper.index.chunks),
            "embedder": manifest["embedder"],
        }

    @app.get("/widget.js", include_in_schema=False)
    def widget_js() -> Response:
        from ui.widget import render_widget_js

        return Response(
            render_widget_js(wording.WIDGET_LABELS),
            media_type="application/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300"},
        )

    @app.get("/v1/models")
    def models() -> dict:
        """The one model this server offers, for OpenAI clients that list models."""
        return {
            "object": "list",
            "data": [{"id": "rsi-assistant", "object": "model", "created": 0, "owned_by": "rsi"}],
        }

    @app.post("/v1/chat/completions", responses=error_responses)
    def chat_completions(body: ChatCompletionRequest):
        """OpenAI-compatible chat. The last user message is the question, earlier user and
        assistant messages the history. Sources follow the answer text ("Kilder:") and
        travel in the extra field `citations`."""
        turns = [
            {"role": m.role, "content": _openai_text(m.content)}
            for m in body.messages
            if m.role in ("user", "assistant")
        ]
        if not turns or turns[-1]["role"] != "user":
            raise ApiError(400, "empty_question", wording.ERROR_EMPTY)
        history = turns[:-1][-settings.server.max_history_messages :]
        question = check_question(turns[-1]["content"], history, settings)
        helper = assistant()
        cid = f"chatcmpl-{uuid.uuid4().hex[:24]}"
        created = int(time.time())
        if not body.stream:
            result = helper.answer(question, history)
            content = result.answer + sources_text(result)
            return {
                "id": cid,
                "object": "chat.completion",
                "created": created,
                "model": body.model,
                "choices": [
                    {
                        "index": 0,
                        "finish_reason": "stop",
                        "message": {"role": "assistant", "content": content},
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
                "citations": result.to_dict()["citations"],
                "refused": result.refused,
            }

        def chunks() -> Iterator[str]:
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

            yield chunk({"role": "assistant", "content": ""})
            try:
                for piece in helper.stream(question, history):
                    if isinstance(piece, Answer):
                        yield chunk({"content": sources_text(piece)})
                        yield chunk(
                            {},
                            "stop",
                            citations=piece.to_dict()["citations"],
                            refused=piece.refused,
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

    if with_chat:
        import gradio as gr

        from ui.chat import CSS, THEME, build_chat

        app = gr.mount_gradio_app(
            app,
            build_chat(service),
            path="/",
            theme=THEME(),
            css=CSS,
            footer_links=[],
            favicon_path=None,
        )
    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 7860) -> None:
    import uvicorn

    app = create_app(settings)
    print(f"RSI-assistenten: http://{host}:{port}/  (API docs: /docs, widget: /widget.js)")
    uvicorn.run(app, host=host, port=port, log_level="warning")

"""The one error shape of the web face: ``{"error": code, "message": "dansk besked"}``.

Routes, the request validator and the middlewares raise or send ``RequestError``;
``ui.app`` maps it (and FastAPI's own errors) to this body.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from starlette.responses import JSONResponse

from assistant import wording


class RequestError(Exception):
    """A request we will not answer: HTTP status, a stable code and a Danish message."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def error_body(code: str, message: str) -> dict:
    return {"error": code, "message": message}


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    return JSONResponse(error_body(code, message), status_code=status, headers=headers)


class ErrorResponse(BaseModel):
    """Every error: a stable code for programs and a Danish sentence for people."""

    error: str = Field(examples=["empty_question"])
    message: str = Field(examples=[wording.ERROR_EMPTY])


_ERROR = {"model": ErrorResponse}

# The error statuses a question route can answer with, for its OpenAPI entry.
ERROR_RESPONSES: dict[int | str, dict] = {
    400: {**_ERROR, "description": "Empty, unreadable or malformed request"},
    403: {**_ERROR, "description": "Origin not in RSI_ALLOWED_ORIGINS"},
    413: {**_ERROR, "description": "Question, history or body too large"},
    422: {**_ERROR, "description": "Body does not match the schema"},
    429: {
        **_ERROR,
        "description": "Too many questions from this client (RSI_RATE_LIMIT)",
        "headers": {
            "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}
        },
    },
    503: {**_ERROR, "description": "The index is not ready"},
}

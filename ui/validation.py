"""The one request validator of the web face: ``/api``, ``/v1`` and the chat page all
check a question and its history here, against the limits in ``ServerSettings``.

Text must be writable back as UTF-8 (no lone surrogates such as "\\ud800", which are
valid JSON but break the response or the database mid-way) and hold no control
characters other than tab and line breaks.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from assistant import wording
from assistant.settings import ServerSettings
from ui.errors import RequestError

# C0 controls except \t \n \r, DEL, and the C1 block.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_text(*values: str) -> None:
    """Refuse text with lone surrogates or control characters (400 invalid_request)."""
    for value in values:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise RequestError(400, "invalid_request", wording.ERROR_BAD_REQUEST) from exc
        if _CONTROL.search(value):
            raise RequestError(400, "invalid_request", wording.ERROR_BAD_REQUEST)


def validate_question(
    question: str, history: Sequence[Mapping[str, str]], limits: ServerSettings
) -> str:
    """The question, stripped, if it and the history (``{"role", "content"}`` dicts,
    oldest first) are within ``limits``; else ``RequestError`` with a Danish message."""
    check_text(question, *(m["content"] for m in history))
    question = question.strip()
    if not question:
        raise RequestError(400, "empty_question", wording.ERROR_EMPTY)
    if len(question) > limits.max_question_chars:
        raise RequestError(
            413,
            "question_too_long",
            wording.ERROR_TOO_LONG.format(limit=limits.max_question_chars),
        )
    if (
        len(history) > limits.max_history_messages
        or sum(len(m["content"]) for m in history) > limits.max_history_chars
    ):
        raise RequestError(413, "history_too_long", wording.ERROR_HISTORY_TOO_LONG)
    return question

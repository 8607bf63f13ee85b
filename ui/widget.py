"""Serve the embeddable chat widget (``GET /widget.js``, from ``ui/static/widget.js``)
with its Danish labels.

The static file holds one literal token where the labels belong; the server swaps in
the labels from :mod:`assistant.wording` (``WIDGET_LABELS``) as a JS object literal.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import Response

from assistant import wording

router = APIRouter()

LABELS_TOKEN = "__RSI_WIDGET_LABELS__"
WIDGET_PATH = Path(__file__).resolve().parent / "static" / "widget.js"


@functools.lru_cache(maxsize=1)
def _raw_widget_js() -> str:
    """The widget source as shipped, read once per process."""
    return WIDGET_PATH.read_text(encoding="utf-8")


def js_literal(value: object) -> str:
    """JSON made safe to paste into JavaScript source (also inside an HTML <script>)."""
    return (
        json.dumps(value, ensure_ascii=False)
        .replace("</", "<\\/")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def render_widget_js(labels: dict[str, str]) -> str:
    """The widget JavaScript with ``labels`` filled in for the token."""
    raw = _raw_widget_js()
    if LABELS_TOKEN not in raw:
        raise RuntimeError(f"{WIDGET_PATH} lacks the {LABELS_TOKEN} token")
    return raw.replace(LABELS_TOKEN, js_literal(labels), 1)


@router.get("/widget.js", include_in_schema=False)
def widget_js() -> Response:
    """The widget script, for ``<script src=".../widget.js" async></script>`` on any page."""
    return Response(
        render_widget_js(wording.WIDGET_LABELS),
        media_type="application/javascript; charset=utf-8",
        headers={"Cache-Control": "public, max-age=300"},
    )

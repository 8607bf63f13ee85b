"""Serve the embeddable chat widget (``ui/static/widget.js``) with its Danish labels.

The static file holds one literal token where the labels belong; the server swaps in
the labels from :mod:`assistant.wording` (``WIDGET_LABELS``) as a JS object literal.

``widget_response`` answers one request for ``/widget.js``: the script compressed as
the client accepts (brotli when the ``brotli`` module is there, else gzip, else plain),
with a strong ETag per encoding, ``304 Not Modified`` on a matching ``If-None-Match``
and a short, revalidated cache lifetime (the script changes with releases). Every
variant is built once per process.
"""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response

router = APIRouter()

LABELS_TOKEN = "__RSI_WIDGET_LABELS__"
WIDGET_PATH = Path(__file__).resolve().parent / "static" / "widget.js"
MEDIA_TYPE = "application/javascript; charset=utf-8"
# Five minutes fresh, then a conditional request (cheap: 304) before reuse.
CACHE_CONTROL = "public, max-age=300, must-revalidate"


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


def render_widget_js(labels: Mapping[str, str]) -> str:
    """The widget JavaScript with ``labels`` filled in for the token."""
    raw = _raw_widget_js()
    if LABELS_TOKEN not in raw:
        raise RuntimeError(f"{WIDGET_PATH} lacks the {LABELS_TOKEN} token")
    return raw.replace(LABELS_TOKEN, js_literal(dict(labels)), 1)


def _brotli():
    try:
        import brotli  # ships with Gradio; optional
    except ImportError:
        return None
    return brotli


def available_encodings() -> tuple[str, ...]:
    """Content codings this process can send, best first."""
    return ("br", "gzip", "identity") if _brotli() else ("gzip", "identity")


@functools.lru_cache(maxsize=4)
def _variants(labels_json: str) -> dict[str, tuple[bytes, str]]:
    """``{coding: (body, etag)}`` for one set of labels, built once."""
    plain = render_widget_js(json.loads(labels_json)).encode("utf-8")
    tag = hashlib.sha256(plain).hexdigest()[:20]
    out = {"identity": (plain, f'"{tag}"')}
    # mtime=0: the same script gives the same bytes (and ETag) in every process.
    out["gzip"] = (gzip.compress(plain, compresslevel=9, mtime=0), f'"{tag}-gzip"')
    brotli = _brotli()
    if brotli is not None:
        out["br"] = (brotli.compress(plain, quality=11), f'"{tag}-br"')
    return out


def choose_encoding(accept_encoding: str | None, offered: tuple[str, ...]) -> str | None:
    """The coding to send for an ``Accept-Encoding`` header (RFC 9110 12.5.3): the
    highest q-value among ``offered``, ties to the earlier one in ``offered``; None when
    the client refuses them all (identity included)."""
    if accept_encoding is None or not accept_encoding.strip():
        return "identity" if "identity" in offered else None
    weights: dict[str, float] = {}
    for item in accept_encoding.split(","):
        name, *params = (p.strip() for p in item.split(";"))
        if not name:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = max(0.0, min(1.0, float(value)))
                except ValueError:
                    q = 0.0
        weights[name.lower()] = q
    star = weights.get("*")

    def weight(coding: str) -> float:
        if coding in weights:
            return weights[coding]
        if coding == "x-gzip" or (coding == "gzip" and "x-gzip" in weights):
            return weights.get("x-gzip", 0.0)
        if star is not None:
            return star
        # identity is acceptable unless refused explicitly (or through "*;q=0").
        return 1.0 if coding == "identity" else 0.0

    best, best_q = None, 0.0
    for coding in offered:
        q = weight(coding)
        if q > best_q:
            best, best_q = coding, q
    return best


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Weak comparison, as If-None-Match uses (RFC 9110 13.1.2): ``W/"x"`` matches
    ``"x"``; ``*`` matches any current representation."""
    if not if_none_match:
        return False
    bare = etag.removeprefix("W/")
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == bare:
            return True
    return False


def widget_response(
    accept_encoding: str | None,
    if_none_match: str | None,
    labels: Mapping[str, str] | None = None,
) -> tuple[bytes, dict[str, str], int]:
    """``(body, headers, status)`` for one ``GET /widget.js``."""
    if labels is None:
        from assistant.wording import WIDGET_LABELS

        labels = WIDGET_LABELS
    variants = _variants(json.dumps(dict(labels), ensure_ascii=False))
    headers = {"Vary": "Accept-Encoding", "Cache-Control": CACHE_CONTROL}
    # Nothing acceptable (identity refused too): plain is still better than no script.
    coding = choose_encoding(accept_encoding, available_encodings()) or "identity"
    body, etag = variants[coding]
    headers["ETag"] = etag
    if etag_matches(if_none_match, etag):
        return b"", headers, 304
    headers["Content-Type"] = MEDIA_TYPE
    if coding != "identity":
        headers["Content-Encoding"] = coding
    return body, headers, 200


@router.get("/widget.js", include_in_schema=False)
def widget_js(request: Request) -> Response:
    """The widget script, for ``<script src=".../widget.js" async></script>`` on any page."""
    h = request.headers
    body, headers, status = widget_response(h.get("accept-encoding"), h.get("if-none-match"))
    return Response(body, status_code=status, headers=headers)

"""The web face's policy, as ASGI middleware around the whole app (Gradio included):

- ``WebPolicy``: the origin allow-list (``RSI_ALLOWED_ORIGINS``) on ``/api``, ``/v1`` and
  Gradio's ``/gradio_api``; CORS for ``/api`` and ``/v1``; security headers on every
  response; a Content-Security-Policy for the pages whose ``frame-ancestors`` is
  ``'self'`` plus the explicitly listed origins (``*`` opens CORS for the widget, never
  framing).
- ``BodyLimit``: one body limit for every route, bodies sent without a Content-Length
  (chunked) too.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant import wording
from assistant.settings import ServerSettings
from ui.errors import error_response

API_PREFIXES = ("/api/", "/v1/")
GRADIO_PREFIX = "/gradio_api/"

SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "Permissions-Policy": (
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), "
        "midi=(), magnetometer=(), gyroscope=(), accelerometer=(), "
        "display-capture=(), browsing-topics=(), interest-cohort=()"
    ),
    "Cross-Origin-Opener-Policy": "same-origin",
}

# What the Gradio page and Swagger UI need, all from this server: their inline
# bootstrap scripts and styles, images and fonts as data: URLs, blob: workers and media.
PAGE_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; "
    "media-src 'self' data: blob:; worker-src 'self' blob:; frame-src 'self'; "
    "object-src 'none'; base-uri 'self'; form-action 'self'"
)


def frame_ancestors(allowed_origins: list[str]) -> str:
    """``'self'`` plus the explicitly allowed origins; ``*`` never widens framing."""
    return " ".join(["'self'", *(o for o in allowed_origins if o != "*")])


def origin_allowed(origin: str, scope: Scope, allowed: list[str]) -> bool:
    if "*" in allowed or origin in allowed:
        return True
    own = f"{scope.get('scheme', 'http')}://{Headers(scope=scope).get('host', '')}"
    return origin == own


class WebPolicy:
    """Origin allow-list, CORS and security headers (the outermost layer)."""

    def __init__(self, app: ASGIApp, server: ServerSettings):
        self.app = app
        self.allowed = [o.rstrip("/") for o in server.allowed_origins]
        explicit = [o for o in self.allowed if o != "*"]
        self.csp = f"{PAGE_CSP}; frame-ancestors {frame_ancestors(self.allowed)}"
        # Legacy browsers read X-Frame-Options; it cannot name other origins.
        self.frame_options = None if explicit else "SAMEORIGIN"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"]
        is_api = path.startswith(API_PREFIXES)
        origin = Headers(scope=scope).get("origin")

        guarded = is_api or path.startswith(GRADIO_PREFIX)
        refused = bool(guarded and origin and not origin_allowed(origin, scope, self.allowed))
        cors_origin = origin if is_api and not refused else None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                self._add_headers(MutableHeaders(scope=message), path, is_api, cors_origin)
            await send(message)

        if refused:
            response = error_response(403, "origin_not_allowed", wording.ERROR_ORIGIN)
            return await response(scope, receive, send_with_headers)
        if is_api and origin and scope["method"] == "OPTIONS":  # CORS preflight
            return await _no_content(send_with_headers)
        await self.app(scope, receive, send_with_headers)

    def _add_headers(
        self, headers: MutableHeaders, path: str, is_api: bool, cors_origin: str | None
    ) -> None:
        if cors_origin:
            headers["Access-Control-Allow-Origin"] = cors_origin
            headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            headers["Access-Control-Allow-Headers"] = "Content-Type, Authorization"
            headers["Access-Control-Expose-Headers"] = "Retry-After"
            headers["Access-Control-Max-Age"] = "600"
            headers.add_vary_header("Origin")
        elif not is_api and path != "/widget.js":  # the widget is a script for any page
            headers["Content-Security-Policy"] = self.csp
            if self.frame_options:
                headers["X-Frame-Options"] = self.frame_options
        for name, value in SECURITY_HEADERS.items():
            headers.setdefault(name, value)


async def _no_content(send: Send) -> None:
    await send({"type": "http.response.start", "status": 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})


class BodyLimit:
    """Refuse (413) a request body over ``max_bytes`` on any route.

    A Content-Length over the limit is refused before reading; a body without one
    (chunked) is read up to the limit and then handed on whole, so no route, Gradio's
    included, ever sees more than ``max_bytes``.
    """

    def __init__(self, app: ASGIApp, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = Headers(scope=scope).get("content-length")
        if length is not None:  # the server holds the body to its declared length
            if not length.isdigit() or int(length) > self.max_bytes:
                return await self._too_large(scope, receive, send)
            return await self.app(scope, receive, send)

        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                return await self._too_large(scope, receive, send)
            chunks.append(chunk)
            if not message.get("more_body", False):
                break

        body: bytes | None = b"".join(chunks)

        async def replay() -> Message:
            nonlocal body
            if body is None:
                return await receive()  # later calls: wait for the disconnect
            message, body = {"type": "http.request", "body": body, "more_body": False}, None
            return message

        await self.app(scope, replay, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(413, "body_too_large", wording.ERROR_BODY_TOO_LARGE)
        await response(scope, receive, send)

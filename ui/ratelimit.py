"""Rate limiting per client on the routes that cost an answer (``RSI_RATE_LIMIT``).

One budget per client address across ``/api/ask``, ``/api/chat``, ``/api/feedback``,
``/v1/chat/completions`` and the chat page's Gradio calls; over it a request gets 429
with ``Retry-After`` and the project's Danish error body. Counters live in the
``limits`` storage named by ``RSI_RATE_LIMIT_STORAGE`` (memory, or e.g. Redis so that
several processes count together). The client is the peer address; behind a proxy
listed in ``RSI_TRUSTED_PROXIES`` it comes from ``X-Forwarded-For`` (rewritten before
this layer by uvicorn's ``ProxyHeadersMiddleware``, see ``ui.app``).
"""

from __future__ import annotations

import logging
import math
import time

from limits import parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant import wording
from assistant.settings import ServerSettings
from ui.errors import error_response

log = logging.getLogger(__name__)

LIMITED_PATHS = ("/api/ask", "/api/chat", "/api/feedback", "/v1/chat/completions")
# Gradio's routes that run an event (a chat turn, a thumbs up/down).
LIMITED_PREFIXES = (
    "/gradio_api/queue/join",
    "/gradio_api/call/",
    "/gradio_api/run/",
    "/gradio_api/api/",
)


def is_limited(method: str, path: str) -> bool:
    return method == "POST" and (
        path.rstrip("/") in LIMITED_PATHS or path.startswith(LIMITED_PREFIXES)
    )


class RateLimitStorageError(RuntimeError):
    """``RSI_RATE_LIMIT_STORAGE`` names a store that cannot be used here."""


def make_limiter(server: ServerSettings) -> MovingWindowRateLimiter:
    """The limiter over ``RSI_RATE_LIMIT_STORAGE``, built when the app is (a bad URL stops
    the start, not the first question)."""
    uri = server.rate_limit_storage
    try:
        storage = storage_from_string(uri if uri.startswith("async+") else f"async+{uri}")
    except ConfigurationError as exc:
        raise RateLimitStorageError(
            f"RSI_RATE_LIMIT_STORAGE={uri!r} cannot be used: {exc} "
            "(memory:// needs nothing; redis:// needs: pip install 'limits[async-redis]')"
        ) from exc
    return MovingWindowRateLimiter(storage)


class RateLimit:
    """429 for a client over ``rate`` (``RSI_RATE_LIMIT``) on the question routes."""

    def __init__(self, app: ASGIApp, rate: str, limiter: MovingWindowRateLimiter):
        self.app = app
        self.limits = parse_many(rate)
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and is_limited(scope["method"], scope["path"]):
            client = scope.get("client")
            key = client[0] if client else "unknown"
            retry_after = await self._retry_after(key)
            if retry_after is not None:
                response = error_response(
                    429,
                    "rate_limited",
                    wording.ERROR_RATE_LIMITED,
                    headers={"Retry-After": str(retry_after)},
                )
                return await response(scope, receive, send)
        await self.app(scope, receive, send)

    async def _retry_after(self, key: str) -> int | None:
        """Count one request for ``key``; seconds to wait if it is over a limit."""
        try:
            for limit in self.limits:
                if not await self.limiter.hit(limit, "rsi", key):
                    stats = await self.limiter.get_window_stats(limit, "rsi", key)
                    return max(1, math.ceil(stats.reset_time - time.time()))
        except Exception:  # a shared store that is down must not take the service with it
            log.exception("rate-limit storage failed; request let through")
        return None

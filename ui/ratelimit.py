"""Rate limiting per client on the routes that cost an answer (``RSI_RATE_LIMIT``).

One budget per client address across ``/api/ask``, ``/api/chat``, ``/api/feedback``,
``/v1/chat/completions`` and the chat page's Gradio calls; over it a request gets 429
with ``Retry-After`` and the project's Danish error body. Counters live in the
``limits`` storage named by ``RSI_RATE_LIMIT_STORAGE`` (memory, or e.g. Redis so that
several processes count together); with ``RSI_DATABASE_URL`` set and the storage left at
``memory://`` they live in that PostgreSQL (``ui.pgcounters``). When the shared store
fails, the request is let through and the failure logged in one line: the limit
protects the service, it must not take it down. The client is the peer address; behind a proxy
listed in ``RSI_TRUSTED_PROXIES`` it comes from ``X-Forwarded-For`` (rewritten before
this layer by uvicorn's ``ProxyHeadersMiddleware``, see ``ui.app``).
"""

from __future__ import annotations

import logging
import math
import time
from urllib.parse import urlsplit, urlunsplit

from limits import parse_many
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import ConfigurationError
from limits.storage import storage_from_string
from starlette.types import ASGIApp, Receive, Scope, Send

from assistant import wording
from assistant.pgconnect import DatabaseUnavailable, is_database_url, reason, require_driver
from assistant.settings import Settings
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


LOG_EVERY_S = 30.0  # while the shared store is down, one log line per this many seconds


class RateLimitStorageError(RuntimeError):
    """``RSI_RATE_LIMIT_STORAGE`` names a store that cannot be used here."""


def storage_uri(settings: Settings) -> str:
    """Where the counters live: ``RSI_RATE_LIMIT_STORAGE``, or ``RSI_DATABASE_URL`` when
    that is set and the storage is left at ``memory://``."""
    uri = settings.server.rate_limit_storage
    if settings.database_url is not None and uri == "memory://":
        return settings.database_url.get_secret_value()
    return uri


def shown(uri: str) -> str:
    """``uri`` without its password, for messages and logs."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def make_limiter(settings: Settings) -> MovingWindowRateLimiter:
    """The limiter over ``storage_uri``, built when the app is (a bad URL stops the start,
    not the first question; the storage connects on first use)."""
    uri = storage_uri(settings)
    if is_database_url(uri):
        try:
            require_driver()
        except DatabaseUnavailable as exc:
            raise RateLimitStorageError(f"rate-limit counters: {exc}") from exc
        import ui.pgcounters  # noqa: F401 - registers the postgresql:// schemes with limits
    try:
        storage = storage_from_string(uri if uri.startswith("async+") else f"async+{uri}")
    except ConfigurationError as exc:
        raise RateLimitStorageError(
            f"RSI_RATE_LIMIT_STORAGE={shown(uri)!r} cannot be used: {exc} "
            "(memory:// needs nothing; postgresql:// needs the [postgres] extra; "
            "redis:// needs: pip install 'limits[async-redis]')"
        ) from exc
    return MovingWindowRateLimiter(storage)


class RateLimit:
    """429 for a client over ``rate`` (``RSI_RATE_LIMIT``) on the question routes."""

    def __init__(self, app: ASGIApp, rate: str, limiter: MovingWindowRateLimiter):
        self.app = app
        self.limits = parse_many(rate)
        self.limiter = limiter
        self.unlimited = 0  # requests let through since the last log line
        self.next_log = 0.0

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
        except Exception as exc:  # a shared store that is down must not take the service down
            self._storage_failed(exc)
        return None

    def _storage_failed(self, exc: Exception) -> None:
        """One English line per ``LOG_EVERY_S`` seconds, saying how many went unlimited."""
        self.unlimited += 1
        now = time.monotonic()
        if now >= self.next_log:
            self.next_log = now + LOG_EVERY_S
            log.error(
                "rate-limit storage failed (%s: %s); %d request(s) let through unlimited",
                type(exc).__name__,
                reason(exc),
                self.unlimited,
            )
            self.unlimited = 0

"""Rate-limit counters in PostgreSQL: a ``limits`` storage for ``postgresql://`` and
``postgres://`` URLs, so that every server worker (and every machine) that shares
``RSI_DATABASE_URL`` counts against one budget per client.

Importing this module registers the schemes with ``limits`` (its storages register by
``STORAGE_SCHEME`` when the class is defined); ``ui.ratelimit`` does that when the
storage URL names PostgreSQL. Only the moving window, the strategy ``ui.ratelimit``
uses, is supported.

One row per limit and client in ``rsi_rate_limit``: ``stamps``, the times (seconds,
the database's clock, so workers whose clocks differ still agree) of the requests
inside the window, newest first and at most ``limit`` of them; ``expires``, when the
newest one leaves the window. Taking an entry is one ``INSERT … ON CONFLICT DO UPDATE
… WHERE``: PostgreSQL locks the key's row and evaluates the ``WHERE`` (is there room
in the window?) on its newest committed version, so concurrent workers never both
take the last entry, and a client's first two requests arriving at once still make one
row. Rows whose window has passed are deleted at most once a minute per process. The
table is UNLOGGED and commits do not wait for the disk: counters are not worth a WAL
flush per request (measured here: 0.5 ms a request instead of ~5 ms), and after a crash
or a fail-over to a standby they start from zero, which at worst gives a client a fresh
budget.

psycopg is imported lazily (``assistant.pgconnect``). One connection per process,
used by one thread at a time (the async storage runs the calls in a thread). After a
failure the database is left alone for ``RETRY_AFTER_FAILURE_S`` seconds, so requests
are not held up by a database that does not answer.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from limits.aio.storage import MovingWindowSupport as AsyncMovingWindowSupport
from limits.aio.storage import Storage as AsyncStorage
from limits.storage import MovingWindowSupport, Storage

from assistant import pgconnect

TABLE = "rsi_rate_limit"
_SCHEMA = f"""
CREATE UNLOGGED TABLE IF NOT EXISTS {TABLE} (
    key TEXT PRIMARY KEY,
    stamps DOUBLE PRECISION[] NOT NULL,
    expires DOUBLE PRECISION NOT NULL
);
CREATE INDEX IF NOT EXISTS {TABLE}_expires ON {TABLE} (expires)
"""
_LOCK = 0x5253_494C  # "RSIL": one worker creates the table at a time
_NOW = "extract(epoch FROM clock_timestamp())::float8"

# The new entries, then those of the row still inside the window (newest first, at most
# `limit`); only when the window has room: that check and the update happen under the
# row lock that ON CONFLICT takes.
_ACQUIRE = f"""
INSERT INTO {TABLE} AS r (key, stamps, expires)
SELECT %(key)s, array_fill(t.now, ARRAY[%(amount)s::int]), t.now + %(expiry)s
FROM (SELECT {_NOW} AS now) AS t
ON CONFLICT (key) DO UPDATE
SET stamps = excluded.stamps || ARRAY(
        SELECT s FROM unnest(r.stamps) AS s
        WHERE s > excluded.stamps[1] - %(expiry)s
        ORDER BY s DESC LIMIT %(limit)s - %(amount)s
    ),
    expires = excluded.expires
WHERE (
    SELECT count(*) FROM unnest(r.stamps) AS s WHERE s > excluded.stamps[1] - %(expiry)s
) + %(amount)s <= %(limit)s
RETURNING 1
"""
_WINDOW = f"""
SELECT t.now,
       (SELECT min(s) FROM unnest(r.stamps) AS s WHERE s > t.now - %(expiry)s),
       (SELECT count(*) FROM unnest(r.stamps) AS s WHERE s > t.now - %(expiry)s)
FROM (SELECT {_NOW} AS now) AS t LEFT JOIN {TABLE} AS r ON r.key = %(key)s
"""
_PURGE = f"DELETE FROM {TABLE} WHERE expires < {_NOW}"
PURGE_EVERY_S = 60.0
RETRY_AFTER_FAILURE_S = 5.0
STATEMENT_TIMEOUT_MS = 5000


def _url(uri: str) -> str:
    return uri.removeprefix("async+")


class PostgresStorage(Storage, MovingWindowSupport):
    """The moving-window counters in ``rsi_rate_limit`` (see the module docstring)."""

    STORAGE_SCHEME = ["postgresql", "postgres"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self._url = _url(uri)
        self._conn: Any = None
        self._lock = threading.Lock()
        self._next_purge = 0.0
        self._down_until = 0.0

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return (pgconnect.DatabaseUnavailable, *pgconnect.driver_errors())

    def _run(self, sql: str, params: dict | None = None) -> list[tuple]:
        """One statement on this process's connection (opened, and the table created,
        on first use); ``DatabaseUnavailable`` when the database fails."""
        errors = self.base_exceptions
        with self._lock:
            now = time.monotonic()
            if now < self._down_until:
                raise pgconnect.DatabaseUnavailable(
                    "rate-limit counters: RSI_DATABASE_URL failed moments ago; "
                    f"trying again in {self._down_until - now:.0f} s"
                )
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = self._open()
                cur = self._conn.execute(sql, params)
                result = cur.fetchall() if cur.description else []
                if now >= self._next_purge:
                    self._next_purge = now + PURGE_EVERY_S
                    self._conn.execute(_PURGE)
                return result
            except errors as exc:
                self._down_until = now + RETRY_AFTER_FAILURE_S
                self._close()
                if isinstance(exc, pgconnect.DatabaseUnavailable):
                    raise
                raise pgconnect.DatabaseUnavailable(
                    f"rate-limit counters in RSI_DATABASE_URL failed: {pgconnect.reason(exc)}"
                ) from exc

    def _open(self) -> Any:
        conn = pgconnect.connect(self._url, autocommit=True)
        conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")
        conn.execute("SET synchronous_commit = off")  # a counter lost in a crash is fine
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK,))
            conn.execute(_SCHEMA)
        return conn

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:  # noqa: BLE001 - a broken connection may fail to close
                pass
            self._conn = None

    # --- the moving window ---------------------------------------------------------

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        params = {"key": key, "limit": limit, "expiry": expiry, "amount": amount}
        return bool(self._run(_ACQUIRE, params))

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        ((now, oldest, count),) = self._run(_WINDOW, {"key": key, "expiry": expiry})
        return (oldest if oldest is not None else now), int(count)

    # --- the rest of limits' Storage -----------------------------------------------

    def check(self) -> bool:
        try:
            return self._run("SELECT 1") == [(1,)]
        except pgconnect.DatabaseUnavailable:
            return False

    def reset(self) -> int | None:
        return len(self._run(f"DELETE FROM {TABLE} RETURNING 1"))

    def clear(self, key: str) -> None:
        self._run(f"DELETE FROM {TABLE} WHERE key = %(key)s", {"key": key})

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        raise NotImplementedError("the PostgreSQL counters support the moving window only")

    def get(self, key: str) -> int:
        raise NotImplementedError("the PostgreSQL counters support the moving window only")

    def get_expiry(self, key: str) -> float:
        raise NotImplementedError("the PostgreSQL counters support the moving window only")


class AsyncPostgresStorage(AsyncStorage, AsyncMovingWindowSupport):
    """``PostgresStorage`` for the async limiter of ``ui.ratelimit``: each call runs in a
    worker thread, so the event loop never waits on the database."""

    STORAGE_SCHEME = ["async+postgresql", "async+postgres"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options: Any) -> None:
        super().__init__(uri, wrap_exceptions=wrap_exceptions)
        self.sync = PostgresStorage(_url(uri), wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        return self.sync.base_exceptions

    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        return await asyncio.to_thread(self.sync.acquire_entry, key, limit, expiry, amount)

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        return await asyncio.to_thread(self.sync.get_moving_window, key, limit, expiry)

    async def check(self) -> bool:
        return await asyncio.to_thread(self.sync.check)

    async def reset(self) -> int | None:
        return await asyncio.to_thread(self.sync.reset)

    async def clear(self, key: str) -> None:
        await asyncio.to_thread(self.sync.clear, key)

    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self.sync.incr(key, expiry, amount)

    async def get(self, key: str) -> int:
        return self.sync.get(key)

    async def get_expiry(self, key: str) -> float:
        return self.sync.get_expiry(key)

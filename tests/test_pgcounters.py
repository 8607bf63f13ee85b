"""Rate-limit counters in PostgreSQL (ui/pgcounters.py): workers on one database share
one budget per client, entries leave the window, concurrent requests never overshoot,
and a database that is down is logged in one line while questions are still answered."""

from __future__ import annotations

import asyncio
import logging
import threading
import time

import pytest
from fastapi.testclient import TestClient
from limits import parse
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from assistant import wording
from assistant.settings import Settings
from ui.app import create_app
from ui.ratelimit import RateLimitStorageError, make_limiter, shown, storage_uri

pytest.importorskip("psycopg", reason='needs the [postgres] extra: pip install -e ".[postgres]"')
import ui.pgcounters as pgcounters  # noqa: E402 - registers the schemes

DOWN_URL = "postgresql://rsi:hemmelig@127.0.0.1:1/rsi"  # nothing listens on port 1
EMPTY = {"question": ""}  # refused with 400 after the limiter counted it


def _worker(url: str) -> MovingWindowRateLimiter:
    """A limiter with its own storage and connection, as one server worker has."""
    return MovingWindowRateLimiter(storage_from_string(url))


def test_two_workers_share_one_budget(pg_url):
    one, two = _worker(pg_url), _worker(pg_url)
    five = parse("5/minute")
    taken = [w.hit(five, "rsi", "192.0.2.1") for w in (one, two, one, two, one, two)]
    assert taken == [True] * 5 + [False]
    assert not one.hit(five, "rsi", "192.0.2.1")
    assert one.hit(five, "rsi", "192.0.2.2")  # another client has its own budget
    stats = two.get_window_stats(five, "rsi", "192.0.2.1")
    assert stats.remaining == 0 and 0 < stats.reset_time - time.time() <= 60


def test_entries_leave_the_window(pg_url):
    worker = _worker(pg_url)
    two = parse("2/second")
    assert [worker.hit(two, "k") for _ in range(3)] == [True, True, False]
    time.sleep(1.1)
    assert worker.hit(two, "k") and worker.hit(two, "k") and not worker.hit(two, "k")


def test_expired_rows_are_purged(pg_url, monkeypatch):
    storage = storage_from_string(pg_url)
    limiter = MovingWindowRateLimiter(storage)
    limiter.hit(parse("1/second"), "old")
    time.sleep(1.1)
    monkeypatch.setattr(storage, "_next_purge", 0.0)  # the purge is due
    limiter.hit(parse("1/minute"), "new")
    keys = [k for (k,) in storage._run(f"SELECT key FROM {pgcounters.TABLE}")]
    assert len(keys) == 1 and keys[0].startswith("LIMITER/new/")


def test_concurrent_workers_never_overshoot(pg_url):
    limit = parse("25/minute")
    workers = [_worker(pg_url) for _ in range(4)]
    results: list[bool] = []
    lock = threading.Lock()

    def flood(worker: MovingWindowRateLimiter) -> None:
        for _ in range(20):
            ok = worker.hit(limit, "rsi", "198.51.100.9")
            with lock:
                results.append(ok)

    threads = [threading.Thread(target=flood, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 80 and results.count(True) == 25


def test_async_storage_counts_with_the_sync_one(pg_url):
    limiter = make_limiter(Settings(database_url=pg_url))
    assert isinstance(limiter.storage, pgcounters.AsyncPostgresStorage)
    three = parse("3/minute")

    async def hits() -> list[bool]:
        return [await limiter.hit(three, "rsi", "c") for _ in range(2)]

    assert asyncio.run(hits()) == [True, True]
    other = _worker(pg_url)  # another process on the same database
    assert [other.hit(three, "rsi", "c") for _ in range(2)] == [True, False]


def test_which_storage_is_used():
    assert storage_uri(Settings()) == "memory://"
    assert storage_uri(Settings(database_url="postgresql://h/db")) == "postgresql://h/db"
    chosen = Settings(database_url="postgresql://h/db", server={"rate_limit_storage": "redis://r"})
    assert storage_uri(chosen) == "redis://r"  # an explicit storage wins
    assert shown(DOWN_URL) == "postgresql://rsi:***@127.0.0.1:1/rsi"


@pytest.fixture
def app_settings(tmp_path_factory, build_fake_rsi_index, make_settings):
    root = tmp_path_factory.mktemp("pgcounters")
    build_fake_rsi_index(root)

    def make(**overrides) -> Settings:
        return make_settings(root, **overrides)

    return make


def test_app_workers_on_one_database_share_the_limit(app_settings, pg_url):
    settings = app_settings(database_url=pg_url, server={"rate_limit": "3/minute"})
    one = TestClient(create_app(settings, with_chat=False), client=("192.0.2.7", 1))
    two = TestClient(create_app(settings, with_chat=False), client=("192.0.2.7", 2))
    statuses = [c.post("/api/ask", json=EMPTY).status_code for c in (one, two, one, two)]
    assert statuses == [400, 400, 400, 429]
    r = one.post("/api/ask", json=EMPTY)
    assert r.status_code == 429 and r.json()["message"] == wording.ERROR_RATE_LIMITED
    assert 1 <= int(r.headers["retry-after"]) <= 60


def test_database_down_gives_danish_503s_and_one_limiter_line(app_settings, caplog):
    settings = app_settings(database_url=DOWN_URL, server={"rate_limit": "1/minute"})
    client = TestClient(create_app(settings, with_chat=False), raise_server_exceptions=False)
    with caplog.at_level(logging.ERROR):
        answers = [client.post("/api/ask", json={"question": "Hvad er RSI?"}) for _ in range(3)]
        feedback = client.post(
            "/api/feedback", json={"rating": "up", "question": "q", "answer": "a"}
        )
    # Like a Redis outage the limiter lets the questions through, unlimited; the index
    # lives in the same database, so they get the Danish "not ready" 503, not a traceback.
    assert [r.status_code for r in answers] == [503, 503, 503]
    assert answers[0].json()["message"] == wording.ERROR_INDEX_MISSING
    # Feedback needs the database too: a 503 with its own Danish message.
    assert feedback.status_code == 503
    assert feedback.json()["message"] == wording.ERROR_DATABASE_UNAVAILABLE
    limiter_lines = [r for r in caplog.records if r.name == "ui.ratelimit"]
    assert len(limiter_lines) == 1  # one line per 30 s, not one per request
    line = limiter_lines[0]
    assert line.exc_info is None and "rate-limit storage failed" in line.getMessage()
    assert "cannot connect to RSI_DATABASE_URL" in line.getMessage()
    assert "hemmelig" not in caplog.text


def test_a_database_that_failed_is_not_asked_again_at_once(monkeypatch):
    storage = storage_from_string(DOWN_URL)
    calls = []
    real = pgcounters.pgconnect.connect
    monkeypatch.setattr(
        pgcounters.pgconnect, "connect", lambda *a, **k: calls.append(1) or real(*a, **k)
    )
    for _ in range(3):
        with pytest.raises(pgcounters.pgconnect.DatabaseUnavailable):
            storage.acquire_entry("k", 5, 60)
    assert len(calls) == 1
    assert storage.check() is False


def test_without_the_extra_serve_stops_with_the_install_hint(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(RateLimitStorageError, match=r'pip install -e "\.\[postgres\]"'):
        make_limiter(Settings(database_url=DOWN_URL))

"""``rsi-assistant serve --workers 2``: two uvicorn worker processes answer 200
concurrent questions without an error (with the rate limit off, and with it on and its
counters in PostgreSQL, where both workers count into one row), and stop cleanly."""

from __future__ import annotations

import asyncio
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from assistant.settings import child_environment

QUESTIONS = [
    "Hvad er RSI?",
    "Hvem er formand for RSI-direktørkredsen?",
    "Hvilke fora er der under RSI?",
    "Hvad laver RSI med telemedicin?",
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _workers(pid: int) -> list[int]:
    """The worker processes uvicorn spawned under ``pid`` (not multiprocessing's helpers)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            ppid = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            cmdline = (proc / "cmdline").read_bytes()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid and b"spawn_main" in cmdline:
            found.append(int(proc.name))
    return sorted(found)


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100  # utime + stime, in clock ticks


async def _ask_all(base: str, n: int) -> list[int | str]:
    limits = httpx.Limits(max_connections=n, max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:

        async def ask(i: int) -> int | str:
            try:
                r = await client.post("/api/ask", json={"question": QUESTIONS[i % 4]})
            except httpx.HTTPError as exc:
                return type(exc).__name__
            ok = r.status_code == 200 and r.json()["answer"]
            return r.status_code if ok else f"{r.status_code} {r.text[:80]}"

        return await asyncio.gather(*(ask(i) for i in range(n)))


@pytest.fixture(params=["off", "postgres"])
def counters(request) -> dict[str, str]:
    """The rate-limit settings: off, or on with the counters in PostgreSQL (named as the
    storage, so that the index stays in files whatever RSI_DATABASE_URL would switch)."""
    if request.param == "off":
        return {"RSI_RATE_LIMIT": "off"}
    url = request.getfixturevalue("pg_url")
    return {"RSI_RATE_LIMIT": "1000/minute", "RSI_RATE_LIMIT_STORAGE": url}


@pytest.mark.skipif(sys.platform != "linux", reason="reads worker processes from /proc")
def test_two_workers_answer_200_concurrent_questions(tmp_path, build_fake_rsi_index, counters):
    settings = build_fake_rsi_index(tmp_path)  # the parent builds; the workers only load
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    env = child_environment(settings, **counters)
    with tempfile.TemporaryFile("w+") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant", "serve", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                assert proc.poll() is None, "serve --workers 2 exited early"
                try:
                    if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert time.monotonic() < deadline, "the workers did not come up"
                time.sleep(0.5)
            workers = _workers(proc.pid)
            assert len(workers) == 2
            time.sleep(3)  # let the second worker finish its warm-up too
            cpu_before = [_cpu_seconds(w) for w in workers]

            t0 = time.perf_counter()
            outcomes = asyncio.run(_ask_all(base, 200))
            seconds = time.perf_counter() - t0

            errors = [o for o in outcomes if o != 200]
            assert errors == [], errors[:5]
            worked = [_cpu_seconds(w) - b for w, b in zip(workers, cpu_before, strict=True)]
            print(f"200 questions over 2 workers: {seconds:.2f} s, CPU s per worker {worked}")
            assert all(w > 0.05 for w in worked), worked  # both workers answered
            if "RSI_RATE_LIMIT_STORAGE" in counters:  # one budget: every request in one row
                import psycopg

                with psycopg.connect(counters["RSI_RATE_LIMIT_STORAGE"]) as conn:
                    rows = conn.execute(
                        "SELECT key, cardinality(stamps) FROM rsi_rate_limit"
                    ).fetchall()
                assert [n for _, n in rows] == [200], rows
        finally:
            proc.send_signal(signal.SIGINT)  # Ctrl-C, as a person stops it
            try:
                code = proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                raise
            log.seek(0)
            output = log.read()
    assert code == 0, output
    assert "Traceback" not in output, output
    time.sleep(0.5)
    assert not [w for w in workers if Path(f"/proc/{w}").exists()]  # no orphaned worker
    assert "2 workers" in output


def test_serve_with_workers_hands_the_settings_to_uvicorn(
    make_settings, tmp_path, monkeypatch, caplog
):
    import os

    import uvicorn

    import ui.app

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append((app, kw, dict(os.environ))))
    saved = dict(os.environ)
    try:
        ui.app.serve(make_settings(tmp_path), workers=3)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    ((app, kw, env),) = calls
    assert app == "ui.app:create_app_from_env" and kw["factory"] is True and kw["workers"] == 3
    assert env["RSI_INDEX_DIR"] == str((tmp_path / "index").resolve())
    assert env["RSI_EMBEDDER__BACKEND"] == "fake"
    assert "counts per worker" in caplog.text and "sticky sessions" in caplog.text


def test_no_per_worker_warning_when_the_counters_are_shared(
    make_settings, tmp_path, monkeypatch, caplog
):
    import os

    import uvicorn

    import ui.app

    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: None)
    saved = dict(os.environ)
    try:
        ui.app.serve(make_settings(tmp_path, database_url="postgresql://h/db"), workers=2)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert "counts per worker" not in caplog.text


def test_a_worker_builds_its_app_from_the_environment(tmp_path, build_fake_rsi_index, monkeypatch):
    from fastapi.testclient import TestClient

    import ui.app

    settings = build_fake_rsi_index(tmp_path)
    for name, value in child_environment(settings, RSI_RATE_LIMIT="off").items():
        monkeypatch.setenv(name, value)
    app = ui.app.create_app_from_env()
    assert app.state.service.settings == settings.model_copy(
        update={"server": settings.server.model_copy(update={"rate_limit": ""})}
    )
    assert TestClient(app).get("/healthz").json()["chunks"] > 0

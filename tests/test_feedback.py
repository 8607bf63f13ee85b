"""Feedback storage: masking, retention, size limits, file modes, off switch, deletion.

The behaviour tests run against both backends: SQLite in the data folder, and the
``rsi_feedback`` table of PostgreSQL (``RSI_DATABASE_URL``; skipped without the
[postgres] extra)."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import time

import pytest
from pydantic import SecretStr

from assistant import feedback
from assistant.cli import main
from assistant.settings import Settings

CPR_QUESTION = "Mit CPR er 311299-9999 og min mail er a.b@example.dk, tlf 12 34 56 78"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request) -> str | None:
    """The database URL for the backend under test (None: SQLite)."""
    return request.getfixturevalue("pg_url") if request.param == "postgres" else None


@pytest.fixture
def settings(tmp_path, backend) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        index_dir=tmp_path / "ix",
        corpus_dir=tmp_path,
        database_url=backend,
    )


@pytest.fixture
def sqlite_settings(tmp_path) -> Settings:
    """For what only SQLite has: the file, its modes and its older versions."""
    return Settings(data_dir=tmp_path / "data", index_dir=tmp_path / "ix", corpus_dir=tmp_path)


def _raw(settings) -> bytes:
    """Everything the backend holds, as it is stored."""
    if settings.database_url is None:
        return feedback.db_path(settings).read_bytes()
    with feedback._connect(settings) as db:
        cells = db.execute("SELECT * FROM {table}").fetchall()
    return repr(cells).encode()


def _store(settings, question="Hvad er RSI?", **kw):
    return feedback.store(
        settings, 1, question, kw.pop("answer", "RSI er … [1]"), ["rsi#0-ab"], **kw
    )


def _age(settings, row_id: int, days: float) -> None:
    # straight to the table: opening through feedback._connect would purge first
    if settings.database_url is None:
        conn = sqlite3.connect(feedback.db_path(settings))
        sql = "UPDATE feedback SET created_unix = ? WHERE id = ?"
    else:
        import psycopg

        conn = psycopg.connect(settings.database_url.get_secret_value())
        sql = "UPDATE rsi_feedback SET created_unix = %s WHERE id = %s"
    with conn:
        conn.execute(sql, (int(time.time() - days * 86_400), row_id))
    conn.close()


def test_personal_data_is_stored_masked(settings):
    _store(settings, CPR_QUESTION, comment="ring på +45 87654321", answer="Se 010170-1234")
    raw = _raw(settings)
    assert b"311299" not in raw and b"example.dk" not in raw and b"87654321" not in raw
    (row,) = feedback.rows(settings)
    assert row["question"] == "Mit CPR er [CPR] og min mail er [e-mail], tlf [telefon]"
    assert row["comment"] == "ring på [telefon]" and row["answer"] == "Se [CPR]"
    assert row["citation_ids"] == ["rsi#0-ab"]


def test_database_is_private(sqlite_settings):
    settings = sqlite_settings
    _store(settings)
    assert stat.S_IMODE(feedback.db_path(settings).stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o700


def test_existing_folder_keeps_its_mode_and_an_old_0644_file_is_tightened(sqlite_settings):
    settings = sqlite_settings
    settings.data_dir.mkdir(mode=0o755)
    settings.data_dir.chmod(0o755)
    path = feedback.db_path(settings)
    path.touch()
    path.chmod(0o644)
    _store(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(settings.data_dir.stat().st_mode) == 0o755


def test_rows_past_retention_are_purged_on_open(settings):
    old = _store(settings, "gammel")
    new = _store(settings, "ny")
    _age(settings, old, 91)
    _age(settings, new, 89)
    assert [r["question"] for r in feedback.rows(settings)] == ["ny"]
    short = settings.model_copy(
        update={"feedback": settings.feedback.model_copy(update={"retention_days": 30})}
    )
    _store(short, "nyeste")  # inserting purges too
    assert [r["question"] for r in feedback.rows(short)] == ["nyeste"]


@pytest.mark.parametrize(
    "kw",
    [
        {"citation_ids": ["x"] * (feedback.MAX_CITATIONS + 1)},
        {"citation_ids": ["x" * (feedback.MAX_CITATION_ID_CHARS + 1)]},
        {"question": "q" * (feedback.MAX_QUESTION_CHARS + 1)},
        {"answer": "a" * (feedback.MAX_ANSWER_CHARS + 1)},
        {"comment": "c" * (feedback.MAX_COMMENT_CHARS + 1)},
    ],
)
def test_oversized_fields_are_refused(settings, kw):
    args = {"question": "q", "answer": "a", "citation_ids": [], **kw}
    with pytest.raises(feedback.FeedbackRejected):
        feedback.store(settings, 1, **args)
    assert feedback.rows(settings) == []


def test_off_stores_nothing(settings):
    off = Settings(
        data_dir=settings.data_dir, database_url=settings.database_url, feedback={"enabled": False}
    )
    assert _store(off, CPR_QUESTION) is None
    assert not settings.data_dir.exists()
    assert feedback.rows(settings) == []


def test_short_aliases(monkeypatch):
    monkeypatch.setenv("RSI_FEEDBACK", "off")
    monkeypatch.setenv("RSI_FEEDBACK_RETENTION_DAYS", "7")
    assert Settings().feedback.model_dump() == {"enabled": False, "retention_days": 7}


def test_an_older_database_is_migrated_and_masked(sqlite_settings):
    settings = sqlite_settings
    settings.data_dir.mkdir()
    with sqlite3.connect(feedback.db_path(settings)) as conn:
        conn.execute(
            "CREATE TABLE feedback (id INTEGER PRIMARY KEY AUTOINCREMENT, created TEXT NOT NULL,"
            " rating INTEGER NOT NULL, question TEXT NOT NULL, answer TEXT NOT NULL,"
            " citation_ids TEXT NOT NULL, comment TEXT NOT NULL DEFAULT '',"
            " source TEXT NOT NULL DEFAULT '')"
        )
        recent = time.strftime("%Y-%m-%dT%H:%M:%S%z")
        for created in ("2020-01-01T10:00:00+0100", recent):
            conn.execute(
                "INSERT INTO feedback (created, rating, question, answer, citation_ids) "
                "VALUES (?, 1, ?, 'a', '[]')",
                (created, CPR_QUESTION),
            )
    (row,) = feedback.rows(settings)  # the 2020 row is past retention
    assert row["created"] == recent and "[CPR]" in row["question"]


@pytest.fixture
def cli_env(settings, monkeypatch):
    monkeypatch.setenv("RSI_DATA_DIR", str(settings.data_dir))
    if settings.database_url is not None:
        monkeypatch.setenv("RSI_DATABASE_URL", settings.database_url.get_secret_value())
    return settings


def test_cli_delete_by_id_age_and_all(cli_env, capsys):
    settings = cli_env
    ids = [_store(settings, f"q{i}") for i in range(5)]
    _age(settings, ids[0], 40)
    _age(settings, ids[1], 20)

    assert main(["feedback", "delete", "--older-than", "30"]) == 0
    assert capsys.readouterr().out.strip() == f"deleted 1 feedback rows (ids {ids[0]})"
    assert main(["feedback", "delete", "--id", str(ids[2]), "--id", "999"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == f"deleted 1 feedback rows (ids {ids[2]})"
    assert "999" in err
    assert [r["id"] for r in feedback.rows(settings)] == [ids[1], ids[3], ids[4]]
    assert main(["feedback", "delete", "--all"]) == 0
    assert capsys.readouterr().out.strip() == (
        f"deleted 3 feedback rows (ids {ids[1]}, {ids[3]}, {ids[4]})"
    )
    assert feedback.rows(settings) == []
    assert b"q3" not in _raw(settings)  # SQLite: secure_delete


def test_cli_delete_needs_a_selection(cli_env, capsys):
    assert main(["feedback", "delete"]) == 2
    assert "--all" in capsys.readouterr().err
    assert main(["feedback", "export", "--all"]) == 2
    capsys.readouterr()
    assert main(["feedback", "delete", "--all"]) == 0  # no database yet: nothing to delete
    assert capsys.readouterr().out.strip() == "deleted 0 feedback rows"
    assert not cli_env.data_dir.exists()


def test_api_masks_and_limits(tmp_path, build_fake_rsi_index, make_settings, backend):
    from fastapi.testclient import TestClient

    from ui.app import create_app

    build_fake_rsi_index(tmp_path)
    settings = make_settings(tmp_path, database_url=backend)
    client = TestClient(create_app(settings, with_chat=False))
    body = {"rating": "down", "question": CPR_QUESTION, "answer": "a", "citation_ids": ["rsi#1"]}
    r = client.post("/api/feedback", json=body)
    assert r.status_code == 200 and r.json()["stored"] is True
    assert "[CPR]" in feedback.rows(settings)[0]["question"]
    too_many = client.post("/api/feedback", json={**body, "citation_ids": ["x" * 201]})
    assert too_many.status_code == 422
    assert len(feedback.rows(settings)) == 1

    off = settings.model_copy(
        update={"feedback": settings.feedback.model_copy(update={"enabled": False})}
    )
    r = TestClient(create_app(off, with_chat=False)).post("/api/feedback", json=body)
    assert r.status_code == 200 and r.json() == {"ok": True, "id": None, "stored": False}
    assert len(feedback.rows(settings)) == 1


def test_export_still_works_after_masking(cli_env, capsys):
    _store(cli_env, CPR_QUESTION)
    assert main(["feedback", "export", "--format", "jsonl"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["question"].startswith("Mit CPR er [CPR]")
    assert os.environ["RSI_DATA_DIR"] == str(cli_env.data_dir)


# --- PostgreSQL only: shared between processes, and what happens when it is down ---------

DOWN_URL = "postgresql://rsi@127.0.0.1:1/rsi"  # nothing listens on port 1


def test_feedback_posted_to_one_process_is_exported_by_another(
    tmp_path, build_fake_rsi_index, make_settings, pg_url
):
    import subprocess
    import sys

    from fastapi.testclient import TestClient

    from assistant.settings import child_environment
    from ui.app import create_app

    build_fake_rsi_index(tmp_path)
    worker = make_settings(tmp_path, database_url=pg_url)  # data in tmp_path/data
    client = TestClient(create_app(worker, with_chat=False))
    body = {"rating": "up", "question": CPR_QUESTION, "answer": "svar", "citation_ids": ["a#1"]}
    stored = client.post("/api/feedback", json=body).json()["id"]

    other = make_settings(tmp_path / "elsewhere", database_url=pg_url)
    out = subprocess.run(
        [sys.executable, "-m", "assistant", "feedback", "export", "--format", "jsonl"],
        env=child_environment(other),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    (row,) = [json.loads(line) for line in out.stdout.splitlines()]
    assert row["id"] == stored and row["question"].startswith("Mit CPR er [CPR]")
    assert not (tmp_path / "data" / "feedback.sqlite3").exists()
    assert not (tmp_path / "elsewhere" / "data").exists()


def test_database_down_is_a_503_with_a_danish_message(
    tmp_path, build_fake_rsi_index, make_settings, caplog
):
    from fastapi.testclient import TestClient

    from assistant import wording
    from ui.app import create_app

    build_fake_rsi_index(tmp_path)
    settings = make_settings(tmp_path, database_url=DOWN_URL, server={"rate_limit": "off"})
    client = TestClient(create_app(settings, with_chat=False), raise_server_exceptions=False)
    body = {"rating": "up", "question": "Hvad er RSI?", "answer": "svar"}
    r = client.post("/api/feedback", json=body)
    assert r.status_code == 503
    assert r.json() == {
        "error": "database_unavailable",
        "message": wording.ERROR_DATABASE_UNAVAILABLE,
    }
    (record,) = [r for r in caplog.records if r.name == "ui.app"]
    assert "cannot connect to RSI_DATABASE_URL" in record.getMessage()
    assert record.exc_info is None  # one line, no traceback


def test_cli_with_the_database_down_prints_one_line(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("RSI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("RSI_DATABASE_URL", DOWN_URL)
    assert main(["feedback", "export"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: cannot connect to RSI_DATABASE_URL") and "\n" not in err
    assert main(["feedback", "delete", "--all"]) == 2


def test_without_the_extra_the_error_names_it(monkeypatch, tmp_path):
    import sys

    from assistant.pgconnect import DatabaseUnavailable

    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg -> ImportError
    settings = Settings(data_dir=tmp_path / "data", database_url=DOWN_URL)
    with pytest.raises(DatabaseUnavailable, match=r'pip install -e "\.\[postgres\]"'):
        _store(settings)


def test_rows_in_sqlite_move_into_the_database_once(sqlite_settings, pg_url):
    old_id = _store(sqlite_settings, "gammel")
    _age(sqlite_settings, old_id, 91)  # past retention: purged on arrival
    _store(sqlite_settings, CPR_QUESTION, comment="mail: x@y.dk")
    _store(sqlite_settings, "anden")
    shared = sqlite_settings.model_copy(update={"database_url": SecretStr(pg_url)})
    moved = feedback.rows(shared)
    assert [r["question"] for r in moved] == [
        "Mit CPR er [CPR] og min mail er [e-mail], tlf [telefon]",
        "anden",
    ]
    assert moved[0]["comment"] == "mail: [e-mail]"
    assert not feedback.db_path(sqlite_settings).exists()
    assert feedback.rows(shared) == moved  # not twice


def test_rows_stay_in_sqlite_while_the_database_is_down(sqlite_settings):
    _store(sqlite_settings, "bliver")
    down = sqlite_settings.model_copy(update={"database_url": SecretStr(DOWN_URL)})
    with pytest.raises(feedback.pgconnect.DatabaseUnavailable):
        feedback.rows(down)
    assert [r["question"] for r in feedback.rows(sqlite_settings)] == ["bliver"]

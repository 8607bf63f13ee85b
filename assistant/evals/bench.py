"""``rsi-assistant bench``: speed measured as ratios against a floor in the same run.

- query: p50/p95 of ``answer()`` on a warm index, against the floor of one
  query embedding plus one FAISS search for the same questions;
- build: index build throughput against the raw embedder on the same chunks,
  and an incremental rebuild with nothing changed;
- scale: the whole ``answer()`` path at 1k/10k/100k chunks (real BM25 over
  generated Danish passages, synthetic clustered vectors: embedding 100k
  passages would take hours here), and at 1M vectors a compressed FAISS index
  (IVF-PQ, with and without exact re-ranking) against exact search: recall@10,
  latency, memory.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant.evals.metrics import percentile
from assistant.settings import Settings


def _timed(fn, *args) -> float:
    t0 = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t0) * 1e3


def _questions() -> list[str]:
    from assistant.evals.runner import DEFAULT_SET, load_set

    return [i["question"] for i in load_set(DEFAULT_SET)]


def bench_query(settings: Settings, rounds: int = 2) -> dict:
    from assistant.answer import Assistant
    from assistant.index import ensure_index

    ensure_index(settings)
    assistant = Assistant.load(settings)
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
    return {
        "queries": len(full),
        "query_p50_ms": round(q50, 2),
        "query_p95_ms": round(percentile(full, 95), 2),
        "floor_p50_ms": round(f50, 2),
        "floor_p95_ms": round(percentile(floor, 95), 2),
        "overhead_ratio": round(q50 / f50, 3) if f50 else None,
    }


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
    from assistant.index import ensure_index, load_index
    from assistant.lexical import BM25Index

    ensure_index(settings)
    base = load_index(settings.index_dir)
    real = Assistant.load(settings)
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


def main(args, settings: Settings) -> None:
    result = run(settings, quick=args.quick)
    if args.json:
        print(json.dumps(result, indent=2))
        return
    print(
        f"answer() p50 {result['query_p50_ms']} ms, p95 {result['query_p95_ms']} ms; floor "
        f"(embed + FAISS) p50 {result['floor_p50_ms']} ms; overhead ratio "
        f"{result['overhead_ratio']}"
    )
    print(
        f"build {result['build_chunks_per_s']} chunks/s vs embedder alone "
        f"{result['embed_floor_chunks_per_s']} chunks/s; incremental rebuild "
        f"{result['incremental_rebuild_s']} s ({result['incremental_embedded']} embedded)"
    )
    print("| chunks | answer p50 ms | answer p95 ms | vectors MB | BM25 MB |")
    print("|---|---|---|---|---|")
    for row in result["scale"]:
        print(
            f"| {row['chunks']} | {row['answer_p50_ms']} | {row['answer_p95_ms']} | "
            f"{row['vectors_mb']} | {row['bm25_mb']} |"
        )
    c = result["compressed"]
    print(
        f"{c['vectors']} vectors, {c['index']}: recall@10 {c['recall_at_10']} "
        f"({c['recall_at_10_reranked']} re-ranked), {c['ivfpq_ms_per_query']} ms/query "
        f"({c['ivfpq_rerank_ms_per_query']} re-ranked) vs exact {c['exact_ms_per_query']} ms; "
        f"{c['ivfpq_mb']} MB in memory vs {c['exact_mb']} MB"
    )

"""Build, persist and load the index: FAISS vectors, Danish BM25, chunks, manifest.

Layout of ``settings.index_dir``::

    CURRENT                 name of the build that is served (replaced atomically)
    builds/<build-id>/      manifest.json, chunks.jsonl, vectors.npy, faiss.index, bm25/

A build writes a new folder and only then points ``CURRENT`` at it, so a failed
or interrupted build leaves the served index untouched. Chunks whose text did
not change reuse their stored vectors: only new or edited documents are embedded.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from assistant.calibration import at_build as build_calibration
from assistant.chunking import Chunk
from assistant.embedders import Embedder
from assistant.ingest import corpus_files
from assistant.lexical import ANALYZER_VERSION, BM25Index
from assistant.settings import Settings

log = logging.getLogger(__name__)

FORMAT_VERSION = 1


class IndexProblem(RuntimeError):
    """Base for index problems; the message tells the user what to do."""


class IndexMissing(IndexProblem):
    pass


class IndexMismatch(IndexProblem):
    pass


class BuildError(IndexProblem):
    pass


@dataclass
class BuildReport:
    build_id: str
    documents: int
    chunks: int
    embedded: int  # chunks that had to be embedded (the rest came from the previous build)
    seconds: float
    warnings: list[str] = field(default_factory=list)
    changed: bool = True


@dataclass
class LoadedIndex:
    path: Path
    manifest: dict
    chunks: list[Chunk]
    vectors: np.ndarray
    faiss: object
    bm25: BM25Index

    @property
    def embedder(self) -> str:
        return self.manifest["embedder"]


def _file_state(path: Path, corpus_dir: Path) -> dict:
    st = path.stat()
    return {
        "path": path.relative_to(corpus_dir).as_posix(),
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
    }


def current_build(index_dir: Path) -> Path | None:
    pointer = index_dir / "CURRENT"
    if not pointer.is_file():
        return None
    build = index_dir / "builds" / pointer.read_text().strip()
    return build if (build / "manifest.json").is_file() else None


def read_manifest(index_dir: Path) -> dict | None:
    build = current_build(index_dir)
    return json.loads((build / "manifest.json").read_text()) if build else None


def index_state(settings: Settings) -> tuple[str, str]:
    """('ok' | 'missing' | 'stale', reason): does the served index match the corpus?"""
    manifest = read_manifest(settings.index_dir)
    if manifest is None:
        return "missing", f"no index in {settings.index_dir}"
    if manifest.get("format") != FORMAT_VERSION or manifest.get("analyzer") != ANALYZER_VERSION:
        return "stale", "the index was built by another version of rsi-assistant"
    if manifest.get("chunk_max_words") != settings.chunking.max_words:
        return "stale", "the chunk size setting changed"
    files = {f["path"]: f for f in manifest["files"]}
    current = corpus_files(settings.corpus_dir)
    if len(current) != len(files):
        return "stale", "files were added to or removed from the corpus"
    import hashlib

    for path in current:
        state = _file_state(path, settings.corpus_dir)
        old = files.get(state["path"])
        if old is None:
            return "stale", f"new file {state['path']}"
        if (old["size"], old["mtime_ns"]) != (state["size"], state["mtime_ns"]):
            if hashlib.sha256(path.read_bytes()).hexdigest() != old["sha256"]:
                return "stale", f"{state['path']} changed"
    return "ok", "up to date"


def _write_faiss(vectors: np.ndarray, path: Path) -> None:
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(vectors)
    faiss.write_index(index, str(path))


def _files_state(settings: Settings, docs: list) -> list[dict]:
    """Size, mtime and hash of every corpus file (skipped files included)."""
    import hashlib

    by_path = {d.path: d for d in docs}
    files = []
    for path in corpus_files(settings.corpus_dir):
        state = _file_state(path, settings.corpus_dir)
        doc = by_path.get(state["path"])
        state["sha256"] = doc.sha256 if doc else hashlib.sha256(path.read_bytes()).hexdigest()
        state["doc_id"] = doc.doc_id if doc else None
        files.append(state)
    return files


def build_index(
    settings: Settings,
    embedder: Embedder,
    progress: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Read the corpus, chunk, embed what changed, write a new build and switch to it."""
    import fcntl

    from assistant.chunking import chunk_document
    from assistant.ingest import load_corpus

    started = time.perf_counter()
    index_dir = settings.index_dir
    (index_dir / "builds").mkdir(parents=True, exist_ok=True)
    lock = open(index_dir / ".lock", "w")  # noqa: SIM115 - held for the whole build
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        lock.close()
        raise BuildError(f"another build is running on {index_dir}; wait for it") from exc
    tmp = index_dir / "builds" / f".tmp-{os.getpid()}-{time.time_ns()}"
    try:
        if not settings.corpus_dir.is_dir():
            raise BuildError(f"corpus folder {settings.corpus_dir} does not exist")
        docs, warnings = load_corpus(settings.corpus_dir)
        if not docs:
            raise BuildError(
                f"no readable documents in {settings.corpus_dir} "
                "(supported: .txt .md .html .pdf .docx)"
            )
        chunks = [c for d in docs for c in chunk_document(d, settings.chunking.max_words)]
        if not chunks:
            raise BuildError(
                f"the documents in {settings.corpus_dir} hold no text passages to index "
                "(only headings?)"
            )

        # Reuse vectors of unchanged chunks from the served build (same embedder only).
        cached: dict[str, np.ndarray] = {}
        old = current_build(index_dir)
        if old is not None:
            old_manifest = json.loads((old / "manifest.json").read_text())
            if old_manifest.get("embedder") == embedder.name:
                old_vectors = np.load(old / "vectors.npy")
                with open(old / "chunks.jsonl", encoding="utf-8") as fh:
                    old_chunks = [Chunk.from_dict(json.loads(line)) for line in fh]
                for i, c in enumerate(old_chunks):
                    cached[c.hash] = old_vectors[i]
                if (
                    old_chunks == chunks
                    and old_manifest.get("format") == FORMAT_VERSION
                    and old_manifest.get("analyzer") == ANALYZER_VERSION
                    and old_manifest.get("chunk_max_words") == settings.chunking.max_words
                ):
                    # Nothing to re-index: keep serving this build (no reload anywhere),
                    # only record the files' new state so the index counts as fresh.
                    old_manifest["files"] = _files_state(settings, docs)
                    old_manifest["warnings"] = warnings
                    tmp_manifest = old / "manifest.json.tmp"
                    tmp_manifest.write_text(json.dumps(old_manifest, ensure_ascii=False, indent=1))
                    os.replace(tmp_manifest, old / "manifest.json")
                    return BuildReport(
                        old.name,
                        len(docs),
                        len(chunks),
                        0,
                        time.perf_counter() - started,
                        warnings,
                        changed=False,
                    )

        todo = [i for i, c in enumerate(chunks) if c.hash not in cached]
        vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
        for i, c in enumerate(chunks):
            if c.hash in cached:
                vectors[i] = cached[c.hash]
        bar = None
        if progress and todo:
            from tqdm import tqdm

            bar = tqdm(total=len(todo), desc="embedding chunks", unit="chunk")
        batch = settings.embedder.batch_size
        for start in range(0, len(todo), batch):
            ids = todo[start : start + batch]
            vectors[ids] = embedder.embed_passages([chunks[i].embed_text() for i in ids])
            if bar is not None:
                bar.update(len(ids))
            if on_progress is not None:
                on_progress(start + len(ids), len(todo))
        if bar is not None:
            bar.close()

        tmp.mkdir()
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for c in chunks:
                fh.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        np.save(tmp / "vectors.npy", vectors)
        _write_faiss(vectors, tmp / "faiss.index")
        BM25Index.build([c.embed_text() for c in chunks]).save(tmp / "bm25")
        files = _files_state(settings, docs)
        build_id = time.strftime("%Y%m%dT%H%M%S") + f"-{time.time_ns() % 10**9:09d}"
        manifest = {
            "format": FORMAT_VERSION,
            "build_id": build_id,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "embedder": embedder.name,
            "dim": embedder.dim,
            "analyzer": ANALYZER_VERSION,
            "chunk_max_words": settings.chunking.max_words,
            "documents": [
                {
                    "doc_id": d.doc_id,
                    "title": d.title,
                    "path": d.path,
                    "url": d.url,
                    "sha256": d.sha256,
                }
                for d in docs
            ],
            "files": files,
            "chunks": len(chunks),
            "warnings": warnings,
        }
        manifest["calibration"] = build_calibration(chunks, vectors, embedder)
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        final = index_dir / "builds" / build_id
        tmp.rename(final)
        pointer_tmp = index_dir / "CURRENT.tmp"
        pointer_tmp.write_text(build_id)
        os.replace(pointer_tmp, index_dir / "CURRENT")  # the atomic switch
        for other in (index_dir / "builds").iterdir():
            if other.name != build_id:
                shutil.rmtree(other, ignore_errors=True)
        return BuildReport(
            build_id, len(docs), len(chunks), len(todo), time.perf_counter() - started, warnings
        )
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        lock.close()


def load_index(index_dir: Path, build: Path | None = None) -> LoadedIndex:
    """Load the served build (or the given ``build`` folder of ``index_dir``)."""
    import faiss

    build = build or current_build(index_dir)
    if build is None:
        raise IndexMissing(f"no index in {index_dir}: run `rsi-assistant build`")
    manifest = json.loads((build / "manifest.json").read_text())
    if manifest.get("format") != FORMAT_VERSION or manifest.get("analyzer") != ANALYZER_VERSION:
        raise IndexMismatch(
            f"the index in {index_dir} was built by another version: run `rsi-assistant build`"
        )
    with open(build / "chunks.jsonl", encoding="utf-8") as fh:
        chunks = [Chunk.from_dict(json.loads(line)) for line in fh]
    return LoadedIndex(
        path=build,
        manifest=manifest,
        chunks=chunks,
        vectors=np.load(build / "vectors.npy"),
        faiss=faiss.read_index(str(build / "faiss.index")),
        bm25=BM25Index.load(build / "bm25"),
    )


def check_embedder(index: LoadedIndex, embedder: Embedder) -> None:
    """Refuse to query vectors made by another model: the scores would be noise."""
    if index.manifest["embedder"] != embedder.name or index.manifest["dim"] != embedder.dim:
        raise IndexMismatch(
            f"the index was built with embedder {index.manifest['embedder']!r} "
            f"({index.manifest['dim']} dims) but the settings ask for {embedder.name!r} "
            f"({embedder.dim} dims): run `rsi-assistant build` to rebuild it with the new embedder"
        )


def ensure_index(
    settings: Settings,
    embedder: Embedder | None = None,
    progress: bool = False,
) -> BuildReport | None:
    """Build the index when it is missing or older than the corpus.

    Returns the build report, or None when the index was already current. A failed
    refresh of an existing index is logged and the served index is kept; with no
    index at all the error is raised (there is nothing to answer from).
    """
    state, reason = index_state(settings)
    if state == "ok":
        return None
    log.warning("building the index (%s)", reason)
    if embedder is None:
        from assistant.embedders import make_embedder

        embedder = make_embedder(settings.embedder)
    try:
        report = build_index(settings, embedder, progress=progress)
    except BuildError as exc:
        if state == "missing":
            raise
        log.warning("could not refresh the index (%s); using the existing one", exc)
        return None
    for warning in report.warnings:
        log.warning("%s", warning)
    return report

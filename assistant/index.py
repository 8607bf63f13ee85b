"""Build, persist and load the index: FAISS vectors, Danish BM25, chunks, manifest.

Layout of ``settings.index_dir``::

    CURRENT                 name of the build that is served (replaced atomically)
    builds/<build-id>/      manifest.json, chunks.jsonl, vectors.npy, faiss.index, bm25/
    embed-cache/<embedder>/ vectors embedded since the last finished build (.npz shards)

A build writes a new folder and only then points ``CURRENT`` at it, so a failed
or interrupted build leaves the served index untouched. Chunks whose text did
not change reuse their stored vectors: only new or edited documents are embedded.
Vectors are also saved to ``embed-cache`` batch by batch as they are computed,
keyed by the sha256 of the embedded text, so an interrupted build resumes where
it stopped; a finished build empties the cache.

The manifest records the size and sha256 of every file of its build. Sizes are
checked whenever the index state is looked at (cheap), checksums when a build is
loaded or reused; a damaged build raises ``IndexCorrupt`` naming the file, and
``build`` then builds from scratch instead of reusing it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from assistant.calibration import at_build as build_calibration
from assistant.chunking import TEXT_VERSION, Chunk
from assistant.embedders import Embedder
from assistant.ingest import source_files
from assistant.lexical import ANALYZER_VERSION, BM25Index
from assistant.settings import Settings

log = logging.getLogger(__name__)

FORMAT_VERSION = 2  # 2: the manifest records size and sha256 of every index file
MANIFEST = "manifest.json"


class IndexProblem(RuntimeError):
    """Base for index problems; the message tells the user what to do."""


class IndexMissing(IndexProblem):
    pass


class IndexMismatch(IndexProblem):
    pass


class BuildError(IndexProblem):
    pass


class IndexCorrupt(IndexProblem):
    """A file of the served build is missing, truncated, altered or unreadable."""

    def __init__(self, index_dir: Path, file: str, detail: str):
        self.file, self.detail = file, detail
        super().__init__(f"the index in {index_dir} is damaged: {self.reason}")

    @property
    def reason(self) -> str:
        """The problem without the folder (for /healthz)."""
        return f"{self.file} {self.detail}: run `rsi-assistant build` to rebuild it"


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
    faiss: Any  # a faiss index; faiss ships no type stubs
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
    name = pointer.read_text(errors="replace").strip()
    if not name or "/" in name or name.startswith("."):
        return None
    build = index_dir / "builds" / name
    return build if (build / MANIFEST).is_file() else None


def _sha256(path: Path) -> str:
    with open(path, "rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def _artifacts(build: Path) -> dict[str, dict]:
    """Size and sha256 of every file of a build folder but the manifest."""
    return {
        p.relative_to(build).as_posix(): {"size": p.stat().st_size, "sha256": _sha256(p)}
        for p in sorted(build.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


_MANIFEST_KEYS = ("build_id", "embedder", "dim", "documents", "files", "chunks", "artifacts")


def _read_manifest_of(build: Path, index_dir: Path) -> dict:
    try:
        manifest = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise IndexCorrupt(index_dir, MANIFEST, "is missing") from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexCorrupt(index_dir, MANIFEST, "is not valid JSON (truncated?)") from exc
    if not isinstance(manifest, dict):
        raise IndexCorrupt(index_dir, MANIFEST, "is not an index manifest")
    if manifest.get("format") == FORMAT_VERSION and not all(k in manifest for k in _MANIFEST_KEYS):
        raise IndexCorrupt(index_dir, MANIFEST, "is incomplete")
    return manifest


def same_version(manifest: dict) -> bool:
    """Was this build made by this version's reader, chunker, analyzer and format?"""
    return (
        manifest.get("format") == FORMAT_VERSION
        and manifest.get("analyzer") == ANALYZER_VERSION
        and manifest.get("text_version", 1) == TEXT_VERSION
    )


def verify_build(build: Path, manifest: dict, index_dir: Path, checksums: bool = True) -> None:
    """Raise ``IndexCorrupt`` unless every file the manifest lists is there with its
    recorded size (and, with ``checksums``, its recorded sha256)."""
    artifacts = manifest.get("artifacts")
    if not isinstance(artifacts, dict) or not artifacts:
        raise IndexCorrupt(index_dir, MANIFEST, "lists no index files")
    for name, meta in artifacts.items():  # all sizes first: cheap, and the usual damage
        if not (isinstance(meta, dict) and isinstance(meta.get("size"), int)) or ".." in name:
            raise IndexCorrupt(index_dir, MANIFEST, f"has no valid entry for {name}")
        try:
            size = (build / name).stat().st_size
        except OSError as exc:
            raise IndexCorrupt(index_dir, name, "is missing") from exc
        if size != meta["size"]:
            raise IndexCorrupt(
                index_dir, name, f"has {size} bytes instead of {meta['size']} (truncated?)"
            )
    if checksums:
        for name, meta in artifacts.items():
            if _sha256(build / name) != meta.get("sha256"):
                raise IndexCorrupt(index_dir, name, "does not match its checksum (altered)")


def _served(index_dir: Path) -> tuple[Path, dict] | None:
    """The served build and its manifest; None when there is none."""
    build = current_build(index_dir)
    return None if build is None else (build, _read_manifest_of(build, index_dir))


def read_manifest(index_dir: Path) -> dict | None:
    """The served build's manifest (None: no index); ``IndexCorrupt`` when unreadable."""
    served = _served(index_dir)
    return served[1] if served else None


def _check_served(settings: Settings) -> tuple[str, str, IndexProblem | None]:
    index_dir = settings.index_dir
    try:
        served = _served(index_dir)
        if served is None:
            return "missing", f"no index in {index_dir}", None
        build, manifest = served
        if not same_version(manifest):
            return "stale", "the index was built by another version of rsi-assistant", None
        verify_build(build, manifest, index_dir, checksums=False)
    except IndexCorrupt as exc:
        return "corrupt", str(exc), exc
    return "ok", "", None


def corpus_changes(settings: Settings, manifest: dict) -> str | None:
    """Why a build described by ``manifest`` no longer matches the corpus and the
    chunk setting (None: it matches). Sizes and mtimes first; a file whose size or
    mtime changed counts as changed only when its sha256 differs. Shared by the
    file store and the PostgreSQL store (``assistant.pgstore``)."""
    if manifest.get("chunk_max_words") != settings.chunking.max_words:
        return "the chunk size setting changed"
    files = {f["path"]: f for f in manifest["files"]}
    current = source_files(settings.corpus_dir)
    if len(current) != len(files):
        return "files were added to or removed from the corpus"
    for path in current:
        now = _file_state(path, settings.corpus_dir)
        old = files.get(now["path"])
        if old is None:
            return f"new file {now['path']}"
        if (old["size"], old["mtime_ns"]) != (now["size"], now["mtime_ns"]):
            if _sha256(path) != old["sha256"]:
                return f"{now['path']} changed"
    return None


def index_state(settings: Settings) -> tuple[str, str]:
    """('ok' | 'missing' | 'stale' | 'corrupt', reason): does the served index match the
    corpus, and are its files whole (sizes only; checksums are verified at load)?"""
    state, reason, _ = _check_served(settings)
    if state != "ok":
        return state, reason
    manifest = read_manifest(settings.index_dir)
    assert manifest is not None
    changed = corpus_changes(settings, manifest)
    return ("stale", changed) if changed else ("ok", "up to date")


def index_health(settings: Settings) -> tuple[bool, str]:
    """(ok, reason) for /healthz: is there a served build of this version whose files
    are all there at their recorded sizes? Cheap: no checksums, no corpus scan."""
    state, reason, exc = _check_served(settings)
    if state == "ok":
        return True, "ok"
    if isinstance(exc, IndexCorrupt):
        return False, f"the index is damaged: {exc.reason}"
    if state == "missing":
        return False, "there is no index: run `rsi-assistant build`"
    return False, f"{reason}: run `rsi-assistant build`"


class EmbeddingCache:
    """Vectors of one embedder by sha256 of the embedded text, saved batch by batch
    while a build runs (``index_dir/embed-cache/<embedder>/<sha256 of file>.npz``).

    Each shard is named by the sha256 of its bytes and written atomically, so a
    shard damaged by a crash is recognised and dropped. A finished build clears the
    cache: from then on the served build is where unchanged vectors come from.
    """

    def __init__(self, index_dir: Path, embedder: Embedder):
        self.root = index_dir / "embed-cache"
        key = hashlib.sha256(f"{embedder.name}\0{embedder.dim}".encode()).hexdigest()[:16]
        self.folder = self.root / key
        self.dim = embedder.dim

    def load(self) -> dict[str, np.ndarray]:
        found: dict[str, np.ndarray] = {}
        if not self.folder.is_dir():
            return found
        for shard in sorted(self.folder.glob("*.npz")):
            data = shard.read_bytes()
            try:
                if hashlib.sha256(data).hexdigest() != shard.stem:
                    raise ValueError("checksum")
                with np.load(io.BytesIO(data)) as npz:
                    keys, vectors = npz["keys"], npz["vectors"]
                if vectors.ndim != 2 or vectors.shape != (len(keys), self.dim):
                    raise ValueError("shape")
            except Exception as exc:  # a damaged shard is only lost work: drop it
                log.warning("dropping damaged embedding cache file %s (%s)", shard.name, exc)
                shard.unlink(missing_ok=True)
                continue
            found.update(zip((str(k) for k in keys), vectors, strict=True))
        return found

    def add(self, keys: list[str], vectors: np.ndarray) -> None:
        buf = io.BytesIO()
        np.savez(buf, keys=np.array(keys), vectors=np.asarray(vectors, dtype=np.float32))
        data = buf.getvalue()
        name = hashlib.sha256(data).hexdigest()
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{name}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, self.folder / f"{name}.npz")

    def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def text_key(text: str) -> str:
    """Cache key of an embedded text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write_faiss(vectors: np.ndarray, path: Path) -> None:
    import faiss

    index = faiss.IndexFlatIP(vectors.shape[1])
    if len(vectors):
        index.add(vectors)
    faiss.write_index(index, str(path))


def files_state(settings: Settings, docs: list) -> list[dict]:
    """Size, mtime and hash of every corpus file (skipped files and sidecars included)."""
    by_path = {d.path: d for d in docs}
    files = []
    for path in source_files(settings.corpus_dir):
        state = _file_state(path, settings.corpus_dir)
        doc = by_path.get(state["path"])
        state["sha256"] = doc.sha256 if doc else hashlib.sha256(path.read_bytes()).hexdigest()
        state["doc_id"] = doc.doc_id if doc else None
        files.append(state)
    return files


def read_corpus(settings: Settings) -> tuple[list, list[Chunk], list[str]]:
    """(documents, chunks, warnings) of the corpus folder; ``BuildError`` when there is
    nothing to index. The first step of every build, whatever the store."""
    from assistant.chunking import chunk_corpus
    from assistant.ingest import load_corpus

    if not settings.corpus_dir.is_dir():
        raise BuildError(f"corpus folder {settings.corpus_dir} does not exist")
    docs, warnings = load_corpus(settings.corpus_dir)
    if not docs:
        raise BuildError(
            f"no readable documents in {settings.corpus_dir} (supported: .txt .md .html .pdf .docx)"
        )
    chunks, left_out = chunk_corpus(docs, settings.chunking.max_words)
    warnings += left_out  # poisoned passages, named with their file
    if not chunks:
        raise BuildError(
            f"the documents in {settings.corpus_dir} hold no text passages to index "
            "(only headings?)"
        )
    return docs, chunks, warnings


def embed_missing(
    settings: Settings,
    embedder: Embedder,
    chunks: list[Chunk],
    cached: dict[str, np.ndarray],
    save: Callable[[list[str], np.ndarray], None],
    progress: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> tuple[np.ndarray, int]:
    """The vectors of ``chunks`` (rows in order) and how many had to be embedded:
    those whose text key is in ``cached`` are copied, the rest embedded in batches,
    each batch handed to ``save`` as soon as it is computed (so a build resumes)."""
    keys = [text_key(c.embed_text()) for c in chunks]
    todo = [i for i, k in enumerate(keys) if k not in cached]
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    for i, k in enumerate(keys):
        if k in cached:
            vectors[i] = cached[k]
    bar = None
    if progress and todo:
        from tqdm import tqdm

        bar = tqdm(total=len(todo), desc="embedding chunks", unit="chunk")
    batch = settings.embedder.batch_size
    for start in range(0, len(todo), batch):
        ids = todo[start : start + batch]
        batch_vectors = embedder.embed_passages([chunks[i].embed_text() for i in ids])
        vectors[ids] = batch_vectors
        save([keys[i] for i in ids], batch_vectors)  # an interrupted build resumes
        if bar is not None:
            bar.update(len(ids))
        if on_progress is not None:
            on_progress(start + len(ids), len(todo))
    if bar is not None:
        bar.close()
    return vectors, len(todo)


def new_build_id() -> str:
    return time.strftime("%Y%m%dT%H%M%S") + f"-{time.time_ns() % 10**9:09d}"


def new_manifest(
    settings: Settings,
    embedder: Embedder,
    build_id: str,
    docs: list,
    chunks: list[Chunk],
    warnings: list[str],
) -> dict:
    """The manifest of a new build, without its store's own entries (``artifacts``
    for the file store, ``table`` for PostgreSQL) and ``calibration``."""
    return {
        "format": FORMAT_VERSION,
        "build_id": build_id,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "embedder": embedder.name,
        "dim": embedder.dim,
        "analyzer": ANALYZER_VERSION,
        "text_version": TEXT_VERSION,
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
        "files": files_state(settings, docs),
        "chunks": len(chunks),
        "warnings": warnings,
    }


def unchanged(old_manifest: dict, old_chunks: list[Chunk], chunks: list[Chunk], settings) -> bool:
    """Would a new build hold exactly what the served one (``old_*``) holds?"""
    return (
        old_chunks == chunks
        and same_version(old_manifest)
        and old_manifest.get("chunk_max_words") == settings.chunking.max_words
    )


def _reusable_build(
    settings: Settings, embedder: Embedder, warnings: list[str]
) -> tuple[Path, dict, list[Chunk], np.ndarray] | None:
    """The served build when its vectors can be reused (same embedder, files intact).

    A damaged build is not reused: the new build starts from scratch (and says so in
    ``warnings``) instead of copying broken vectors or keeping a broken index.
    """
    index_dir = settings.index_dir
    build = current_build(index_dir)
    if build is None:
        return None
    try:
        manifest = _read_manifest_of(build, index_dir)
        if manifest.get("embedder") != embedder.name or manifest.get("dim") != embedder.dim:
            return None
        if manifest.get("format") == FORMAT_VERSION:
            verify_build(build, manifest, index_dir, checksums=True)
        vectors = np.load(build / "vectors.npy")
        with open(build / "chunks.jsonl", encoding="utf-8") as fh:
            chunks = [Chunk.from_dict(json.loads(line)) for line in fh]
        if vectors.shape != (len(chunks), embedder.dim):
            raise IndexCorrupt(index_dir, "vectors.npy", "does not match chunks.jsonl")
    except Exception as exc:  # an unreadable old build is only a lost shortcut
        if isinstance(exc, IndexCorrupt):
            detail = f"{exc.file} {exc.detail}"
        else:
            detail = f"{type(exc).__name__}: {exc}"
        warnings.append(f"the served index was damaged ({detail}); built a new one from scratch")
        return None
    return build, manifest, chunks, vectors


def build_index(
    settings: Settings,
    embedder: Embedder,
    progress: bool = False,
    on_progress: Callable[[int, int], None] | None = None,
) -> BuildReport:
    """Read the corpus, chunk, embed what changed, write a new build and switch to it."""
    import fcntl

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
        docs, chunks, warnings = read_corpus(settings)
        cache = EmbeddingCache(index_dir, embedder)
        # Vectors embedded by an interrupted build, then those of the served build.
        cached = cache.load()
        old = _reusable_build(settings, embedder, warnings)
        if old is not None:
            old_path, old_manifest, old_chunks, old_vectors = old
            for c, vec in zip(old_chunks, old_vectors, strict=True):
                cached.setdefault(text_key(c.embed_text()), vec)
            if unchanged(old_manifest, old_chunks, chunks, settings):
                # Nothing to re-index: keep serving this build (no reload anywhere),
                # only record the files' new state so the index counts as fresh.
                old_manifest["files"] = files_state(settings, docs)
                old_manifest["warnings"] = warnings
                tmp_manifest = old_path / f"{MANIFEST}.tmp"
                tmp_manifest.write_text(json.dumps(old_manifest, ensure_ascii=False, indent=1))
                os.replace(tmp_manifest, old_path / MANIFEST)
                cache.clear()
                return BuildReport(
                    old_path.name,
                    len(docs),
                    len(chunks),
                    0,
                    time.perf_counter() - started,
                    warnings,
                    changed=False,
                )

        vectors, embedded = embed_missing(
            settings, embedder, chunks, cached, cache.add, progress, on_progress
        )
        tmp.mkdir()
        with open(tmp / "chunks.jsonl", "w", encoding="utf-8") as fh:
            for c in chunks:
                fh.write(json.dumps(c.to_dict(), ensure_ascii=False) + "\n")
        np.save(tmp / "vectors.npy", vectors)
        _write_faiss(vectors, tmp / "faiss.index")
        BM25Index.build([c.embed_text() for c in chunks]).save(tmp / "bm25")
        build_id = new_build_id()
        manifest = new_manifest(settings, embedder, build_id, docs, chunks, warnings)
        manifest["artifacts"] = _artifacts(tmp)
        manifest["calibration"] = build_calibration(chunks, vectors, embedder)
        (tmp / MANIFEST).write_text(json.dumps(manifest, ensure_ascii=False, indent=1))
        final = index_dir / "builds" / build_id
        tmp.rename(final)
        pointer_tmp = index_dir / "CURRENT.tmp"
        pointer_tmp.write_text(build_id)
        os.replace(pointer_tmp, index_dir / "CURRENT")  # the atomic switch
        for other in (index_dir / "builds").iterdir():
            if other.name != build_id:
                shutil.rmtree(other, ignore_errors=True)
        cache.clear()
        return BuildReport(
            build_id, len(docs), len(chunks), embedded, time.perf_counter() - started, warnings
        )
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
        lock.close()


def load_index(index_dir: Path, build: Path | None = None) -> LoadedIndex:
    """Load the served build (or the given ``build`` folder of ``index_dir``), after
    checking every file against the sizes and checksums in its manifest.

    Raises ``IndexMissing``, ``IndexMismatch`` (another version) or ``IndexCorrupt``
    (a damaged file, named in the message).
    """
    import faiss

    build = build or current_build(index_dir)
    if build is None:
        raise IndexMissing(f"no index in {index_dir}: run `rsi-assistant build`")
    manifest = _read_manifest_of(build, index_dir)
    if not same_version(manifest):
        raise IndexMismatch(
            f"the index in {index_dir} was built by another version: run `rsi-assistant build`"
        )
    verify_build(build, manifest, index_dir, checksums=True)

    def read(name: str, loader):
        try:
            return loader(build / name)
        except Exception as exc:  # passed its checksum yet unreadable: a broken build
            raise IndexCorrupt(index_dir, name, f"cannot be read ({type(exc).__name__})") from exc

    def read_chunks(path: Path) -> list[Chunk]:
        with open(path, encoding="utf-8") as fh:
            return [Chunk.from_dict(json.loads(line)) for line in fh]

    chunks = read("chunks.jsonl", read_chunks)
    vectors = read("vectors.npy", np.load)
    index = read("faiss.index", lambda p: faiss.read_index(str(p)))
    bm25 = read("bm25", BM25Index.load)
    n = manifest["chunks"]
    if len(chunks) != n or vectors.shape != (n, manifest["dim"]) or index.ntotal != n:
        raise IndexCorrupt(index_dir, MANIFEST, "does not match the index files")
    return LoadedIndex(
        path=build, manifest=manifest, chunks=chunks, vectors=vectors, faiss=index, bm25=bm25
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
    index at all the error is raised (there is nothing to answer from). A damaged
    index raises ``IndexCorrupt``: only an explicit ``rsi-assistant build`` replaces it.
    """
    state, reason, problem = _check_served(settings)
    if problem is not None:
        raise problem
    if state == "ok":
        state, reason = index_state(settings)
    if state == "ok":
        return None
    return refresh(
        settings,
        state,
        reason,
        lambda e: build_index(settings, e, progress=progress),
        embedder,
    )


def refresh(
    settings: Settings,
    state: str,
    reason: str,
    build: Callable[[Embedder], BuildReport],
    embedder: Embedder | None = None,
) -> BuildReport | None:
    """Build a missing or stale index with ``build`` (either store's), logging why and
    the build's warnings. A failed refresh of an existing index is logged and the
    served one kept; with no index at all the error is raised."""
    log.warning("building the index (%s)", reason)
    if embedder is None:
        from assistant.embedders import make_embedder

        embedder = make_embedder(settings.embedder)
    try:
        report = build(embedder)
    except BuildError as exc:
        if state == "missing":
            raise
        log.warning("could not refresh the index (%s); using the existing one", exc)
        return None
    for warning in report.warnings:
        log.warning("%s", warning)
    return report

"""Where the index lives: the one seam between the library and its index store.

``open_store(settings)`` is the only place that chooses: files in ``index/`` (the
default, ``assistant.index``) or PostgreSQL with pgvector when ``RSI_DATABASE_URL``
is set (``assistant.pgstore``). Both answer the same small set of questions, so
``build``, ``ensure_index``, ``AssistantService`` (which asks for the served build id
on every question and reloads when it changed), ``/healthz`` and the evaluation
never look at the setting themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from assistant.calibration import Calibration
from assistant.calibration import store as store_calibration
from assistant.embedders import Embedder
from assistant.index import (
    BuildReport,
    LoadedIndex,
    current_build,
    ensure_index,
    index_health,
    index_state,
    load_index,
    read_manifest,
)
from assistant.settings import Settings


class IndexStore(Protocol):
    name: str  # "files" | "postgres": named by /healthz

    def describe(self) -> str:
        """Where the index is, for messages (never a password)."""
        ...

    def served_build(self) -> str | None:
        """The id of the build that is served (None: no index). Cheap: asked per question."""
        ...

    def state(self) -> tuple[str, str]:
        """('ok' | 'missing' | 'stale' | 'corrupt', reason), the corpus files included."""
        ...

    def health(self) -> tuple[bool, str]:
        """(ok, reason) for /healthz: a served build of this version that is whole."""
        ...

    def build(
        self,
        embedder: Embedder,
        progress: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> BuildReport: ...

    def ensure(
        self, embedder: Embedder | None = None, progress: bool = False
    ) -> BuildReport | None:
        """Build when missing or stale; keep a served index when a refresh fails."""
        ...

    def load(self, build_id: str | None = None) -> LoadedIndex:
        """The served build (or ``build_id``), ready to search."""
        ...

    def manifest(self) -> dict | None:
        """The served build's manifest (None: no index)."""
        ...

    def save_calibration(self, calibration: Calibration) -> None:
        """Record a fitted calibration in the served build's manifest."""
        ...


class FileStore:
    """The embedded default: FAISS, BM25 and chunks as files in ``settings.index_dir``."""

    name = "files"

    def __init__(self, settings: Settings):
        self.settings = settings

    def describe(self) -> str:
        return str(self.settings.index_dir)

    def served_build(self) -> str | None:
        build = current_build(self.settings.index_dir)
        return build.name if build is not None else None

    def state(self) -> tuple[str, str]:
        return index_state(self.settings)

    def health(self) -> tuple[bool, str]:
        return index_health(self.settings)

    def build(
        self,
        embedder: Embedder,
        progress: bool = False,
        on_progress: Callable[[int, int], None] | None = None,
    ) -> BuildReport:
        from assistant.index import build_index

        return build_index(self.settings, embedder, progress=progress, on_progress=on_progress)

    def ensure(
        self, embedder: Embedder | None = None, progress: bool = False
    ) -> BuildReport | None:
        return ensure_index(self.settings, embedder, progress=progress)

    def load(self, build_id: str | None = None) -> LoadedIndex:
        index_dir = self.settings.index_dir
        return load_index(index_dir, index_dir / "builds" / build_id if build_id else None)

    def manifest(self) -> dict | None:
        return read_manifest(self.settings.index_dir)

    def save_calibration(self, calibration: Calibration) -> None:
        build = current_build(self.settings.index_dir)
        if build is not None:
            store_calibration(build, calibration)


def open_store(settings: Settings) -> IndexStore:
    """The index store the settings ask for: PostgreSQL when ``database_url`` is set."""
    if settings.database_url is not None:
        from assistant.pgstore import PgStore

        return PgStore(settings)
    return FileStore(settings)

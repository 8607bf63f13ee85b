"""Thumbs up/down feedback in SQLite under ``settings.data_dir``: store, export, delete.

Privacy by default:

- every text field is passed through ``assistant.privacy.mask`` before it is
  written (CPR numbers, e-mail addresses and phone numbers become tags);
- rows older than ``settings.feedback.retention_days`` are deleted whenever the
  database is opened;
- fields have size limits (``MAX_*`` below; the HTTP model uses the same ones);
- the database file is mode 0600, and the data folder 0700 when we create it;
  deleted rows are overwritten on disk (SQLite ``secure_delete``);
- with ``settings.feedback.enabled`` off, ``store`` keeps nothing.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import sqlite3
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from assistant.privacy import mask
from assistant.settings import Settings

# Size limits, in characters (also used by the HTTP model in ui/).
MAX_QUESTION_CHARS = 2_000
MAX_ANSWER_CHARS = 10_000
MAX_COMMENT_CHARS = 2_000
MAX_CITATIONS = 50
MAX_CITATION_ID_CHARS = 200
MAX_SOURCE_CHARS = 20

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citation_ids TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT '',
    created_unix INTEGER
)
"""
_SCHEMA_VERSION = 1  # 1: created_unix (retention) and masked text
FIELDS = ["id", "created", "rating", "question", "answer", "citation_ids", "comment", "source"]
_TEXT_FIELDS = ("question", "answer", "comment")


class FeedbackRejected(ValueError):
    """A feedback field breaks a limit; the message names it."""


def db_path(settings: Settings) -> Path:
    return settings.data_dir / "feedback.sqlite3"


def _private_file(path: Path) -> None:
    """Create ``path`` (and its folder) readable by the owner only."""
    folder = path.parent
    if not folder.exists():
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o700)  # only a folder we created: never tighten the user's own
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a database written by an older version was 0644


def _migrate(conn: sqlite3.Connection) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version >= _SCHEMA_VERSION:
        return
    columns = {row[1] for row in conn.execute("PRAGMA table_info(feedback)")}
    if "created_unix" not in columns:
        conn.execute("ALTER TABLE feedback ADD COLUMN created_unix INTEGER")
    rows = conn.execute("SELECT id, created, question, answer, comment FROM feedback").fetchall()
    for rid, created, question, answer, comment in rows:  # older rows: mask them now
        try:
            stamp = int(dt.datetime.strptime(created, "%Y-%m-%dT%H:%M:%S%z").timestamp())
        except ValueError:
            stamp = int(time.time())  # unknown age: the retention clock starts now
        conn.execute(
            "UPDATE feedback SET created_unix = ?, question = ?, answer = ?, comment = ? "
            "WHERE id = ?",
            (stamp, mask(question), mask(answer), mask(comment), rid),
        )
    conn.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")


@contextlib.contextmanager
def _connect(settings: Settings) -> Iterator[sqlite3.Connection]:
    """Open (creating it 0600 if needed), migrate, purge expired rows; commit on success."""
    path = db_path(settings)
    _private_file(path)
    conn = sqlite3.connect(path, timeout=10)
    try:
        conn.execute("PRAGMA secure_delete = ON")  # deleted text is overwritten on disk
        with conn:
            conn.execute("BEGIN IMMEDIATE")  # one process migrates at a time
            conn.execute(_SCHEMA)
            _migrate(conn)
            _purge(conn, settings.feedback.retention_days)
        with conn:
            yield conn
    finally:
        conn.close()


def _purge(conn: sqlite3.Connection, retention_days: int) -> list[int]:
    cutoff = int(time.time()) - retention_days * 86_400
    return _delete(conn, "created_unix < ?", (cutoff,))


def _delete(conn: sqlite3.Connection, where: str, params: tuple) -> list[int]:
    ids = [r[0] for r in conn.execute(f"SELECT id FROM feedback WHERE {where}", params)]
    if ids:
        conn.execute(f"DELETE FROM feedback WHERE {where}", params)
    return ids


def check_limits(
    question: str, answer: str, citation_ids: list[str], comment: str = "", source: str = ""
) -> None:
    """Raise ``FeedbackRejected`` when a field is too large."""
    for name, value, limit in (
        ("question", question, MAX_QUESTION_CHARS),
        ("answer", answer, MAX_ANSWER_CHARS),
        ("comment", comment, MAX_COMMENT_CHARS),
        ("source", source, MAX_SOURCE_CHARS),
    ):
        if len(value) > limit:
            raise FeedbackRejected(f"feedback {name} is longer than {limit} characters")
    if len(citation_ids) > MAX_CITATIONS:
        raise FeedbackRejected(f"feedback has more than {MAX_CITATIONS} citation ids")
    if any(len(c) > MAX_CITATION_ID_CHARS for c in citation_ids):
        raise FeedbackRejected(
            f"a feedback citation id is longer than {MAX_CITATION_ID_CHARS} characters"
        )


def store(
    settings: Settings,
    rating: int,
    question: str,
    answer: str,
    citation_ids: list[str],
    comment: str = "",
    source: str = "",
) -> int | None:
    """Store one rating, masked; returns its id, or None when feedback storage is off.

    Raises ``FeedbackRejected`` for oversized fields (checked even when storage is off,
    so a client sees the same answer either way).
    """
    check_limits(question, answer, citation_ids, comment, source)
    if rating not in (-1, 1):
        raise FeedbackRejected("feedback rating must be 1 or -1")
    if not settings.feedback.enabled:
        return None
    now = time.time()
    with _connect(settings) as conn:
        cur = conn.execute(
            "INSERT INTO feedback (created, rating, question, answer, citation_ids, comment, "
            "source, created_unix) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(now)),
                rating,
                mask(question),
                mask(answer),
                json.dumps([mask(c) for c in citation_ids]),
                mask(comment),
                source,
                int(now),
            ),
        )
        assert cur.lastrowid is not None  # an INSERT always sets it
        return int(cur.lastrowid)


def rows(settings: Settings) -> list[dict]:
    if not db_path(settings).exists():
        return []
    with _connect(settings) as conn:
        cur = conn.execute(f"SELECT {', '.join(FIELDS)} FROM feedback ORDER BY id")
        out = [dict(zip(FIELDS, r, strict=True)) for r in cur.fetchall()]
    for r in out:
        r["citation_ids"] = json.loads(r["citation_ids"])
    return out


def delete(
    settings: Settings,
    *,
    everything: bool = False,
    older_than_days: float | None = None,
    ids: list[int] | None = None,
) -> list[int]:
    """Delete all rows, rows older than ``older_than_days``, or the given ``ids``
    (exactly one of them); returns the ids deleted (rows past the retention period
    are purged on open as always, and not listed)."""
    if sum((everything, older_than_days is not None, ids is not None)) != 1:
        raise ValueError("give exactly one of everything, older_than_days, ids")
    if older_than_days is not None and older_than_days < 0:
        raise FeedbackRejected("--older-than must be 0 days or more")
    if not db_path(settings).exists():
        return []
    with _connect(settings) as conn:
        if everything:
            deleted = _delete(conn, "1 = 1", ())
        elif older_than_days is not None:
            cutoff = int(time.time() - older_than_days * 86_400)
            deleted = _delete(conn, "created_unix < ?", (cutoff,))
        else:
            wanted = sorted(set(ids or []))
            marks = ", ".join("?" * len(wanted))
            deleted = _delete(conn, f"id IN ({marks})", tuple(wanted)) if wanted else []
    return sorted(deleted)


def export(settings: Settings, fmt: str, out: str) -> int:
    """Write all feedback as CSV or JSONL to ``out`` ('-' = stdout); returns the count."""
    data = rows(settings)
    fh = sys.stdout if out == "-" else open(out, "w", encoding="utf-8", newline="")  # noqa: SIM115
    try:
        if fmt == "jsonl":
            for r in data:
                fh.write(json.dumps(r, ensure_ascii=False) + "\n")
        else:
            writer = csv.DictWriter(fh, fieldnames=FIELDS)
            writer.writeheader()
            for r in data:
                writer.writerow(dict(r, citation_ids=" ".join(r["citation_ids"])))
    finally:
        if fh is not sys.stdout:
            fh.close()
    return len(data)

"""Thumbs up/down feedback in SQLite under ``settings.data_dir``, and its export."""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
import time
from pathlib import Path

from assistant.settings import Settings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    question TEXT NOT NULL,
    answer TEXT NOT NULL,
    citation_ids TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT ''
)
"""
FIELDS = ["id", "created", "rating", "question", "answer", "citation_ids", "comment", "source"]


def db_path(settings: Settings) -> Path:
    return settings.data_dir / "feedback.sqlite3"


def _connect(settings: Settings) -> sqlite3.Connection:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(db_path(settings), timeout=10)
    conn.execute(_SCHEMA)
    return conn


def store(
    settings: Settings,
    rating: int,
    question: str,
    answer: str,
    citation_ids: list[str],
    comment: str = "",
    source: str = "",
) -> int:
    with _connect(settings) as conn:
        cur = conn.execute(
            "INSERT INTO feedback (created, rating, question, answer, citation_ids, comment, "
            "source) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                rating,
                question,
                answer,
                json.dumps(citation_ids),
                comment,
                source,
            ),
        )
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

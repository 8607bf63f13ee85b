"""One way to open a PostgreSQL connection (``RSI_DATABASE_URL``), for the state that
several server workers share: feedback (``assistant.feedback``) and the rate-limit
counters (``ui.pgcounters``).

psycopg comes with the ``[postgres]`` extra and is imported here, lazily. Every failure
to connect becomes ``DatabaseUnavailable`` with one English line that never contains
the URL (it may hold a password).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pydantic import SecretStr

from assistant.pgserver import INSTALL_HINT

if TYPE_CHECKING:
    import psycopg

CONNECT_TIMEOUT_S = 5  # a database that does not answer fails the request, not hangs it


class DatabaseUnavailable(RuntimeError):
    """The database cannot be reached or used (the message says why, without the URL)."""


def is_database_url(url: str) -> bool:
    return url.split("://", 1)[0].lower() in ("postgresql", "postgres")


def _driver():
    try:
        import psycopg
    except ImportError as exc:
        raise DatabaseUnavailable(f"RSI_DATABASE_URL is set, but {INSTALL_HINT}") from exc
    return psycopg


def require_driver() -> None:
    """Raise ``DatabaseUnavailable`` naming the extra when psycopg is not installed."""
    _driver()


def connect(url: SecretStr | str, autocommit: bool = False) -> psycopg.Connection:
    """A new connection; ``DatabaseUnavailable`` when the driver or the server is missing."""
    psycopg = _driver()
    raw = url.get_secret_value() if isinstance(url, SecretStr) else url
    try:
        return psycopg.connect(raw, autocommit=autocommit, connect_timeout=CONNECT_TIMEOUT_S)
    except psycopg.Error as exc:
        raise DatabaseUnavailable(f"cannot connect to RSI_DATABASE_URL: {reason(exc)}") from exc


def reason(exc: BaseException) -> str:
    """The first line of a driver error, without the URL or a password."""
    lines = str(exc).strip().splitlines() or [type(exc).__name__]
    return lines[0][:300]


def driver_errors() -> tuple[type[Exception], ...]:
    """The exceptions a database call can raise (psycopg's, or none without it)."""
    try:
        import psycopg
    except ImportError:
        return ()
    return (psycopg.Error,)

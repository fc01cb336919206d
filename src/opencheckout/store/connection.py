"""Database URLs we accept, and one-line explanations of why a database cannot be used.

``OPENCHECKOUT_DATABASE_URL`` may be written the way operators write it elsewhere
(``postgres://``, ``postgresql://``, ``sqlite:///``); it is normalized to the async
drivers opencheckout runs on (asyncpg, aiosqlite). Anything else is refused with
a sentence naming the accepted forms, instead of a driver traceback.
"""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError

ACCEPTED = "postgresql://USER@HOST:PORT/DB (or postgres://) or sqlite:///PATH"
#: Scheme as written -> the SQLAlchemy driver name opencheckout runs on.
_DRIVERS = {
    "postgres": "postgresql+asyncpg",
    "postgresql": "postgresql+asyncpg",
    "postgresql+asyncpg": "postgresql+asyncpg",
    "sqlite": "sqlite+aiosqlite",
    "sqlite+aiosqlite": "sqlite+aiosqlite",
}


class DatabaseURLError(ValueError):
    """The configured database URL is not one opencheckout can use."""


def _parse(raw: str) -> URL:
    if not raw.strip():
        raise DatabaseURLError(f"the database URL is empty; give {ACCEPTED}")
    try:
        # SQLAlchemy refuses "postgres://" itself; the scheme is swapped before parsing.
        scheme, sep, rest = raw.strip().partition("://")
        if not sep:
            raise ArgumentError(raw)
        return make_url(f"{_DRIVERS.get(scheme.lower(), scheme)}://{rest}")
    except (ArgumentError, ValueError):
        message = f"'{_hide_password(raw)}' is not a database URL; give {ACCEPTED}"
        raise DatabaseURLError(message) from None


def normalize_database_url(raw: str) -> str:
    """The SQLAlchemy URL (asyncpg or aiosqlite) for what the operator wrote."""
    url = _parse(raw)
    if url.drivername not in _DRIVERS.values():
        raise DatabaseURLError(
            f"unsupported database URL scheme '{raw.partition('://')[0]}'; give {ACCEPTED}"
        )
    if url.drivername.startswith("sqlite") and url.database in (None, "", ":memory:"):
        raise DatabaseURLError(
            "an in-memory SQLite database would vanish with each connection; "
            "give a file: sqlite:///./opencheckout.db"
        )
    if url.drivername.startswith("postgresql") and not url.database:
        raise DatabaseURLError(f"the database URL names no database; give {ACCEPTED}")
    return url.render_as_string(hide_password=False)


def display_url(raw: str) -> str:
    """The URL with its password masked, fit for a message or a log line."""
    try:
        return _parse(raw).render_as_string(hide_password=True)
    except DatabaseURLError:
        return _hide_password(raw)


def _hide_password(raw: str) -> str:
    scheme, sep, rest = raw.partition("://")
    credentials, at, host = rest.rpartition("@")
    if not (sep and at) or ":" not in credentials:
        return raw
    return f"{scheme}://{credentials.split(':', 1)[0]}:***@{host}"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for PostgreSQL)."""
    parsed = make_url(url)
    if not parsed.drivername.startswith("sqlite") or not parsed.database:
        return None
    return Path(parsed.database)


def describe_database_error(exc: BaseException, url: str) -> str | None:
    """One line saying why the database at ``url`` cannot be used, or None if ``exc``
    is not a connection or configuration problem (then it is a bug to report)."""
    where = display_url(url)
    parsed = make_url(url)
    server = f"{parsed.host or 'localhost'}:{parsed.port or 5432}"
    if isinstance(exc, DatabaseURLError):
        return str(exc)
    if isinstance(exc, ConnectionRefusedError):
        return f"cannot connect to the database server at {server}: connection refused"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve the database host '{parsed.host}' (in {where})"
    if isinstance(exc, TimeoutError):
        return f"timed out connecting to the database at {where}"
    if isinstance(exc, OSError):
        return f"cannot connect to the database at {where}: {exc.strerror or exc}"
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    cause = orig.__cause__ if orig is not None and orig.__cause__ is not None else orig
    if isinstance(cause, asyncpg.InvalidCatalogNameError):
        return (
            f"the database '{parsed.database}' does not exist on {server}: create it "
            f"(createdb {parsed.database}), then run `opencheckout migrate`"
        )
    if isinstance(
        cause, asyncpg.InvalidAuthorizationSpecificationError | asyncpg.InvalidPasswordError
    ):
        return f"the database server at {server} refused the login: {cause}"
    if isinstance(cause, sqlite3.OperationalError) and "unable to open" in str(cause):
        return (
            f"cannot open the SQLite database file {parsed.database}: its directory does "
            "not exist or is not writable"
        )
    if isinstance(cause, asyncpg.PostgresError | sqlite3.Error | OSError):
        return f"the database at {where} cannot be used: {cause}"
    return None

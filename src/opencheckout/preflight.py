"""What every CLI command checks before it touches the database.

An operator's mistake (a bad URL, a server that is down, a database that does
not exist, a schema not migrated yet) ends the command with one line on stderr
naming the problem and a non-zero exit, never a driver traceback. Anything else
is a bug and keeps its traceback.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, NoReturn, TypeVar

import typer

from opencheckout.config import Settings
from opencheckout.domain.errors import DomainError
from opencheckout.service import schema
from opencheckout.store.connection import (
    DatabaseURLError,
    describe_database_error,
    normalize_database_url,
    sqlite_path,
)
from opencheckout.store.db import Database
from opencheckout.store.migrate import MIGRATE_HINT, SchemaState, upgrade_to_head

T = TypeVar("T")


class Refused(Exception):
    """The database cannot be used as it is; the message is the one line to print."""


def fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def database_url() -> str:
    """``OPENCHECKOUT_DATABASE_URL`` normalized (asyncpg or aiosqlite), or exit."""
    try:
        url = normalize_database_url(Settings.from_env().database_url)
    except DatabaseURLError as exc:
        fail(f"OPENCHECKOUT_DATABASE_URL: {exc}")
    path = sqlite_path(url)
    if path is not None and not path.parent.is_dir():
        # Checked before aiosqlite opens it: its thread would print a traceback at exit.
        fail(f"cannot open the SQLite database file {path}: its directory does not exist")
    return url


def is_sqlite(url: str) -> bool:
    return sqlite_path(url) is not None


def run_checked(url: str, work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(work())``, with operator mistakes as one line and exit 1."""
    try:
        return asyncio.run(work())
    except Refused as exc:
        fail(str(exc))
    except schema.DatabaseUnavailable as exc:
        fail(str(exc))
    except DomainError as exc:
        fail(exc.message)
    except Exception as exc:
        problem = describe_database_error(exc, url)
        if problem is None:
            raise
        fail(problem)


async def _state(url: str, *, migrate_sqlite: bool) -> SchemaState:
    path = sqlite_path(url)
    if path is not None and migrate_sqlite:
        await upgrade_to_head(url)
    elif path is not None and not path.parent.is_dir():
        raise Refused(f"cannot open the SQLite database file {path}: its directory does not exist")
    elif path is not None and not path.exists():
        # Opening it would leave an empty file behind; say what creates it instead.
        raise Refused(
            f"the database schema is missing (the SQLite file {path} does not exist yet): "
            f"{MIGRATE_HINT}"
        )
    db = Database(url)
    try:
        return await schema.state(db)
    finally:
        await db.dispose()


def preflight(url: str, *, migrate_sqlite: bool = False, require_ready: bool = True) -> SchemaState:
    """Check the database answers and (unless told otherwise) that its schema is current.

    ``migrate_sqlite`` brings a SQLite file up to date first, as ``serve``,
    ``worker`` and ``demo`` do for the single-file default.
    """
    state = run_checked(url, lambda: _state(url, migrate_sqlite=migrate_sqlite))
    problem = state.problem()
    if require_ready and problem is not None:
        fail(problem)
    return state


def run_use_case(make: Callable[[Database], Awaitable[T]]) -> T:
    """Run one async use case against the configured database, after the checks."""
    url = database_url()
    preflight(url)

    async def main() -> T:
        db = Database(url)
        try:
            return await make(db)
        finally:
            await db.dispose()

    return run_checked(url, main)

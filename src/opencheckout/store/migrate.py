"""Run Alembic migrations programmatically (no alembic.ini to find), and tell
whether a database's schema is the one this code needs."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from opencheckout.store.connection import normalize_database_url

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
MIGRATE_HINT = "run `opencheckout migrate`"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head_revision() -> str:
    """The newest revision this code ships (migrations keep a single head)."""
    head = _scripts().get_current_head()
    assert head is not None, "no migrations"
    return head


@dataclass(frozen=True, slots=True)
class SchemaState:
    """Where a database's schema stands against this code's migrations."""

    #: Revisions recorded in the database; empty when it has no schema at all.
    current: tuple[str, ...]
    head: str
    #: Revisions ``opencheckout migrate`` would apply, oldest first.
    pending: tuple[str, ...]
    #: A recorded revision this code does not know: the database is newer.
    ahead: bool = False

    @property
    def ready(self) -> bool:
        """Serving is safe: the schema is current (or newer, during a rolling deploy)."""
        return self.ahead or not self.pending

    def problem(self) -> str | None:
        """One line for an operator, or None when :attr:`ready`."""
        if self.ready:
            return None
        if not self.current:
            return f"the database schema is missing (no tables yet): {MIGRATE_HINT}"
        return (
            f"the database schema is behind (at {', '.join(self.current)}; this version "
            f"needs {self.head}): {MIGRATE_HINT}"
        )


def _state(connection: Connection) -> SchemaState:
    current = tuple(MigrationContext.configure(connection).get_current_heads())
    scripts = _scripts()
    head = head_revision()
    known = {script.revision for script in scripts.walk_revisions()}
    if any(revision not in known for revision in current):
        return SchemaState(current, head, (), ahead=True)
    pending = [
        script.revision
        for script in scripts.iterate_revisions("heads", current or "base")
        if script.revision not in current
    ]
    return SchemaState(current, head, tuple(reversed(pending)))


async def schema_state(engine: AsyncEngine) -> SchemaState:
    """Read the database's recorded revision (one small query) and compare."""
    async with engine.connect() as connection:
        return await connection.run_sync(_state)


def _upgrade(connection: Connection, target: str) -> tuple[str, ...]:
    before = _state(connection)
    command.upgrade(alembic_config(connection), target)
    if target == "head":
        return before.pending
    return tuple(
        revision for revision in _state(connection).current if revision not in before.current
    )


async def upgrade_to_head(url: str, target: str = "head") -> tuple[str, ...]:
    """Bring the database at ``url`` to the newest schema (or to ``target``); the
    revisions applied, oldest first."""
    engine = create_async_engine(normalize_database_url(url))
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(_upgrade, target)
    finally:
        await engine.dispose()


async def schema_state_at(url: str) -> SchemaState:
    """:func:`schema_state` of the database at ``url`` (opened and closed here)."""
    engine = create_async_engine(normalize_database_url(url))
    try:
        return await schema_state(engine)
    finally:
        await engine.dispose()

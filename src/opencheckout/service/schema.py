"""Whether the database can be served: reachable, and its schema the one this code needs."""

from __future__ import annotations

from opencheckout.store.connection import describe_database_error
from opencheckout.store.db import Database
from opencheckout.store.migrate import SchemaState, schema_state


class DatabaseUnavailable(Exception):
    """The database cannot be reached or used; the message is one line for an operator."""


async def state(db: Database) -> SchemaState:
    """The schema's state; :class:`DatabaseUnavailable` when the database does not answer."""
    try:
        return await schema_state(db.read_engine)
    except Exception as exc:
        problem = describe_database_error(exc, db.url)
        if problem is None:
            raise
        raise DatabaseUnavailable(problem) from exc


async def problem(db: Database) -> str | None:
    """None when the service can serve; else why not, in one line."""
    try:
        return (await state(db)).problem()
    except DatabaseUnavailable as exc:
        return str(exc)

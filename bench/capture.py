"""Capture run: the SQL statements opencheckout sends for each benchmarked request.

``python -m bench.capture --port N`` runs ``opencheckout serve`` with the drivers
traced: every statement that reaches asyncpg (through SQLAlchemy or through
:mod:`opencheckout.store.driver`) or a ``sqlite3`` connection (through aiosqlite
or the driver's threads) is recorded, in order, with its parameters and the
connection it ran on, including ``BEGIN``/``COMMIT``. Each HTTP request gets its
own recording (the capture run sends one request at a time);
``GET /__capture`` answers the recordings so far (pickled) and forgets them.

The same-SQL baseline (:mod:`bench.baseline`, :mod:`bench.replay`) replays these
sequences; the capture server is a separate process from the measured one, so
the tracing never costs the measured server anything.
"""

from __future__ import annotations

import pickle
import sqlite3
import sys
import threading
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

#: Kinds of step: a simple query (no parameters), a statement with parameters
#: whose rows are fetched, and one statement run over many parameter sets.
EXECUTE, FETCH, MANY = "execute", "fetch", "many"


@dataclass(slots=True)
class Step:
    conn: int  # index of the connection within the request, in order of first use
    kind: str
    sql: str
    args: tuple[Any, ...]
    #: An INSERT's first returned row (PostgreSQL) or its rowid (SQLite): the new
    #: keys later statements of the request refer to.
    returned: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Recording:
    method: str
    path: str
    steps: list[Step]


@dataclass(slots=True)
class _Request:
    steps: list[Step] = field(default_factory=list)
    connections: dict[int, int] = field(default_factory=dict)


#: The request being recorded: a context variable, so that what background tasks
#: (webhook dispatch, reconciliation) run meanwhile is not counted; carried into
#: the SQLite threads by the wrappers below (a thread does not see the context).
_request: ContextVar[_Request | None] = ContextVar("capture", default=None)
_thread = threading.local()
_recordings: list[Recording] = []


def _record(connection: object, kind: str, sql: str, args: Any) -> Step | None:
    current: _Request | None = getattr(_thread, "request", None) or _request.get()
    if current is None:
        return None
    index = current.connections.setdefault(id(connection), len(current.connections))
    step = Step(index, kind, sql, tuple(args))
    current.steps.append(step)
    return step


def _carrying(fn: Any) -> Any:
    """``fn`` for another thread, run there as part of the current request."""
    current = _request.get()

    def run(*args: Any, **kw: Any) -> Any:
        _thread.request = current
        try:
            return fn(*args, **kw)
        finally:
            _thread.request = None

    return run


def _returned(step: Step | None, result: Any) -> None:
    """Keep an INSERT's first returned row on its step."""
    if step is None or not step.sql.lstrip().upper().startswith("INSERT"):
        return
    if isinstance(result, tuple) and result and isinstance(result[0], list):
        result = result[0]  # _execute(..., return_status=True)
    if isinstance(result, list):
        result = result[0] if result else None
    if result is None:
        return
    step.returned = (result,) if isinstance(result, int | str) else tuple(result)


def _trace_asyncpg() -> None:
    from asyncpg.connection import Connection
    from asyncpg.prepared_stmt import PreparedStatement

    execute, run, many = Connection.execute, Connection._execute, Connection._executemany

    async def traced_execute(self: Any, query: str, *args: Any, timeout: Any = None) -> Any:
        if not args:  # with arguments it goes through _execute, traced below
            _record(self, EXECUTE, query, ())
        return await execute(self, query, *args, timeout=timeout)

    async def traced_run(self: Any, query: str, args: Any, *rest: Any, **kw: Any) -> Any:
        step = None
        if not kw.get("ignore_custom_codec"):  # asyncpg's own type introspection
            step = _record(self, FETCH, query, args)
        result = await run(self, query, args, *rest, **kw)
        _returned(step, result)
        return result

    async def traced_many(self: Any, query: str, args: Any, *rest: Any, **kw: Any) -> Any:
        args = list(args)
        _record(self, MANY, query, (tuple(a) for a in args))
        return await many(self, query, args, *rest, **kw)

    Connection.execute = traced_execute  # type: ignore[method-assign]
    Connection._execute = traced_run  # type: ignore[method-assign]
    Connection._executemany = traced_many  # type: ignore[method-assign]

    def prepared(name: str, kind: str) -> None:
        original = getattr(PreparedStatement, name)

        async def traced(self: Any, *args: Any, **kw: Any) -> Any:
            if kind == MANY:
                args = (list(args[0]), *args[1:])
                _record(self._connection, MANY, self._query, (tuple(a) for a in args[0]))
                return await original(self, *args, **kw)
            step = _record(self._connection, FETCH, self._query, args)
            result = await original(self, *args, **kw)
            _returned(step, result)
            return result

        setattr(PreparedStatement, name, traced)

    for name in ("fetch", "fetchrow", "fetchval"):
        prepared(name, FETCH)
    prepared("executemany", MANY)


class _Cursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> Any:  # type: ignore[override]
        step = _record(self.connection, FETCH, sql, parameters)
        cursor = super().execute(sql, parameters)
        if step is not None and sql.lstrip().upper().startswith("INSERT"):
            step.returned = (self.lastrowid,)
        return cursor

    def executemany(self, sql: str, seq: Any, /) -> Any:  # type: ignore[override]
        seq = [tuple(p) for p in seq]
        _record(self.connection, MANY, sql, seq)
        return super().executemany(sql, seq)


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _Cursor) -> Any:  # type: ignore[override]
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:  # type: ignore[override]
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, seq: Any, /) -> Any:  # type: ignore[override]
        return self.cursor().executemany(sql, seq)

    def commit(self) -> None:
        if self.in_transaction:
            _record(self, EXECUTE, "COMMIT", ())
        super().commit()

    def rollback(self) -> None:
        if self.in_transaction:
            _record(self, EXECUTE, "ROLLBACK", ())
        super().rollback()


def _trace_sqlite() -> None:
    import aiosqlite

    from opencheckout.store.driver import SQLiteDriver

    hop = aiosqlite.Connection._execute

    async def traced_hop(self: Any, fn: Any, *args: Any, **kw: Any) -> Any:
        return await hop(self, _carrying(fn), *args, **kw)

    aiosqlite.Connection._execute = traced_hop  # type: ignore[method-assign]
    read, write, in_writer = SQLiteDriver.read, SQLiteDriver.write, SQLiteDriver.in_writer

    async def traced_read(self: Any, work: Any) -> Any:
        return await read(self, _carrying(work))

    async def traced_write(self: Any, work: Any) -> Any:
        return await write(self, _carrying(work))

    async def traced_in_writer(self: Any, work: Any) -> Any:
        # Each hop of a driver transaction (Database.transaction: the edit's read, its
        # catalog reads, its writes, COMMIT) runs on the writer thread through here.
        return await in_writer(self, _carrying(work))

    SQLiteDriver.read = traced_read  # type: ignore[method-assign]
    SQLiteDriver.write = traced_write  # type: ignore[method-assign]
    SQLiteDriver.in_writer = traced_in_writer  # type: ignore[method-assign]
    connect = sqlite3.connect

    def traced_connect(*args: Any, **kw: Any) -> sqlite3.Connection:
        kw.setdefault("factory", _Connection)
        return connect(*args, **kw)

    sqlite3.connect = traced_connect  # type: ignore[assignment]


class CaptureMiddleware:
    """Outermost: one recording per request; ``GET /__capture`` hands them over."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == "/__capture":
            body = pickle.dumps(list(_recordings))
            _recordings.clear()
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": body})
            return
        current = _Request()
        reset = _request.set(current)
        try:
            await self.app(scope, receive, send)
        finally:
            _request.reset(reset)
            _recordings.append(Recording(scope["method"], scope["path"], current.steps))


def main(argv: list[str]) -> None:
    _trace_asyncpg()
    _trace_sqlite()
    import opencheckout.app
    from opencheckout.cli import app as cli

    factory = opencheckout.app.app_from_env

    def traced_app() -> Any:
        return CaptureMiddleware(factory())

    opencheckout.app.app_from_env = traced_app  # type: ignore[assignment]
    cli(["serve", *argv])


if __name__ == "__main__":
    # Through the module's own name, so that what is pickled names ``bench.capture``.
    from bench import capture

    capture.main(sys.argv[1:])

"""Engines and transactions.

Writes on SQLite start with ``BEGIN IMMEDIATE`` so that a read-modify-write
takes the database write lock up front: concurrent writers queue (on an
in-process lock, then on the busy timeout across processes) instead of failing
on lock upgrade, and no update is lost. Reads use a separate autocommit engine
so they never queue behind writers (WAL mode). On PostgreSQL one pool serves
both, writers lock rows with ``SELECT ... FOR UPDATE`` and reads run without a
transaction (autocommit). Either way a read statement sees what was committed
when it started, and a multi-statement read is not one snapshot.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import orjson
from sqlalchemy import ColumnElement, event, func, literal, literal_column, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import QueryableAttribute, Session
from sqlalchemy.pool import QueuePool
from sqlalchemy.sql.expression import ClauseElement

from opencheckout.observability.metrics import PoolUsage
from opencheckout.store.compiled import driver_statement
from opencheckout.store.connection import normalize_database_url
from opencheckout.store.driver import PostgresDriver, SQLiteDriver, SQLiteTransaction

SQLITE_BUSY_TIMEOUT_SECONDS = 30


def _json_text(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


#: JSON columns through orjson: the stdlib decoder was a fifth of a 20-session list.
JSON_OPTIONS: dict[str, Any] = {"json_serializer": _json_text, "json_deserializer": orjson.loads}


def _sqlite_engine(url: str, *, immediate: bool) -> AsyncEngine:
    """The write engine (``BEGIN IMMEDIATE``) or the read engine (autocommit).

    Every call into aiosqlite is a hop to its thread and back, so reads skip
    BEGIN, COMMIT and the rollback on return to the pool: each SELECT is its
    own snapshot, as it is under PostgreSQL's READ COMMITTED.
    """
    options: dict[str, Any] = {}
    if not immediate:
        options = {"isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None}
    engine = create_async_engine(
        url,
        connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
        pool_size=5,
        max_overflow=10,
        **JSON_OPTIONS,
        **options,
    )

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_SECONDS * 1000}")
        cursor.close()

    if immediate:

        @event.listens_for(engine.sync_engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def on_postgres(session: Session | AsyncSession) -> bool:
    """Whether ``session``'s engine is PostgreSQL (else SQLite): for the few ORM
    statements the engines spell their own way, which this module writes."""
    return session.get_bind().dialect.name == "postgresql"


def with_json_key(
    session: Session | AsyncSession, document: QueryableAttribute[Any], key: str, value: Any
) -> ColumnElement[Any]:
    """The JSON ``document`` column with its top-level ``key`` (a name written in the
    code, never input) set to ``value``, the rest of it untouched: for an ``UPDATE``."""
    if on_postgres(session):
        return func.jsonb_set(document, literal_column(f"'{{{key}}}'"), literal(value, JSONB))
    return func.json_set(document, f"$.{key}", func.json(_json_text(value)))


def _queue_pool_usage(name: str, engine: AsyncEngine) -> PoolUsage | None:
    pool: Any = engine.pool
    if not isinstance(pool, QueuePool):  # e.g. a StaticPool for an in-memory SQLite
        return None
    return PoolUsage(
        pool=name,
        size=pool.checkedin() + pool.checkedout(),
        in_use=pool.checkedout(),
        max_size=pool.size() + max(pool._max_overflow, 0),
    )


class Transaction:
    """A driver-level write transaction (:meth:`Database.transaction`): on PostgreSQL one
    asyncpg connection inside ``BEGIN``, on SQLite the writer's ``BEGIN IMMEDIATE``.

    :meth:`fetch` has :meth:`Database.fetch`'s shape, so a read written for the seam runs
    inside the transaction too; writes use the engine's own handle (``sqlite``, whose
    ``run`` takes a function of the ``sqlite3`` connection, or the asyncpg ``postgres``).
    """

    def __init__(self, dialect: str, sqlite: SQLiteTransaction | None, postgres: Any) -> None:
        self.dialect = dialect
        self.sqlite = sqlite
        self.postgres = postgres

    async def fetch(
        self, sqlite_sql: str, postgres_sql: str, *params: Any
    ) -> list[tuple[Any, ...]]:
        if self.sqlite is not None:

            def read(connection: Any) -> list[tuple[Any, ...]]:
                return list(connection.execute(sqlite_sql, params).fetchall())

            return await self.sqlite.run(read)
        return [tuple(record) for record in await self.postgres.fetch(postgres_sql, *params)]


class Database:
    """The process's connection pools and the two kinds of transaction."""

    def __init__(self, url: str) -> None:
        # postgres:// and sqlite:/// as operators write them; a bad URL is refused here.
        url = normalize_database_url(url)
        self.url = url
        self.dialect = make_url(url).get_backend_name()
        if self.dialect == "sqlite":
            self.write_engine = _sqlite_engine(url, immediate=True)
            self.read_engine = _sqlite_engine(url, immediate=False)
        else:
            self.write_engine = create_async_engine(
                url, pool_size=10, max_overflow=10, **JSON_OPTIONS
            )
            # Same pool, no BEGIN/COMMIT round trips around reads: under READ
            # COMMITTED every statement takes its own snapshot anyway, so a read
            # transaction bought nothing but two extra round trips per request.
            self.read_engine = self.write_engine.execution_options(isolation_level="AUTOCOMMIT")
        #: SQLite has one writer at a time. Queueing this process's writers here
        #: instead of in SQLite's busy handler (which sleeps in growing steps)
        #: removed the write latency spikes of hundreds of milliseconds.
        self._write_lock = asyncio.Lock() if self.dialect == "sqlite" else None
        #: Driver-level pools for the few hot statements (see store.driver).
        self.postgres: PostgresDriver | None = None
        self.sqlite: SQLiteDriver | None = None
        if self._write_lock is not None:
            self.sqlite = SQLiteDriver(
                make_url(url).database or "",
                busy_timeout_seconds=SQLITE_BUSY_TIMEOUT_SECONDS,
                write_lock=self._write_lock,
            )
        else:
            self.postgres = PostgresDriver(
                make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
            )
        self._writer = async_sessionmaker(self.write_engine, expire_on_commit=False)
        self._reader = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """A transaction that commits on success and rolls back on any error."""
        if self._write_lock is None:
            async with self._writer() as session, session.begin():
                yield session
            return
        async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_SECONDS):
            await self._write_lock.acquire()
        try:
            async with self._writer() as session, session.begin():
                yield session
        finally:
            self._write_lock.release()

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reader() as session, session.begin():
            yield session

    async def fetch(
        self, sqlite_sql: str, postgres_sql: str, *params: Any
    ) -> list[tuple[Any, ...]]:
        """An autocommit read through the engine's driver (see :mod:`store.driver`):
        the statement written for this engine, its rows as tuples."""
        if self.sqlite is not None:

            def read(connection: Any) -> list[tuple[Any, ...]]:
                return list(connection.execute(sqlite_sql, params).fetchall())

            return await self.sqlite.read(read)
        assert self.postgres is not None
        pool = await self.postgres.pool()
        return [tuple(record) for record in await pool.fetch(postgres_sql, *params)]

    async def write_fetch(
        self,
        sqlite_steps: Sequence[tuple[str, Sequence[Any]]],
        postgres_sql: str,
        *params: Any,
    ) -> list[tuple[Any, ...]]:
        """A write through the engine's driver, committed on its own: on SQLite the
        statements of ``sqlite_steps`` in order, in one ``BEGIN IMMEDIATE`` transaction
        (the last one's rows answer); on PostgreSQL the one statement ``postgres_sql``."""
        if self.sqlite is not None:

            def write(connection: Any) -> list[tuple[Any, ...]]:
                rows: list[tuple[Any, ...]] = []
                for sql, args in sqlite_steps:
                    rows = list(connection.execute(sql, tuple(args)).fetchall())
                return rows

            return await self.sqlite.write(write)
        assert self.postgres is not None
        pool = await self.postgres.pool()
        return [tuple(record) for record in await pool.fetch(postgres_sql, *params)]

    async def fetch_statement(
        self, statement: ClauseElement, values: Mapping[str, Any]
    ) -> list[tuple[Any, ...]]:
        """:meth:`fetch` of a SQLAlchemy Core statement built once (see
        :mod:`store.compiled`), its parameters bound by name from ``values``."""
        compiled = driver_statement(statement, self.dialect)
        return await self.fetch(compiled.sql, compiled.sql, *compiled.args(values))

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Transaction]:
        """A write transaction through the driver (see :mod:`store.driver`), for the hot
        read-modify-writes: it commits when the block ends and rolls back on any error.
        SQLite's writers (these and the ORM's) queue on the one write lock, held until
        the end; on PostgreSQL rows are locked by the statements (``FOR UPDATE``)."""
        if self.sqlite is not None:
            async with self.sqlite.transaction() as sqlite:
                yield Transaction(self.dialect, sqlite, None)
            return
        assert self.postgres is not None
        async with self.postgres.transaction() as connection:
            yield Transaction(self.dialect, None, connection)

    async def ping(self) -> None:
        async with self.read() as session:
            await session.execute(text("SELECT 1"))

    def pool_usage(self) -> list[PoolUsage]:
        """Each pool's open and checked-out connections, for ``/metrics``."""
        engines = {"write": self.write_engine}
        if self.read_engine.pool is not self.write_engine.pool:
            engines["read"] = self.read_engine
        usage = [_queue_pool_usage(name, engine) for name, engine in engines.items()]
        if self.postgres is not None:
            usage.append(self.postgres.usage())
        return [item for item in usage if item is not None]

    async def dispose(self) -> None:
        if self.postgres is not None:
            await self.postgres.close()
        if self.sqlite is not None:
            self.sqlite.close()
        await self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            await self.read_engine.dispose()


#: Where a driver-level read runs: on its own (autocommit) or inside a transaction.
Reader = Database | Transaction

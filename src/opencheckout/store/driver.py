"""Driver-level access for the hottest statements (retrieve and create a session).

The ORM costs about 250 µs of CPU per statement (unit of work, greenlet hop,
result hydration) against about 40 µs for the same statement sent through the
driver; on the two requests merchants and agents send most, that was most of
the request. Everything else keeps using SQLAlchemy: these pools are used only
by the few queries in :mod:`opencheckout.store.checkout_records`.

* PostgreSQL: an asyncpg pool. Statements run in autocommit, or in an explicit
  transaction that is always closed, so a connection comes back clean and the
  pool's reset round trip (``RESET ALL``, ``UNLISTEN *``, ...) is skipped; a
  connection still inside a transaction (a cancelled request) is rolled back.
* SQLite: whole units of work run in one hop to a thread (``sqlite3`` is
  blocking). Reads use a few threads, each with its own connection (WAL: they
  never wait for the writer); writes use one thread and one connection, under
  the database's in-process write lock and ``BEGIN IMMEDIATE``, like the ORM's
  writers, so the two kinds of writer queue behind each other.
"""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from typing import Any, TypeVar

from opencheckout.observability.metrics import PoolUsage

T = TypeVar("T")

SQLiteWork = Callable[[sqlite3.Connection], T]


async def _rollback_if_open(connection: Any) -> None:
    """asyncpg pool reset: only what a statement of ours can leave behind."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


class PostgresDriver:
    """A lazily opened asyncpg pool (it must be made inside the serving loop)."""

    def __init__(self, dsn: str, *, max_size: int = 10) -> None:
        self.dsn = dsn
        self.max_size = max_size
        self._pool: Any = None
        self._opening = asyncio.Lock()

    async def pool(self) -> Any:
        if self._pool is None:
            async with self._opening:
                if self._pool is None:
                    import asyncpg  # type: ignore[import-untyped]

                    self._pool = await asyncpg.create_pool(
                        self.dsn, min_size=1, max_size=self.max_size, reset=_rollback_if_open
                    )
        return self._pool

    async def fetchrow(self, sql: str, *args: Any) -> Any:
        pool = await self.pool()
        return await pool.fetchrow(sql, *args)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Any]:
        """One pooled connection inside ``BEGIN`` ... ``COMMIT`` (``ROLLBACK`` on any error;
        a cancelled request's open transaction is rolled back by the pool's reset)."""
        pool = await self.pool()
        async with pool.acquire() as connection, connection.transaction():
            yield connection

    def usage(self) -> PoolUsage:
        """The asyncpg pool's connections (none before its first use)."""
        pool = self._pool
        if pool is None:
            return PoolUsage(pool="driver", size=0, in_use=0, max_size=self.max_size)
        size = int(pool.get_size())
        return PoolUsage(
            pool="driver",
            size=size,
            in_use=size - int(pool.get_idle_size()),
            max_size=self.max_size,
        )

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None


class SQLiteDriver:
    """sqlite3 connections owned by worker threads; one hop per unit of work."""

    READ_THREADS = 4

    def __init__(self, path: str, *, busy_timeout_seconds: float, write_lock: asyncio.Lock) -> None:
        self.path = path
        self.busy_timeout_seconds = busy_timeout_seconds
        self.write_lock = write_lock
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._guard = threading.Lock()
        self._readers = ThreadPoolExecutor(self.READ_THREADS, thread_name_prefix="sqlite-read")
        self._writer = ThreadPoolExecutor(1, thread_name_prefix="sqlite-write")

    def _connection(self) -> sqlite3.Connection:
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(
                self.path,
                timeout=self.busy_timeout_seconds,
                isolation_level=None,
                check_same_thread=False,
            )
            for pragma in (
                "PRAGMA journal_mode=WAL",
                "PRAGMA synchronous=NORMAL",
                "PRAGMA foreign_keys=ON",
                f"PRAGMA busy_timeout={int(self.busy_timeout_seconds * 1000)}",
            ):
                connection.execute(pragma)
            self._local.connection = connection
            with self._guard:
                self._connections.append(connection)
        return connection

    async def read(self, work: SQLiteWork[T]) -> T:
        """Run ``work`` on a reader thread's connection (autocommit)."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, lambda: work(self._connection()))

    async def write(self, work: SQLiteWork[T]) -> T:
        """Run ``work`` as one ``BEGIN IMMEDIATE`` transaction on the writer thread."""

        def transaction() -> T:
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                result = work(connection)
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")
            return result

        loop = asyncio.get_running_loop()
        async with asyncio.timeout(self.busy_timeout_seconds):
            await self.write_lock.acquire()
        try:
            # Shielded: once the transaction is in the thread it runs to its end,
            # and the lock is held until it has (a cancelled caller must not let
            # the next writer in while this one still holds SQLite's lock).
            future = loop.run_in_executor(self._writer, transaction)
            try:
                return await asyncio.shield(future)
            except asyncio.CancelledError:
                await asyncio.wait([future])
                raise
        finally:
            self.write_lock.release()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SQLiteTransaction]:
        """A ``BEGIN IMMEDIATE`` transaction on the writer thread spanning several hops
        (:meth:`SQLiteTransaction.run`), under the write lock from start to end: committed
        when the block ends, rolled back on any error (a cancellation included)."""
        async with asyncio.timeout(self.busy_timeout_seconds):
            await self.write_lock.acquire()
        transaction = SQLiteTransaction(self)
        try:
            try:
                yield transaction
            except BaseException:
                await transaction.finish("ROLLBACK")
                raise
            await transaction.finish("COMMIT")
        finally:
            self.write_lock.release()

    async def in_writer(self, work: Callable[[], T]) -> T:
        """Run ``work`` on the writer thread; once there it runs to its end, even if the
        caller is cancelled meanwhile (which is then raised)."""
        future = asyncio.get_running_loop().run_in_executor(self._writer, work)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            await asyncio.wait([future])
            raise

    def writer_connection(self) -> sqlite3.Connection:
        """The writer thread's connection (call on the writer thread only)."""
        return self._connection()

    def close(self) -> None:
        self._readers.shutdown(wait=True)
        self._writer.shutdown(wait=True)
        with self._guard:
            for connection in self._connections:
                connection.close()
            self._connections.clear()


class SQLiteTransaction:
    """The writer's open transaction: each :meth:`run` is one hop to the writer thread,
    the first one starting with ``BEGIN IMMEDIATE`` (SQLite's write lock, taken up front
    as by every writer, so what is read here stays as read until the end)."""

    def __init__(self, driver: SQLiteDriver) -> None:
        self._driver = driver
        self._begun = False

    async def run(self, work: SQLiteWork[T]) -> T:
        def hop() -> T:
            connection = self._driver.writer_connection()
            if not self._begun:
                connection.execute("BEGIN IMMEDIATE")
                self._begun = True
            return work(connection)

        return await self._driver.in_writer(hop)

    async def finish(self, statement: str) -> None:
        """``COMMIT`` or ``ROLLBACK`` (nothing if nothing ran); a failed commit rolls back."""
        if not self._begun:
            return

        def end() -> None:
            connection = self._driver.writer_connection()
            self._begun = False
            try:
                connection.execute(statement)
            except BaseException:
                if connection.in_transaction:
                    connection.execute("ROLLBACK")
                raise

        await self._driver.in_writer(end)

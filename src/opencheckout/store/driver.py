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
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
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

    def close(self) -> None:
        self._readers.shutdown(wait=True)
        self._writer.shutdown(wait=True)
        with self._guard:
            for connection in self._connections:
                connection.close()
            self._connections.clear()

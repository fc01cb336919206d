"""Waking the delivery worker when a transaction commits new webhook deliveries.

The worker polls (``OPENCHECKOUT_WORKER_POLL_SECONDS``), but a delivery should not
wait for the next poll: a transaction that adds deliveries marks itself
(:func:`deliveries_added`), and when it commits

* every worker of this process is woken at once (an ``after_commit`` hook sets the
  events they wait on, through their own event loop), and
* on PostgreSQL a ``NOTIFY`` sent inside the transaction (delivered by PostgreSQL
  exactly when it commits, never on a rollback) wakes workers in other processes,
  which :func:`listen` on the channel.

Writes that bypass the ORM session (the driver-level create of a checkout) call
:func:`committed` and run :data:`NOTIFY_SQL` themselves after committing.

SQLite has no cross-process notification: a separate worker process polls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable
from typing import Any

import asyncpg  # type: ignore[import-untyped]
from sqlalchemy import event as orm_event
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from opencheckout.store.db import on_postgres

logger = logging.getLogger("opencheckout.worker")

CHANNEL = "opencheckout_deliveries"
#: For a statement that has already committed (the driver's autocommit writes).
NOTIFY_SQL = f"SELECT pg_notify('{CHANNEL}', '')"
_MARK = "opencheckout_wake_worker"

_lock = threading.Lock()
#: The in-process workers' wake-up events, each with the loop it belongs to.
_waiters: dict[int, tuple[asyncio.AbstractEventLoop, asyncio.Event]] = {}


def subscribe() -> asyncio.Event:
    """An event set whenever deliveries are committed in this process."""
    wake = asyncio.Event()
    with _lock:
        _waiters[id(wake)] = (asyncio.get_running_loop(), wake)
    return wake


def unsubscribe(wake: asyncio.Event) -> None:
    with _lock:
        _waiters.pop(id(wake), None)


def committed() -> None:
    """Wake this process's workers (for writes that bypass the ORM session)."""
    _wake_all()


def _wake_all() -> None:
    with _lock:
        waiters = list(_waiters.values())
    for loop, wake in waiters:
        if not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)


async def deliveries_added(session: AsyncSession) -> None:
    """Mark the transaction: wake the workers once it commits."""
    info = session.sync_session.info
    if info.get(_MARK):
        return
    info[_MARK] = True
    if on_postgres(session):
        await session.execute(text(f"NOTIFY {CHANNEL}"))


@orm_event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_MARK, False):
        _wake_all()


@orm_event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop(_MARK, None)


class Listener:
    """A PostgreSQL connection LISTENing on :data:`CHANNEL` for other processes'
    commits; None from :func:`listen` where there is nothing to listen to."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    async def close(self) -> None:
        with contextlib.suppress(OSError, asyncpg.PostgresError, TimeoutError):
            await self.connection.close(timeout=5)


async def listen(database_url: str, on_notify: Callable[[], None]) -> Listener | None:
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        return None
    dsn = url.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        connection = await asyncpg.connect(dsn, timeout=10)
        await connection.add_listener(CHANNEL, lambda *_args: on_notify())
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        logger.warning("worker cannot LISTEN for deliveries (polling instead): %s", exc)
        return None
    return Listener(connection)

"""Payment attempts (reconciliation's work list) and the test processor's ledger.

Attempts are looked up across tenants: the worker reconciles every account's,
and each attempt carries its tenant for the session it pays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import astuple, dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, or_, select, update
from sqlalchemy import insert as insert_into
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.db import Database
from opencheckout.store.models import PaymentAttempt
from opencheckout.store.types import sqlite_text

OPEN = "open"


_ATTEMPTS = cast(Table, PaymentAttempt.__table__)
_INSERT = insert_into(_ATTEMPTS).returning(_ATTEMPTS.c.pk)
_INSERTED = tuple(column.key for column in _ATTEMPTS.columns if column.key != "pk")


async def insert(session: AsyncSession, attempt: PaymentAttempt) -> None:
    """Insert ``attempt`` with one prebuilt statement (no unit of work); its ``pk`` is set."""
    values = {name: getattr(attempt, name) for name in _INSERTED}
    attempt.pk = int((await session.execute(_INSERT, values)).scalar_one())


async def due(
    session: AsyncSession,
    now: datetime,
    *,
    created_before: datetime,
    untouched_since: datetime,
    processors: Sequence[str],
    limit: int,
) -> Sequence[PaymentAttempt]:
    """Open attempts whose next check has come, or created before ``created_before``
    and not looked at since ``untouched_since`` (the window may be shorter in this
    process than in the one that scheduled the check), oldest first. Only those of
    ``processors``: a process that cannot ask a processor leaves its attempts alone."""
    query = (
        select(PaymentAttempt)
        .where(
            PaymentAttempt.status == OPEN,
            PaymentAttempt.processor.in_(list(processors)),
            or_(
                PaymentAttempt.next_check_at <= now,
                and_(
                    PaymentAttempt.created_at <= created_before,
                    PaymentAttempt.updated_at <= untouched_since,
                ),
            ),
        )
        .order_by(PaymentAttempt.next_check_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(query)).scalars().all()


async def get(
    session: AsyncSession, attempt_pk: int, *, for_update: bool = False
) -> PaymentAttempt | None:
    query = select(PaymentAttempt).where(PaymentAttempt.pk == attempt_pk)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def latest_open(session: AsyncSession, checkout_pk: int) -> PaymentAttempt | None:
    query = (
        select(PaymentAttempt)
        .where(PaymentAttempt.checkout_pk == checkout_pk, PaymentAttempt.status == OPEN)
        .order_by(PaymentAttempt.pk.desc())
        .limit(1)
    )
    return (await session.execute(query)).scalar_one_or_none()


async def newer_exists(session: AsyncSession, checkout_pk: int, attempt_pk: int) -> bool:
    """Whether the session was claimed again after this attempt (which is then stale)."""
    query = select(PaymentAttempt.pk).where(
        PaymentAttempt.checkout_pk == checkout_pk, PaymentAttempt.pk > attempt_pk
    )
    return (await session.execute(query.limit(1))).first() is not None


def _close_open_statement(*, with_processor_id: bool) -> Any:
    values: dict[str, Any] = {"status": bindparam("a_status"), "updated_at": bindparam("a_now")}
    if with_processor_id:
        values["processor_id"] = bindparam("a_processor_id")
    return (
        update(PaymentAttempt)
        .where(
            PaymentAttempt.checkout_pk == bindparam("a_checkout_pk"),
            PaymentAttempt.status == OPEN,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )


#: Built once (every settlement runs one); the values are bound when it runs.
_CLOSE_OPEN = {flag: _close_open_statement(with_processor_id=flag) for flag in (False, True)}


async def close_open(
    session: AsyncSession,
    checkout_pk: int,
    status: str,
    now: datetime,
    *,
    processor_id: str | None = None,
) -> None:
    """Mark the session's open attempts final (the session itself was just settled)."""
    params: dict[str, Any] = {"a_checkout_pk": checkout_pk, "a_status": status, "a_now": now}
    if processor_id is not None:
        params["a_processor_id"] = processor_id
    await session.execute(_CLOSE_OPEN[processor_id is not None], params)


async def set_processor_id(
    session: AsyncSession, attempt_pk: int, processor_id: str, now: datetime
) -> None:
    await session.execute(
        update(PaymentAttempt)
        .where(PaymentAttempt.pk == attempt_pk)
        .values(processor_id=processor_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )


#: The entry's columns, in the order the statements below take and return them.
_LEDGER = "idempotency_key, processor_id, outcome, decline_code, message, amount, currency"
# The model's own column names and numbered placeholders only (hence the noqa).
_LEDGER_ADD_SQLITE = (
    f"INSERT INTO test_processor_ledger ({_LEDGER}, created_at) "  # noqa: S608
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
)
_LEDGER_GET_SQLITE = f"SELECT {_LEDGER} FROM test_processor_ledger WHERE idempotency_key = ?"  # noqa: S608
_LEDGER_GET_POSTGRES = f"SELECT {_LEDGER} FROM test_processor_ledger WHERE idempotency_key = $1"  # noqa: S608
#: The entry inserted, or the one already there, in one statement (whose snapshot
#: misses an entry that a racing insert committed meanwhile: then no row).
_LEDGER_ADD_POSTGRES = f"""
WITH added AS (
    INSERT INTO test_processor_ledger ({_LEDGER}, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
    ON CONFLICT DO NOTHING
    RETURNING {_LEDGER}
)
SELECT * FROM added
UNION ALL
SELECT {_LEDGER} FROM test_processor_ledger WHERE idempotency_key = $1
LIMIT 1
"""  # noqa: S608


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What the test processor did for an idempotency key (a ``test_processor_ledger`` row)."""

    idempotency_key: str
    processor_id: str
    outcome: str
    decline_code: str | None
    message: str | None
    amount: int
    currency: str


async def ledger_add(db: Database, entry: LedgerEntry, created_at: datetime) -> LedgerEntry:
    """Store ``entry`` unless the key has one already; either way, the stored one.

    ``ON CONFLICT DO NOTHING`` rather than read-then-insert: two processes
    racing on a key both see the first one's entry. Sent through the driver and
    committed on its own: one statement on PostgreSQL.
    """
    values = astuple(entry)
    rows = await db.write_fetch(
        [
            (_LEDGER_ADD_SQLITE, (*values, sqlite_text(created_at))),
            (_LEDGER_GET_SQLITE, (entry.idempotency_key,)),
        ],
        _LEDGER_ADD_POSTGRES,
        *values,
        created_at,
    )
    if not rows:
        rows = await db.fetch(_LEDGER_GET_SQLITE, _LEDGER_GET_POSTGRES, entry.idempotency_key)
    return LedgerEntry(*rows[0])


async def ledger_get(db: Database, key: str) -> LedgerEntry | None:
    rows = await db.fetch(_LEDGER_GET_SQLITE, _LEDGER_GET_POSTGRES, key)
    return LedgerEntry(*rows[0]) if rows else None

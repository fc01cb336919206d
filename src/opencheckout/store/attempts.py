"""Payment attempts (reconciliation's work list) and the test processor's ledger.

Attempts are looked up across tenants: the worker reconciles every account's,
and each attempt carries its tenant for the session it pays.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.models import PaymentAttempt, SimulatedPayment

OPEN = "open"


async def insert(session: AsyncSession, attempt: PaymentAttempt) -> None:
    session.add(attempt)
    await session.flush()


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


async def close_open(
    session: AsyncSession,
    checkout_pk: int,
    status: str,
    now: datetime,
    *,
    processor_id: str | None = None,
) -> None:
    """Mark the session's open attempts final (the session itself was just settled)."""
    values: dict[str, object] = {"status": status, "updated_at": now}
    if processor_id is not None:
        values["processor_id"] = processor_id
    await session.execute(
        update(PaymentAttempt)
        .where(PaymentAttempt.checkout_pk == checkout_pk, PaymentAttempt.status == OPEN)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def set_processor_id(
    session: AsyncSession, attempt_pk: int, processor_id: str, now: datetime
) -> None:
    await session.execute(
        update(PaymentAttempt)
        .where(PaymentAttempt.pk == attempt_pk)
        .values(processor_id=processor_id, updated_at=now)
        .execution_options(synchronize_session=False)
    )


async def ledger_get(session: AsyncSession, key: str) -> SimulatedPayment | None:
    return await session.get(SimulatedPayment, key)


async def ledger_add(session: AsyncSession, entry: SimulatedPayment) -> SimulatedPayment:
    """Store ``entry`` unless the key has one already; either way, the stored one.

    ``ON CONFLICT DO NOTHING`` rather than read-then-insert: two processes
    racing on a key both see the first one's entry.
    """
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    values = {
        column.key: getattr(entry, column.key) for column in SimulatedPayment.__table__.columns
    }
    await session.execute(insert(SimulatedPayment).values(**values).on_conflict_do_nothing())
    stored = await session.get(SimulatedPayment, entry.idempotency_key, populate_existing=True)
    assert stored is not None
    return stored

"""Queries on refunds. Every function takes the tenant (account, mode).

The amount a session can still give back is guarded by the session row's lock
(``SELECT ... FOR UPDATE`` on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite) taken
by the caller before :func:`reserved_total` is read and the new refund inserted.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.filters import RefundFilters
from opencheckout.store import rollup
from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import Refund
from opencheckout.store.pagination import keyset_page

#: Refunds that count against what remains: given back, or on their way.
ACTIVE_STATUSES = ("pending", "succeeded")


def _tenant(tenant: Tenant) -> ColumnElement[bool]:
    return and_(Refund.account_id == tenant.account_id, Refund.livemode == tenant.livemode)


async def get(session: AsyncSession, tenant: Tenant, refund_id: str) -> Refund | None:
    query = select(Refund).where(_tenant(tenant), Refund.id == refund_id)
    return (await session.execute(query)).scalar_one_or_none()


async def pk_of(session: AsyncSession, tenant: Tenant, refund_id: str) -> int | None:
    query = select(Refund.pk).where(_tenant(tenant), Refund.id == refund_id)
    return (await session.execute(query)).scalar_one_or_none()


async def insert(session: AsyncSession, refund: Refund) -> None:
    session.add(refund)
    await session.flush()
    if refund.status != "failed":
        await _count(session, refund, 1)


async def _count(session: AsyncSession, refund: Refund, sign: int) -> None:
    await rollup.refund(
        session,
        refund.account_id,
        refund.livemode,
        refund.created_at,
        refund.currency,
        refund.amount,
        sign=sign,
    )


async def reserved_total(session: AsyncSession, checkout_pk: int) -> int:
    """What the session's pending and succeeded refunds give back, in minor units."""
    query = select(func.coalesce(func.sum(Refund.amount), 0)).where(
        Refund.checkout_pk == checkout_pk, Refund.status.in_(ACTIVE_STATUSES)
    )
    return int((await session.execute(query)).scalar_one())


async def settle(
    session: AsyncSession,
    refund_pk: int,
    *,
    status: str,
    processor_refund_id: str | None,
    failure_message: str | None,
    now: datetime,
) -> Refund | None:
    """Move a pending refund to ``status``; None if it was not pending any more."""
    result = await session.execute(
        update(Refund)
        .where(Refund.pk == refund_pk, Refund.status == "pending")
        .values(
            status=status,
            processor_refund_id=processor_refund_id,
            failure_message=failure_message,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return None
    settled = await session.get(Refund, refund_pk, populate_existing=True)
    if settled is not None and status == "failed":  # no longer given back
        await _count(session, settled, -1)
    return settled


async def touch_pending(
    session: AsyncSession, refund_pk: int, *, processor_refund_id: str | None, now: datetime
) -> None:
    """Note the processor's id for a refund it left pending, and when it was last asked."""
    values: dict[str, object] = {"updated_at": now}
    if processor_refund_id:
        values["processor_refund_id"] = processor_refund_id
    await session.execute(
        update(Refund)
        .where(Refund.pk == refund_pk, Refund.status == "pending")
        .values(**values)
        .execution_options(synchronize_session=False)
    )


async def by_processor_refund_id(
    session: AsyncSession, checkout_pk: int, processor_refund_id: str
) -> Refund | None:
    """The session's refund the processor knows as ``processor_refund_id`` (a
    session has few refunds: they are read by the session's key)."""
    query = select(Refund).where(
        Refund.checkout_pk == checkout_pk, Refund.processor_refund_id == processor_refund_id
    )
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def has_unrecorded_pending(session: AsyncSession, checkout_pk: int) -> bool:
    """Whether the session has a pending refund whose processor answer is not written yet."""
    query = select(Refund.pk).where(
        Refund.checkout_pk == checkout_pk,
        Refund.status == "pending",
        Refund.processor_refund_id.is_(None),
    )
    return (await session.execute(query.limit(1))).scalar_one_or_none() is not None


async def pending_unchanged_since(
    session: AsyncSession, before: datetime, *, limit: int
) -> list[Refund]:
    """Pending refunds (of every tenant) with a processor id, not asked about since ``before``."""
    query = (
        select(Refund)
        .where(
            Refund.status == "pending",
            Refund.processor_refund_id.is_not(None),
            Refund.updated_at < before,
        )
        .order_by(Refund.updated_at, Refund.pk)
        .limit(limit)
    )
    return list((await session.execute(query)).scalars())


async def list_page(
    session: AsyncSession,
    tenant: Tenant,
    filters: RefundFilters,
    *,
    limit: int,
    after_pk: int | None = None,
    before_pk: int | None = None,
) -> tuple[list[Refund], bool]:
    conditions: list[ColumnElement[bool]] = [_tenant(tenant)]
    if filters.checkout_id is not None:
        conditions.append(Refund.checkout_id == filters.checkout_id)
    if filters.status is not None:
        conditions.append(Refund.status == filters.status)
    return await keyset_page(
        session, Refund, conditions, limit=limit, after_pk=after_pk, before_pk=before_pk
    )

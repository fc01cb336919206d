"""The dashboard overview's aggregates: one indexed, grouped query per figure.

Each query is a range scan of one tenant's index on the period's timestamps
(``ix_checkouts_tenant_created``, ``ix_checkouts_tenant_completed``,
``ix_refunds_tenant_created``), grouped by UTC day in the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from opencheckout.domain.lifecycle import EXPIRING_STATUSES, Status
from opencheckout.store.models import Checkout, CheckoutProduct, Refund
from opencheckout.store.tenant import Tenant


def _day(session: AsyncSession, column: InstrumentedAttribute[Any]) -> ColumnElement[str]:
    """``YYYY-MM-DD`` of a UTC timestamp (SQLite keeps naive UTC text)."""
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(column, 1, 10)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")


def _checkouts(tenant: Tenant) -> list[ColumnElement[bool]]:
    return [Checkout.account_id == tenant.account_id, Checkout.livemode == tenant.livemode]


async def created_per_day(
    session: AsyncSession, tenant: Tenant, start: datetime, end: datetime
) -> Sequence[tuple[str, int]]:
    day = _day(session, Checkout.created_at)
    query = (
        select(day, func.count())
        .where(*_checkouts(tenant), Checkout.created_at >= start, Checkout.created_at < end)
        .group_by(day)
    )
    return [(str(d), int(n)) for d, n in await session.execute(query)]


async def completed_per_day(
    session: AsyncSession, tenant: Tenant, start: datetime, end: datetime
) -> Sequence[tuple[str, str, int, int, int]]:
    """(day, currency, completed count, revenue, recovered revenue) per day and currency."""
    day = _day(session, Checkout.completed_at)
    query = (
        select(
            day,
            Checkout.currency,
            func.count(),
            func.coalesce(func.sum(Checkout.amount_total), 0),
        )
        .where(
            *_checkouts(tenant),
            Checkout.completed_at.is_not(None),
            Checkout.completed_at >= start,
            Checkout.completed_at < end,
        )
        .group_by(day, Checkout.currency)
    )
    rows = [(str(d), str(c), int(n), int(total)) for d, c, n, total in await session.execute(query)]
    recovered_query = (
        select(day, Checkout.currency, func.coalesce(func.sum(Checkout.amount_total), 0))
        .where(
            *_checkouts(tenant),
            Checkout.completed_at.is_not(None),
            Checkout.completed_at >= start,
            Checkout.completed_at < end,
            Checkout.recovered_from.is_not(None),
        )
        .group_by(day, Checkout.currency)
    )
    recovered_by = {
        (str(d), str(c)): int(total) for d, c, total in await session.execute(recovered_query)
    }
    return [(d, c, n, total, recovered_by.get((d, c), 0)) for d, c, n, total in rows]


async def abandoned_count(
    session: AsyncSession, tenant: Tenant, start: datetime, end: datetime, now: datetime
) -> int:
    """Sessions created in the period that are abandoned now (expired ones included)."""
    expiring = [s.value for s in EXPIRING_STATUSES]
    query = select(func.count()).where(
        *_checkouts(tenant),
        Checkout.created_at >= start,
        Checkout.created_at < end,
        or_(
            Checkout.status == Status.ABANDONED.value,
            and_(Checkout.status.in_(expiring), Checkout.expires_at <= now),
        ),
    )
    return int((await session.execute(query)).scalar_one())


async def refunds_per_day(
    session: AsyncSession, tenant: Tenant, start: datetime, end: datetime
) -> Sequence[tuple[str, str, int, int]]:
    """(day, currency, count, amount) of refunds that did not fail."""
    day = _day(session, Refund.created_at)
    query = (
        select(day, Refund.currency, func.count(), func.coalesce(func.sum(Refund.amount), 0))
        .where(
            Refund.account_id == tenant.account_id,
            Refund.livemode == tenant.livemode,
            Refund.created_at >= start,
            Refund.created_at < end,
            Refund.status != "failed",
        )
        .group_by(day, Refund.currency)
    )
    return [(str(d), str(c), int(n), int(a)) for d, c, n, a in await session.execute(query)]


async def top_products(
    session: AsyncSession, tenant: Tenant, start: datetime, end: datetime, *, limit: int = 5
) -> Sequence[tuple[str, int]]:
    """SKUs by the number of sessions completed in the period that contain them."""
    count = func.count()
    query = (
        select(CheckoutProduct.product, count)
        .join(Checkout, Checkout.pk == CheckoutProduct.checkout_pk)
        .where(
            *_checkouts(tenant),
            Checkout.completed_at.is_not(None),
            Checkout.completed_at >= start,
            Checkout.completed_at < end,
        )
        .group_by(CheckoutProduct.product)
        .order_by(count.desc(), CheckoutProduct.product)
        .limit(limit)
    )
    return [(str(p), int(n)) for p, n in await session.execute(query)]

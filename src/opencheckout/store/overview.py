"""The dashboard overview's aggregates, read from the rollup.

``overview_days`` and ``overview_products`` hold one row per tenant, UTC day and
currency (or SKU), kept in step by the writes (:mod:`opencheckout.store.rollup`):
a period's read is a primary-key range of at most a year of days, whatever the
number of sessions. Only "abandoned now" also reads sessions: the open ones
already past ``expires_at`` that the sweep has not written yet (few), through
``ix_checkouts_tenant_status_expires``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from opencheckout.domain.lifecycle import EXPIRING_STATUSES
from opencheckout.store.models import Checkout, OverviewDay, OverviewProduct
from opencheckout.store.rollup import day_of
from opencheckout.store.tenant import Tenant


def _days(tenant: Tenant, start: datetime, end: datetime) -> list[ColumnElement[bool]]:
    return [
        OverviewDay.account_id == tenant.account_id,
        OverviewDay.livemode == tenant.livemode,
        OverviewDay.day >= day_of(start),
        OverviewDay.day < day_of(end),
    ]


async def created_per_day(
    session: AsyncSession, tenant: Tenant, start: datetime, end: datetime
) -> Sequence[tuple[str, int]]:
    total = func.sum(OverviewDay.created)
    query = (
        select(OverviewDay.day, total)
        .where(*_days(tenant, start, end))
        .group_by(OverviewDay.day)
        .having(total > 0)
    )
    return [(d.isoformat(), int(n)) for d, n in await session.execute(query)]


async def completed_per_day(
    session: AsyncSession, tenant: Tenant, start: datetime, end: datetime
) -> Sequence[tuple[str, str, int, int, int]]:
    """(day, currency, completed count, revenue, recovered revenue) per day and currency."""
    query = select(
        OverviewDay.day,
        OverviewDay.currency,
        OverviewDay.completed,
        OverviewDay.revenue,
        OverviewDay.recovered,
    ).where(*_days(tenant, start, end), OverviewDay.completed > 0)
    return [
        (d.isoformat(), str(c), int(n), int(total), int(recovered))
        for d, c, n, total, recovered in await session.execute(query)
    ]


def _unindexed(column: InstrumentedAttribute[datetime]) -> ColumnElement[datetime]:
    return func.coalesce(column, column)


def expired_open_count(
    tenant: Tenant, start: datetime, end: datetime, now: datetime
) -> Select[int]:
    """How many sessions created in the period are still open past ``expires_at``."""
    return select(func.count()).where(
        Checkout.account_id == tenant.account_id,
        Checkout.livemode == tenant.livemode,
        Checkout.status.in_(sorted(s.value for s in EXPIRING_STATUSES)),
        Checkout.expires_at <= now,
        # Through coalesce, so that no index on created_at can serve these terms: SQLite
        # otherwise walks the tenant's (created_at) index over every session of the
        # period (758 ms at 1 M sessions) instead of the few open, expired ones.
        _unindexed(Checkout.created_at) >= start,
        _unindexed(Checkout.created_at) < end,
    )


async def abandoned_count(
    session: AsyncSession, tenant: Tenant, start: datetime, end: datetime, now: datetime
) -> int:
    """Sessions created in the period that are abandoned now (expired ones included):
    the rollup's written abandonments plus the open sessions already past expiry."""
    written = select(func.coalesce(func.sum(OverviewDay.abandoned), 0)).where(
        *_days(tenant, start, end)
    )
    expired = expired_open_count(tenant, start, end, now)
    # One statement, so one snapshot: the sweep moves a session from "open past expiry"
    # to "written" in one transaction, and two reads could see it in neither.
    both = select(written.scalar_subquery() + expired.scalar_subquery())
    return int((await session.execute(both)).scalar_one())


async def refunds_per_day(
    session: AsyncSession, tenant: Tenant, start: datetime, end: datetime
) -> Sequence[tuple[str, str, int, int]]:
    """(day, currency, count, amount) of refunds that did not fail."""
    query = select(
        OverviewDay.day, OverviewDay.currency, OverviewDay.refunds, OverviewDay.refunded
    ).where(*_days(tenant, start, end), OverviewDay.refunds > 0)
    return [(d.isoformat(), str(c), int(n), int(a)) for d, c, n, a in await session.execute(query)]


async def top_products(
    session: AsyncSession, tenant: Tenant, start: datetime, end: datetime, *, limit: int = 5
) -> Sequence[tuple[str, int]]:
    """SKUs by the number of sessions completed in the period that contain them."""
    count = func.sum(OverviewProduct.completed)
    query = (
        select(OverviewProduct.product, count)
        .where(
            OverviewProduct.account_id == tenant.account_id,
            OverviewProduct.livemode == tenant.livemode,
            OverviewProduct.day >= day_of(start),
            OverviewProduct.day < day_of(end),
        )
        .group_by(OverviewProduct.product)
        .having(count > 0)
        .order_by(count.desc(), OverviewProduct.product)
        .limit(limit)
    )
    return [(str(p), int(n)) for p, n in await session.execute(query)]

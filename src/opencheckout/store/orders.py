"""Queries on orders (always tenant-scoped)."""

from __future__ import annotations

from sqlalchemy import ColumnElement
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.filters import OrderFilters
from opencheckout.store.models import Order
from opencheckout.store.pagination import created_range
from opencheckout.store.repository import TenantRepository
from opencheckout.store.tenant import Tenant

orders = TenantRepository(Order)


def conditions(filters: OrderFilters) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if filters.checkout is not None:
        found.append(Order.checkout_id == filters.checkout)
    if filters.customer is not None:
        found.append(Order.customer_id == filters.customer)
    if filters.status is not None:
        found.append(Order.status == filters.status)
    found += created_range(
        Order.created_at,
        gte=filters.created_gte,
        gt=filters.created_gt,
        lte=filters.created_lte,
        lt=filters.created_lt,
    )
    return found


async def by_checkout(
    session: AsyncSession, tenant: Tenant, checkout_id: str, *, for_update: bool = False
) -> Order | None:
    found = await orders.find(session, tenant, [Order.checkout_id == checkout_id])
    if not found or not for_update:
        return found[0] if found else None
    return await orders.get(session, tenant, found[0].id, for_update=True)


_INSERTED = tuple(column.key for column in Order.__table__.columns if column.key != "pk")


async def insert_once(session: AsyncSession, row: Order) -> Order | None:
    """Insert ``row`` unless its session has an order already (then None), in one
    ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` statement: the order as stored,
    loaded in ``session``."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = (
        insert(Order)
        .values({name: getattr(row, name) for name in _INSERTED})
        .on_conflict_do_nothing()
        .returning(Order)
    )
    inserted: Order | None = (await session.execute(statement)).scalars().one_or_none()
    return inserted

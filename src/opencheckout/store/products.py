"""Queries on catalog products. Every function takes the tenant (account, mode)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import Product
from opencheckout.store.pagination import keyset_page


def _tenant(tenant: Tenant) -> ColumnElement[bool]:
    return and_(Product.account_id == tenant.account_id, Product.livemode == tenant.livemode)


async def get(
    session: AsyncSession, tenant: Tenant, sku: str, *, for_update: bool = False
) -> Product | None:
    query = select(Product).where(_tenant(tenant), Product.sku == sku)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_many(
    session: AsyncSession, tenant: Tenant, skus: Iterable[str]
) -> dict[str, Product]:
    """The catalog entries for ``skus`` that exist (archived ones included), by SKU."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = await session.execute(select(Product).where(_tenant(tenant), Product.sku.in_(wanted)))
    return {row.sku: row for row in rows.scalars()}


async def pk_of(session: AsyncSession, tenant: Tenant, sku: str) -> int | None:
    result = await session.execute(select(Product.pk).where(_tenant(tenant), Product.sku == sku))
    return result.scalar_one_or_none()


async def insert(session: AsyncSession, product: Product) -> None:
    """Flush now so a duplicate SKU surfaces here as an ``IntegrityError``."""
    session.add(product)
    await session.flush()


async def list_page(
    session: AsyncSession,
    tenant: Tenant,
    *,
    active: bool | None,
    limit: int,
    after_pk: int | None,
    before_pk: int | None,
) -> tuple[list[Product], bool]:
    conditions: list[ColumnElement[bool]] = [_tenant(tenant)]
    if active is not None:
        conditions.append(Product.active == active)
    return await keyset_page(
        session, Product, list(conditions), limit=limit, after_pk=after_pk, before_pk=before_pk
    )


async def take_stock(session: AsyncSession, tenant: Tenant, sku: str, quantity: int) -> bool:
    """Atomically take ``quantity`` units of a tracked SKU; False if fewer are left.

    The single conditional UPDATE is the guard: of racing buyers for the last
    unit exactly one succeeds on either engine.
    """
    result = await session.execute(
        update(Product)
        .where(
            _tenant(tenant),
            Product.sku == sku,
            Product.stock.is_not(None),
            Product.stock >= quantity,
        )
        .values(stock=Product.stock - quantity)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def give_stock(session: AsyncSession, tenant: Tenant, sku: str, quantity: int) -> None:
    """Put back units taken by :func:`take_stock` (if the SKU is still tracked)."""
    await session.execute(
        update(Product)
        .where(_tenant(tenant), Product.sku == sku, Product.stock.is_not(None))
        .values(stock=Product.stock + quantity)
        .execution_options(synchronize_session=False)
    )


async def stock_levels(
    session: AsyncSession, tenant: Tenant, skus: Iterable[str]
) -> dict[str, int | None]:
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    rows = await session.execute(
        select(Product.sku, Product.stock).where(_tenant(tenant), Product.sku.in_(wanted))
    )
    return {sku: stock for sku, stock in rows.all()}

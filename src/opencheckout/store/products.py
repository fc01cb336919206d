"""Queries on catalog products. Every function takes the tenant (account, mode)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import Product
from opencheckout.store.repository import TenantRepository

#: Products are keyed by the merchant's SKU.
products: TenantRepository[Product] = TenantRepository(Product, key="sku")


def filters(*, active: bool | None) -> list[ColumnElement[bool]]:
    return products.equal(active=active)


async def take_stock(session: AsyncSession, tenant: Tenant, sku: str, quantity: int) -> bool:
    """Atomically take ``quantity`` units of a tracked SKU; False if fewer are left.

    The single conditional UPDATE is the guard: of racing buyers for the last
    unit exactly one succeeds on either engine.
    """
    result = await session.execute(
        update(Product)
        .where(
            products.of(tenant),
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
        .where(products.of(tenant), Product.sku == sku, Product.stock.is_not(None))
        .values(stock=Product.stock + quantity)
        .execution_options(synchronize_session=False)
    )


async def stock_levels(
    session: AsyncSession, tenant: Tenant, skus: Iterable[str]
) -> dict[str, int | None]:
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    params = {"s_account": tenant.account_id, "s_livemode": tenant.livemode, "s_skus": wanted}
    rows = await session.execute(_STOCK_LEVELS, params)
    return {sku: stock for sku, stock in rows.all()}


#: Built once (read on every payment's claim); the values are bound when it runs.
_STOCK_LEVELS = select(Product.sku, Product.stock).where(
    Product.account_id == bindparam("s_account"),
    Product.livemode == bindparam("s_livemode"),
    Product.sku.in_(bindparam("s_skus", expanding=True)),
)

"""Product catalog use cases.

A product is keyed by the merchant's SKU, the same string line items carry
in ``product``, so a session can name just the SKU and a quantity and take
name, description, price and tax rates from here. Products are archived,
never deleted: sessions and reports keep referring to SKUs that are no
longer sold.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.errors import Conflict, InvalidValue
from opencheckout.service import events, tax_rates
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.metadata import merge_metadata
from opencheckout.service.paging import Cursor
from opencheckout.service.resources import TenantResource
from opencheckout.service.tenancy import tenant_of
from opencheckout.service.views import isoformat
from opencheckout.store import products as store
from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import Product

#: Fields ``update`` replaces when sent; none of them may be set to null but
#: ``description``.
UPDATABLE = ("name", "description", "unit_amount", "currency", "active")
MAX_STOCK = 1_000_000_000
#: Fields ``update`` may also set to null.
NULLABLE = frozenset({"description", "stock"})


def product_resource(row: Product) -> dict[str, Any]:
    return {
        "id": row.sku,
        "object": "product",
        "name": row.name,
        "description": row.description,
        "unit_amount": row.unit_amount,
        "currency": row.currency,
        "tax_rates": row.tax_rates,
        "active": row.active,
        "stock": row.stock,
        "metadata": row.metadata_,
        "livemode": row.livemode,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


#: Products by SKU: a SKU the caller's tenant does not have is "No such product".
resource = TenantResource(store.products, "product")


async def _check_tax_rates(session: AsyncSession, tenant: Tenant, ids: list[str]) -> None:
    await tax_rates.require_usable(
        session, tenant, [(tax_rate_id, f"tax_rates[{n}]") for n, tax_rate_id in enumerate(ids)]
    )


async def create(ctx: Context, principal: Principal, params: dict[str, Any]) -> Product:
    now = ctx.clock()
    tenant = tenant_of(principal)
    row = Product(
        account_id=principal.account_id,
        livemode=principal.livemode,
        sku=params["id"],
        name=params["name"],
        description=params.get("description"),
        unit_amount=params["unit_amount"],
        currency=params["currency"],
        tax_rates=params.get("tax_rates") or [],
        active=params.get("active", True),
        stock=params.get("stock"),
        metadata_=params.get("metadata") or {},
        created_at=now,
        updated_at=now,
    )
    async with ctx.db.write() as session:
        await _check_tax_rates(session, tenant, row.tax_rates)
        if await store.products.get(session, tenant, row.sku) is not None:
            raise _exists(row.sku)
        try:
            await store.products.insert(session, row)
        except IntegrityError:
            # Lost a race with a concurrent create of the same SKU.
            raise _exists(row.sku) from None
    return row


def _exists(sku: str) -> Conflict:
    return Conflict(
        f"A product with id '{sku}' already exists; update it instead.",
        code="product_exists",
        param="id",
    )


async def retrieve(ctx: Context, principal: Principal, sku: str) -> Product:
    return await resource.retrieve(ctx, principal, sku)


async def update(ctx: Context, principal: Principal, sku: str, params: dict[str, Any]) -> Product:
    now = ctx.clock()
    tenant = tenant_of(principal)
    async with resource.locked(ctx, principal, sku) as (session, row):
        for field in (*UPDATABLE, "stock"):
            if field in params:
                if params[field] is None and field not in NULLABLE:
                    raise InvalidValue(f"'{field}' cannot be null.", param=field)
                setattr(row, field, params[field])
        if "tax_rates" in params:
            ids = params["tax_rates"] or []
            await _check_tax_rates(session, tenant, ids)
            row.tax_rates = ids
        if "metadata" in params:
            row.metadata_ = merge_metadata(row.metadata_, params["metadata"] or {})
        row.updated_at = now
    return row


async def change_stock(
    ctx: Context, principal: Principal, sku: str, *, adjust: int | None, set_to: int | None
) -> Product:
    """The merchant's stock change (``adjust`` by a signed amount, or ``set``), with a
    ``product.updated`` event. Adjusting an untracked product starts tracking it at 0."""
    now = ctx.clock()
    async with resource.locked(ctx, principal, sku) as (session, row):
        level = set_to if set_to is not None else (row.stock or 0) + (adjust or 0)
        if level < 0:
            raise Conflict(
                f"Product '{sku}' has {row.stock or 0} in stock; cannot take {-(adjust or 0)}.",
                code="insufficient_stock",
                param="adjust",
            )
        if level > MAX_STOCK:
            raise InvalidValue(f"Stock is at most {MAX_STOCK}.", param="adjust")
        row.stock = level
        row.updated_at = now
        await session.flush()
        await events.record(
            session,
            account_id=row.account_id,
            livemode=row.livemode,
            type="product.updated",
            obj=product_resource(row),
            now=now,
        )
    return row


async def archive(ctx: Context, principal: Principal, sku: str) -> Product:
    """Stop offering the SKU: new sessions can no longer take defaults from it."""
    return await update(ctx, principal, sku, {"active": False})


async def list_products(
    ctx: Context, principal: Principal, cursor: Cursor, *, active: bool | None = None
) -> tuple[list[Product], bool]:
    return await resource.list(ctx, principal, cursor, store.filters(active=active))

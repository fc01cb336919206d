"""Tax rate use cases.

A rate's ``percentage`` and ``inclusive`` are fixed at creation: a rate id
that could change its arithmetic would silently re-price every product and
open session that names it. To change a rate, create a new one and
deactivate the old (``active: false`` keeps it on what already uses it but
refuses it on anything new).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.errors import InvalidValue
from opencheckout.domain.percent import TAX_PLACES, from_units, to_units
from opencheckout.ids import new_id
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.metadata import merge_metadata
from opencheckout.service.paging import Cursor
from opencheckout.service.resources import TenantResource
from opencheckout.service.views import isoformat
from opencheckout.store import tax_rates as store
from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import TaxRate

#: Fields ``update`` may change; the arithmetic ones are deliberately absent.
UPDATABLE = ("display_name", "country", "state", "jurisdiction", "active")


def percentage_of(row: TaxRate) -> Decimal:
    return from_units(row.percentage_ppm, TAX_PLACES)


def tax_rate_resource(row: TaxRate) -> dict[str, Any]:
    """``percentage`` is a JSON number (it is not money): 21.0, 8.875."""
    return {
        "id": row.id,
        "object": "tax_rate",
        "display_name": row.display_name,
        "percentage": float(percentage_of(row)),
        "inclusive": row.inclusive,
        "country": row.country,
        "state": row.state,
        "jurisdiction": row.jurisdiction,
        "active": row.active,
        "metadata": row.metadata_,
        "livemode": row.livemode,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


resource = TenantResource(store.tax_rates, "tax rate")


async def require_usable(
    session: AsyncSession, tenant: Tenant, wanted: Sequence[tuple[str, str]]
) -> dict[str, TaxRate]:
    """Load the rates named by ``(id, param)`` pairs; each must exist and be active.

    Used wherever a rate is newly attached (products, line items, session
    defaults); ``param`` is the request path reported if that id is refused.
    """
    found = await store.tax_rates.get_many(
        session, tenant, (tax_rate_id for tax_rate_id, _ in wanted)
    )
    for tax_rate_id, param in wanted:
        row = found.get(tax_rate_id)
        if row is None:
            raise InvalidValue(
                f"No such tax rate: '{tax_rate_id}'.", code="tax_rate_not_found", param=param
            )
        if not row.active:
            raise InvalidValue(
                f"Tax rate '{tax_rate_id}' is inactive and cannot be applied.",
                code="tax_rate_inactive",
                param=param,
            )
    return found


async def create(ctx: Context, principal: Principal, params: dict[str, Any]) -> TaxRate:
    now = ctx.clock()
    row = TaxRate(
        id=new_id("txr"),
        account_id=principal.account_id,
        livemode=principal.livemode,
        display_name=params["display_name"],
        percentage_ppm=to_units(params["percentage"], TAX_PLACES),
        inclusive=params["inclusive"],
        country=params.get("country"),
        state=params.get("state"),
        jurisdiction=params.get("jurisdiction"),
        active=params.get("active", True),
        metadata_=params.get("metadata") or {},
        created_at=now,
        updated_at=now,
    )
    async with ctx.db.write() as session:
        await store.tax_rates.insert(session, row)
    return row


async def retrieve(ctx: Context, principal: Principal, tax_rate_id: str) -> TaxRate:
    return await resource.retrieve(ctx, principal, tax_rate_id)


async def update(
    ctx: Context, principal: Principal, tax_rate_id: str, params: dict[str, Any]
) -> TaxRate:
    now = ctx.clock()
    async with resource.locked(ctx, principal, tax_rate_id) as (_, row):
        for field in UPDATABLE:
            if field in params:
                if field in ("display_name", "active") and params[field] is None:
                    raise InvalidValue(f"'{field}' cannot be null.", param=field)
                setattr(row, field, params[field])
        if "metadata" in params:
            row.metadata_ = merge_metadata(row.metadata_, params["metadata"] or {})
        row.updated_at = now
    return row


async def list_tax_rates(
    ctx: Context,
    principal: Principal,
    cursor: Cursor,
    *,
    active: bool | None = None,
    inclusive: bool | None = None,
) -> tuple[list[TaxRate], bool]:
    return await resource.list(
        ctx, principal, cursor, store.filters(active=active, inclusive=inclusive)
    )

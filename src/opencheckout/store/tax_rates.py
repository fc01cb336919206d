"""Queries on tax rates. Every function takes the tenant (account, mode)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import TaxRate
from opencheckout.store.pagination import keyset_page


def _tenant(tenant: Tenant) -> ColumnElement[bool]:
    return and_(TaxRate.account_id == tenant.account_id, TaxRate.livemode == tenant.livemode)


async def get(
    session: AsyncSession, tenant: Tenant, tax_rate_id: str, *, for_update: bool = False
) -> TaxRate | None:
    query = select(TaxRate).where(_tenant(tenant), TaxRate.id == tax_rate_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_many(
    session: AsyncSession, tenant: Tenant, tax_rate_ids: Iterable[str]
) -> dict[str, TaxRate]:
    """The tenant's rates among ``tax_rate_ids`` (inactive ones included), by id."""
    wanted = sorted(set(tax_rate_ids))
    if not wanted:
        return {}
    rows = await session.execute(select(TaxRate).where(_tenant(tenant), TaxRate.id.in_(wanted)))
    return {row.id: row for row in rows.scalars()}


async def pk_of(session: AsyncSession, tenant: Tenant, tax_rate_id: str) -> int | None:
    result = await session.execute(
        select(TaxRate.pk).where(_tenant(tenant), TaxRate.id == tax_rate_id)
    )
    return result.scalar_one_or_none()


async def insert(session: AsyncSession, tax_rate: TaxRate) -> None:
    session.add(tax_rate)
    await session.flush()


async def list_page(
    session: AsyncSession,
    tenant: Tenant,
    *,
    active: bool | None,
    inclusive: bool | None,
    limit: int,
    after_pk: int | None,
    before_pk: int | None,
) -> tuple[list[TaxRate], bool]:
    conditions: list[ColumnElement[bool]] = [_tenant(tenant)]
    if active is not None:
        conditions.append(TaxRate.active == active)
    if inclusive is not None:
        conditions.append(TaxRate.inclusive == inclusive)
    return await keyset_page(
        session, TaxRate, list(conditions), limit=limit, after_pk=after_pk, before_pk=before_pk
    )

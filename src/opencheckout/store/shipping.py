"""Queries on shipping rates and promotions (always tenant-scoped)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.models import ShippingPromotion, ShippingRate
from opencheckout.store.repository import TenantRepository
from opencheckout.store.tenant import Tenant

rates = TenantRepository(ShippingRate)
promotions = TenantRepository(ShippingPromotion)


async def active_for(
    session: AsyncSession, tenant: Tenant, currency: str
) -> tuple[list[ShippingRate], list[ShippingPromotion]]:
    """The active rates in ``currency`` and the active promotions, oldest first."""
    found = await rates.find(
        session, tenant, [ShippingRate.active.is_(True), ShippingRate.currency == currency]
    )
    promos = await promotions.find(session, tenant, [ShippingPromotion.active.is_(True)])
    return found, promos

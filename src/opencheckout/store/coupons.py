"""Queries on coupons. Every function takes the tenant (account, mode).

Redemption counting is two conditional UPDATEs (``redeem`` and ``release``)
so that the check and the increment are one atomic statement: on PostgreSQL a
racing transaction blocks on the row lock and then re-evaluates the WHERE
clause against the committed count; on SQLite writers are serialized by
``BEGIN IMMEDIATE``. Either way the count never passes ``max_redemptions``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import Coupon
from opencheckout.store.repository import TenantRepository

coupons: TenantRepository[Coupon] = TenantRepository(Coupon)


def filters(*, active: bool | None) -> list[ColumnElement[bool]]:
    return coupons.equal(active=active)


def normalize_code(code: str) -> str:
    """The form codes are compared in: customers type ``summer`` for ``SUMMER``."""
    return code.strip().lower()


async def get_by_code(session: AsyncSession, tenant: Tenant, code: str) -> Coupon | None:
    result = await session.execute(
        select(Coupon).where(coupons.of(tenant), Coupon.code_lower == normalize_code(code))
    )
    return result.scalar_one_or_none()


async def redeem(session: AsyncSession, tenant: Tenant, coupon_id: str, now: datetime) -> bool:
    """Count one redemption if the coupon is still redeemable; False if it is not."""
    result = await session.execute(
        update(Coupon)
        .where(
            coupons.of(tenant),
            Coupon.id == coupon_id,
            Coupon.active.is_(True),
            or_(Coupon.redeem_by.is_(None), Coupon.redeem_by > now),
            or_(
                Coupon.max_redemptions.is_(None),
                Coupon.times_redeemed < Coupon.max_redemptions,
            ),
        )
        .values(times_redeemed=Coupon.times_redeemed + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def release(session: AsyncSession, tenant: Tenant, coupon_id: str) -> None:
    """Give back a redemption whose payment did not go through."""
    await session.execute(
        update(Coupon)
        .where(coupons.of(tenant), Coupon.id == coupon_id, Coupon.times_redeemed > 0)
        .values(times_redeemed=Coupon.times_redeemed - 1)
        .execution_options(synchronize_session=False)
    )

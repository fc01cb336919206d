"""Queries on coupons. Every function takes the tenant (account, mode).

Redemption counting is two conditional UPDATEs (``redeem`` and ``release``)
so that the check and the increment are one atomic statement: on PostgreSQL a
racing transaction blocks on the row lock and then re-evaluates the WHERE
clause against the committed count; on SQLite writers are serialized by
``BEGIN IMMEDIATE``. Either way the count never passes ``max_redemptions``.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import Coupon
from opencheckout.store.pagination import keyset_page


def _tenant(tenant: Tenant) -> ColumnElement[bool]:
    return and_(Coupon.account_id == tenant.account_id, Coupon.livemode == tenant.livemode)


def normalize_code(code: str) -> str:
    """The form codes are compared in: customers type ``summer`` for ``SUMMER``."""
    return code.strip().lower()


async def get(
    session: AsyncSession, tenant: Tenant, coupon_id: str, *, for_update: bool = False
) -> Coupon | None:
    query = select(Coupon).where(_tenant(tenant), Coupon.id == coupon_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_by_code(session: AsyncSession, tenant: Tenant, code: str) -> Coupon | None:
    result = await session.execute(
        select(Coupon).where(_tenant(tenant), Coupon.code_lower == normalize_code(code))
    )
    return result.scalar_one_or_none()


async def pk_of(session: AsyncSession, tenant: Tenant, coupon_id: str) -> int | None:
    result = await session.execute(select(Coupon.pk).where(_tenant(tenant), Coupon.id == coupon_id))
    return result.scalar_one_or_none()


async def insert(session: AsyncSession, coupon: Coupon) -> None:
    """Flush now so a duplicate code surfaces here as an ``IntegrityError``."""
    session.add(coupon)
    await session.flush()


async def remove(session: AsyncSession, coupon: Coupon) -> None:
    await session.execute(delete(Coupon).where(Coupon.pk == coupon.pk))


async def list_page(
    session: AsyncSession,
    tenant: Tenant,
    *,
    active: bool | None,
    limit: int,
    after_pk: int | None,
    before_pk: int | None,
) -> tuple[list[Coupon], bool]:
    conditions: list[ColumnElement[bool]] = [_tenant(tenant)]
    if active is not None:
        conditions.append(Coupon.active.is_(active))
    return await keyset_page(
        session, Coupon, list(conditions), limit=limit, after_pk=after_pk, before_pk=before_pk
    )


async def redeem(session: AsyncSession, tenant: Tenant, coupon_id: str, now: datetime) -> bool:
    """Count one redemption if the coupon is still redeemable; False if it is not."""
    result = await session.execute(
        update(Coupon)
        .where(
            _tenant(tenant),
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
        .where(_tenant(tenant), Coupon.id == coupon_id, Coupon.times_redeemed > 0)
        .values(times_redeemed=Coupon.times_redeemed - 1)
        .execution_options(synchronize_session=False)
    )

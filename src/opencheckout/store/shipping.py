"""Queries on shipping rates and promotions (always tenant-scoped)."""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.shipping import Promotion, Rate
from opencheckout.store.db import Database
from opencheckout.store.models import ShippingPromotion, ShippingRate
from opencheckout.store.repository import TenantRepository
from opencheckout.store.tenant import Tenant

rates = TenantRepository(ShippingRate)
promotions = TenantRepository(ShippingPromotion)

Offer = tuple[list[Rate], list[Promotion]]

_RATE_COLUMNS = (
    ShippingRate.id,
    ShippingRate.display_name,
    ShippingRate.amount,
    ShippingRate.countries,
    ShippingRate.service_level,
    ShippingRate.delivery_estimate,
)
_PROMOTION_COLUMNS = (
    ShippingPromotion.service_levels,
    ShippingPromotion.min_subtotal,
    ShippingPromotion.currency,
    ShippingPromotion.products,
)
_RATE_FIELDS = ", ".join(column.key for column in _RATE_COLUMNS)
_PROMOTION_FIELDS = ", ".join(column.key for column in _PROMOTION_COLUMNS)


def _json(value: Any) -> Any:
    """A JSON column: text from the driver (or SQL NULL), already decoded via the ORM."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


def _rate(values: Any) -> Rate:
    rate_id, display_name, amount, countries, service_level, estimate = values
    return Rate(
        rate_id, display_name, amount, tuple(_json(countries)), service_level, _json(estimate)
    )


def _promotion(values: Any) -> Promotion:
    service_levels, min_subtotal, currency, products = values
    return Promotion(tuple(_json(service_levels)), min_subtotal, currency, tuple(_json(products)))


async def active_for(
    session: AsyncSession, tenant: Tenant, currency: str
) -> tuple[list[ShippingRate], list[ShippingPromotion]]:
    """The active rates in ``currency`` and the active promotions, oldest first."""
    found = await rates.find(
        session, tenant, [ShippingRate.active.is_(True), ShippingRate.currency == currency]
    )
    promos = await promotions.find(session, tenant, [ShippingPromotion.active.is_(True)])
    return found, promos


async def offer_in(session: AsyncSession, tenant: Tenant, currency: str) -> Offer:
    """:func:`offer` in the caller's transaction."""
    found = await session.execute(
        select(*_RATE_COLUMNS)
        .where(rates.of(tenant), ShippingRate.active.is_(True), ShippingRate.currency == currency)
        .order_by(ShippingRate.pk)
    )
    promos = await session.execute(
        select(*_PROMOTION_COLUMNS)
        .where(promotions.of(tenant), ShippingPromotion.active.is_(True))
        .order_by(ShippingPromotion.pk)
    )
    return [_rate(row) for row in found.all()], [_promotion(row) for row in promos.all()]


_SQLITE_RATES = (
    f"SELECT {_RATE_FIELDS} FROM shipping_rates "  # noqa: S608 (constant text)
    "WHERE account_id = ? AND livemode = ? AND active = 1 AND currency = ? ORDER BY pk"
)
_SQLITE_PROMOTIONS = (
    f"SELECT {_PROMOTION_FIELDS} FROM shipping_promotions "  # noqa: S608 (constant text)
    "WHERE account_id = ? AND livemode = ? AND active = 1 ORDER BY pk"
)
_POSTGRES_RATES = (
    f"SELECT {_RATE_FIELDS} FROM shipping_rates "  # noqa: S608 (constant text)
    "WHERE account_id = $1 AND livemode = $2 AND active AND currency = $3 ORDER BY pk"
)
_POSTGRES_PROMOTIONS = (
    f"SELECT {_PROMOTION_FIELDS} FROM shipping_promotions "  # noqa: S608 (constant text)
    "WHERE account_id = $1 AND livemode = $2 AND active ORDER BY pk"
)


async def offer(db: Database, tenant: Tenant, currency: str) -> Offer:
    """What a new session is offered: the active rates in ``currency`` and the active
    promotions, oldest first, as domain values.

    Every create asks, so it goes through the driver (see :mod:`store.driver`):
    through the ORM these two reads cost more than the rest of the create's pricing.
    """
    if db.sqlite is not None:
        account, livemode = tenant.account_id, int(tenant.livemode)

        def read(connection: sqlite3.Connection) -> tuple[list[Any], list[Any]]:
            found = connection.execute(_SQLITE_RATES, (account, livemode, currency)).fetchall()
            promos = connection.execute(_SQLITE_PROMOTIONS, (account, livemode)).fetchall()
            return found, promos

        found_rows, promo_rows = await db.sqlite.read(read)
    else:
        assert db.postgres is not None
        pool = await db.postgres.pool()
        async with pool.acquire() as connection:
            found_rows = await connection.fetch(
                _POSTGRES_RATES, tenant.account_id, tenant.livemode, currency
            )
            promo_rows = await connection.fetch(
                _POSTGRES_PROMOTIONS, tenant.account_id, tenant.livemode
            )
    return [_rate(row) for row in found_rows], [_promotion(row) for row in promo_rows]

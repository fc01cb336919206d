"""Queries on shipping rates and promotions (always tenant-scoped)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.shipping import Promotion, Rate
from opencheckout.store.db import Reader
from opencheckout.store.models import ShippingPromotion, ShippingRate
from opencheckout.store.repository import TenantRepository
from opencheckout.store.tenant import Tenant

rates = TenantRepository(ShippingRate)
promotions = TenantRepository(ShippingPromotion)

Offer = tuple[list[Rate], list[Promotion]]


def _json(value: Any) -> Any:
    """A JSON column: text from the driver (or SQL NULL), already decoded via the ORM."""
    return orjson.loads(value) if isinstance(value, str | bytes) else value


async def active_for(
    session: AsyncSession, tenant: Tenant, currency: str
) -> tuple[list[ShippingRate], list[ShippingPromotion]]:
    """The active rates in ``currency`` and the active promotions, oldest first."""
    found = await rates.find(
        session, tenant, [ShippingRate.active.is_(True), ShippingRate.currency == currency]
    )
    promos = await promotions.find(session, tenant, [ShippingPromotion.active.is_(True)])
    return found, promos


def _offer_sql(account: str, livemode: str, currency: str) -> str:
    """One statement for both lists: rates (kind 0) then promotions (kind 1), oldest first.

    Columns: kind, pk, id | currency, display_name, service_level, amount | min_subtotal,
    countries | service_levels, delivery_estimate | products.
    """
    return (
        "SELECT 0 AS kind, pk, id AS s1, display_name AS s2, service_level AS s3, "  # noqa: S608
        "amount AS n, countries AS j1, delivery_estimate AS j2 FROM shipping_rates "
        f"WHERE account_id = {account} AND livemode = {livemode} AND active "
        f"AND currency = {currency} "
        "UNION ALL "
        "SELECT 1, pk, currency, NULL, NULL, min_subtotal, service_levels, products "
        f"FROM shipping_promotions WHERE account_id = {account} AND livemode = {livemode} "
        "AND active ORDER BY kind, pk"
    )


_SQL = _offer_sql(":account", ":livemode", ":currency")
_SQLITE = _offer_sql("?1", "?2", "?3")
_POSTGRES = _offer_sql("$1", "$2", "$3")


def _offer_of(rows: Iterable[Any]) -> Offer:
    found: list[Rate] = []
    promos: list[Promotion] = []
    for kind, _pk, s1, s2, s3, n, j1, j2 in rows:
        if kind == 0:
            found.append(Rate(s1, s2, n, tuple(_json(j1)), s3, _json(j2)))
        else:
            promos.append(Promotion(tuple(_json(j1)), n, s1, tuple(_json(j2))))
    return found, promos


async def offer_in(session: AsyncSession, tenant: Tenant, currency: str) -> Offer:
    """:func:`offer` in the caller's transaction."""
    params = {"account": tenant.account_id, "livemode": tenant.livemode, "currency": currency}
    return _offer_of((await session.execute(text(_SQL), params)).all())


async def offer(db: Reader, tenant: Tenant, currency: str) -> Offer:
    """What a new session is offered: the active rates in ``currency`` and the active
    promotions, oldest first, as domain values, in one statement.

    Every create and edit asks, so a create goes through the driver (see
    :mod:`store.driver`): through the ORM, two reads cost more than the rest of
    the create's pricing.
    """
    return _offer_of(
        await db.fetch(_SQLITE, _POSTGRES, tenant.account_id, tenant.livemode, currency)
    )

"""Catalog lookups for pricing, as :class:`CatalogProduct` values whichever path reads them.

A create looks up its line items' SKUs before anything else, through the
driver (see :mod:`store.driver`): through the ORM that one read cost as much
as the rest of the request's pricing. An edit reads in its own transaction: the
driver's (:func:`get_many` given the edit's :class:`~opencheckout.store.db.Transaction`)
or the ORM's (:func:`get_many_in`), the same columns into the same value.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.catalog import CatalogProduct
from opencheckout.store.db import Reader
from opencheckout.store.models import Product
from opencheckout.store.products import products
from opencheckout.store.tenant import Tenant

_COLUMNS = (
    Product.sku,
    Product.name,
    Product.description,
    Product.unit_amount,
    Product.currency,
    Product.tax_rates,
    Product.active,
    Product.stock,
)
_FIELDS = ", ".join(column.key for column in _COLUMNS)


def _record(values: Any) -> CatalogProduct:
    """A row of :data:`_COLUMNS`; ``tax_rates`` is JSON text from the driver, a list via the ORM."""
    sku, name, description, unit_amount, currency, tax_rates, active, stock = values
    return CatalogProduct(
        sku=sku,
        name=name,
        description=description,
        unit_amount=unit_amount,
        currency=currency,
        tax_rates=tuple(orjson.loads(tax_rates) if isinstance(tax_rates, str) else tax_rates),
        active=bool(active),
        stock=stock,
    )


async def get_many_in(
    session: AsyncSession, tenant: Tenant, skus: Iterable[str]
) -> dict[str, CatalogProduct]:
    """:func:`get_many` in the caller's transaction."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    query = select(*_COLUMNS).where(products.of(tenant), Product.sku.in_(wanted))
    return {record.sku: record for record in map(_record, (await session.execute(query)).all())}


@functools.lru_cache(maxsize=128)
def _by_skus_sql(mark: str, count: int) -> str:
    """The driver's lookup of ``count`` SKUs; ``mark`` numbers the placeholders (``?`` or ``$``)."""
    skus = ", ".join(f"{mark}{n}" for n in range(3, count + 3))
    return (
        f"SELECT {_FIELDS} FROM products "  # noqa: S608 (placeholders only)
        f"WHERE account_id = {mark}1 AND livemode = {mark}2 AND sku IN ({skus})"
    )


async def get_many(db: Reader, tenant: Tenant, skus: Iterable[str]) -> dict[str, CatalogProduct]:
    """The catalog entries for ``skus`` that exist (archived ones included), by SKU: on
    their own (a create) or in an edit's driver transaction."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    count = len(wanted)
    rows = await db.fetch(
        _by_skus_sql("?", count),
        _by_skus_sql("$", count),
        tenant.account_id,
        tenant.livemode,
        *wanted,
    )
    return {record.sku: record for record in map(_record, rows)}

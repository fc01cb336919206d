"""Catalog lookups for a new session, sent through the driver (see :mod:`store.driver`).

A create looks up its line items' SKUs before anything else; through the ORM
that one read cost as much as the rest of the request's pricing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

import orjson

from opencheckout.domain.catalog import CatalogProduct
from opencheckout.store.checkouts import Tenant
from opencheckout.store.db import Database

_FIELDS = "sku, name, description, unit_amount, currency, tax_rates, active, stock"


def _record(values: Any) -> CatalogProduct:
    sku, name, description, unit_amount, currency, tax_rates, active, stock = values
    return CatalogProduct(
        sku=sku,
        name=name,
        description=description,
        unit_amount=unit_amount,
        currency=currency,
        tax_rates=tuple(orjson.loads(tax_rates)),
        active=bool(active),
        stock=stock,
    )


async def get_many(db: Database, tenant: Tenant, skus: Iterable[str]) -> dict[str, CatalogProduct]:
    """The catalog entries for ``skus`` that exist (archived ones included), by SKU."""
    wanted = sorted(set(skus))
    if not wanted:
        return {}
    if db.sqlite is not None:
        marks = ", ".join("?" * len(wanted))
        sql = (
            f"SELECT {_FIELDS} FROM products "  # noqa: S608 (placeholders only)
            f"WHERE account_id = ? AND livemode = ? AND sku IN ({marks})"
        )
        params = (tenant.account_id, int(tenant.livemode), *wanted)

        def read(connection: sqlite3.Connection) -> list[Any]:
            return connection.execute(sql, params).fetchall()

        rows = await db.sqlite.read(read)
    else:
        assert db.postgres is not None
        pool = await db.postgres.pool()
        rows = await pool.fetch(
            f"SELECT {_FIELDS} FROM products "  # noqa: S608 (constant text)
            "WHERE account_id = $1 AND livemode = $2 AND sku = ANY($3::varchar[])",
            tenant.account_id,
            tenant.livemode,
            wanted,
        )
        rows = [tuple(row) for row in rows]
    return {record.sku: record for record in map(_record, rows)}

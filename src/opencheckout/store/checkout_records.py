"""The hot checkout statements, sent through the driver (see :mod:`store.driver`).

Rows come back as :class:`CheckoutRecord`, a plain snapshot with the ORM
model's attribute names, so views and compat mappers take either. The column
list is read off the model, so a new column cannot be forgotten here.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from opencheckout.store.checkouts import Tenant
from opencheckout.store.db import Database
from opencheckout.store.driver import fetch_one
from opencheckout.store.models import Checkout

COLUMNS: tuple[str, ...] = tuple(column.name for column in Checkout.__table__.columns)
_SELECT = ", ".join(COLUMNS)
_DATETIMES = frozenset({"expires_at", "created_at", "updated_at", "completed_at"})


@dataclass(slots=True)
class CheckoutRecord:
    """One ``checkouts`` row, read without the ORM."""

    pk: int
    id: str
    account_id: str
    livemode: bool
    status: str
    payment_status: str
    currency: str
    customer_ref: str | None
    email: str | None
    client_reference_id: str | None
    processor: str | None
    processor_id: str | None
    token: str
    amount_subtotal: int
    amount_discount: int
    amount_tax: int
    amount_shipping: int
    amount_total: int
    abandon_after_seconds: int
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    recovered_from: str | None
    data: dict[str, Any]


#: A session as the ORM loads it (inside a write) or as a hot read returns it.
CheckoutRow = Checkout | CheckoutRecord


def _sqlite_datetime(value: str | None) -> datetime | None:
    """SQLAlchemy stores naive UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` text on SQLite."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


def _from_sqlite(values: tuple[Any, ...]) -> CheckoutRecord:
    row = dict(zip(COLUMNS, values, strict=True))
    for name in _DATETIMES:
        row[name] = _sqlite_datetime(row[name])
    row["livemode"] = bool(row["livemode"])
    row["data"] = orjson.loads(row["data"])
    return CheckoutRecord(**row)


def _from_postgres(record: Any) -> CheckoutRecord:
    row = dict(record)
    row["data"] = orjson.loads(row["data"])
    return CheckoutRecord(**row)


# Built from the model's own column names, never from input (hence the noqa).
_GET_SQLITE = f"SELECT {_SELECT} FROM checkouts WHERE account_id = ? AND livemode = ? AND id = ?"  # noqa: S608
_GET_POSTGRES = (
    f"SELECT {_SELECT} FROM checkouts WHERE account_id = $1 AND livemode = $2 AND id = $3"  # noqa: S608
)


async def get(db: Database, tenant: Tenant, checkout_id: str) -> CheckoutRecord | None:
    """The tenant's session ``checkout_id`` (autocommit read), or None."""
    if db.sqlite is not None:
        params = (tenant.account_id, int(tenant.livemode), checkout_id)

        def read(connection: sqlite3.Connection) -> tuple[Any, ...] | None:
            found: tuple[Any, ...] | None = fetch_one(connection, _GET_SQLITE, params)
            return found

        values = await db.sqlite.read(read)
        return None if values is None else _from_sqlite(values)
    assert db.postgres is not None
    record = await db.postgres.fetchrow(
        _GET_POSTGRES, tenant.account_id, tenant.livemode, checkout_id
    )
    return None if record is None else _from_postgres(record)

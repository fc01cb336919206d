"""The hot checkout statements, sent through the driver (see :mod:`store.driver`).

Rows come back as the typed :class:`~opencheckout.domain.session.CheckoutSession`,
and :func:`session_of` turns an ORM row loaded inside a write into the same type,
so nothing above the store sees which path read a session. The column list is
read off the model, so a new column cannot be forgotten here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import orjson

from opencheckout.domain.session import CheckoutSession
from opencheckout.store import rollup, wakeups
from opencheckout.store.db import Database
from opencheckout.store.models import Checkout
from opencheckout.store.tenant import Tenant

COLUMNS: tuple[str, ...] = tuple(column.name for column in Checkout.__table__.columns)
_SELECT = ", ".join(COLUMNS)
_DATETIMES = frozenset({"expires_at", "created_at", "updated_at", "completed_at"})


def session_of(row: Checkout) -> CheckoutSession:
    """The typed session of an ORM row loaded inside a write (its current values)."""
    return CheckoutSession(*[getattr(row, name) for name in COLUMNS])


def _sqlite_datetime(value: str | None) -> datetime | None:
    """SQLAlchemy stores naive UTC ``YYYY-MM-DD HH:MM:SS.ffffff`` text on SQLite."""
    return None if value is None else datetime.fromisoformat(value).replace(tzinfo=UTC)


# Rows are built positionally (cheaper than by keyword on every retrieve), so the
# record's fields must be the table's columns in the table's order.
if tuple(field.name for field in fields(CheckoutSession)) != COLUMNS:
    raise RuntimeError("CheckoutSession's fields must match the checkouts columns, in order")
_DATETIME_POSITIONS = tuple(COLUMNS.index(name) for name in sorted(_DATETIMES))
_LIVEMODE = COLUMNS.index("livemode")
_DATA = COLUMNS.index("data")


def from_row(values: Sequence[Any]) -> CheckoutSession:
    """A record from a SQLAlchemy Core row of the table's columns (types already converted)."""
    return CheckoutSession(*values)


def _from_sqlite(values: tuple[Any, ...]) -> CheckoutSession:
    row = list(values)
    for position in _DATETIME_POSITIONS:
        row[position] = _sqlite_datetime(row[position])
    row[_LIVEMODE] = bool(row[_LIVEMODE])
    row[_DATA] = orjson.loads(row[_DATA])
    return CheckoutSession(*row)


def _from_postgres(record: Any) -> CheckoutSession:
    row = list(record)
    row[_DATA] = orjson.loads(row[_DATA])
    return CheckoutSession(*row)


def sessions_of(db: Database, rows: Sequence[tuple[Any, ...]]) -> list[CheckoutSession]:
    """Sessions from driver rows of the table's columns, as each engine returns them."""
    decode = _from_sqlite if db.sqlite is not None else _from_postgres
    return [decode(row) for row in rows]


# Built from the model's own column names, never from input (hence the noqa).
_GET_SQLITE = f"SELECT {_SELECT} FROM checkouts WHERE account_id = ? AND livemode = ? AND id = ?"  # noqa: S608
_GET_POSTGRES = (
    f"SELECT {_SELECT} FROM checkouts WHERE account_id = $1 AND livemode = $2 AND id = $3"  # noqa: S608
)


async def get(db: Database, tenant: Tenant, checkout_id: str) -> CheckoutSession | None:
    """The tenant's session ``checkout_id`` (autocommit read), or None."""
    if db.sqlite is not None:
        params = (tenant.account_id, int(tenant.livemode), checkout_id)

        def read(connection: sqlite3.Connection) -> tuple[Any, ...] | None:
            found: tuple[Any, ...] | None = connection.execute(_GET_SQLITE, params).fetchone()
            return found

        values = await db.sqlite.read(read)
        return None if values is None else _from_sqlite(values)
    assert db.postgres is not None
    record = await db.postgres.fetchrow(
        _GET_POSTGRES, tenant.account_id, tenant.livemode, checkout_id
    )
    return None if record is None else _from_postgres(record)


@dataclass(frozen=True, slots=True)
class EventRecord:
    """The event a new session announces, written in the session's own statement."""

    id: str
    type: str
    created_at: datetime
    data: dict[str, Any]


#: Every column but ``pk``, which the database assigns.
INSERT_COLUMNS = COLUMNS[1:]
_INSERT_NAMES = ", ".join(INSERT_COLUMNS)


def _sqlite_time(value: datetime | None) -> str | None:
    """The text SQLAlchemy writes for a UTC datetime on SQLite (compared as text)."""
    if value is None:
        return None
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _sqlite_values(row: CheckoutSession) -> tuple[Any, ...]:
    values: list[Any] = []
    for name in INSERT_COLUMNS:
        value = getattr(row, name)
        if name in _DATETIMES:
            value = _sqlite_time(value)
        elif name == "livemode":
            value = int(value)
        elif name == "data":
            value = orjson.dumps(value).decode()
        values.append(value)
    return tuple(values)


_SQLITE_INSERT_CHECKOUT = (
    f"INSERT INTO checkouts ({_INSERT_NAMES}) "  # noqa: S608 (the model's column names)
    f"VALUES ({', '.join('?' * len(INSERT_COLUMNS))})"
)
_SQLITE_INSERT_PRODUCT = (
    "INSERT INTO checkout_products (checkout_pk, product, account_id, livemode) VALUES (?, ?, ?, ?)"
)
_SQLITE_INSERT_EVENT = (
    "INSERT INTO events (id, account_id, livemode, type, created_at, data, object_id) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)
#: One delivery per enabled endpoint of the tenant subscribed to the type (or to '*').
_SQLITE_INSERT_DELIVERIES = (
    "INSERT INTO webhook_deliveries (endpoint_id, event_pk, account_id, livemode, status, "
    "attempts, next_attempt_at, created_at) "
    "SELECT w.id, ?, w.account_id, w.livemode, 'pending', 0, ?, ? FROM webhook_endpoints w "
    "WHERE w.account_id = ? AND w.livemode = ? AND w.status = 'enabled' AND EXISTS "
    "(SELECT 1 FROM json_each(w.enabled_events) WHERE json_each.value IN ('*', ?))"
)

#: The session's creation counted in the overview's rollup, in the same statement.
_POSTGRES_ROLLUP = rollup.postgres_created(
    "$2",
    "$3",
    f"${INSERT_COLUMNS.index('created_at') + 1}",
    f"${INSERT_COLUMNS.index('currency') + 1}",
)

_POSTGRES_INSERT = f"""
WITH c AS (
    INSERT INTO checkouts ({_INSERT_NAMES})
    VALUES ({", ".join(f"${n}" for n in range(1, len(INSERT_COLUMNS) + 1))})
    RETURNING pk
), p AS (
    INSERT INTO checkout_products (checkout_pk, product, account_id, livemode)
    SELECT c.pk, sku, c_account, c_livemode
    FROM c, unnest(${len(INSERT_COLUMNS) + 1}::varchar[]) AS sku,
         (SELECT $2::varchar AS c_account, $3::boolean AS c_livemode) AS tenant
), e AS (
    INSERT INTO events (id, account_id, livemode, type, created_at, data, object_id)
    VALUES (${len(INSERT_COLUMNS) + 2}, $2, $3, ${len(INSERT_COLUMNS) + 3},
            ${len(INSERT_COLUMNS) + 4}, ${len(INSERT_COLUMNS) + 5}, $1)
    RETURNING pk
), d AS (
    INSERT INTO webhook_deliveries (endpoint_id, event_pk, account_id, livemode, status,
                                    attempts, next_attempt_at, created_at)
    SELECT w.id, e.pk, w.account_id, w.livemode, 'pending', 0,
           ${len(INSERT_COLUMNS) + 4}, ${len(INSERT_COLUMNS) + 4}
    FROM e, webhook_endpoints w
    WHERE w.account_id = $2 AND w.livemode = $3 AND w.status = 'enabled'
      AND (w.enabled_events @> '["*"]'::jsonb
           OR w.enabled_events @> jsonb_build_array(${len(INSERT_COLUMNS) + 3}::varchar))
    RETURNING 1
), r AS (
    {_POSTGRES_ROLLUP}
)
SELECT pk, (SELECT count(*) FROM d) AS owed, (SELECT count(*) FROM r) AS counted FROM c
"""  # noqa: S608 (the model's column names and numbered placeholders only)


def _skus(row: CheckoutSession) -> list[str]:
    return sorted({item["product"] for item in row.data["line_items"]})


async def insert_created(db: Database, row: CheckoutSession, event: EventRecord) -> int:
    """Insert a new session, its SKU rows, its event and the deliveries that event owes,
    in one transaction (one statement on PostgreSQL); returns the session's ``pk``."""
    skus = _skus(row)
    if db.sqlite is not None:
        values = _sqlite_values(row)
        created = _sqlite_time(event.created_at)
        event_values = (
            event.id,
            row.account_id,
            int(row.livemode),
            event.type,
            created,
            orjson.dumps(event.data).decode(),
            row.id,
        )

        day = rollup.day_of(row.created_at)

        def write(connection: sqlite3.Connection) -> tuple[int, int]:
            pk = connection.execute(_SQLITE_INSERT_CHECKOUT, values).lastrowid
            assert pk is not None
            connection.executemany(
                _SQLITE_INSERT_PRODUCT,
                [(pk, sku, row.account_id, int(row.livemode)) for sku in skus],
            )
            connection.execute(
                rollup.SQLITE_CREATED,
                (row.account_id, int(row.livemode), day.isoformat(), row.currency),
            )
            event_pk = connection.execute(_SQLITE_INSERT_EVENT, event_values).lastrowid
            owed = connection.execute(
                _SQLITE_INSERT_DELIVERIES,
                (event_pk, created, created, row.account_id, int(row.livemode), event.type),
            ).rowcount
            return pk, owed

        new_pk, owed = await db.sqlite.write(write)
        if owed:
            wakeups.committed()
        return new_pk
    assert db.postgres is not None
    args = [getattr(row, name) for name in INSERT_COLUMNS]
    args[INSERT_COLUMNS.index("data")] = orjson.dumps(row.data).decode()
    record = await db.postgres.fetchrow(
        _POSTGRES_INSERT,
        *args,
        skus,
        event.id,
        event.type,
        event.created_at,
        orjson.dumps(event.data).decode(),
    )
    if record["owed"]:
        # Committed (the statement ran on its own); wake the workers, here and elsewhere.
        wakeups.committed()
        await db.postgres.fetchrow(wakeups.NOTIFY_SQL)
    return int(record["pk"])

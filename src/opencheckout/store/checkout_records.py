"""The hot checkout statements, sent through the driver (see :mod:`store.driver`).

Rows come back as the typed :class:`~opencheckout.domain.session.CheckoutSession`,
and :func:`session_of` turns an ORM row loaded inside a write into the same type,
so nothing above the store sees which path read a session. The column list is
read off the model, so a new column cannot be forgotten here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

import orjson

from opencheckout.domain.session import CheckoutSession
from opencheckout.store import rollup, wakeups
from opencheckout.store.db import Database, Transaction
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
    rows = await db.fetch(
        _GET_SQLITE, _GET_POSTGRES, tenant.account_id, tenant.livemode, checkout_id
    )
    return sessions_of(db, rows)[0] if rows else None


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


# -- editing a session (read locked, written back, announced: one driver transaction) ----

#: What an edit may change; everything else (status, token, amounts' history) is kept.
EDIT_COLUMNS = (
    "currency",
    "customer_ref",
    "email",
    "client_reference_id",
    "amount_subtotal",
    "amount_discount",
    "amount_tax",
    "amount_shipping",
    "amount_total",
    "abandon_after_seconds",
    "expires_at",
    "updated_at",
    "data",
    "group_key",
)
_GET_POSTGRES_LOCKED = _GET_POSTGRES + " FOR UPDATE"

_SQLITE_EDIT = (
    f"UPDATE checkouts SET {', '.join(f'{name} = ?' for name in EDIT_COLUMNS)} WHERE pk = ?"  # noqa: S608 (the model's column names)
)
_SQLITE_DELETE_PRODUCTS = "DELETE FROM checkout_products WHERE checkout_pk = ?"

_E = len(EDIT_COLUMNS) + 2  # the first placeholder after the pk ($1) and the edited columns
_POSTGRES_EDIT = f"""
WITH c AS (
    UPDATE checkouts SET {", ".join(f"{name} = ${n}" for n, name in enumerate(EDIT_COLUMNS, 2))}
    WHERE pk = $1
    RETURNING pk, id, account_id, livemode, created_at
), gone AS (
    DELETE FROM checkout_products
    WHERE ${_E}::boolean AND checkout_pk = $1 AND product <> ALL(${_E + 1}::varchar[])
), p AS (
    INSERT INTO checkout_products (checkout_pk, product, account_id, livemode)
    SELECT c.pk, sku, c.account_id, c.livemode FROM c, unnest(${_E + 1}::varchar[]) AS sku
    WHERE ${_E}::boolean AND NOT EXISTS (
        SELECT 1 FROM checkout_products x WHERE x.checkout_pk = c.pk AND x.product = sku)
), e AS (
    INSERT INTO events (id, account_id, livemode, type, created_at, data, object_id)
    SELECT ${_E + 2}::varchar, c.account_id, c.livemode, ${_E + 3}::varchar,
           ${_E + 4}::timestamptz, ${_E + 5}::jsonb, c.id
    FROM c
    RETURNING pk, account_id, livemode
), d AS (
    INSERT INTO webhook_deliveries (endpoint_id, event_pk, account_id, livemode, status,
                                    attempts, next_attempt_at, created_at)
    SELECT w.id, e.pk, w.account_id, w.livemode, 'pending', 0,
           ${_E + 4}::timestamptz, ${_E + 4}::timestamptz
    FROM e, webhook_endpoints w
    WHERE w.account_id = e.account_id AND w.livemode = e.livemode AND w.status = 'enabled'
      AND (w.enabled_events @> '["*"]'::jsonb
           OR w.enabled_events @> jsonb_build_array(${_E + 3}::varchar))
    RETURNING 1
), r AS (
    {rollup.postgres_moved("c", f"${_E + 6}::varchar", "$2::varchar")}
), n AS (
    SELECT pg_notify('{wakeups.CHANNEL}', '') FROM (SELECT 1 FROM d LIMIT 1) AS owed
)
SELECT (SELECT count(*) FROM d) AS owed, (SELECT count(*) FROM n) AS notified,
       (SELECT count(*) FROM r) AS counted, (SELECT count(*) FROM c) AS edited
"""  # noqa: S608 (the model's column names and numbered placeholders only)


class Edit:
    """A session read for an edit, locked until the edit commits or rolls back
    (``FOR UPDATE`` on PostgreSQL; on SQLite the write lock, held from the read on).

    ``row`` is None when the tenant has no such session; ``reader`` runs the edit's
    catalog reads inside its transaction (see :class:`opencheckout.store.db.Transaction`).
    """

    def __init__(self, transaction: Transaction, row: CheckoutSession | None) -> None:
        self.reader = transaction
        self.row = row
        self.owed = False

    async def save(
        self, row: CheckoutSession, event: EventRecord, *, products_changed: bool
    ) -> None:
        """Write the edited ``row`` back, its SKU rows when its line items changed, its
        event and the deliveries the event owes; a currency change moves its creation
        in the overview's rollup. Committed when the edit's block ends."""
        assert self.row is not None and row.pk == self.row.pk
        if self.reader.sqlite is not None:
            self.owed = await self.reader.sqlite.run(
                _sqlite_save(row, event, self.row.currency, products_changed=products_changed)
            )
            return
        args: list[Any] = [getattr(row, name) for name in EDIT_COLUMNS]
        args[EDIT_COLUMNS.index("data")] = orjson.dumps(row.data).decode()
        record = await self.reader.postgres.fetchrow(
            _POSTGRES_EDIT,
            row.pk,
            *args,
            products_changed,
            _skus(row),
            event.id,
            event.type,
            event.created_at,
            orjson.dumps(event.data).decode(),
            self.row.currency,
        )
        self.owed = bool(record["owed"])


def _sqlite_save(
    row: CheckoutSession, event: EventRecord, old_currency: str, *, products_changed: bool
) -> Callable[[sqlite3.Connection], bool]:
    """:meth:`Edit.save`'s statements on SQLite, as one hop's work; whether deliveries are owed."""
    values = dict(zip(INSERT_COLUMNS, _sqlite_values(row), strict=True))
    edited = (*(values[name] for name in EDIT_COLUMNS), row.pk)
    tenant = (row.account_id, int(row.livemode))
    created = _sqlite_time(event.created_at)
    event_values = (
        event.id,
        *tenant,
        event.type,
        created,
        orjson.dumps(event.data).decode(),
        row.id,
    )
    day = rollup.day_of(row.created_at).isoformat()

    def write(connection: sqlite3.Connection) -> bool:
        connection.execute(_SQLITE_EDIT, edited)
        if products_changed:
            connection.execute(_SQLITE_DELETE_PRODUCTS, (row.pk,))
            connection.executemany(
                _SQLITE_INSERT_PRODUCT, [(row.pk, sku, *tenant) for sku in _skus(row)]
            )
        if old_currency != row.currency:
            connection.execute(rollup.SQLITE_ADD_CREATED, (*tenant, day, old_currency, -1))
            connection.execute(rollup.SQLITE_ADD_CREATED, (*tenant, day, row.currency, 1))
        event_pk = connection.execute(_SQLITE_INSERT_EVENT, event_values).lastrowid
        owed = connection.execute(
            _SQLITE_INSERT_DELIVERIES, (event_pk, created, created, *tenant, event.type)
        ).rowcount
        return owed > 0

    return write


@asynccontextmanager
async def edit(db: Database, tenant: Tenant, checkout_id: str) -> AsyncIterator[Edit]:
    """The tenant's session ``checkout_id`` read and locked for an edit, in one driver
    transaction (see :mod:`store.driver`): committed when the block ends, rolled back
    if it raises. Deliveries the edit's event owes wake the workers once committed."""
    async with db.transaction() as transaction:
        found = await transaction.fetch(
            _GET_SQLITE, _GET_POSTGRES_LOCKED, tenant.account_id, tenant.livemode, checkout_id
        )
        row = None
        if found:
            row = _from_sqlite(found[0]) if db.dialect == "sqlite" else _from_postgres(found[0])
        editing = Edit(transaction, row)
        yield editing
    if editing.owed:
        wakeups.committed()

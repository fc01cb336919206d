"""SQLAlchemy Core statements sent through the driver (store/compiled.py), on both
engines: the same rows as the ORM session gives for the same statement, with IN lists
expanded, datetimes bound as each engine stores them, and the tenant's scope kept."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update

from opencheckout.domain.lifecycle import Status
from opencheckout.store import checkout_records
from opencheckout.store import checkouts as store
from opencheckout.store.compiled import driver_statement
from opencheckout.store.db import Database
from opencheckout.store.models import Checkout
from opencheckout.store.tenant import Tenant
from tests.factories import create_session

STATUS_SETS = [
    (Status.PENDING,),
    (Status.ABANDONED,),
    (Status.PENDING, Status.ABANDONED, Status.COMPLETED),
]


async def _expire(db: Database, checkout_id: str, now: datetime) -> Tenant:
    async with db.write() as session:
        await session.execute(
            update(Checkout)
            .where(Checkout.id == checkout_id)
            .values(expires_at=now - timedelta(minutes=5))
        )
        query = select(Checkout.account_id, Checkout.livemode).where(Checkout.id == checkout_id)
        row = (await session.execute(query)).first()
        assert row is not None
    return Tenant(row.account_id, row.livemode)


def test_driver_rows_equal_the_orm_rows(api, server):
    ids = [create_session(api)["id"] for _ in range(3)]

    async def run() -> None:
        db = Database(server.database_url)
        now = datetime.now(UTC)
        try:
            tenant = await _expire(db, ids[0], now)  # pending past expiry: abandoned now
            for statuses in STATUS_SETS:
                statement = store._by_status_statement(statuses, 10, False)
                values = {
                    "list_account_id": tenant.account_id,
                    "list_livemode": tenant.livemode,
                    "list_now": now,
                }
                async with db.read() as session:
                    orm = [
                        checkout_records.from_row(row)
                        for row in (await session.execute(statement, values)).all()
                    ]
                driver = checkout_records.sessions_of(
                    db, await db.fetch_statement(statement, values)
                )
                assert driver == orm, statuses
            pending, _ = await store.list_by_status(db, tenant, [Status.PENDING], now, limit=10)
            abandoned, _ = await store.list_by_status(db, tenant, [Status.ABANDONED], now, limit=10)
            assert [row.id for row in pending] == [ids[2], ids[1]]
            assert [row.id for row in abandoned] == [ids[0]]
            # The cursor's key, scoped to the tenant.
            assert await store.pk_by_id(db, tenant, ids[1]) == pending[1].pk
            other = Tenant("acct_someone_else", tenant.livemode)
            assert await store.pk_by_id(db, other, ids[1]) is None
            assert await store.list_by_status(db, other, [Status.PENDING], now, limit=10) == (
                [],
                False,
            )
        finally:
            await db.dispose()

    asyncio.run(run())


def test_a_statement_compiles_once_per_engine():
    statement = store._by_status_statement((Status.PENDING, Status.ABANDONED), 5, True)
    sqlite = driver_statement(statement, "sqlite")
    postgres = driver_statement(statement, "postgresql")
    assert driver_statement(statement, "sqlite") is sqlite
    assert "?" in sqlite.sql and "$1" not in sqlite.sql
    assert "$1" in postgres.sql and "?" not in postgres.sql
    # The IN list of the expiring statuses is expanded into the text, with its values.
    assert "POSTCOMPILE" not in sqlite.sql + postgres.sql
    when = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    args = sqlite.args(
        {"list_account_id": "a", "list_livemode": True, "list_now": when, "list_after_pk": 7}
    )
    assert args[:2] == ("a", 1)  # SQLite's booleans are integers
    assert 7 in args and 6 in args  # the cursor, and LIMIT (5 + 1)
    assert "2026-12-03 12:00:00.000000" in args  # SQLite's datetime text

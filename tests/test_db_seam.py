"""The engine seam for ORM statements (store/db.py) on both engines: which engine a
session is on, and setting one key of a JSON document."""

from __future__ import annotations

import asyncio

from sqlalchemy import select, update

from opencheckout.store.db import Database, on_postgres, with_json_key
from opencheckout.store.models import Checkout
from tests.factories import create_session


def test_on_postgres_names_the_engine(database_url):
    async def run() -> tuple[bool, bool]:
        db = Database(database_url)
        try:
            async with db.read() as reading, db.write() as writing:
                return on_postgres(reading), on_postgres(writing)
        finally:
            await db.dispose()

    expected = not database_url.startswith("sqlite")
    assert asyncio.run(run()) == (expected, expected)


def test_a_json_key_is_set_and_the_rest_of_the_document_kept(api, server):
    checkout_id = create_session(api)["id"]
    value = {"ip": "203.0.113.7", "user_agent": {"family": "Firefox"}, "seen": [1, 2]}

    async def run() -> tuple[dict[str, object], dict[str, object]]:
        db = Database(server.database_url)
        try:
            query = select(Checkout.data).where(Checkout.id == checkout_id)
            async with db.read() as session:
                before = dict((await session.execute(query)).scalar_one())
            async with db.write() as session:
                await session.execute(
                    update(Checkout)
                    .where(Checkout.id == checkout_id)
                    .values(data=with_json_key(session, Checkout.data, "client", value))
                    .execution_options(synchronize_session=False)
                )
            async with db.read() as session:
                after = dict((await session.execute(query)).scalar_one())
        finally:
            await db.dispose()
        return before, after

    before, after = asyncio.run(run())
    assert after == {**before, "client": value}

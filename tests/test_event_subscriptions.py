"""Events owe deliveries to the endpoints subscribed at the time, on both engines, also when
one transaction records several events: the endpoints read for the first are read again
once the transaction has changed an endpoint (here: disabled it, as the worker does)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from opencheckout.service import events
from opencheckout.store import rollup
from opencheckout.store.db import Database
from opencheckout.store.models import Event, WebhookDelivery, WebhookEndpoint
from tests.conftest import Server


def test_one_transactions_events_follow_its_endpoint_changes(api, server: Server) -> None:
    made = api.post(
        "/v1/webhook_endpoints",
        json={"url": "https://hooks.example/a", "enabled_events": ["checkout.completed"]},
    )
    assert made.status_code == 201, made.text
    endpoint_id = made.json()["id"]

    async def run() -> dict[str, int]:
        db = Database(server.database_url)
        now = datetime.now(UTC)
        try:
            async with db.write() as session:
                endpoint = (
                    await session.execute(
                        select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
                    )
                ).scalar_one()
                account_id = endpoint.account_id

                async def record(type: str, name: str) -> None:
                    obj = {"id": f"cs_{name}", "object": "checkout"}
                    await events.record(
                        session,
                        account_id=account_id,
                        livemode=False,
                        type=type,
                        obj=obj,
                        now=now,
                    )

                await record("checkout.completed", "owed")
                await record("checkout.failed", "not_subscribed")
                await record("checkout.completed", "owed_too")
                endpoint.status = "disabled"
                await record("checkout.completed", "after_disabling")
            async with db.read() as session:
                rows = await session.execute(
                    select(Event.object_id, func.count(WebhookDelivery.pk))
                    .outerjoin(WebhookDelivery, WebhookDelivery.event_pk == Event.pk)
                    .where(Event.account_id == account_id, Event.object_id.like("cs_%"))
                    .group_by(Event.object_id)
                )
                return {str(object_id): int(n) for object_id, n in rows}
        finally:
            await db.dispose()

    assert asyncio.run(run()) == {
        "cs_owed": 1,
        "cs_not_subscribed": 0,
        "cs_owed_too": 1,
        "cs_after_disabling": 0,
    }


def test_the_day_row_is_locked_before_the_endpoints(api, server: Server) -> None:
    """A transaction that owes deliveries writes its rollup change first: a creation
    locks the day row and then the endpoint (its deliveries' foreign key) in one
    statement, so taking them the other way round could deadlock with it and a worker
    locking the endpoint. PostgreSQL (SQLite has one writer at a time)."""
    if server.database_url.startswith("sqlite"):
        pytest.skip("SQLite has no row locks")
    made = api.post(
        "/v1/webhook_endpoints", json={"url": "https://hooks.example/b", "enabled_events": ["*"]}
    )
    assert made.status_code == 201, made.text
    endpoint_id = made.json()["id"]
    day = datetime(2031, 6, 7, 8, tzinfo=UTC)

    async def run() -> bool:
        db = Database(server.database_url)
        other = Database(server.database_url)
        try:
            async with db.write() as session:
                account_id = (
                    await session.execute(
                        select(WebhookEndpoint.account_id).where(WebhookEndpoint.id == endpoint_id)
                    )
                ).scalar_one()
                await rollup.created(session, account_id, False, day, "eur")  # the row exists
            async with db.write() as session:
                await rollup.created(session, account_id, False, day, "eur")
                await events.record(
                    session,
                    account_id=account_id,
                    livemode=False,
                    type="checkout.created",
                    obj={"id": "cs_lock_order", "object": "checkout"},
                    now=day,
                )
                async with other.write() as probe:
                    try:
                        await probe.execute(
                            text(
                                "SELECT 1 FROM overview_days WHERE account_id = :a "
                                "AND day = :d FOR UPDATE NOWAIT"
                            ),
                            {"a": account_id, "d": day.date()},
                        )
                    except DBAPIError:
                        return True  # locked: written before the deliveries
                    return False
        finally:
            await db.dispose()
            await other.dispose()

    assert asyncio.run(run())

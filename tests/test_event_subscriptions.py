"""Events owe deliveries to the endpoints subscribed at the time, on both engines, also when
one transaction records several events: the endpoints read for the first are read again
once the transaction has changed an endpoint (here: disabled it, as the worker does)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from sqlalchemy import func, select

from opencheckout.service import events
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

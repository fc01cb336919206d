"""Events: written in the same transaction as the change they describe.

Recording an event also creates one delivery row per enabled webhook endpoint
that subscribes to its type (the transactional outbox): if the change
commits, its webhooks are owed; if it rolls back, nothing is sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.ids import new_id
from opencheckout.service.views import isoformat
from opencheckout.store import events as store
from opencheckout.store.models import Event, WebhookDelivery, WebhookEndpoint

CHECKOUT_EVENT_TYPES = (
    "checkout.created",
    "checkout.updated",
    "checkout.processing",
    "checkout.completed",
    "checkout.failed",
    "checkout.abandoned",
    "checkout.recovered",
    "checkout.deleted",
)
WEBHOOK_EVENT_TYPES = ("webhook_endpoint.disabled",)
COUPON_EVENT_TYPES = ("coupon.created", "coupon.updated", "coupon.deleted")
EVENT_TYPES = CHECKOUT_EVENT_TYPES + COUPON_EVENT_TYPES + WEBHOOK_EVENT_TYPES


def subscribes(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return "*" in endpoint.enabled_events or event_type in endpoint.enabled_events


async def record(
    session: AsyncSession,
    *,
    account_id: str,
    livemode: bool,
    type: str,
    obj: dict[str, Any],
    now: datetime,
) -> Event:
    """Write the event and the deliveries it owes, inside the caller's transaction."""
    event = Event(
        id=new_id("evt"),
        account_id=account_id,
        livemode=livemode,
        type=type,
        created_at=now,
        data={"object": obj},
    )
    session.add(event)
    await session.flush()
    for endpoint in await store.enabled_endpoints(session, account_id, livemode):
        if subscribes(endpoint, type):
            session.add(new_delivery(endpoint, event, now))
    return event


def new_delivery(endpoint: WebhookEndpoint, event: Event, now: datetime) -> WebhookDelivery:
    return WebhookDelivery(
        endpoint_id=endpoint.id,
        event_pk=event.pk,
        account_id=event.account_id,
        livemode=event.livemode,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )


def event_resource(event: Event) -> dict[str, Any]:
    return {
        "id": event.id,
        "object": "event",
        "type": event.type,
        "created_at": isoformat(event.created_at),
        "livemode": event.livemode,
        "data": event.data,
    }

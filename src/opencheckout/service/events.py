"""Events: written in the same transaction as the change they describe.

Recording an event also creates one delivery row per enabled webhook endpoint
that subscribes to its type (the transactional outbox): if the change
commits, its webhooks are owed; if it rolls back, nothing is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event as orm_event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from opencheckout.domain.errors import NotFound
from opencheckout.ids import new_id
from opencheckout.observability import metrics
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor, cursor_pks
from opencheckout.service.tenancy import tenant_of
from opencheckout.service.views import isoformat
from opencheckout.store import events as store
from opencheckout.store import rollup, wakeups
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
CHECKOUT_LINK_EVENT_TYPES = ("checkout_link.created", "checkout_link.updated")
ORDER_EVENT_TYPES = ("order.created", "order.updated")
PRODUCT_EVENT_TYPES = ("product.updated",)
REFUND_EVENT_TYPES = ("refund.created", "refund.succeeded", "refund.failed")
EVENT_TYPES = (
    CHECKOUT_EVENT_TYPES
    + COUPON_EVENT_TYPES
    + CHECKOUT_LINK_EVENT_TYPES
    + ORDER_EVENT_TYPES
    + PRODUCT_EVENT_TYPES
    + REFUND_EVENT_TYPES
    + WEBHOOK_EVENT_TYPES
)

#: The status a session enters with each event (the checkout transitions metric).
TRANSITIONS = {
    "checkout.created": "pending",
    "checkout.processing": "processing",
    "checkout.completed": "completed",
    "checkout.failed": "failed",
    "checkout.abandoned": "abandoned",
}
_PENDING_TRANSITIONS = "opencheckout.transitions"


def _note_transition(session: AsyncSession, event_type: str) -> None:
    """Count the transition once its transaction commits (a rollback moved nothing)."""
    status = TRANSITIONS.get(event_type)
    if status is not None:
        session.sync_session.info.setdefault(_PENDING_TRANSITIONS, []).append(status)


@orm_event.listens_for(Session, "after_commit")
def _count_committed(session: Session) -> None:
    for status in session.info.pop(_PENDING_TRANSITIONS, ()):
        metrics.record_checkout_transition(status)


@orm_event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(_PENDING_TRANSITIONS, None)


def _object_id(obj: dict[str, Any]) -> str | None:
    value = obj.get("id")
    return value if isinstance(value, str) and len(value) <= 40 else None


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
) -> None:
    """Write the event and the deliveries it owes, inside the caller's transaction."""
    event_pk = await store.insert_event(
        session,
        {
            "id": new_id("evt"),
            "account_id": account_id,
            "livemode": livemode,
            "type": type,
            "created_at": now,
            "data": {"object": obj},
            "object_id": _object_id(obj),
        },
    )
    _note_transition(session, type)
    owed = [
        {
            "endpoint_id": endpoint_id,
            "event_pk": event_pk,
            "account_id": account_id,
            "livemode": livemode,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for endpoint_id, types in await store.subscriptions(session, account_id, livemode)
        if "*" in types or type in types
    ]
    if owed:
        await rollup.write_now(session)  # the day row before the endpoints (see there)
        await store.insert_deliveries(session, owed)
        await wakeups.deliveries_added(session)


@dataclass(frozen=True, slots=True)
class NewEvent:
    account_id: str
    livemode: bool
    type: str
    obj: dict[str, Any]


async def record_many(
    session: AsyncSession, new_events: Sequence[NewEvent], *, now: datetime
) -> list[Event]:
    """:func:`record` for a batch: one flush, and one endpoint lookup per tenant.

    The sweeper abandons hundreds of sessions per transaction; recording their
    events one by one cost a flush and an endpoint query each, which made the
    sweep several times slower than the updates it records.
    """
    events = [
        Event(
            id=new_id("evt"),
            account_id=item.account_id,
            livemode=item.livemode,
            type=item.type,
            created_at=now,
            data={"object": item.obj},
            object_id=_object_id(item.obj),
        )
        for item in new_events
    ]
    session.add_all(events)
    await session.flush()
    for item in new_events:
        _note_transition(session, item.type)
    endpoints: dict[tuple[str, bool], Sequence[WebhookEndpoint]] = {}
    owed = False
    await rollup.write_now(session)  # the day rows before the endpoints (see there)
    for event in events:
        tenant = (event.account_id, event.livemode)
        if tenant not in endpoints:
            endpoints[tenant] = await store.enabled_endpoints(session, *tenant)
        for endpoint in endpoints[tenant]:
            if subscribes(endpoint, event.type):
                session.add(new_delivery(endpoint, event, now))
                owed = True
    if owed:
        await wakeups.deliveries_added(session)
    return events


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


async def retrieve_event(ctx: Context, principal: Principal, event_id: str) -> Event:
    async with ctx.db.read() as session:
        event = await store.get_event(session, tenant_of(principal), event_id)
    if event is None:
        raise NotFound(f"No such event: '{event_id}'.", param="id")
    return event


async def list_events(
    ctx: Context,
    principal: Principal,
    *,
    types: list[str],
    created: tuple[datetime | None, datetime | None, datetime | None, datetime | None],
    cursor: Cursor,
) -> tuple[list[Event], bool]:
    """Newest first; ``created`` is (gte, gt, lte, lt)."""
    tenant = tenant_of(principal)
    gte, gt, lte, lt = created
    async with ctx.db.read() as session:
        after_pk, before_pk = await cursor_pks(
            cursor, lambda event_id: store.event_pk(session, tenant, event_id), "event"
        )
        return await store.list_events(
            session,
            tenant,
            types=types,
            created_gte=gte,
            created_gt=gt,
            created_lte=lte,
            created_lt=lt,
            limit=cursor.limit,
            after_pk=after_pk,
            before_pk=before_pk,
        )

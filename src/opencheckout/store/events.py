"""Queries on events, webhook endpoints, deliveries and attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from itertools import chain
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, event, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import Event, WebhookDelivery, WebhookEndpoint
from opencheckout.store.pagination import created_range, keyset_page


async def get_event(session: AsyncSession, tenant: Tenant, event_id: str) -> Event | None:
    result = await session.execute(
        select(Event).where(
            Event.account_id == tenant.account_id,
            Event.livemode == tenant.livemode,
            Event.id == event_id,
        )
    )
    return result.scalar_one_or_none()


async def get_event_by_id(session: AsyncSession, event_id: str) -> Event | None:
    """Operator access (CLI) across tenants."""
    result = await session.execute(select(Event).where(Event.id == event_id))
    return result.scalar_one_or_none()


async def list_events(
    session: AsyncSession,
    tenant: Tenant,
    *,
    types: Sequence[str],
    created_gte: datetime | None,
    created_lte: datetime | None,
    created_gt: datetime | None,
    created_lt: datetime | None,
    limit: int,
    after_pk: int | None,
    before_pk: int | None,
) -> tuple[list[Event], bool]:
    conditions = [Event.account_id == tenant.account_id, Event.livemode == tenant.livemode]
    exact = [t for t in types if not t.endswith(".*")]
    prefixes = [t[:-1] for t in types if t.endswith(".*")]
    if types:
        matches = [Event.type.startswith(prefix) for prefix in prefixes]
        if exact:
            matches.append(Event.type.in_(exact))
        conditions.append(or_(*matches))
    conditions += created_range(
        Event.created_at, gte=created_gte, gt=created_gt, lte=created_lte, lt=created_lt
    )
    return await keyset_page(
        session, Event, conditions, limit=limit, after_pk=after_pk, before_pk=before_pk
    )


async def event_pk(session: AsyncSession, tenant: Tenant, event_id: str) -> int | None:
    result = await session.execute(
        select(Event.pk).where(
            Event.account_id == tenant.account_id,
            Event.livemode == tenant.livemode,
            Event.id == event_id,
        )
    )
    return result.scalar_one_or_none()


async def enabled_endpoints(
    session: AsyncSession, account_id: str, livemode: bool
) -> Sequence[WebhookEndpoint]:
    result = await session.execute(
        select(WebhookEndpoint).where(
            WebhookEndpoint.account_id == account_id,
            WebhookEndpoint.livemode == livemode,
            WebhookEndpoint.status == "enabled",
        )
    )
    return result.scalars().all()


#: Statements built once (the values are bound when they run).
_EVENTS = cast(Table, Event.__table__)
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.pk)
_INSERT_DELIVERIES = insert(cast(Table, WebhookDelivery.__table__))
_SUBSCRIPTIONS = select(WebhookEndpoint.id, WebhookEndpoint.enabled_events).where(
    WebhookEndpoint.account_id == bindparam("account_id"),
    WebhookEndpoint.livemode == bindparam("livemode"),
    WebhookEndpoint.status == "enabled",
)
_SUBSCRIPTIONS_KEY = "opencheckout.subscriptions"

#: An enabled endpoint's id and the event types it takes.
Subscription = tuple[str, list[str]]


async def insert_event(session: AsyncSession, values: dict[str, Any]) -> int:
    """Insert an event (its columns but ``pk``) in one statement; its ``pk``."""
    return int((await session.execute(_INSERT_EVENT, values)).scalar_one())


async def insert_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    await session.execute(_INSERT_DELIVERIES, list(rows))


async def subscriptions(
    session: AsyncSession, account_id: str, livemode: bool
) -> list[Subscription]:
    """The tenant's enabled endpoints (id, event types), read once per transaction: the
    read is forgotten when the transaction writes an endpoint, and when it ends."""
    known: dict[tuple[str, bool], list[Subscription]] = session.sync_session.info.setdefault(
        _SUBSCRIPTIONS_KEY, {}
    )
    tenant = (account_id, livemode)
    if tenant not in known:
        rows = await session.execute(
            _SUBSCRIPTIONS, {"account_id": account_id, "livemode": livemode}
        )
        known[tenant] = [(str(endpoint_id), list(types)) for endpoint_id, types in rows]
    return known[tenant]


@event.listens_for(Session, "before_flush")
def _forget_subscriptions(session: Session, _context: Any, _instances: Any) -> None:
    changed = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(row, WebhookEndpoint) for row in changed):
        session.info.pop(_SUBSCRIPTIONS_KEY, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_subscriptions_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_SUBSCRIPTIONS_KEY, None)


async def purge_events_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(delete(Event).where(Event.created_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]

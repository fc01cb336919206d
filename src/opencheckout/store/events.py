"""Queries on events, webhook endpoints, deliveries and attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import Event, WebhookEndpoint
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


async def purge_events_before(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(delete(Event).where(Event.created_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]

"""Queries on webhook endpoints, deliveries and attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import Event, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from opencheckout.store.pagination import keyset_page


async def get_endpoint(
    session: AsyncSession, tenant: Tenant, endpoint_id: str, *, for_update: bool = False
) -> WebhookEndpoint | None:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.account_id == tenant.account_id,
        WebhookEndpoint.livemode == tenant.livemode,
        WebhookEndpoint.id == endpoint_id,
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def endpoint_pk(session: AsyncSession, tenant: Tenant, endpoint_id: str) -> int | None:
    endpoint = await get_endpoint(session, tenant, endpoint_id)
    return endpoint.pk if endpoint else None


async def list_endpoints(
    session: AsyncSession,
    tenant: Tenant,
    *,
    limit: int,
    after_pk: int | None,
    before_pk: int | None,
) -> tuple[list[WebhookEndpoint], bool]:
    conditions = [
        WebhookEndpoint.account_id == tenant.account_id,
        WebhookEndpoint.livemode == tenant.livemode,
    ]
    return await keyset_page(
        session, WebhookEndpoint, conditions, limit=limit, after_pk=after_pk, before_pk=before_pk
    )


async def list_attempts(
    session: AsyncSession,
    endpoint_id: str,
    *,
    limit: int,
    after_pk: int | None,
    before_pk: int | None,
) -> tuple[list[WebhookAttempt], bool]:
    return await keyset_page(
        session,
        WebhookAttempt,
        [WebhookAttempt.endpoint_id == endpoint_id],
        limit=limit,
        after_pk=after_pk,
        before_pk=before_pk,
    )


async def attempt_pk(session: AsyncSession, endpoint_id: str, attempt_id: str) -> int | None:
    result = await session.execute(
        select(WebhookAttempt.pk).where(
            WebhookAttempt.endpoint_id == endpoint_id, WebhookAttempt.id == attempt_id
        )
    )
    return result.scalar_one_or_none()


async def claim_due(
    session: AsyncSession, now: datetime, *, limit: int
) -> list[tuple[WebhookDelivery, WebhookEndpoint, Event]]:
    """Due deliveries to enabled endpoints, oldest event first, locked for this worker.

    ``SKIP LOCKED`` lets several workers on PostgreSQL claim disjoint batches
    without waiting on each other; SQLite serialises writers anyway.
    """
    deliveries = (
        (
            await session.execute(
                select(WebhookDelivery)
                .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
                .where(
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.next_attempt_at <= now,
                    WebhookEndpoint.status == "enabled",
                )
                .order_by(WebhookDelivery.event_pk, WebhookDelivery.pk)
                .limit(limit)
                .with_for_update(of=WebhookDelivery, skip_locked=True)
            )
        )
        .scalars()
        .all()
    )
    if not deliveries:
        return []
    endpoints = {
        e.id: e
        for e in (
            await session.execute(
                select(WebhookEndpoint).where(
                    WebhookEndpoint.id.in_({d.endpoint_id for d in deliveries})
                )
            )
        ).scalars()
    }
    events = {
        e.pk: e
        for e in (
            await session.execute(
                select(Event).where(Event.pk.in_({d.event_pk for d in deliveries}))
            )
        ).scalars()
    }
    return [(d, endpoints[d.endpoint_id], events[d.event_pk]) for d in deliveries]

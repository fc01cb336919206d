"""Queries on webhook endpoints, deliveries and attempts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.checkouts import Tenant
from opencheckout.store.models import (
    Account,
    Event,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)
from opencheckout.store.pagination import keyset_page
from opencheckout.store.repository import TenantRepository

endpoints: TenantRepository[WebhookEndpoint] = TenantRepository(WebhookEndpoint)


async def count_endpoints_locked(session: AsyncSession, tenant: Tenant) -> int:
    """The tenant's endpoint count, with the account row locked until commit, so
    concurrent creates are counted one after the other (PostgreSQL; SQLite
    serialises writers anyway)."""
    await session.execute(
        select(Account.id).where(Account.id == tenant.account_id).with_for_update()
    )
    return await endpoints.count(session, tenant)


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


#: Deliveries one endpoint may have in a claimed batch: they go one after the
#: other, so two attempts fit in the lease however slow the receiver is.
PER_ENDPOINT_CLAIM = 2
#: Deliveries one account may have in a claimed batch: an account with a large
#: backlog (or many failing endpoints) cannot fill the batch and hold it.
PER_ACCOUNT_CLAIM = 10


def _fair_due_pks(now: datetime, *, limit: int) -> Select[int]:
    """Due deliveries, round-robin across accounts.

    Each account's oldest due deliveries are ranked 1, 2, 3, ... (at most
    :data:`PER_ENDPOINT_CLAIM` per endpoint, oldest first, so an endpoint's
    events keep their order) and the batch takes every account's first, then
    every account's second, and so on: another account's delivery is in the
    very next batch, however many a neighbour has queued.
    """
    due = (
        select(
            WebhookDelivery.pk,
            WebhookDelivery.account_id,
            WebhookDelivery.event_pk,
            func.row_number()
            .over(
                partition_by=WebhookDelivery.endpoint_id,
                order_by=(WebhookDelivery.event_pk, WebhookDelivery.pk),
            )
            .label("endpoint_rank"),
        )
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.status == "enabled",
        )
        .subquery()
    )
    ranked = (
        select(
            due.c.pk,
            due.c.event_pk,
            func.row_number()
            .over(partition_by=due.c.account_id, order_by=(due.c.event_pk, due.c.pk))
            .label("account_rank"),
        )
        .where(due.c.endpoint_rank <= PER_ENDPOINT_CLAIM)
        .subquery()
    )
    return (
        select(ranked.c.pk)
        .where(ranked.c.account_rank <= PER_ACCOUNT_CLAIM)
        .order_by(ranked.c.account_rank, ranked.c.event_pk, ranked.c.pk)
        .limit(limit)
    )


async def claim_due(
    session: AsyncSession, now: datetime, *, limit: int
) -> list[tuple[WebhookDelivery, WebhookEndpoint, Event]]:
    """Due deliveries to enabled endpoints, fair across accounts, locked for this worker.

    The fair pick (window functions) cannot take row locks itself, so the
    picked rows are then locked, re-checked and kept in the picked order.
    ``SKIP LOCKED`` lets several workers on PostgreSQL claim disjoint batches
    without waiting on each other; SQLite serialises writers anyway.
    """
    picked = list((await session.execute(_fair_due_pks(now, limit=limit))).scalars())
    if not picked:
        return []
    locked = {
        d.pk: d
        for d in (
            await session.execute(
                select(WebhookDelivery)
                .where(
                    WebhookDelivery.pk.in_(picked),
                    WebhookDelivery.status == "pending",
                    WebhookDelivery.next_attempt_at <= now,
                )
                .with_for_update(of=WebhookDelivery, skip_locked=True)
            )
        ).scalars()
    }
    deliveries = [locked[pk] for pk in picked if pk in locked]
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


async def pending_delivery_stats(session: AsyncSession) -> tuple[int, datetime | None]:
    """How many deliveries are pending (due or waiting to retry) and the oldest's creation."""
    row = (
        await session.execute(
            select(func.count(), func.min(WebhookDelivery.created_at)).where(
                WebhookDelivery.status == "pending"
            )
        )
    ).one()
    return int(row[0]), row[1]


async def get_endpoint_by_pk(
    session: AsyncSession, tenant: Tenant, pk: int, *, for_update: bool = False
) -> WebhookEndpoint | None:
    """By row number: the Quaderno dialect names endpoints by integer."""
    query = select(WebhookEndpoint).where(endpoints.of(tenant), WebhookEndpoint.pk == pk)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def all_endpoints(session: AsyncSession, tenant: Tenant) -> list[WebhookEndpoint]:
    """Every endpoint of the tenant, newest first (bounded by max_webhook_endpoints)."""
    query = select(WebhookEndpoint).where(endpoints.of(tenant)).order_by(WebhookEndpoint.pk.desc())
    return list((await session.execute(query)).scalars())

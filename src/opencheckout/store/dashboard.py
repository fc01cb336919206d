"""Queries on dashboard users, their sessions and sign-in attempts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.models import (
    Account,
    DashboardSession,
    DashboardUser,
    Event,
    LoginAttempt,
    WebhookAttempt,
    WebhookEndpoint,
)
from opencheckout.store.tenant import Tenant


async def user_by_email(session: AsyncSession, email: str) -> DashboardUser | None:
    result = await session.execute(select(DashboardUser).where(DashboardUser.email == email))
    return result.scalar_one_or_none()


async def users_of(session: AsyncSession, account_id: str | None) -> Sequence[DashboardUser]:
    query = select(DashboardUser).order_by(DashboardUser.created_at, DashboardUser.id)
    if account_id is not None:
        query = query.where(DashboardUser.account_id == account_id)
    return (await session.execute(query)).scalars().all()


async def failures_since(session: AsyncSession, email: str, since: datetime) -> int:
    """Failed attempts for ``email`` after ``since`` and after its last success."""
    last_success = (
        select(func.max(LoginAttempt.created_at))
        .where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(True))
        .scalar_subquery()
    )
    query = select(func.count()).where(
        LoginAttempt.email == email,
        LoginAttempt.succeeded.is_(False),
        LoginAttempt.created_at > since,
        LoginAttempt.created_at > func.coalesce(last_success, since),
    )
    return int((await session.execute(query)).scalar_one())


async def purge_attempts_before(session: AsyncSession, cutoff: datetime) -> None:
    await session.execute(delete(LoginAttempt).where(LoginAttempt.created_at < cutoff))


async def session_user(
    session: AsyncSession, token_hash: str, now: datetime
) -> tuple[DashboardSession, DashboardUser, Account] | None:
    query = (
        select(DashboardSession, DashboardUser, Account)
        .join(DashboardUser, DashboardUser.id == DashboardSession.user_id)
        .join(Account, Account.id == DashboardUser.account_id)
        .where(
            DashboardSession.token_hash == token_hash,
            DashboardSession.expires_at > now,
            DashboardUser.disabled_at.is_(None),
        )
    )
    row = (await session.execute(query)).one_or_none()
    if row is None:
        return None
    return row[0], row[1], row[2]


async def get_session(session: AsyncSession, token_hash: str) -> DashboardSession | None:
    return await session.get(DashboardSession, token_hash)


async def end_sessions(
    session: AsyncSession, *, token_hash: str | None = None, user_id: str | None = None
) -> None:
    query = delete(DashboardSession)
    if token_hash is not None:
        query = query.where(DashboardSession.token_hash == token_hash)
    if user_id is not None:
        query = query.where(DashboardSession.user_id == user_id)
    await session.execute(query)


async def events_of_objects(
    session: AsyncSession, tenant: Tenant, object_ids: Sequence[str], *, limit: int = 200
) -> Sequence[Event]:
    """The events about these objects (a checkout and its refunds), oldest first."""
    if not object_ids:
        return []
    query = (
        select(Event)
        .where(
            Event.account_id == tenant.account_id,
            Event.livemode == tenant.livemode,
            Event.object_id.in_(list(object_ids)),
        )
        .order_by(Event.pk.desc())
        .limit(limit)
    )
    rows = list((await session.execute(query)).scalars())
    rows.reverse()
    return rows


async def attempts_of_events(
    session: AsyncSession, tenant: Tenant, event_ids: Sequence[str]
) -> Sequence[WebhookAttempt]:
    """Delivery attempts of these events to the tenant's endpoints, oldest first."""
    if not event_ids:
        return []
    query = (
        select(WebhookAttempt)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookAttempt.endpoint_id)
        .where(
            WebhookEndpoint.account_id == tenant.account_id,
            WebhookEndpoint.livemode == tenant.livemode,
            WebhookAttempt.event_id.in_(list(event_ids)),
        )
        .order_by(WebhookAttempt.pk)
        .limit(500)
    )
    return list((await session.execute(query)).scalars())

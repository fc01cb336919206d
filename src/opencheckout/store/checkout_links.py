"""Checkout link queries: by id and slug, the sessions each made, and the counters
that move only through conditional UPDATEs."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.models import Checkout, CheckoutLink
from opencheckout.store.repository import TenantRepository
from opencheckout.store.tenant import Tenant

links: TenantRepository[CheckoutLink] = TenantRepository(CheckoutLink)


async def by_slug(session: AsyncSession, slug: str) -> CheckoutLink | None:
    """The link behind a public ``/l/{slug}`` (any tenant: the slug is the secret)."""
    result = await session.execute(select(CheckoutLink).where(CheckoutLink.slug == slug))
    return result.scalar_one_or_none()


async def sessions_created(
    session: AsyncSession, tenant: Tenant, link_ids: Sequence[str]
) -> dict[str, int]:
    """How many sessions each link made (an indexed count per link)."""
    if not link_ids:
        return {}
    query = (
        select(Checkout.checkout_link, func.count())
        .where(
            Checkout.account_id == tenant.account_id,
            Checkout.livemode == tenant.livemode,
            Checkout.checkout_link.in_(list(link_ids)),
        )
        .group_by(Checkout.checkout_link)
    )
    rows = (await session.execute(query)).all()
    return {str(link_id): int(count) for link_id, count in rows}


async def claim(session: AsyncSession, tenant: Tenant, link_id: str) -> bool:
    """Count one session of the link as being paid, if ``max_completions`` allows it."""
    result = await session.execute(
        update(CheckoutLink)
        .where(
            links.of(tenant),
            CheckoutLink.id == link_id,
            or_(
                CheckoutLink.max_completions.is_(None),
                CheckoutLink.claimed_count < CheckoutLink.max_completions,
            ),
        )
        .values(claimed_count=CheckoutLink.claimed_count + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


async def release(session: AsyncSession, tenant: Tenant, link_id: str) -> None:
    """Give back a claim whose payment did not go through."""
    await session.execute(
        update(CheckoutLink)
        .where(links.of(tenant), CheckoutLink.id == link_id, CheckoutLink.claimed_count > 0)
        .values(claimed_count=CheckoutLink.claimed_count - 1)
        .execution_options(synchronize_session=False)
    )


async def add_completion(session: AsyncSession, tenant: Tenant, link_id: str, amount: int) -> None:
    await session.execute(
        update(CheckoutLink)
        .where(links.of(tenant), CheckoutLink.id == link_id)
        .values(
            completed_count=CheckoutLink.completed_count + 1,
            amount_completed=CheckoutLink.amount_completed + amount,
        )
        .execution_options(synchronize_session=False)
    )

"""Queries for settling payments: sessions found by processor, across tenants.

A processor's notification names a checkout (or a payment id), not an API
key, so these look sessions up globally; callers must verify the processor
and payment id before acting.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.lifecycle import Status
from opencheckout.store.models import Checkout


async def get_by_id(
    session: AsyncSession, checkout_id: str, *, for_update: bool = False
) -> Checkout | None:
    query = select(Checkout).where(Checkout.id == checkout_id)
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query)).scalar_one_or_none()


async def get_by_payment(
    session: AsyncSession, processor: str, processor_id: str, *, for_update: bool = False
) -> Checkout | None:
    query = select(Checkout).where(
        Checkout.processor == processor, Checkout.processor_id == processor_id
    )
    if for_update:
        query = query.with_for_update()
    return (await session.execute(query.limit(1))).scalar_one_or_none()


async def processing_with_prefix(
    session: AsyncSession, processor: str, id_prefix: str, *, limit: int
) -> Sequence[Checkout]:
    """Sessions of ``processor`` still processing whose payment id starts with ``id_prefix``."""
    query = (
        select(Checkout)
        .where(
            Checkout.status == Status.PROCESSING.value,
            Checkout.processor == processor,
            Checkout.processor_id.startswith(id_prefix, autoescape=True),
        )
        .order_by(Checkout.updated_at)
        .limit(limit)
    )
    return (await session.execute(query)).scalars().all()

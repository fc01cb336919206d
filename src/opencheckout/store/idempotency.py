"""Queries on stored idempotent responses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.models import IdempotencyKey


async def get(
    session: AsyncSession, account_id: str, api_key_id: str, key: str
) -> IdempotencyKey | None:
    result = await session.execute(
        select(IdempotencyKey)
        .where(
            IdempotencyKey.account_id == account_id,
            IdempotencyKey.api_key_id == api_key_id,
            IdempotencyKey.key == key,
        )
        .with_for_update()
    )
    return result.scalar_one_or_none()


async def remove(session: AsyncSession, account_id: str, api_key_id: str, key: str) -> None:
    await session.execute(
        delete(IdempotencyKey).where(
            IdempotencyKey.account_id == account_id,
            IdempotencyKey.api_key_id == api_key_id,
            IdempotencyKey.key == key,
        )
    )


async def purge_older_than(session: AsyncSession, cutoff: datetime) -> int:
    result = await session.execute(delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff))
    return int(result.rowcount)  # type: ignore[attr-defined]

"""Queries on accounts and API keys."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.models import Account, ApiKey


async def get_account_by_name(session: AsyncSession, name: str) -> Account | None:
    result = await session.execute(select(Account).where(Account.name == name))
    return result.scalar_one_or_none()


async def get_key_by_prefix(session: AsyncSession, prefix: str) -> ApiKey | None:
    result = await session.execute(select(ApiKey).where(ApiKey.prefix == prefix))
    return result.scalar_one_or_none()


async def list_keys(session: AsyncSession, account_id: str) -> list[ApiKey]:
    result = await session.execute(
        select(ApiKey).where(ApiKey.account_id == account_id).order_by(ApiKey.created_at)
    )
    return list(result.scalars())


async def get_account(session: AsyncSession, account_id: str) -> Account | None:
    return await session.get(Account, account_id)

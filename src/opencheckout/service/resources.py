"""Cursor listing shared by the resources built on :class:`TenantRepository`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.service.paging import Cursor, cursor_pks
from opencheckout.store.models.base import Base
from opencheckout.store.repository import TenantRepository
from opencheckout.store.tenant import Tenant

ModelT = TypeVar("ModelT", bound=Base)


async def cursor_page(
    session: AsyncSession,
    repository: TenantRepository[ModelT],
    tenant: Tenant,
    cursor: Cursor,
    *,
    noun: str,
    conditions: Sequence[ColumnElement[bool]] = (),
) -> tuple[list[ModelT], bool]:
    """One newest-first page; a cursor id that is not the tenant's is a 404 on its param."""

    async def pk_of(public_id: str) -> int | None:
        return await repository.pk_of(session, tenant, public_id)

    after_pk, before_pk = await cursor_pks(cursor, pk_of, noun)
    return await repository.page(
        session, tenant, conditions, limit=cursor.limit, after_pk=after_pk, before_pk=before_pk
    )

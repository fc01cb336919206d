"""The use cases every tenant-owned resource shares, written once.

A :class:`TenantResource` wraps one :class:`TenantRepository` with the
resource's noun: a key the tenant does not own is a 404 ``No such <noun>``
on ``id``; a cursor id it does not own, the same on its cursor parameter.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Generic, TypeVar

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.errors import NotFound
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor, cursor_pks
from opencheckout.service.tenancy import tenant_of
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


class TenantResource(Generic[ModelT]):
    """Retrieve, lock for a change, delete and list one resource of the caller's tenant."""

    def __init__(self, repository: TenantRepository[ModelT], noun: str) -> None:
        self.repository = repository
        self.noun = noun

    def missing(self, public_id: str) -> NotFound:
        return NotFound(f"No such {self.noun}: '{public_id}'.", param="id")

    async def require(
        self, session: AsyncSession, tenant: Tenant, public_id: str, *, for_update: bool = False
    ) -> ModelT:
        row = await self.repository.get(session, tenant, public_id, for_update=for_update)
        if row is None:
            raise self.missing(public_id)
        return row

    async def retrieve(self, ctx: Context, principal: Principal, public_id: str) -> ModelT:
        async with ctx.db.read() as session:
            return await self.require(session, tenant_of(principal), public_id)

    @asynccontextmanager
    async def locked(
        self, ctx: Context, principal: Principal, public_id: str
    ) -> AsyncIterator[tuple[AsyncSession, ModelT]]:
        """A write transaction with the row locked in it (a 404 if there is none)."""
        async with ctx.db.write() as session:
            yield (
                session,
                await self.require(session, tenant_of(principal), public_id, for_update=True),
            )

    async def delete(self, ctx: Context, principal: Principal, public_id: str) -> None:
        async with self.locked(ctx, principal, public_id) as (session, row):
            await self.repository.remove(session, row)

    async def list(
        self,
        ctx: Context,
        principal: Principal,
        cursor: Cursor,
        conditions: Sequence[ColumnElement[bool]] = (),
    ) -> tuple[list[ModelT], bool]:
        async with ctx.db.read() as session:
            return await cursor_page(
                session,
                self.repository,
                tenant_of(principal),
                cursor,
                noun=self.noun,
                conditions=conditions,
            )

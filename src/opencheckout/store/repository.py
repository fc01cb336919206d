"""A small typed repository for the tenant-owned resources keyed by a public ``id``.

The newer resources (customers, orders, shipping rates and promotions) share
the same four queries: one row by id (optionally locked), its surrogate key
for cursors, insert, and a newest-first keyset page. Each store module makes
one :class:`TenantRepository` for its model and adds only its own filters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.models.base import Base
from opencheckout.store.pagination import keyset_page
from opencheckout.store.tenant import Tenant


class _Keyed(Protocol):
    pk: Any


ModelT = TypeVar("ModelT", bound=Base)


class TenantRepository(Generic[ModelT]):
    """Queries on ``model``, always scoped by the tenant (account and mode)."""

    def __init__(self, model: type[ModelT]) -> None:
        self.model = model
        # Read once: every model here has these columns (checked at import).
        self._account: Any = getattr(model, "account_id")  # noqa: B009
        self._livemode: Any = getattr(model, "livemode")  # noqa: B009
        self._id: Any = getattr(model, "id")  # noqa: B009
        self._pk: Any = getattr(model, "pk")  # noqa: B009

    def of(self, tenant: Tenant) -> ColumnElement[bool]:
        return and_(self._account == tenant.account_id, self._livemode == tenant.livemode)

    async def get(
        self, session: AsyncSession, tenant: Tenant, public_id: str, *, for_update: bool = False
    ) -> ModelT | None:
        query = select(self.model).where(self.of(tenant), self._id == public_id)
        if for_update:
            query = query.with_for_update()
        return (await session.execute(query)).scalar_one_or_none()

    async def pk_of(self, session: AsyncSession, tenant: Tenant, public_id: str) -> int | None:
        query = select(self._pk).where(self.of(tenant), self._id == public_id)
        found: int | None = (await session.execute(query)).scalar_one_or_none()
        return found

    async def insert(self, session: AsyncSession, row: ModelT) -> None:
        """Flush now so that a unique-index clash surfaces here as ``IntegrityError``."""
        session.add(row)
        await session.flush()

    async def find(
        self, session: AsyncSession, tenant: Tenant, conditions: Sequence[ColumnElement[bool]]
    ) -> list[ModelT]:
        """Every row of the tenant matching ``conditions``, oldest first."""
        query = select(self.model).where(self.of(tenant), *conditions).order_by(self._pk)
        return list((await session.execute(query)).scalars())

    async def page(
        self,
        session: AsyncSession,
        tenant: Tenant,
        conditions: Sequence[ColumnElement[bool]],
        *,
        limit: int,
        after_pk: int | None,
        before_pk: int | None,
    ) -> tuple[list[ModelT], bool]:
        keyed = cast(type[_Keyed], self.model)  # every model here has ``pk``
        rows, has_more = await keyset_page(
            session,
            keyed,
            [self.of(tenant), *conditions],
            limit=limit,
            after_pk=after_pk,
            before_pk=before_pk,
        )
        return cast(list[ModelT], rows), has_more

"""One typed repository for the tenant-owned resources keyed by a public key.

Products (keyed by SKU), coupons, tax rates, webhook endpoints, customers,
orders, checkout links, shipping rates and promotions share the same queries:
one row by key (optionally locked), several by key, the surrogate key behind a
cursor, insert, delete, and a newest-first keyset page. Tenant scoping and
paging are written here once; each store module makes one
:class:`TenantRepository` for its model and adds only its own queries.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Generic, Protocol, TypeVar, cast

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.models.base import Base
from opencheckout.store.pagination import keyset_page
from opencheckout.store.tenant import Tenant


class _Keyed(Protocol):
    pk: Any


ModelT = TypeVar("ModelT", bound=Base)


class TenantRepository(Generic[ModelT]):
    """Queries on ``model``, always scoped by the tenant (account and mode).

    ``key`` names the column the public id lives in (``id``, or ``sku`` for products).
    """

    def __init__(self, model: type[ModelT], *, key: str = "id") -> None:
        self.model = model
        self._key_name = key
        # Read once: every model here has these columns (checked at import).
        self._account: Any = getattr(model, "account_id")  # noqa: B009
        self._livemode: Any = getattr(model, "livemode")  # noqa: B009
        self._key: Any = getattr(model, key)
        self._pk: Any = getattr(model, "pk")  # noqa: B009

    def of(self, tenant: Tenant) -> ColumnElement[bool]:
        return and_(self._account == tenant.account_id, self._livemode == tenant.livemode)

    def equal(self, **values: object) -> list[ColumnElement[bool]]:
        """``column = value`` for each value given (None means no filter on that column)."""
        return [
            getattr(self.model, name) == value
            for name, value in values.items()
            if value is not None
        ]

    async def get(
        self, session: AsyncSession, tenant: Tenant, public_id: str, *, for_update: bool = False
    ) -> ModelT | None:
        query = select(self.model).where(self.of(tenant), self._key == public_id)
        if for_update:
            query = query.with_for_update()
        return (await session.execute(query)).scalar_one_or_none()

    async def get_many(
        self, session: AsyncSession, tenant: Tenant, public_ids: Iterable[str]
    ) -> dict[str, ModelT]:
        """The tenant's rows among ``public_ids`` that exist, by public id."""
        wanted = sorted(set(public_ids))
        if not wanted:
            return {}
        query = select(self.model).where(self.of(tenant), self._key.in_(wanted))
        rows = (await session.execute(query)).scalars()
        return {getattr(row, self._key_name): row for row in rows}

    async def pk_of(self, session: AsyncSession, tenant: Tenant, public_id: str) -> int | None:
        query = select(self._pk).where(self.of(tenant), self._key == public_id)
        found: int | None = (await session.execute(query)).scalar_one_or_none()
        return found

    async def insert(self, session: AsyncSession, row: ModelT) -> None:
        """Flush now so that a unique-index clash surfaces here as ``IntegrityError``."""
        session.add(row)
        await session.flush()

    async def remove(self, session: AsyncSession, row: ModelT) -> None:
        await session.delete(row)
        await session.flush()

    async def count(self, session: AsyncSession, tenant: Tenant) -> int:
        query = select(func.count()).select_from(self.model).where(self.of(tenant))
        return int((await session.execute(query)).scalar_one())

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

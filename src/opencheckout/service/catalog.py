"""Where pricing reads the catalog (products, tax rates, coupons) from.

An edit reads inside its write transaction, next to the locked session
(:class:`SessionCatalog` in an ORM transaction, :class:`EditCatalog` in a driver
one). A create has nothing to lock, so it reads before
its write, each read on its own (:class:`AutocommitCatalog`): the SKU lookup
every create makes goes through the driver, the rarer tax-rate and coupon
lookups through short ORM reads. Either way a read sees what was committed
when it ran, as under PostgreSQL's READ COMMITTED.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.catalog import CatalogProduct
from opencheckout.service import coupons, tax_rates
from opencheckout.store import product_records, shipping
from opencheckout.store.checkouts import Tenant
from opencheckout.store.db import Database, Reader
from opencheckout.store.models import Coupon, TaxRate
from opencheckout.store.shipping import Offer


class Catalog(Protocol):
    async def products(self, tenant: Tenant, skus: Iterable[str]) -> Mapping[str, CatalogProduct]:
        """Existing entries for ``skus`` (archived included), by SKU."""
        ...

    async def usable_tax_rates(
        self, tenant: Tenant, wanted: Sequence[tuple[str, str]]
    ) -> dict[str, TaxRate]:
        """:func:`opencheckout.service.tax_rates.require_usable`."""
        ...

    async def coupon(
        self,
        tenant: Tenant,
        *,
        coupon_id: str | None,
        code: str | None,
        currency: str,
        now: datetime,
        param: str,
    ) -> Coupon:
        """:func:`opencheckout.service.coupons.resolve`."""
        ...

    async def shipping(self, tenant: Tenant, currency: str) -> Offer:
        """The active shipping rates in ``currency`` and the active promotions."""
        ...


class SessionCatalog:
    """Reads in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def products(self, tenant: Tenant, skus: Iterable[str]) -> Mapping[str, CatalogProduct]:
        return await product_records.get_many_in(self.session, tenant, skus)

    async def usable_tax_rates(
        self, tenant: Tenant, wanted: Sequence[tuple[str, str]]
    ) -> dict[str, TaxRate]:
        return await tax_rates.require_usable(self.session, tenant, wanted)

    async def coupon(
        self,
        tenant: Tenant,
        *,
        coupon_id: str | None,
        code: str | None,
        currency: str,
        now: datetime,
        param: str,
    ) -> Coupon:
        return await coupons.resolve(
            self.session,
            tenant,
            coupon_id=coupon_id,
            code=code,
            currency=currency,
            now=now,
            param=param,
        )

    async def shipping(self, tenant: Tenant, currency: str) -> Offer:
        return await shipping.offer_in(self.session, tenant, currency)


class AutocommitCatalog:
    """Each read on its own, outside any write transaction."""

    def __init__(self, db: Database) -> None:
        self.db = db

    async def products(self, tenant: Tenant, skus: Iterable[str]) -> Mapping[str, CatalogProduct]:
        return await product_records.get_many(self.db, tenant, skus)

    async def usable_tax_rates(
        self, tenant: Tenant, wanted: Sequence[tuple[str, str]]
    ) -> dict[str, TaxRate]:
        async with self.db.read() as session:
            return await SessionCatalog(session).usable_tax_rates(tenant, wanted)

    async def coupon(
        self,
        tenant: Tenant,
        *,
        coupon_id: str | None,
        code: str | None,
        currency: str,
        now: datetime,
        param: str,
    ) -> Coupon:
        async with self.db.read() as session:
            return await SessionCatalog(session).coupon(
                tenant, coupon_id=coupon_id, code=code, currency=currency, now=now, param=param
            )

    async def shipping(self, tenant: Tenant, currency: str) -> Offer:
        return await shipping.offer(self.db, tenant, currency)


class EditCatalog(AutocommitCatalog):
    """An edit's reads: the SKU and shipping lookups every edit may make go through the
    edit's driver transaction (``reader``), next to the locked session; the rarer
    tax-rate and coupon lookups are short reads of their own. The edit writes none of
    those rows, so either way a read sees what was committed when it ran."""

    def __init__(self, db: Database, reader: Reader) -> None:
        super().__init__(db)
        self.reader = reader

    async def products(self, tenant: Tenant, skus: Iterable[str]) -> Mapping[str, CatalogProduct]:
        return await product_records.get_many(self.reader, tenant, skus)

    async def shipping(self, tenant: Tenant, currency: str) -> Offer:
        return await shipping.offer(self.reader, tenant, currency)

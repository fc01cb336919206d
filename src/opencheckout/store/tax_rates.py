"""Queries on tax rates. Every function takes the tenant (account, mode)."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from opencheckout.store.models import TaxRate
from opencheckout.store.repository import TenantRepository

tax_rates: TenantRepository[TaxRate] = TenantRepository(TaxRate)


def filters(*, active: bool | None, inclusive: bool | None) -> list[ColumnElement[bool]]:
    return tax_rates.equal(active=active, inclusive=inclusive)

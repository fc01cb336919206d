"""Queries on customers and their saved addresses (always tenant-scoped)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.db import Reader
from opencheckout.store.models import Customer, CustomerAddress
from opencheckout.store.repository import TenantRepository
from opencheckout.store.tenant import Tenant

customers = TenantRepository(Customer)


def filters(*, email_lower: str | None) -> list[ColumnElement[bool]]:
    return [] if email_lower is None else [Customer.email_lower == email_lower]


async def by_email(session: AsyncSession, tenant: Tenant, email_lower: str) -> Customer | None:
    found = await customers.find(session, tenant, filters(email_lower=email_lower))
    return found[0] if found else None


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What linking a session needs of a customer."""

    pk: int
    id: str
    email: str | None
    phone: str | None
    name: str | None


_TARGET_FIELDS = "pk, id, email, phone, name"
_SQLITE_BY_ID = (
    f"SELECT {_TARGET_FIELDS} FROM customers "  # noqa: S608 (constant text)
    "WHERE account_id = ? AND livemode = ? AND id = ?"
)
_SQLITE_BY_EMAIL = (
    f"SELECT {_TARGET_FIELDS} FROM customers "  # noqa: S608 (constant text)
    "WHERE account_id = ? AND livemode = ? AND email_lower = ? ORDER BY pk LIMIT 1"
)
_POSTGRES_BY_ID = (
    f"SELECT {_TARGET_FIELDS} FROM customers "  # noqa: S608 (constant text)
    "WHERE account_id = $1 AND livemode = $2 AND id = $3"
)
_POSTGRES_BY_EMAIL = (
    f"SELECT {_TARGET_FIELDS} FROM customers "  # noqa: S608 (constant text)
    "WHERE account_id = $1 AND livemode = $2 AND email_lower = $3 ORDER BY pk LIMIT 1"
)


async def link_target(
    db: Reader, tenant: Tenant, *, customer_id: str | None, email_lower: str | None
) -> LinkTarget | None:
    """The customer named by id or else (no id) by lowercased email, oldest first;
    through the driver (see :mod:`store.driver`): every create with a customer asks."""
    by_id = customer_id is not None
    key = customer_id if by_id else email_lower
    if key is None:
        return None
    sqlite_sql, postgres_sql = (
        (_SQLITE_BY_ID, _POSTGRES_BY_ID) if by_id else (_SQLITE_BY_EMAIL, _POSTGRES_BY_EMAIL)
    )
    rows = await db.fetch(sqlite_sql, postgres_sql, tenant.account_id, tenant.livemode, key)
    row = rows[0] if rows else None
    if row is None:
        return None
    pk, public_id, email, phone, name = row
    return LinkTarget(pk=pk, id=public_id, email=email, phone=phone, name=name)


async def delete_customer(session: AsyncSession, customer: Customer) -> None:
    await session.execute(delete(CustomerAddress).where(CustomerAddress.customer_pk == customer.pk))
    await session.delete(customer)
    await session.flush()


async def addresses_of(session: AsyncSession, customer_pks: list[int]) -> list[CustomerAddress]:
    """Saved addresses of these customers, oldest first."""
    if not customer_pks:
        return []
    query = (
        select(CustomerAddress)
        .where(CustomerAddress.customer_pk.in_(customer_pks))
        .order_by(CustomerAddress.pk)
    )
    return list((await session.execute(query)).scalars())


async def address(
    session: AsyncSession, customer_pk: int, address_id: str
) -> CustomerAddress | None:
    query = select(CustomerAddress).where(
        CustomerAddress.customer_pk == customer_pk, CustomerAddress.id == address_id
    )
    return (await session.execute(query)).scalar_one_or_none()


async def address_by_fingerprint(
    session: AsyncSession, customer_pk: int, fingerprint: str
) -> CustomerAddress | None:
    query = select(CustomerAddress).where(
        CustomerAddress.customer_pk == customer_pk, CustomerAddress.fingerprint == fingerprint
    )
    return (await session.execute(query)).scalar_one_or_none()


async def insert_address(session: AsyncSession, row: CustomerAddress) -> CustomerAddress:
    """Insert, or return the equal address that won a concurrent insert.

    The savepoint keeps the caller's transaction usable after the unique
    index refuses the duplicate.
    """
    try:
        async with session.begin_nested():
            session.add(row)
            await session.flush()
    except IntegrityError:
        existing = await address_by_fingerprint(session, row.customer_pk, row.fingerprint)
        if existing is None:
            raise
        return existing
    return row


async def delete_address(session: AsyncSession, row: CustomerAddress) -> None:
    await session.delete(row)
    await session.flush()

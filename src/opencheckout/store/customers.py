"""Queries on customers and their saved addresses (always tenant-scoped)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.store.models import Customer, CustomerAddress
from opencheckout.store.repository import TenantRepository
from opencheckout.store.tenant import Tenant

customers = TenantRepository(Customer)


def filters(*, email_lower: str | None) -> list[ColumnElement[bool]]:
    return [] if email_lower is None else [Customer.email_lower == email_lower]


async def by_email(session: AsyncSession, tenant: Tenant, email_lower: str) -> Customer | None:
    found = await customers.find(session, tenant, filters(email_lower=email_lower))
    return found[0] if found else None


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

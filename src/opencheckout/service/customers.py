"""Customers and their address books.

A customer's email is unique per account and mode whatever its case, so a
session's buyer email finds at most one customer to link to. Saved addresses
are deduplicated by content (see :func:`opencheckout.domain.addresses.fingerprint`):
saving an address equal to one in the book returns the saved one.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.addresses import ADDRESS_BOOK_FIELDS, AddressContent, fingerprint
from opencheckout.domain.errors import Conflict, InvalidValue, NotFound
from opencheckout.ids import new_id
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.metadata import merge_metadata
from opencheckout.service.paging import Cursor
from opencheckout.service.resources import TenantResource, cursor_page
from opencheckout.service.tenancy import tenant_of
from opencheckout.service.views import isoformat
from opencheckout.store import customers as store
from opencheckout.store.models import Customer, CustomerAddress

#: The most addresses one customer's book holds.
MAX_ADDRESSES = 50


@dataclass(frozen=True, slots=True)
class NewCustomer:
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    addresses: Sequence[AddressContent] = ()


@dataclass(frozen=True, slots=True)
class CustomerView:
    """A customer with its address book, as the API shows it."""

    customer: Customer
    addresses: list[CustomerAddress]


def address_resource(row: CustomerAddress) -> dict[str, Any]:
    fields = {name: getattr(row, name) for name in ADDRESS_BOOK_FIELDS}
    return {"id": row.id, "object": "address", **fields}


def customer_resource(view: CustomerView) -> dict[str, Any]:
    row = view.customer
    return {
        "id": row.id,
        "object": "customer",
        "email": row.email,
        "name": row.name,
        "phone": row.phone,
        "metadata": row.metadata_,
        "addresses": [address_resource(address) for address in view.addresses],
        "livemode": row.livemode,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


resource = TenantResource(store.customers, "customer")


def _email_taken(email: str) -> Conflict:
    return Conflict(
        f"A customer with email '{email}' already exists in this account and mode.",
        code="customer_email_exists",
        param="email",
    )


async def _view(session: AsyncSession, row: Customer) -> CustomerView:
    return CustomerView(row, await store.addresses_of(session, [row.pk]))


async def create(ctx: Context, principal: Principal, new: NewCustomer) -> CustomerView:
    now = ctx.clock()
    tenant = tenant_of(principal)
    row = Customer(
        id=new_id("cus"),
        account_id=tenant.account_id,
        livemode=tenant.livemode,
        email=new.email,
        email_lower=new.email.lower() if new.email else None,
        name=new.name,
        phone=new.phone,
        metadata_=new.metadata,
        created_at=now,
        updated_at=now,
    )
    async with ctx.db.write() as session:
        if row.email_lower and await store.by_email(session, tenant, row.email_lower):
            raise _email_taken(row.email or "")
        try:
            await store.customers.insert(session, row)
        except IntegrityError:
            raise _email_taken(row.email or "") from None
        for content in new.addresses:
            await save_address(session, row, content, now)
        return await _view(session, row)


async def retrieve(ctx: Context, principal: Principal, customer_id: str) -> CustomerView:
    async with ctx.db.read() as session:
        return await _view(
            session, await resource.require(session, tenant_of(principal), customer_id)
        )


async def update(
    ctx: Context, principal: Principal, customer_id: str, changes: Mapping[str, Any]
) -> CustomerView:
    """Fields sent replace the stored ones (null clears); ``metadata`` merges."""
    tenant = tenant_of(principal)
    async with resource.locked(ctx, principal, customer_id) as (session, row):
        if "email" in changes:
            email = changes["email"]
            email_lower = email.lower() if email else None
            changed = email_lower and email_lower != row.email_lower
            if changed and await store.by_email(session, tenant, email_lower or ""):
                raise _email_taken(email)
            row.email, row.email_lower = email, email_lower
        for name in ("name", "phone"):
            if name in changes:
                setattr(row, name, changes[name])
        if "metadata" in changes:
            row.metadata_ = merge_metadata(row.metadata_, changes["metadata"] or {})
        row.updated_at = ctx.clock()
        try:
            await session.flush()
        except IntegrityError:
            raise _email_taken(row.email or "") from None
        return await _view(session, row)


async def delete(ctx: Context, principal: Principal, customer_id: str) -> None:
    """Orders and sessions keep the id they were linked to."""
    async with resource.locked(ctx, principal, customer_id) as (session, row):
        await store.delete_customer(session, row)


async def list_customers(
    ctx: Context, principal: Principal, cursor: Cursor, *, email: str | None = None
) -> tuple[list[CustomerView], bool]:
    tenant = tenant_of(principal)
    async with ctx.db.read() as session:
        rows, has_more = await cursor_page(
            session,
            store.customers,
            tenant,
            cursor,
            noun=resource.noun,
            conditions=store.filters(email_lower=email.lower() if email else None),
        )
        books = await store.addresses_of(session, [row.pk for row in rows])
    by_owner: dict[int, list[CustomerAddress]] = {}
    for address in books:
        by_owner.setdefault(address.customer_pk, []).append(address)
    return [CustomerView(row, by_owner.get(row.pk, [])) for row in rows], has_more


async def save_address(
    session: AsyncSession, customer: Customer, content: AddressContent, now: datetime
) -> tuple[CustomerAddress, bool]:
    """The saved address equal to ``content``, inserting it if new; (row, created)."""
    if content.is_empty():
        raise InvalidValue("An address needs at least one field.", param="line1")
    digest = fingerprint(content)
    existing = await store.address_by_fingerprint(session, customer.pk, digest)
    if existing is not None:
        return existing, False
    if len(await store.addresses_of(session, [customer.pk])) >= MAX_ADDRESSES:
        raise Conflict(
            f"This customer already has {MAX_ADDRESSES} saved addresses; delete one first.",
            code="address_book_full",
        )
    row = CustomerAddress(
        id=new_id("addr"),
        customer_pk=customer.pk,
        account_id=customer.account_id,
        livemode=customer.livemode,
        fingerprint=digest,
        created_at=now,
        **{name: getattr(content, name) for name in ADDRESS_BOOK_FIELDS},
    )
    saved = await store.insert_address(session, row)
    return saved, saved is row


async def add_address(
    ctx: Context, principal: Principal, customer_id: str, content: AddressContent
) -> tuple[CustomerAddress, bool]:
    async with resource.locked(ctx, principal, customer_id) as (session, row):
        saved, created = await save_address(session, row, content, ctx.clock())
        if created:
            row.updated_at = ctx.clock()
        return saved, created


async def remove_address(
    ctx: Context, principal: Principal, customer_id: str, address_id: str
) -> None:
    async with resource.locked(ctx, principal, customer_id) as (session, row):
        address = await store.address(session, row.pk, address_id)
        if address is None:
            raise NotFound(
                f"No such address on customer '{customer_id}': '{address_id}'.", param="address"
            )
        await store.delete_address(session, address)
        row.updated_at = ctx.clock()

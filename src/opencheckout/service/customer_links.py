"""Linking checkout sessions to customers.

A session is linked when it names a customer (``customer: "cus_…"``, or a
``customer.id`` that is one of the tenant's customers) or, naming none, when
its buyer email is a customer's. A linked session's ``customer.id`` is the
customer's id, fields the session leaves empty are filled from the customer,
and ``customer.addresses`` lists the saved addresses to choose from. On
completion the session's shipping address (its billing address when it has
none) is saved to the book, deduplicated.

The link is kept in the document under :data:`LINK_KEY` (not shown): a
merchant's own ``customer.id`` that is not a customer stays a plain reference.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.addresses import AddressContent
from opencheckout.domain.errors import DomainError, NotFound
from opencheckout.service import customers
from opencheckout.store import customers as store
from opencheckout.store.customers import LinkTarget
from opencheckout.store.db import Database, Reader
from opencheckout.store.tenant import Tenant

LINK_KEY = "linked_customer"


def _missing(customer_id: str) -> NotFound:
    return NotFound(f"No such customer: '{customer_id}'.", param="customer")


def _fill(customer: dict[str, Any], row: LinkTarget) -> None:
    """Fields the session has not set come from the customer."""
    customer["id"] = row.id
    if not customer.get("email"):
        customer["email"] = row.email
    if not customer.get("phone"):
        customer["phone"] = row.phone
    if row.name and not customer.get("first_name") and not customer.get("last_name"):
        first, _, last = row.name.partition(" ")
        customer["first_name"], customer["last_name"] = first, last or None


def _unlink(document: dict[str, Any]) -> None:
    document.pop(LINK_KEY, None)
    document["customer"]["addresses"] = []


async def link_new(
    db: Database,
    tenant: Tenant,
    document: dict[str, Any],
    *,
    required: bool,
    reader: Reader | None = None,
) -> None:
    """(Re)link ``document`` to its customer; ``required``: the named id must exist.

    Through the driver: the customer is looked up on its own (a session being created)
    or in the edit's transaction (``reader``); the address book is read only for a
    customer found."""
    customer = document["customer"]
    customer_id = customer.get("id") or None
    email = customer.get("email")
    row = await store.link_target(
        reader or db,
        tenant,
        customer_id=customer_id,
        email_lower=email.lower() if email and customer_id is None else None,
    )
    if row is None:
        if customer_id is not None and required:
            raise _missing(customer_id)
        _unlink(document)
        return
    _fill(customer, row)
    document[LINK_KEY] = row.id
    async with db.read() as session:
        book = await store.addresses_of(session, [row.pk])
    customer["addresses"] = [customers.address_resource(address) for address in book]


def shipping_address_of(customer: dict[str, Any]) -> dict[str, Any] | None:
    """Where the order ships: the shipping address, else the billing address."""
    address = customer.get("shipping_address") or customer.get("billing_address")
    return dict(address) if address else None


async def remember_address(
    session: AsyncSession, tenant: Tenant, document: dict[str, Any], now: datetime
) -> None:
    """On completion: save the shipping address to the linked customer's book."""
    customer_id = document.get(LINK_KEY)
    address = shipping_address_of(document["customer"])
    if not customer_id or address is None:
        return
    row = await store.customers.get(session, tenant, customer_id, for_update=True)
    if row is None:  # deleted since the session was linked
        return
    content = AddressContent.of(address)
    if content.is_empty():
        return
    try:
        await customers.save_address(session, row, content, now)
    except DomainError:
        # A full address book must not fail a payment that has been taken.
        return

"""Lookups the compatibility dialects need on top of the native use cases.

Quaderno identifies sessions by integer; opencheckout's integer is the
session's row number (``pk``), stable and increasing with creation.
"""

from __future__ import annotations

from opencheckout.domain.errors import NotFound
from opencheckout.domain.filters import CheckoutFilters
from opencheckout.domain.lifecycle import Status
from opencheckout.domain.session import CheckoutSession
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.tenancy import tenant_of
from opencheckout.store import checkouts as store


async def checkout_id_for_number(ctx: Context, principal: Principal, number: int) -> str:
    async with ctx.db.read() as session:
        checkout_id = await store.id_of_number(session, tenant_of(principal), number)
    if checkout_id is None:
        raise NotFound(f"No such checkout session: {number}.", param="id")
    return checkout_id


async def list_by_number(
    ctx: Context,
    principal: Principal,
    *,
    statuses: list[Status],
    created_before: int | None,
    limit: int,
) -> tuple[list[CheckoutSession], bool]:
    """Newest first, strictly older than session number ``created_before``."""
    async with ctx.db.read() as session:
        return await store.list_keyset(
            session,
            tenant_of(principal),
            CheckoutFilters(statuses=statuses),
            ctx.clock(),
            limit=limit,
            after_pk=created_before,
        )

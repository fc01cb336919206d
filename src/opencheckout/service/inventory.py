"""Stock: checked when a cart is built, taken when payment starts, given back
when it does not happen.

A session's lines are checked against the stock left on create and update
(422 ``insufficient_stock`` on ``line_items[N].quantity``), but nothing is
reserved then: many carts may hold the last unit. It is taken in the claim
transaction of ``complete`` (:func:`take`), one conditional UPDATE per SKU,
so with one unit left and many buyers paying at once exactly one gets it and
the others get 409 ``insufficient_stock`` (the claim is rolled back and their
sessions stay payable). What was taken is written on the session
(``stock_taken``) and put back (:func:`give_back`) when the payment is
declined, the processor fails or reconciliation finds no payment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.errors import Conflict, InvalidValue
from opencheckout.domain.inventory import first_shortfall, needed, shortfall_message
from opencheckout.store import products as store
from opencheckout.store.models import Checkout
from opencheckout.store.tenant import Tenant

TAKEN_KEY = "stock_taken"


def _lines(items: list[dict[str, Any]]) -> list[tuple[str, int]]:
    return [(item["product"], int(item["quantity"])) for item in items]


def check_lines(items: list[dict[str, Any]], stock: Mapping[str, int | None]) -> None:
    """Refuse a cart that asks for more than is left of a tracked SKU (422)."""
    short = first_shortfall(_lines(items), stock)
    if short is not None:
        raise InvalidValue(
            shortfall_message(short.sku, short.left),
            code="insufficient_stock",
            param=f"line_items[{short.index}].quantity",
        )


async def take(session: AsyncSession, tenant: Tenant, row: Checkout) -> None:
    """Take the cart's tracked SKUs in the caller's (claim) transaction, or raise 409."""
    wanted = needed(_lines(row.data["line_items"]))
    levels = await store.stock_levels(session, tenant, wanted)
    taken: dict[str, int] = {}
    # A fixed order, so two carts sharing SKUs never lock them in opposite orders.
    for sku in sorted(sku for sku in wanted if levels.get(sku) is not None):
        if not await store.take_stock(session, tenant, sku, wanted[sku]):
            left = (await store.stock_levels(session, tenant, [sku])).get(sku) or 0
            index = next(n for n, (s, _) in enumerate(_lines(row.data["line_items"])) if s == sku)
            raise Conflict(
                shortfall_message(sku, left),
                code="insufficient_stock",
                param=f"line_items[{index}].quantity",
            )
        taken[sku] = wanted[sku]
    if taken:
        row.data = {**row.data, TAKEN_KEY: taken}
        await session.flush()


async def give_back(session: AsyncSession, row: Checkout) -> None:
    """Put back what :func:`take` took for ``row`` (once: the record is cleared)."""
    taken = row.data.get(TAKEN_KEY)
    if not taken:
        return
    tenant = Tenant(row.account_id, row.livemode)
    for sku in sorted(taken):
        await store.give_stock(session, tenant, sku, int(taken[sku]))
    row.data = {key: value for key, value in row.data.items() if key != TAKEN_KEY}
    await session.flush()

"""Orders: created in the transaction that completes a session.

An order is what the buyer paid for, frozen: the lines, amounts and shipping
address as they were at payment. Afterwards only fulfillment events (append
only, they drive ``status``) and adjustments (refunds and other post-order
money movements) are added. The order of session ``cs_X`` is ``ord_X``, the
id the ACP surface has always shown (``service.acp_orders.order_id``), so the
ACP order and this one are the same object.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.errors import Conflict, InvalidValue
from opencheckout.domain.filters import OrderFilters
from opencheckout.domain.fulfillment import OrderStatus, status_of
from opencheckout.ids import new_id
from opencheckout.service import customer_links, events
from opencheckout.service.acp_orders import order_id
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor
from opencheckout.service.resources import TenantResource
from opencheckout.service.tenancy import tenant_of
from opencheckout.service.views import isoformat
from opencheckout.store import orders as store
from opencheckout.store.models import Checkout, Order
from opencheckout.store.tenant import Tenant

#: Bounds on what an order accumulates (each event is small; this keeps the row so).
MAX_FULFILLMENT_EVENTS = 100
MAX_ADJUSTMENTS = 100


@dataclass(frozen=True, slots=True)
class LineQuantity:
    id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class NewFulfillmentEvent:
    type: str
    line_items: Sequence[LineQuantity] = ()
    tracking_number: str | None = None
    tracking_url: str | None = None
    carrier: str | None = None
    description: str | None = None
    occurred_at: datetime | None = None


def order_resource(row: Order) -> dict[str, Any]:
    data = row.data
    return {
        "id": row.id,
        "object": "order",
        "checkout": row.checkout_id,
        "customer": row.customer_id,
        "email": data.get("email"),
        "status": row.status,
        "currency": row.currency,
        "line_items": data["line_items"],
        "amount_subtotal": data["amount_subtotal"],
        "amount_discount": data["amount_discount"],
        "amount_tax": data["amount_tax"],
        "amount_shipping": data["amount_shipping"],
        "amount_total": row.amount_total,
        "shipping_address": data.get("shipping_address"),
        "shipping_option": data.get("shipping_option"),
        "fulfillment_events": data.get("fulfillment_events", []),
        "adjustments": data.get("adjustments", []),
        "amount_refunded": amount_refunded(data.get("adjustments", [])),
        "livemode": row.livemode,
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
    }


#: Refund adjustments in these states count in ``amount_refunded``, as the
#: session counts its refunds (given back, or on their way).
COUNTED_REFUND_STATUSES = frozenset({"pending", "succeeded"})


def amount_refunded(adjustments: Sequence[dict[str, Any]]) -> int:
    """What the order's refunds give back: the session's ``amount_refunded``."""
    return sum(
        int(entry.get("amount") or 0)
        for entry in adjustments
        if entry.get("type") == "refund" and entry.get("status") in COUNTED_REFUND_STATUSES
    )


def _shipping_option(document: dict[str, Any]) -> dict[str, Any] | None:
    selected = document.get("selected_shipping_option")
    for option in document.get("shipping_options", []):
        if option.get("id") == selected:
            return dict(option)
    return None


async def _emit(session: AsyncSession, row: Order, type: str, now: datetime) -> None:
    await events.record(
        session,
        account_id=row.account_id,
        livemode=row.livemode,
        type=type,
        obj=order_resource(row),
        now=now,
    )


async def create_for(session: AsyncSession, checkout: Checkout, now: datetime) -> Order:
    """The order of a session that has just completed, with its ``order.created`` event."""
    document = checkout.data
    customer = document["customer"]
    row = Order(
        id=order_id(checkout.id),
        account_id=checkout.account_id,
        livemode=checkout.livemode,
        checkout_id=checkout.id,
        customer_id=document.get(customer_links.LINK_KEY) or customer.get("id"),
        status=OrderStatus.CONFIRMED.value,
        currency=checkout.currency,
        amount_total=checkout.amount_total,
        created_at=now,
        updated_at=now,
        data={
            "email": customer.get("email"),
            "line_items": document["line_items"],
            "amount_subtotal": checkout.amount_subtotal,
            "amount_discount": checkout.amount_discount,
            "amount_tax": checkout.amount_tax,
            "amount_shipping": checkout.amount_shipping,
            "shipping_address": customer_links.shipping_address_of(customer),
            "shipping_option": _shipping_option(document),
            "fulfillment_events": [],
            "adjustments": [],
        },
    )
    inserted = await store.insert_once(session, row)
    if inserted is None:  # a completion is recorded once; never two orders
        existing = await store.by_checkout(
            session, Tenant(checkout.account_id, checkout.livemode), checkout.id
        )
        assert existing is not None  # its order is what the insert ran into
        return existing
    await _emit(session, inserted, "order.created", now)
    return inserted


resource = TenantResource(store.orders, "order")


async def retrieve(ctx: Context, principal: Principal, order_id_: str) -> Order:
    return await resource.retrieve(ctx, principal, order_id_)


async def of_checkouts(
    ctx: Context, principal: Principal, checkout_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The orders (resources) of these sessions, by session id; sessions without one are absent."""
    if not checkout_ids:
        return {}
    async with ctx.db.read() as session:
        rows = await store.orders.find(
            session, tenant_of(principal), [Order.checkout_id.in_(list(checkout_ids))]
        )
    return {row.checkout_id: order_resource(row) for row in rows}


async def list_orders(
    ctx: Context, principal: Principal, cursor: Cursor, filters: OrderFilters
) -> tuple[list[Order], bool]:
    return await resource.list(ctx, principal, cursor, store.conditions(filters))


def _check_lines(row: Order, lines: Sequence[LineQuantity]) -> None:
    paid = {line["id"]: line["quantity"] for line in row.data["line_items"]}
    for n, line in enumerate(lines):
        if line.id not in paid:
            raise InvalidValue(
                f"This order has no line item '{line.id}'.", param=f"line_items[{n}].id"
            )
        if line.quantity > paid[line.id]:
            raise InvalidValue(
                f"Line item '{line.id}' has {paid[line.id]} units; {line.quantity} is more.",
                param=f"line_items[{n}].quantity",
            )


def _changed(row: Order, key: str, entry: dict[str, Any], limit: int, now: datetime) -> None:
    items = list(row.data.get(key, []))
    if len(items) >= limit:
        raise Conflict(f"This order already has {limit} {key}.", code="order_limit_reached")
    # A new document object, so the JSON column is seen as changed.
    data = {**row.data, key: [*items, entry]}
    quantities = {line["id"]: line["quantity"] for line in data["line_items"]}
    row.data = data
    row.status = status_of(quantities, data["fulfillment_events"]).value
    row.updated_at = now


async def add_fulfillment_event(
    ctx: Context, principal: Principal, order_id_: str, new: NewFulfillmentEvent
) -> Order:
    now = ctx.clock()
    async with resource.locked(ctx, principal, order_id_) as (session, row):
        if row.status == OrderStatus.CANCELED.value:
            raise Conflict("This order is canceled.", code="order_canceled")
        _check_lines(row, new.line_items)
        entry = {
            "id": new_id("fe"),
            "object": "fulfillment_event",
            "type": new.type,
            "occurred_at": isoformat(new.occurred_at or now),
            "line_items": [{"id": line.id, "quantity": line.quantity} for line in new.line_items],
            "tracking_number": new.tracking_number,
            "tracking_url": new.tracking_url,
            "carrier": new.carrier,
            "description": new.description,
            "created_at": isoformat(now),
        }
        _changed(row, "fulfillment_events", entry, MAX_FULFILLMENT_EVENTS, now)
        await session.flush()
        await _emit(session, row, "order.updated", now)
    return row


async def add_adjustment(
    session: AsyncSession,
    tenant: Tenant,
    checkout_id: str,
    adjustment: dict[str, Any],
    now: datetime,
) -> Order | None:
    """Append a post-order adjustment (e.g. a refund: ``{"id", "type": "refund",
    "status", "amount", "occurred_at", ...}``) to the session's order, in the
    caller's transaction, with an ``order.updated`` event. None if no order."""
    row = await store.by_checkout(session, tenant, checkout_id, for_update=True)
    if row is None:
        return None
    _changed(row, "adjustments", {"object": "adjustment", **adjustment}, MAX_ADJUSTMENTS, now)
    await session.flush()
    await _emit(session, row, "order.updated", now)
    return row


async def update_adjustment(
    session: AsyncSession,
    tenant: Tenant,
    checkout_id: str,
    adjustment_id: str,
    changes: dict[str, Any],
    now: datetime,
) -> Order | None:
    """Change one adjustment in place (a refund that settled), in the caller's
    transaction, with an ``order.updated`` event. None if there is no such one."""
    row = await store.by_checkout(session, tenant, checkout_id, for_update=True)
    if row is None:
        return None
    items = list(row.data.get("adjustments", []))
    for index, entry in enumerate(items):
        if entry.get("id") == adjustment_id:
            items[index] = {**entry, **changes}
            break
    else:
        return None
    row.data = {**row.data, "adjustments": items}
    row.updated_at = now
    await session.flush()
    await _emit(session, row, "order.updated", now)
    return row

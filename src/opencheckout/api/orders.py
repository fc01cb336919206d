"""``/v1/orders``: what completed sessions bought, and their fulfillment."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from opencheckout.api.auth import context, require_read, require_write
from opencheckout.api.idempotency import IdempotentRoute
from opencheckout.api.listing import cursor_params, error_responses, list_response, refuse_nul
from opencheckout.api.params import CreatedRange, created_range, json_response
from opencheckout.api.schemas.orders import FulfillmentEventIn, Order, OrderList, OrderStatus
from opencheckout.domain.filters import OrderFilters
from opencheckout.service import orders as service
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor

ERRORS = error_responses("order")

router = APIRouter(
    prefix="/v1/orders",
    tags=["orders"],
    route_class=IdempotentRoute,
    dependencies=[Depends(refuse_nul)],
)


@router.get("/{order_id}", response_model=Order, responses=ERRORS)
async def retrieve_order(
    order_id: str,
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    row = await service.retrieve(ctx, principal, order_id)
    return json_response(service.order_resource(row))


@router.get("", response_model=OrderList, responses=ERRORS)
async def list_orders(
    request: Request,
    checkout: str | None = Query(None, max_length=40, description="The session's id."),
    customer: str | None = Query(None, max_length=200, description="The customer's id."),
    status: OrderStatus | None = Query(None),
    created: CreatedRange = Depends(created_range),
    cursor: Cursor = Depends(cursor_params),
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    """Newest first, with cursor pagination."""
    filters = OrderFilters(
        checkout=checkout,
        customer=customer,
        status=status,
        created_gte=created.gte,
        created_gt=created.gt,
        created_lte=created.lte,
        created_lt=created.lt,
    )
    rows, has_more = await service.list_orders(ctx, principal, cursor, filters)
    return list_response(request, [service.order_resource(row) for row in rows], has_more)


@router.post(
    "/{order_id}/fulfillment_events", status_code=201, response_model=Order, responses=ERRORS
)
async def add_fulfillment_event(
    order_id: str,
    body: FulfillmentEventIn,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Append an event; the order's `status` follows (an `order.updated` event)."""
    new = service.NewFulfillmentEvent(
        type=body.type,
        line_items=[service.LineQuantity(line.id, line.quantity) for line in body.line_items],
        tracking_number=body.tracking_number,
        tracking_url=body.tracking_url,
        carrier=body.carrier,
        description=body.description,
        occurred_at=body.occurred_at,
    )
    row = await service.add_fulfillment_event(ctx, principal, order_id, new)
    return json_response(service.order_resource(row), 201)

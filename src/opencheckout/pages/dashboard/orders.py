"""Orders: the list (status filter, cursor pages) and an order with its fulfillment
events, where a shipment with tracking is added (the API's own validation)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from opencheckout.api.schemas.orders import FulfillmentEventIn
from opencheckout.domain.errors import Conflict, DomainError, NotFound
from opencheckout.domain.filters import OrderFilters
from opencheckout.domain.fulfillment import OrderStatus
from opencheckout.pages.dashboard import web
from opencheckout.pages.dashboard.web import View, _
from opencheckout.service import orders
from opencheckout.service.dashboard_users import SignedIn
from opencheckout.service.paging import Cursor

router = APIRouter(prefix=f"{web.PREFIX}/orders", include_in_schema=False)
PAGE_SIZE = 20
STATUSES = [status.value for status in OrderStatus]
EVENT_TYPES = (
    "shipped",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "processing",
    "failed_attempt",
    "returned_to_sender",
    "canceled",
)
DONE = {"added": _("The fulfillment event was added.")}


@router.get("", response_class=HTMLResponse)
async def order_list(request: Request) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    view = View(request, who)
    ctx = web.ctx_of(request)
    status = request.query_params.get("status", "")
    status = status if status in STATUSES else ""
    after = request.query_params.get("starting_after") or None
    before = None if after else (request.query_params.get("ending_before") or None)
    filters = OrderFilters(status=status or None)
    try:
        rows, has_more = await orders.list_orders(
            ctx, who.principal, Cursor(PAGE_SIZE, after, before), filters
        )
    except NotFound:
        rows, has_more = await orders.list_orders(ctx, who.principal, Cursor(PAGE_SIZE), filters)
        after = before = None
    return view.render(
        "dashboard/orders.html",
        orders=[orders.order_resource(row) for row in rows],
        selected=status,
        statuses=STATUSES,
        next_url=view.url("/orders", status=status, starting_after=rows[-1].id)
        if rows and (has_more or before)
        else None,
        prev_url=view.url("/orders", status=status, ending_before=rows[0].id)
        if rows and (after or (before and has_more))
        else None,
    )


async def _detail(
    request: Request, who: SignedIn, order_id: str, *, status: int = 200, error: str | None = None
) -> Response:
    view = View(request, who)
    try:
        row = await orders.retrieve(web.ctx_of(request), who.principal, order_id)
    except NotFound:
        return view.message(404, _("Not found"), _("There is no such page."))
    return view.render(
        "dashboard/order.html",
        status,
        o=orders.order_resource(row),
        event_types=EVENT_TYPES,
        error=error,
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/{order_id}", response_class=HTMLResponse)
async def order_detail(request: Request, order_id: str) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    return await _detail(request, who, order_id)


@router.post("/{order_id}/fulfillment_events", response_class=HTMLResponse)
async def add_event(request: Request, order_id: str) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    form = await web.read_form(request)
    if form is None or not web.csrf_ok(request, who, form):
        return web.forbidden(request, who)
    values = {
        name: web.field(form, name, 2048) or None
        for name in ("type", "tracking_number", "tracking_url", "carrier", "description")
    }
    try:
        body = FulfillmentEventIn.model_validate({k: v for k, v in values.items() if v})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "form"
        return await _detail(request, who, order_id, status=422, error=f"{where}: {first['msg']}")
    new = orders.NewFulfillmentEvent(
        type=body.type,
        tracking_number=body.tracking_number,
        tracking_url=body.tracking_url,
        carrier=body.carrier,
        description=body.description,
    )
    try:
        await orders.add_fulfillment_event(web.ctx_of(request), who.principal, order_id, new)
    except NotFound:
        return View(request, who).message(404, _("Not found"), _("There is no such page."))
    except DomainError as exc:
        status = 409 if isinstance(exc, Conflict) else 422
        return await _detail(
            request, who, order_id, status=status, error=View(request, who).error_text(exc)
        )
    return View(request, who).redirect(f"/orders/{order_id}", done="added")

"""``/v1/checkout_links``: reusable public links that make a session per buyer."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from opencheckout.api.auth import context, require_read, require_write
from opencheckout.api.idempotency import IdempotentRoute
from opencheckout.api.listing import cursor_params, error_responses, list_response, refuse_nul
from opencheckout.api.params import json_response
from opencheckout.api.schemas.checkout_links import (
    CheckoutLink,
    CheckoutLinkCreate,
    CheckoutLinkList,
    CheckoutLinkUpdate,
)
from opencheckout.service import checkout_links as service
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor

ERRORS = error_responses("checkout link")

router = APIRouter(
    prefix="/v1/checkout_links",
    tags=["checkout links"],
    route_class=IdempotentRoute,
    dependencies=[Depends(refuse_nul)],
)


@router.post("", status_code=201, response_model=CheckoutLink, responses=ERRORS)
async def create_checkout_link(
    body: CheckoutLinkCreate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Create a link; share its `url`. Its line items and settings are checked as a
    session create would check them (422 on the same `param`)."""
    row = await service.create(ctx, principal, body.model_dump())
    return json_response(service.rendered(ctx, row, 0), 201)


@router.get("/{checkout_link_id}", response_model=CheckoutLink, responses=ERRORS)
async def retrieve_checkout_link(
    checkout_link_id: str,
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    row = await service.retrieve(ctx, principal, checkout_link_id)
    return json_response(service.rendered(ctx, row, await service.sessions_created(ctx, row)))


@router.patch("/{checkout_link_id}", response_model=CheckoutLink, responses=ERRORS)
async def update_checkout_link(
    checkout_link_id: str,
    body: CheckoutLinkUpdate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Change what the next sessions get, `active`, `expires_at` or `max_completions`
    (null clears the last two); sessions already made keep theirs."""
    changes = body.model_dump(exclude_unset=True)
    row = await service.update(ctx, principal, checkout_link_id, changes)
    return json_response(service.rendered(ctx, row, await service.sessions_created(ctx, row)))


@router.get("", response_model=CheckoutLinkList, responses=ERRORS)
async def list_checkout_links(
    request: Request,
    active: bool | None = Query(None),
    cursor: Cursor = Depends(cursor_params),
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    """Newest first, with cursor pagination."""
    rows, counts, has_more = await service.list_links(ctx, principal, cursor, active=active)
    data = [service.rendered(ctx, row, counts.get(row.id, 0)) for row in rows]
    return list_response(request, data, has_more)

"""``/v1/events``: what happened, kept 30 days, and redelivery."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from opencheckout.api.auth import context, require_read, require_write
from opencheckout.api.idempotency import IdempotentRoute
from opencheckout.api.listing import cursor_params, error_responses, list_response, refuse_nul
from opencheckout.api.params import CreatedRange, created_range, json_response
from opencheckout.api.schemas.webhooks import Event, EventList, Redeliver, RedeliveryResult
from opencheckout.service import events as service
from opencheckout.service import webhooks
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor

ERRORS = error_responses("event")

router = APIRouter(
    prefix="/v1/events",
    tags=["events"],
    route_class=IdempotentRoute,
    dependencies=[Depends(refuse_nul)],
)


@router.get("", response_model=EventList, responses=ERRORS)
async def list_events(
    request: Request,
    type: list[str] | None = Query(None, description="Repeatable; `checkout.*` matches a family."),
    types: list[str] | None = Query(None, alias="types[]"),
    created: CreatedRange = Depends(created_range),
    cursor: Cursor = Depends(cursor_params),
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    rows, has_more = await service.list_events(
        ctx,
        principal,
        types=(type or []) + (types or []),
        created=(created.gte, created.gt, created.lte, created.lt),
        cursor=cursor,
    )
    return list_response(request, [service.event_resource(row) for row in rows], has_more)


@router.get("/{event_id}", response_model=Event, responses=ERRORS)
async def retrieve_event(
    event_id: str,
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    event = await service.retrieve_event(ctx, principal, event_id)
    return json_response(service.event_resource(event))


@router.post(
    "/{event_id}/redeliver", status_code=202, response_model=RedeliveryResult, responses=ERRORS
)
async def redeliver_event(
    event_id: str,
    body: Redeliver | None = None,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Queue the event again for its subscribed endpoints (or just `endpoint`)."""
    queued = await webhooks.redeliver(
        ctx, principal, event_id, endpoint_id=body.endpoint if body else None
    )
    return json_response({"object": "event_redelivery", "event": event_id, "queued": queued}, 202)

"""``/v1/webhook_endpoints``: where events are delivered, and how it went."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Depends, Request, Response

from opencheckout.api.auth import context, require_read, require_write
from opencheckout.api.idempotency import IdempotentRoute
from opencheckout.api.listing import cursor_params, error_responses, list_response, refuse_nul
from opencheckout.api.params import json_response
from opencheckout.api.schemas.webhooks import (
    RotateSecret,
    WebhookDeliveryList,
    WebhookEndpoint,
    WebhookEndpointCreate,
    WebhookEndpointList,
    WebhookEndpointUpdate,
)
from opencheckout.service import webhooks as service
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor

ERRORS = error_responses("webhook endpoint")

router = APIRouter(
    prefix="/v1/webhook_endpoints",
    tags=["webhook endpoints"],
    route_class=IdempotentRoute,
    dependencies=[Depends(refuse_nul)],
)


@router.post("", status_code=201, response_model=WebhookEndpoint, responses=ERRORS)
async def create_endpoint(
    body: WebhookEndpointCreate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Register an endpoint. The signing `secret` is shown only in this response."""
    endpoint = await service.create_endpoint(ctx, principal, body.model_dump())
    return json_response(service.endpoint_resource(endpoint, with_secret=True), 201)


@router.get("", response_model=WebhookEndpointList, responses=ERRORS)
async def list_endpoints(
    request: Request,
    cursor: Cursor = Depends(cursor_params),
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    page = await service.list_endpoints(ctx, principal, cursor)
    return list_response(request, [service.endpoint_resource(e) for e in page.rows], page.has_more)


@router.get("/{endpoint_id}", response_model=WebhookEndpoint, responses=ERRORS)
async def retrieve_endpoint(
    endpoint_id: str,
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    endpoint = await service.retrieve_endpoint(ctx, principal, endpoint_id)
    return json_response(service.endpoint_resource(endpoint))


@router.patch("/{endpoint_id}", response_model=WebhookEndpoint, responses=ERRORS)
async def update_endpoint(
    endpoint_id: str,
    body: WebhookEndpointUpdate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Change the URL, events, description or metadata; `status` enables or disables it."""
    endpoint = await service.update_endpoint(
        ctx, principal, endpoint_id, body.model_dump(exclude_unset=True)
    )
    return json_response(service.endpoint_resource(endpoint))


@router.delete("/{endpoint_id}", status_code=204, responses=ERRORS)
async def delete_endpoint(
    endpoint_id: str,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    await service.delete_endpoint(ctx, principal, endpoint_id)
    return Response(status_code=204)


@router.post("/{endpoint_id}/rotate_secret", response_model=WebhookEndpoint, responses=ERRORS)
async def rotate_secret(
    endpoint_id: str,
    body: RotateSecret | None = None,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """A new signing secret; the old one keeps signing alongside it for 24 hours
    (or `expires_in_seconds`), so receivers can switch without missing events."""
    overlap = timedelta(seconds=(body or RotateSecret()).expires_in_seconds)
    endpoint = await service.rotate_secret(ctx, principal, endpoint_id, overlap=overlap)
    return json_response(service.endpoint_resource(endpoint, with_secret=True))


@router.get("/{endpoint_id}/deliveries", response_model=WebhookDeliveryList, responses=ERRORS)
async def list_deliveries(
    request: Request,
    endpoint_id: str,
    cursor: Cursor = Depends(cursor_params),
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    """Every delivery attempt to this endpoint, newest first: status code, latency, error."""
    page = await service.list_attempts(ctx, principal, endpoint_id, cursor)
    return list_response(request, [service.attempt_resource(a) for a in page.rows], page.has_more)

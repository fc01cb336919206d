"""Refunds: ``/v1/checkouts/{id}/refunds`` and ``/v1/refunds``."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from opencheckout.api.auth import context, require_read, require_write
from opencheckout.api.errors import ErrorResponse
from opencheckout.api.idempotency import IdempotentRoute
from opencheckout.api.listing import cursor_params, error_responses, list_response, refuse_nul
from opencheckout.api.params import json_response
from opencheckout.api.schemas.refunds import Refund, RefundCreate, RefundList, RefundStatus
from opencheckout.domain.filters import RefundFilters
from opencheckout.service import refunds as service
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor

ERRORS = {
    **error_responses("refund"),
    502: {"model": ErrorResponse, "description": "The processor could not be reached."},
}

router = APIRouter(
    tags=["refunds"], route_class=IdempotentRoute, dependencies=[Depends(refuse_nul)]
)


@router.post(
    "/v1/checkouts/{checkout_id}/refunds", status_code=201, response_model=Refund, responses=ERRORS
)
async def create_refund(
    checkout_id: str,
    body: RefundCreate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Give back `amount` (default: all that remains) of a completed session's payment.
    409 `checkout_not_refundable` unless the session is completed and paid; 422
    `refund_amount_invalid` for more than remains. Send an `Idempotency-Key` to retry safely."""
    params = service.RefundParams(amount=body.amount, reason=body.reason, metadata=body.metadata)
    row = await service.create(ctx, principal, checkout_id, params)
    return json_response(service.refund_resource(row), 201)


@router.get("/v1/checkouts/{checkout_id}/refunds", response_model=RefundList, responses=ERRORS)
async def list_checkout_refunds(
    request: Request,
    checkout_id: str,
    status: RefundStatus | None = Query(None),
    cursor: Cursor = Depends(cursor_params),
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    """The session's refunds, newest first."""
    filters = RefundFilters(checkout_id=checkout_id, status=status)
    rows, has_more = await service.list_refunds(ctx, principal, cursor, filters)
    return list_response(request, [service.refund_resource(row) for row in rows], has_more)


@router.get("/v1/refunds/{refund_id}", response_model=Refund, responses=ERRORS)
async def retrieve_refund(
    refund_id: str,
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    row = await service.retrieve(ctx, principal, refund_id)
    return json_response(service.refund_resource(row))


@router.get("/v1/refunds", response_model=RefundList, responses=ERRORS)
async def list_refunds(
    request: Request,
    checkout: str | None = Query(None, description="Only this checkout's refunds."),
    status: RefundStatus | None = Query(None),
    cursor: Cursor = Depends(cursor_params),
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    """Every refund, newest first, with cursor pagination."""
    filters = RefundFilters(checkout_id=checkout, status=status)
    rows, has_more = await service.list_refunds(ctx, principal, cursor, filters)
    return list_response(request, [service.refund_resource(row) for row in rows], has_more)

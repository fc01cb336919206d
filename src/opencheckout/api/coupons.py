"""``/v1/coupons``: discounts merchants apply by id and buyers by code."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from opencheckout.api.auth import context, require_read, require_write
from opencheckout.api.idempotency import IdempotentRoute
from opencheckout.api.listing import cursor_params, error_responses, list_response, refuse_nul
from opencheckout.api.params import json_response
from opencheckout.api.schemas.coupons import Coupon, CouponCreate, CouponList, CouponUpdate
from opencheckout.service import coupons as service
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor

ERRORS = error_responses("coupon")

router = APIRouter(
    prefix="/v1/coupons",
    tags=["coupons"],
    route_class=IdempotentRoute,
    dependencies=[Depends(refuse_nul)],
)


@router.post("", status_code=201, response_model=Coupon, responses=ERRORS)
async def create_coupon(
    body: CouponCreate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Create a coupon: `percent_off`, or `amount_off` with `currency`; optionally a
    `code` buyers can type (409 `coupon_code_exists` if another coupon has it)."""
    row = await service.create(ctx, principal, body.model_dump())
    return json_response(service.coupon_resource(row, ctx.clock()), 201)


@router.get("/{coupon_id}", response_model=Coupon, responses=ERRORS)
async def retrieve_coupon(
    coupon_id: str,
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    row = await service.retrieve(ctx, principal, coupon_id)
    return json_response(service.coupon_resource(row, ctx.clock()))


@router.patch("/{coupon_id}", response_model=Coupon, responses=ERRORS)
async def update_coupon(
    coupon_id: str,
    body: CouponUpdate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Change `name`, `metadata` or `active`; the discount itself never changes."""
    row = await service.update(ctx, principal, coupon_id, body.model_dump(exclude_unset=True))
    return json_response(service.coupon_resource(row, ctx.clock()))


@router.delete("/{coupon_id}", status_code=204, responses=ERRORS)
async def delete_coupon(
    coupon_id: str,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Delete for good; open sessions that applied it can no longer be paid with it."""
    await service.delete(ctx, principal, coupon_id)
    return Response(status_code=204)


@router.get("", response_model=CouponList, responses=ERRORS)
async def list_coupons(
    request: Request,
    active: bool | None = Query(None),
    cursor: Cursor = Depends(cursor_params),
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    """Newest first, with cursor pagination."""
    rows, has_more = await service.list_coupons(ctx, principal, cursor, active=active)
    now = ctx.clock()
    return list_response(request, [service.coupon_resource(row, now) for row in rows], has_more)

"""``/v1/tax_rates``: the rates products, line items and sessions refer to by id."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from opencheckout.api.auth import context, require_read, require_write
from opencheckout.api.idempotency import IdempotentRoute
from opencheckout.api.listing import cursor_params, error_responses, list_response, refuse_nul
from opencheckout.api.params import json_response
from opencheckout.api.schemas.tax_rates import TaxRate, TaxRateCreate, TaxRateList, TaxRateUpdate
from opencheckout.service import tax_rates as service
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor

ERRORS = error_responses("tax rate")

router = APIRouter(
    prefix="/v1/tax_rates",
    tags=["tax rates"],
    route_class=IdempotentRoute,
    dependencies=[Depends(refuse_nul)],
)


@router.post("", status_code=201, response_model=TaxRate, responses=ERRORS)
async def create_tax_rate(
    body: TaxRateCreate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Create a rate. `percentage` and `inclusive` are fixed from then on."""
    row = await service.create(ctx, principal, body.model_dump())
    return json_response(service.tax_rate_resource(row), 201)


@router.get("/{tax_rate_id}", response_model=TaxRate, responses=ERRORS)
async def retrieve_tax_rate(
    tax_rate_id: str,
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    row = await service.retrieve(ctx, principal, tax_rate_id)
    return json_response(service.tax_rate_resource(row))


@router.patch("/{tax_rate_id}", response_model=TaxRate, responses=ERRORS)
async def update_tax_rate(
    tax_rate_id: str,
    body: TaxRateUpdate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Rename, re-scope or (de)activate a rate; an inactive rate cannot be newly applied."""
    row = await service.update(ctx, principal, tax_rate_id, body.model_dump(exclude_unset=True))
    return json_response(service.tax_rate_resource(row))


@router.get("", response_model=TaxRateList, responses=ERRORS)
async def list_tax_rates(
    request: Request,
    active: bool | None = Query(None),
    inclusive: bool | None = Query(None),
    cursor: Cursor = Depends(cursor_params),
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    """Newest first, with cursor pagination."""
    rows, has_more = await service.list_tax_rates(
        ctx, principal, cursor, active=active, inclusive=inclusive
    )
    return list_response(request, [service.tax_rate_resource(row) for row in rows], has_more)

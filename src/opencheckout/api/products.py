"""``/v1/products``: the catalog line items can take their defaults from, by SKU."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from opencheckout.api.auth import context, require_read, require_write
from opencheckout.api.idempotency import IdempotentRoute
from opencheckout.api.listing import cursor_params, error_responses, list_response, refuse_nul
from opencheckout.api.params import json_response
from opencheckout.api.schemas.products import (
    Product,
    ProductCreate,
    ProductList,
    ProductUpdate,
    StockChange,
)
from opencheckout.service import products as service
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor

ERRORS = error_responses("product")

router = APIRouter(
    prefix="/v1/products",
    tags=["products"],
    route_class=IdempotentRoute,
    dependencies=[Depends(refuse_nul)],
)


@router.post("", status_code=201, response_model=Product, responses=ERRORS)
async def create_product(
    body: ProductCreate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Add a SKU to the catalog (409 `product_exists` if it is already there)."""
    row = await service.create(ctx, principal, body.model_dump())
    return json_response(service.product_resource(row), 201)


@router.get("/{product_id}", response_model=Product, responses=ERRORS)
async def retrieve_product(
    product_id: str,
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    row = await service.retrieve(ctx, principal, product_id)
    return json_response(service.product_resource(row))


@router.patch("/{product_id}", response_model=Product, responses=ERRORS)
async def update_product(
    product_id: str,
    body: ProductUpdate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Change the catalog entry; sessions already created keep their line items."""
    row = await service.update(ctx, principal, product_id, body.model_dump(exclude_unset=True))
    return json_response(service.product_resource(row))


@router.post("/{product_id}/archive", response_model=Product, responses=ERRORS)
async def archive_product(
    product_id: str,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Stop selling the SKU from the catalog (`PATCH {"active": true}` brings it back)."""
    row = await service.archive(ctx, principal, product_id)
    return json_response(service.product_resource(row))


@router.post("/{product_id}/stock", response_model=Product, responses=ERRORS)
async def change_stock(
    product_id: str,
    body: StockChange,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """`{"adjust": ±N}` or `{"set": N}`; a `product.updated` event records the change."""
    row = await service.change_stock(
        ctx, principal, product_id, adjust=body.adjust, set_to=body.set
    )
    return json_response(service.product_resource(row))


@router.get("", response_model=ProductList, responses=ERRORS)
async def list_products(
    request: Request,
    active: bool | None = Query(None),
    cursor: Cursor = Depends(cursor_params),
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    """Newest first, with cursor pagination (cursors are SKUs)."""
    rows, has_more = await service.list_products(ctx, principal, cursor, active=active)
    return list_response(request, [service.product_resource(row) for row in rows], has_more)

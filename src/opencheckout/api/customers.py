"""``/v1/customers``: returning buyers and their address books."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, Response

from opencheckout.api.auth import context, require_read, require_write
from opencheckout.api.idempotency import IdempotentRoute
from opencheckout.api.listing import cursor_params, error_responses, list_response, refuse_nul
from opencheckout.api.params import json_response
from opencheckout.api.schemas.customers import (
    Address,
    AddressIn,
    Customer,
    CustomerCreate,
    CustomerList,
    CustomerUpdate,
)
from opencheckout.domain.addresses import AddressContent
from opencheckout.service import customers as service
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor

ERRORS = error_responses("customer")

router = APIRouter(
    prefix="/v1/customers",
    tags=["customers"],
    route_class=IdempotentRoute,
    dependencies=[Depends(refuse_nul)],
)


def _content(body: AddressIn) -> AddressContent:
    return AddressContent.of(body.model_dump())


@router.post("", status_code=201, response_model=Customer, responses=ERRORS)
async def create_customer(
    body: CustomerCreate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Create a customer; `addresses` equal in content are saved once."""
    new = service.NewCustomer(
        email=body.email,
        name=body.name,
        phone=body.phone,
        metadata=body.metadata,
        addresses=[_content(address) for address in body.addresses],
    )
    view = await service.create(ctx, principal, new)
    return json_response(service.customer_resource(view), 201)


@router.get("/{customer_id}", response_model=Customer, responses=ERRORS)
async def retrieve_customer(
    customer_id: str,
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    view = await service.retrieve(ctx, principal, customer_id)
    return json_response(service.customer_resource(view))


@router.patch("/{customer_id}", response_model=Customer, responses=ERRORS)
async def update_customer(
    customer_id: str,
    body: CustomerUpdate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Fields sent replace the stored ones (null clears); `metadata` merges."""
    changes = body.model_dump(exclude_unset=True)
    view = await service.update(ctx, principal, customer_id, changes)
    return json_response(service.customer_resource(view))


@router.delete("/{customer_id}", status_code=204, responses=ERRORS)
async def delete_customer(
    customer_id: str,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Delete the customer and its address book; orders keep the customer id."""
    await service.delete(ctx, principal, customer_id)
    return Response(status_code=204)


@router.get("", response_model=CustomerList, responses=ERRORS)
async def list_customers(
    request: Request,
    email: str | None = Query(None, max_length=320, description="Exact, in any case."),
    cursor: Cursor = Depends(cursor_params),
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    """Newest first, with cursor pagination."""
    views, has_more = await service.list_customers(ctx, principal, cursor, email=email)
    return list_response(request, [service.customer_resource(view) for view in views], has_more)


@router.post(
    "/{customer_id}/addresses",
    status_code=201,
    response_model=Address,
    responses={**ERRORS, 200: {"model": Address, "description": "Already saved."}},
)
async def add_address(
    customer_id: str,
    body: AddressIn,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Save an address; one equal in content to a saved one returns the saved one (200)."""
    row, created = await service.add_address(ctx, principal, customer_id, _content(body))
    return json_response(service.address_resource(row), 201 if created else 200)


@router.delete("/{customer_id}/addresses/{address_id}", status_code=204, responses=ERRORS)
async def delete_address(
    customer_id: str,
    address_id: str,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    await service.remove_address(ctx, principal, customer_id, address_id)
    return Response(status_code=204)

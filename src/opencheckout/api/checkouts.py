"""``/v1/checkouts``: the native checkout sessions API."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request, Response

from opencheckout.api.auth import context, require_read, require_write
from opencheckout.api.errors import ErrorResponse
from opencheckout.api.idempotency import IdempotentRoute
from opencheckout.api.listing import error_responses, refuse_nul
from opencheckout.api.params import CreatedRange, created_range, json_response
from opencheckout.api.schemas.checkouts import (
    ApplyCode,
    Checkout,
    CheckoutComplete,
    CheckoutCreate,
    CheckoutList,
    CheckoutUpdate,
    LineItemList,
)
from opencheckout.api.schemas.checkouts import Status as StatusLiteral
from opencheckout.domain.errors import InvalidValue
from opencheckout.domain.filters import CheckoutFilters
from opencheckout.domain.lifecycle import PaymentStatus, Status
from opencheckout.service import checkouts as service
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.tenancy import tenant_of
from opencheckout.service.views import resource_of

ERRORS = error_responses("checkout")

router = APIRouter(
    prefix="/v1/checkouts",
    tags=["checkouts"],
    route_class=IdempotentRoute,
    dependencies=[Depends(refuse_nul)],
)


@router.post("", status_code=201, response_model=Checkout, responses=ERRORS)
async def create_checkout(
    body: CheckoutCreate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Create a checkout session. Send an `Idempotency-Key` header to retry safely."""
    params = body.model_dump(exclude_unset=False)
    # Asked for: refused where PayPal is unavailable; defaulted: PayPal left out there.
    params["payment_methods_explicit"] = "payment_methods" in body.model_fields_set
    _row, resource = await service.create_with_resource(ctx, principal, params)
    return json_response(resource, 201)


@router.get("/{checkout_id}", response_model=Checkout, responses=ERRORS)
async def retrieve_checkout(
    checkout_id: str,
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    row = await service.retrieve(ctx, principal, checkout_id)
    return json_response(resource_of(ctx, row))


@router.patch("/{checkout_id}", response_model=Checkout, responses=ERRORS)
async def update_checkout(
    checkout_id: str,
    body: CheckoutUpdate,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Update a pending or failed session; only the fields sent change."""
    row = await service.update(ctx, principal, checkout_id, body.model_dump(exclude_unset=True))
    return json_response(resource_of(ctx, row))


@router.delete("/{checkout_id}", status_code=204, responses=ERRORS)
async def delete_checkout(
    checkout_id: str,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Permanently delete a pending session."""
    await service.delete(ctx, principal, checkout_id)
    return Response(status_code=204)


@router.post("/{checkout_id}/cancel", response_model=Checkout, responses=ERRORS)
async def cancel_checkout(
    checkout_id: str,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Abandon a pending or failed session now."""
    row = await service.cancel(ctx, principal, checkout_id)
    return json_response(resource_of(ctx, row))


@router.post(
    "/{checkout_id}/complete",
    response_model=Checkout,
    responses={**ERRORS, 402: {"model": ErrorResponse, "description": "Payment declined."}},
)
async def complete_checkout(
    checkout_id: str,
    body: CheckoutComplete,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Pay for the session. In test mode card 4242 4242 4242 4242 succeeds and
    4000 0000 0000 0002 is declined (the session becomes `failed` and may be retried).
    Send `expected_amount` (the total shown) to be refused with 409 `amount_changed`
    rather than charged a different amount; a total of 0 completes without `payment`."""
    details: dict[str, Any] = {}
    method = None
    if body.payment is not None:
        method = body.payment.method
        details = body.payment.model_dump(exclude={"method"}, exclude_none=True)
        if method == "card" and "card_number" not in details:
            raise InvalidValue(
                "A card payment needs payment.card_number.",
                code="parameter_missing",
                param="payment.card_number",
            )
    payment = service.PaymentParams(
        method=method, details=details, expected_amount=body.expected_amount
    )
    row = await service.complete(ctx, principal, checkout_id, payment)
    return json_response(resource_of(ctx, row))


@router.post("/{checkout_id}/recover", status_code=201, response_model=Checkout, responses=ERRORS)
async def recover_checkout(
    checkout_id: str,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Open a new pending session from an abandoned one (`recovered_from` links them)."""
    row = await service.recover(ctx, principal, checkout_id)
    return json_response(resource_of(ctx, row), 201)


@router.post("/{checkout_id}/discounts", response_model=Checkout, responses=ERRORS)
async def apply_discount_code(
    checkout_id: str,
    body: ApplyCode,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Apply a promotion code for the buyer, as the hosted page does. Needs
    `coupon_collection: true` (else 409 `coupon_collection_disabled`); a new code
    replaces the buyer's previous one. The merchant sets `discounts` with PATCH."""
    row = await service.apply_code(ctx, tenant_of(principal), checkout_id, body.code)
    return json_response(resource_of(ctx, row))


@router.delete("/{checkout_id}/discounts/{coupon_id}", response_model=Checkout, responses=ERRORS)
async def remove_discount(
    checkout_id: str,
    coupon_id: str,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Take a discount off for the buyer (needs `coupon_collection: true`)."""
    row = await service.remove_discount(ctx, tenant_of(principal), checkout_id, coupon_id)
    return json_response(resource_of(ctx, row))


@router.get("/{checkout_id}/line_items", response_model=LineItemList, responses=ERRORS)
async def list_line_items(
    request: Request,
    checkout_id: str,
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    row = await service.retrieve(ctx, principal, checkout_id)
    return json_response(
        {
            "object": "list",
            "url": request.url.path,
            "data": row.data["line_items"],
            "has_more": False,
        }
    )


def _processor_id(processor_id: str | None, payment_intent_id: str | None) -> str | None:
    if processor_id and payment_intent_id and processor_id != payment_intent_id:
        raise InvalidValue(
            "payment_intent_id is another name for processor_id; give one, or the same value.",
            param="payment_intent_id",
        )
    return processor_id or payment_intent_id


@router.get("", response_model=CheckoutList, responses=ERRORS)
async def list_checkouts(
    request: Request,
    status: list[StatusLiteral] | None = Query(None, description="Repeatable."),
    status_array: list[StatusLiteral] | None = Query(None, alias="status[]"),
    customer: str | None = Query(None, description="The merchant's customer.id."),
    email: str | None = Query(None),
    ids: list[str] | None = Query(None, alias="ids[]", max_length=100),
    product: str | None = Query(None, description="Any line item's SKU."),
    payment_status: PaymentStatus | None = Query(None),
    client_reference_id: str | None = Query(None),
    processor_id: str | None = Query(None),
    payment_intent_id: str | None = Query(
        None, description="The processor's payment id: an alias of `processor_id`."
    ),
    customer_ids: list[str] | None = Query(None, alias="customer_ids[]", max_length=100),
    product_ids: list[str] | None = Query(None, alias="product_ids[]", max_length=100),
    group_keys: list[str] | None = Query(None, alias="group_keys[]", max_length=100),
    checkout_link: str | None = Query(None, description="The link (`cl_…`) that made them."),
    created: CreatedRange = Depends(created_range),
    limit: int = Query(20, ge=1, le=100),
    starting_after: str | None = Query(None, description="Cursor: a checkout id."),
    ending_before: str | None = Query(None, description="Cursor: a checkout id."),
    page: int | None = Query(None, ge=1, le=100_000, description="Page number pagination."),
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    """List sessions, newest first. Cursor pagination by default; `page=N` switches
    to numbered pages with `total_count` and `links`."""
    _check_paging(starting_after, ending_before, page)
    filters = CheckoutFilters(
        statuses=[Status(s) for s in (status or []) + (status_array or [])],
        customer=customer,
        email=email.lower() if email else None,
        ids=ids or [],
        product=product,
        payment_status=payment_status.value if payment_status else None,
        client_reference_id=client_reference_id,
        processor_id=_processor_id(processor_id, payment_intent_id),
        customers=customer_ids or [],
        products=product_ids or [],
        group_keys=group_keys or [],
        checkout_link=checkout_link,
        created_gte=created.gte,
        created_gt=created.gt,
        created_lte=created.lte,
        created_lt=created.lt,
    )
    result = await service.list_checkouts(
        ctx,
        principal,
        filters,
        limit=limit,
        starting_after=starting_after,
        ending_before=ending_before,
        page=page,
    )
    return json_response(_list_body(ctx, request, result, page=page, limit=limit))


def _list_body(
    ctx: Context, request: Request, result: service.Page, *, page: int | None, limit: int
) -> dict[str, Any]:
    """The list object; with `page=N`, also the page, the count and links to its neighbours."""
    body: dict[str, Any] = {
        "object": "list",
        "url": request.url.path,
        "data": [resource_of(ctx, row) for row in result.rows],
        "has_more": result.has_more,
    }
    if page is not None and result.total_count is not None:
        body.update(_numbered_page(request, page, limit, result.total_count))
    return body


def _check_paging(starting_after: str | None, ending_before: str | None, page: int | None) -> None:
    """One way of paging per request: a cursor one way, or a page number."""
    if starting_after and ending_before:
        raise InvalidValue(
            "Use either starting_after or ending_before, not both.", param="ending_before"
        )
    if page is not None and (starting_after or ending_before):
        raise InvalidValue("Cursor parameters cannot be combined with page.", param="page")


def _numbered_page(request: Request, page: int, limit: int, total_count: int) -> dict[str, Any]:
    """What `page=N` adds to the list."""
    last = max(1, -(-total_count // limit))

    def link(number: int) -> str:
        return str(request.url.include_query_params(page=number, limit=limit))

    return {
        "page": page,
        "limit": limit,
        "total_count": total_count,
        "links": {
            "self": link(page),
            "first": link(1),
            "prev": link(page - 1) if page > 1 else None,
            "next": link(page + 1) if page < last else None,
            "last": link(last),
        },
    }

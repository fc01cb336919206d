"""Quaderno's Checkout Sessions API, mounted at ``/api``.

Shapes follow Quaderno's documentation: integer ``id``, ``items`` with decimal
``amount`` in major units and an upper-case ``currency`` per item, a flat
``customer``. Requests are translated into the native shape and validated by
the native schemas, so both dialects share every rule; a session created in
one is readable and editable in the other with the same totals.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any, Literal

import orjson
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import Field, ValidationError

from opencheckout.api.auth import context, require_read, require_write
from opencheckout.api.errors import (
    APIError,
    domain_error_response,
    validation_error_response,
)
from opencheckout.api.idempotency import IdempotentRoute
from opencheckout.api.listing import error_responses
from opencheckout.api.schemas.checkouts import CheckoutCreate, CheckoutUpdate
from opencheckout.api.schemas.common import Model
from opencheckout.domain.currency import EXPONENTS, to_minor
from opencheckout.domain.errors import DomainError, InvalidValue, NotFound
from opencheckout.domain.inputs import INT64_MAX, bounded_decimal, int64_id
from opencheckout.domain.lifecycle import Status
from opencheckout.service import checkouts, compat, quaderno
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.views import resource_of

#: Every route can refuse a request with the standard error body; documented so
#: that clients (and the schema fuzzer) know these statuses are part of the API.
ERRORS = error_responses("session")

router = APIRouter(
    prefix="/api",
    tags=["quaderno compatibility"],
    route_class=IdempotentRoute,
    responses=ERRORS,
)

DEFAULT_LIMIT = 25
#: Quaderno fields that describe the session rather than set it; ignored on input.
READ_ONLY = frozenset({"id", "status", "permalink", "processor", "processor_id", "created_at"})
#: Flat Quaderno customer field -> native billing address field.
ADDRESS_FIELDS = {
    "billing_street_line_1": "line1",
    "billing_street_line_2": "line2",
    "billing_city": "city",
    "billing_postal_code": "postal_code",
    "billing_country": "country",
    "billing_state": "state",
}
CUSTOMER_FIELDS = ("email", "first_name", "last_name", "company", "tax_id", "business_number")
SESSION_FIELDS = (
    "billing_details_collection",
    "cancel_url",
    "success_url",
    "coupon_collection",
    "custom",
    "locale",
    "metadata",
    "payment_methods",
)


class QuadernoItem(Model):
    product: str
    """The merchant's SKU."""
    amount: float
    """Price of one unit in major units (e.g. 12.5 euros), as Quaderno gives it."""
    name: str | None
    """The name shown to the buyer, or null."""
    description: str | None
    """The text shown under the name, or null."""
    currency: str
    """ISO 4217 currency code (uppercase, as Quaderno writes it)."""
    quantity: int
    """How many units."""


class QuadernoSession(Model):
    """The session as Quaderno shows it (for the OpenAPI document)."""

    id: int
    """The session's number (an integer, as Quaderno numbers sessions)."""
    status: str
    """`pending`, `processing`, `completed`, `failed` or `abandoned`."""
    billing_details_collection: str
    """`required` or `auto`, as for a native session."""
    cancel_url: str | None
    """Where the buyer goes on "back to the shop", or null."""
    success_url: str | None
    """Where the buyer goes after paying, or null."""
    coupon_collection: bool
    """Whether the hosted page offers a promotion code field."""
    locale: str
    """The hosted page's language; `auto` follows the buyer's browser."""
    payment_methods: list[str]
    """The payment methods the buyer may use."""
    custom: dict[str, Any]
    """Your free-form JSON object, as sent."""
    metadata: dict[str, str]
    """Your key-value pairs, as sent."""
    items: list[QuadernoItem]
    """What the buyer pays for."""
    customer: dict[str, Any]
    """The buyer as known so far (Quaderno's field names: `first_name`, `email`,
    `billing_country`…)."""
    permalink: str
    """The hosted page's URL to send the buyer to."""
    processor: str | None
    """The payment processor that took the payment, or null."""
    processor_id: str | None
    """The payment's id at the processor, or null."""
    amount_total: float = Field(description="In major units, like the items' `amount`.")
    amount_refunded: float = Field(
        description="What refunds gave back (or are giving back), in major units."
    )
    payment_status: Literal[
        "unpaid", "paid", "no_payment_required", "partially_refunded", "refunded"
    ] = Field(
        description="A refunded session stays `completed` (final) with this "
        "`partially_refunded` or `refunded`."
    )
    updatable_quantity: bool = Field(
        description="Whether the buyer may change quantities on the page."
    )


#: Seed 001: "Only pending sessions can be updated" (the native API also edits failed ones).
QUADERNO_EDITABLE = frozenset({Status.PENDING})
#: Fields whose "" can only mean "none" (an email, a country code or a contact id
#: cannot be empty); every other text a client sends as "" comes back as "".
_BLANK_MEANS_NONE = frozenset({"email", "contact", "billing_country"})


def _blank_to_none(value: Any) -> Any:
    return None if value == "" else value


def _customer_value(customer: dict[str, Any], key: str) -> Any:
    value = customer[key]
    return _blank_to_none(value) if key in _BLANK_MEANS_NONE else value


def _parse_body(raw: bytes) -> dict[str, Any]:
    """JSON with exact decimals: ``999.0`` must become 99900 cents, not a float."""
    try:
        body = json.loads(raw or b"null", parse_float=Decimal)
    except ValueError as exc:
        raise APIError(400, "invalid_json", "The request body is not valid JSON.") from exc
    if not isinstance(body, dict):
        raise APIError(400, "invalid_json", "The request body must be a JSON object.")
    return body


def _items_to_line_items(items: Any) -> tuple[list[dict[str, Any]], str | None]:
    if not isinstance(items, list):
        raise InvalidValue("items must be a list.", param="items")
    currencies = set()
    line_items = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise InvalidValue("Each item must be an object.", param=f"items[{index}]")
        currency = item.get("currency")
        if currency is not None:
            if not isinstance(currency, str) or currency.upper() not in EXPONENTS:
                raise InvalidValue(
                    f"'{currency}' is not a supported ISO 4217 currency code.",
                    code="currency_invalid",
                    param=f"items[{index}].currency",
                )
            currencies.add(currency.upper())
        line: dict[str, Any] = {"product": item.get("product")}
        # A "" description is kept as sent; an empty name falls back to the SKU
        # (the hosted page must show something), as it does natively.
        for key in ("name", "description"):
            if item.get(key) is not None:
                line[key] = item[key]
        line["quantity"] = item.get("quantity", 1)
        amount = item.get("amount")
        if amount is not None:
            line["unit_amount"] = _amount_to_minor(
                amount, currency or "EUR", f"items[{index}].amount"
            )
        line_items.append(line)
    if len(currencies) > 1:
        raise InvalidValue(
            "All items of a session share one currency.",
            code="currency_mismatch",
            param="items",
        )
    return line_items, (currencies.pop() if currencies else None)


def _amount_to_minor(amount: Any, currency: str, param: str) -> Any:
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal | str):
        return amount  # let the native schema refuse it with its own message
    # Bounded by its text first: "1E+999999" would freeze the event loop in to_minor.
    value = bounded_decimal(str(amount), param=param)
    return to_minor(value, currency, param=param)


def _customer_to_native(customer: Any) -> dict[str, Any]:
    if not isinstance(customer, dict):
        raise InvalidValue("customer must be an object.", param="customer")
    native: dict[str, Any] = {}
    for key in CUSTOMER_FIELDS:
        if key in customer:
            native[key] = _customer_value(customer, key)
    if "contact" in customer:
        contact = _customer_value(customer, "contact")
        native["id"] = str(contact) if contact is not None else None
    address = {
        native_key: _customer_value(customer, key)
        for key, native_key in ADDRESS_FIELDS.items()
        if key in customer
    }
    if any(value is not None for value in address.values()):
        native["billing_address"] = address
    return native


def _updatable_quantity(body: dict[str, Any]) -> bool | None:
    """Quaderno's session-wide ``updatable_quantity`` (None when not sent)."""
    if "updatable_quantity" not in body or body["updatable_quantity"] is None:
        return None
    value = body["updatable_quantity"]
    if not isinstance(value, bool):
        raise InvalidValue("updatable_quantity must be true or false.", param="updatable_quantity")
    return value


def _adjustable(enabled: bool, quantity: Any) -> dict[str, Any]:
    """``updatable_quantity: true``: the native bounds (1 to 99, or up to the quantity sent)."""
    high = quantity if isinstance(quantity, int) and not isinstance(quantity, bool) else 1
    return {"enabled": enabled, "minimum": 1, "maximum": max(99, min(high, 999_999))}


def to_native(
    body: dict[str, Any], *, creating: bool, updatable: bool | None = None
) -> dict[str, Any]:
    """A Quaderno request body in the native create/update shape; ``updatable`` is the
    session's ``updatable_quantity`` to give new items when the body does not say."""
    native: dict[str, Any] = {
        key: body[key] for key in SESSION_FIELDS if key in body and key not in READ_ONLY
    }
    flag = _updatable_quantity(body)
    if flag is None:
        flag = updatable
    if "items" in body:
        native["line_items"], currency = _items_to_line_items(body["items"])
        if flag:
            for line in native["line_items"]:
                line["adjustable_quantity"] = _adjustable(True, line.get("quantity"))
        if currency is not None:
            native["currency"] = currency
        elif creating:
            native["currency"] = "EUR"  # Quaderno's default when items carry none
    if "customer" in body and body["customer"] is not None:
        native["customer"] = _customer_to_native(body["customer"])
    return native


def _validate(model: type[CheckoutCreate] | type[CheckoutUpdate], data: dict[str, Any]) -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**error, "loc": ("body", *error["loc"])} for error in exc.errors()]
        ) from exc


def _json(content: Any, status_code: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        orjson.dumps(content),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


#: Native parameter paths -> the names a Quaderno client sent, longest first.
_PARAM_NAMES = (
    *(
        (f"customer.billing_address.{native}", f"customer.{key}")
        for key, native in ADDRESS_FIELDS.items()
    ),
    ("customer.billing_address", "customer"),
    ("customer.id", "customer.contact"),
    ("line_items", "items"),
)
_ITEM_FIELD = re.compile(r"^items\[(\d+)\]\.unit_amount")


def quaderno_param(param: str | None) -> str | None:
    """``line_items[0].unit_amount`` -> ``items[0].amount``: errors name what was sent."""
    if param is None:
        return None
    for native, ours in _PARAM_NAMES:
        if param == native or param.startswith((f"{native}.", f"{native}[")):
            param = ours + param[len(native) :]
            break
    return _ITEM_FIELD.sub(r"items[\1].amount", param)


def _quaderno_error(response: Response, param: str | None, message: str) -> Response:
    """Native error body plus Rails-style ``errors`` that Quaderno clients read,
    with native parameter names replaced by Quaderno's."""
    body = orjson.loads(bytes(response.body))
    ours = quaderno_param(param)
    if param is not None and ours is not None and ours != param:
        message = message.replace(param, ours)
        body["error"]["param"] = ours
        body["error"]["message"] = message
    param = ours
    body["errors"] = {param or "base": [message]}
    return Response(
        orjson.dumps(body), status_code=response.status_code, media_type="application/json"
    )


async def _guarded(call: Any) -> Response:
    try:
        result: Response = await call
    except DomainError as exc:
        return _quaderno_error(domain_error_response(exc), exc.param, exc.message)
    except RequestValidationError as exc:
        response = validation_error_response(exc)
        error = orjson.loads(bytes(response.body))["error"]
        return _quaderno_error(response, error.get("param"), error["message"])
    return result


@router.get("/checkout/sessions.json", response_model=list[QuadernoSession])
async def list_sessions(
    request: Request,
    status: Status | None = Query(None),
    created_before: int | None = Query(
        None, ge=1, le=INT64_MAX, description="A session id: list older ones."
    ),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=100),
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    """Newest first. Page with `created_before` and the `X-Pages-*` headers."""
    rows, has_more = await compat.list_by_number(
        ctx,
        principal,
        statuses=[status] if status else [],
        created_before=created_before,
        limit=limit,
    )
    headers = {"X-Pages-HasMore": "true" if has_more else "false"}
    if has_more and rows:
        headers["X-Pages-NextPage"] = str(
            request.url.include_query_params(created_before=rows[-1].pk, limit=limit)
        )
    return _json(
        [quaderno.session_of(resource_of(ctx, row), row.pk) for row in rows], headers=headers
    )


@router.post("/checkout/sessions.json", status_code=201, response_model=QuadernoSession)
async def create_session(
    request: Request,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    async def run() -> Response:
        body = _parse_body(await request.body())
        if body.get("items") is None:
            raise InvalidValue(
                "Missing required parameter: items (the products to sell, at least one).",
                code="parameter_missing",
                param="items",
            )
        native = to_native(body, creating=True)
        checked = _validate(CheckoutCreate, native)
        row = await checkouts.create(ctx, principal, checked.model_dump())
        return _json(quaderno.session_of(resource_of(ctx, row), row.pk), 201)

    return await _guarded(run())


def _session_number(text: str) -> int:
    """The integer id in the path; one no session can have (64-bit overflow too) is a 404."""
    number = int64_id(text)
    if number is None:
        raise NotFound(f"No such checkout session: {text[:40]}.", param="id")
    return number


async def _checkout_id(ctx: Context, principal: Principal, number: str) -> str:
    return await compat.checkout_id_for_number(ctx, principal, _session_number(number))


async def _retrieve(ctx: Context, principal: Principal, number: str) -> Response:
    checkout_id = await _checkout_id(ctx, principal, number)
    row = await checkouts.retrieve(ctx, principal, checkout_id)
    return _json(quaderno.session_of(resource_of(ctx, row), row.pk))


async def _update(request: Request, ctx: Context, principal: Principal, number: str) -> Response:
    raw = _parse_body(await request.body())
    flag = _updatable_quantity(raw)
    current = None
    if "items" in raw or flag is not None:
        # updatable_quantity is the session's: new items keep it, the flag alone sets it.
        current_id = await _checkout_id(ctx, principal, number)
        current = await checkouts.retrieve(ctx, principal, current_id)
    native = to_native(
        raw,
        creating=False,
        updatable=quaderno.updatable_quantity(current.data["line_items"]) if current else None,
    )
    if flag is not None and "items" not in raw and current is not None:
        # Only the flag: every current line becomes adjustable (or fixed), prices kept.
        native["line_items"] = [
            {"id": line["id"], "adjustable_quantity": _adjustable(flag, line["quantity"])}
            for line in current.data["line_items"]
        ]
    body = _validate(CheckoutUpdate, native)
    checkout_id = await _checkout_id(ctx, principal, number)
    row = await checkouts.update(
        ctx,
        principal,
        checkout_id,
        body.model_dump(exclude_unset=True),
        editable=QUADERNO_EDITABLE,
    )
    return _json(quaderno.session_of(resource_of(ctx, row), row.pk))


async def _delete(ctx: Context, principal: Principal, number: str) -> Response:
    checkout_id = await _checkout_id(ctx, principal, number)
    await checkouts.delete(ctx, principal, checkout_id)
    return Response(status_code=204)


SESSION_NUMBER = Path(description="The session's integer id.", examples=["42"])

# Quaderno documents both the plural and the singular path for one session.
for path in ("/checkout/sessions/{number}.json", "/checkout/session/{number}.json"):

    @router.get(path, response_model=QuadernoSession, name=f"retrieve {path}")
    async def retrieve_session(
        number: str = SESSION_NUMBER,
        principal: Principal = Depends(require_read),
        ctx: Context = Depends(context),
    ) -> Response:
        return await _guarded(_retrieve(ctx, principal, number))

    @router.put(path, response_model=QuadernoSession, name=f"update {path}")
    async def update_session(
        request: Request,
        number: str = SESSION_NUMBER,
        principal: Principal = Depends(require_write),
        ctx: Context = Depends(context),
    ) -> Response:
        """Only the fields sent change; only pending sessions can be updated (else 409)."""
        return await _guarded(_update(request, ctx, principal, number))

    @router.delete(path, status_code=204, name=f"delete {path}")
    async def delete_session(
        number: str = SESSION_NUMBER,
        principal: Principal = Depends(require_write),
        ctx: Context = Depends(context),
    ) -> Response:
        """Permanently delete a pending session."""
        return await _guarded(_delete(ctx, principal, number))


# Quaderno's webhooks: the same endpoints and worker, Quaderno's body and signature.


def _webhook_number(text: str) -> int:
    number = int64_id(text)
    if number is None:
        raise NotFound(f"No such webhook: {text[:40]}.", param="id")
    return number


@router.get("/webhooks.json")
async def list_webhooks(
    principal: Principal = Depends(require_read), ctx: Context = Depends(context)
) -> Response:
    rows = await quaderno.list_webhooks(ctx, principal)
    return _json([quaderno.webhook_resource(row) for row in rows])


@router.post("/webhooks.json", status_code=201)
async def create_webhook(
    request: Request,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """`url` and `events_types`; the answer carries the `auth_key` that signs deliveries."""

    async def run() -> Response:
        body = _parse_body(await request.body())
        row = await quaderno.create_webhook(ctx, principal, body)
        return _json(quaderno.webhook_resource(row), 201)

    return await _guarded(run())


WEBHOOK_NUMBER = Path(description="The webhook's integer id.", examples=["7"])


@router.get("/webhooks/{number}.json")
async def retrieve_webhook(
    number: str = WEBHOOK_NUMBER,
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    async def run() -> Response:
        row = await quaderno.retrieve_webhook(ctx, principal, _webhook_number(number))
        return _json(quaderno.webhook_resource(row))

    return await _guarded(run())


@router.put("/webhooks/{number}.json")
async def update_webhook(
    request: Request,
    number: str = WEBHOOK_NUMBER,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    async def run() -> Response:
        body = _parse_body(await request.body())
        row = await quaderno.update_webhook(ctx, principal, _webhook_number(number), body)
        return _json(quaderno.webhook_resource(row))

    return await _guarded(run())


@router.delete("/webhooks/{number}.json", status_code=204)
async def delete_webhook(
    number: str = WEBHOOK_NUMBER,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    async def run() -> Response:
        await quaderno.delete_webhook(ctx, principal, _webhook_number(number))
        return Response(status_code=204)

    return await _guarded(run())

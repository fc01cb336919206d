"""The Agentic Commerce Protocol's checkout API, every published version, at ``/acp``.

An AI agent creates, updates, reads, completes and cancels checkout sessions
here; every call is translated (``acp_requests``, ``acp_responses``) into the
native use cases of :mod:`opencheckout.service.checkouts`, so a session is the
same object on ``/v1/checkouts``, ``/api`` (Quaderno) and ``/acp``, with the same
totals, readiness and status machine. The ACP session id is the native
``cs_...`` id. The routes speak 2026-04-17; :class:`AcpRoute`
(:mod:`~opencheckout.api.compat.acp_route`) negotiates ``API-Version`` and lets
the version adapters (:mod:`~opencheckout.api.compat.acp_versions`) reshape
requests and answers for the other versions.

Protocol rules applied to every route:

* ``API-Version`` picks the version (absent: 2025-09-29); an unknown one is 400
  with ``supported_versions``; it is echoed on every response.
* From 2026-04-17 on every POST needs ``Idempotency-Key`` (400
  ``idempotency_key_required``); with a key, a replay answers the stored
  response with ``Idempotent-Replayed: true``, the same key with another body is
  422 ``idempotency_conflict``, and one still running is 409
  ``idempotency_in_flight`` with ``Retry-After``. The key is echoed.
* Errors are the spec's flat ``{type, code, message, param}`` with JSONPaths;
  business problems a buyer or agent can fix (missing fields, a declined card,
  a rejected discount code) are ``messages[]`` on a 2xx session instead.

Payment (``complete``) takes a delegated token through the ``card_tokenized``
handler and charges it with the mode's processor. In test mode these tokens
stand for the test processor's cards: ``tok_visa``, ``tok_mastercard``,
``tok_amex`` and any other ``spt_...`` succeed; ``tok_chargeDeclined``,
``tok_chargeDeclinedInsufficientFunds`` and ``tok_chargeDeclinedExpiredCard``
are declined; ``tok_visa_delayed`` (succeeds) and ``tok_visa_delayed_declined``
answer ``in_progress`` and settle a few seconds later. In live mode the token is
handed to the processor as its payment method.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

import orjson
from fastapi import APIRouter, Depends, Header, Response
from pydantic import BaseModel, TypeAdapter, ValidationError

from opencheckout.api.auth import context, require_read, require_write
from opencheckout.api.compat import acp_errors as errors
from opencheckout.api.compat import acp_requests as requests
from opencheckout.api.compat import acp_responses as mapping
from opencheckout.api.compat import acp_versions as versions
from opencheckout.api.compat.acp_errors import AcpError
from opencheckout.api.compat.acp_route import VERSION_HEADER, AcpRoute
from opencheckout.api.compat.acp_schemas import (
    CancelSessionRequest,
    CheckoutSessionCompleteRequest,
    CheckoutSessionCreateRequest,
    CheckoutSessionUpdateRequest,
    Error,
    LineItemIn,
    PaymentData,
)
from opencheckout.api.compat.acp_schemas import (
    CheckoutSession as AcpCheckoutSession,
)
from opencheckout.api.schemas.checkouts import CheckoutCreate, CheckoutUpdate, ShippingOptionIn
from opencheckout.config import Settings
from opencheckout.domain.errors import Conflict, DomainError, NotFound, PaymentDeclined
from opencheckout.domain.session import CheckoutSession
from opencheckout.service import acp_orders, checkouts, orders, products
from opencheckout.service.acp_orders import CUSTOM_KEY, VERSION_KEY
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.views import checkout_resource

#: Test-mode delegated tokens -> the test processor's card numbers.
TEST_TOKENS = {
    "tok_visa": "4242424242424242",
    "tok_visa_4242": "4242424242424242",
    "tok_visa_debit": "4000056655665556",
    "tok_mastercard": "5555555555554444",
    "tok_amex": "378282246310005",
    "tok_chargeDeclined": "4000000000000002",
    "tok_chargeDeclinedInsufficientFunds": "4000000000009995",
    "tok_chargeDeclinedExpiredCard": "4000000000000069",
    "tok_visa_delayed": "4000000000003220",
    "tok_visa_delayed_declined": "4000008400001629",
}
#: Issuer-authentication outcomes after which no charge is attempted.
FAILED_AUTHENTICATION = frozenset({"denied", "rejected", "abandoned", "canceled"})


def _error_doc(description: str) -> dict[str, Any]:
    return {"model": Error, "description": description}


ERRORS: dict[int | str, dict[str, Any]] = {
    400: _error_doc(
        "Malformed request, unsupported API-Version, missing Idempotency-Key, unknown item."
    ),
    401: _error_doc("Missing or invalid API key."),
    403: _error_doc("The key's scope does not allow this operation."),
    404: _error_doc("No such checkout session for this account and mode."),
    409: _error_doc("An idempotent request with this key is in flight, or the state forbids it."),
    422: _error_doc("Idempotency-Key reused with a different request body."),
}


async def api_version_header(
    api_version: str | None = Header(
        None,
        alias=VERSION_HEADER,
        description="The ACP version the agent speaks: "
        + ", ".join(versions.SUPPORTED_VERSIONS)
        + " (absent: 2025-09-29).",
    ),
) -> None:
    """Documents the header in /openapi.json; :class:`AcpRoute` enforces it first."""


async def _idempotency_key_header(
    idempotency_key: str | None = Header(
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="Required on every POST from 2026-04-17 on; a retry with the same key "
        "replays the answer.",
    ),
) -> None:
    """Documents the header in /openapi.json; :class:`AcpRoute` enforces it first."""


IDEMPOTENT = [Depends(_idempotency_key_header)]

router = APIRouter(
    prefix="/acp",
    tags=["ACP (agentic commerce)"],
    route_class=AcpRoute,
    responses=ERRORS,
    dependencies=[Depends(api_version_header)],
)


@functools.lru_cache(maxsize=4)
def _parse_shipping(raw: str) -> tuple[ShippingOptionIn, ...]:
    try:
        options = TypeAdapter(list[ShippingOptionIn]).validate_json(raw)
    except ValidationError as exc:
        raise RuntimeError(f"OPENCHECKOUT_ACP_SHIPPING_OPTIONS is invalid: {exc}") from exc
    return tuple(options)


def shipping_options(settings: Settings) -> list[dict[str, Any]]:
    """The merchant's shipping options for ACP sessions (agents cannot define any)."""
    if not settings.acp_shipping_options:
        return []
    return [option.model_dump() for option in _parse_shipping(settings.acp_shipping_options)]


def json_body(content: Any, status_code: int = 200) -> Response:
    return Response(orjson.dumps(content), status_code=status_code, media_type="application/json")


def _psp(ctx: Context, principal: Principal) -> str:
    processor = ctx.processor_for(principal.livemode)
    return processor.name if processor is not None else "unconfigured"


async def _session(
    ctx: Context,
    principal: Principal,
    row: CheckoutSession,
    *,
    status_code: int = 200,
    messages: Sequence[dict[str, Any]] = (),
) -> Response:
    found = await orders.of_checkouts(ctx, principal, [row.id] if row.status == "completed" else [])
    return json_body(
        session_body(ctx, principal, row, messages, order=found.get(row.id)), status_code
    )


def session_body(
    ctx: Context,
    principal: Principal,
    row: CheckoutSession,
    messages: Sequence[dict[str, Any]] = (),
    *,
    order: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ACP session; a completed one's ``order`` carries ``order``'s adjustments."""
    resource = checkout_resource(
        row,
        public_url=ctx.settings.public_url,
        now=ctx.clock(),
        processor=ctx.processor_name_for(row.livemode),
    )
    return mapping.checkout_session(
        resource,
        psp=_psp(ctx, principal),
        merchant_id=principal.account_id,
        extra_messages=messages,
        order=order,
    )


def _line_paths(entries: Sequence[LineItemIn] | None) -> list[str]:
    return [entry.id_path for entry in entries or []]


class _RejectedCode(Exception):
    def __init__(self, index: int, native_code: str, message: str) -> None:
        super().__init__(message)
        self.index = index
        self.native_code = native_code
        self.message = message


M = TypeVar("M", bound=BaseModel)


def _validate(
    model: type[M], data: dict[str, Any], *, line_paths: Sequence[str], address_root: str | None
) -> M:
    """Validate the translated request with the native schema; errors point at ACP fields."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        location = exc.errors()[0].get("loc", ())
        if len(location) >= 2 and location[0] == "discounts" and isinstance(location[1], int):
            raise _RejectedCode(location[1], "coupon_invalid", "This code is not valid.") from exc
        raise errors.native_validation_error(
            exc, line_paths=line_paths, address_root=address_root
        ) from exc


async def _with_codes(
    codes: list[str] | None,
    state: dict[str, Any],
    run: Callable[[list[str] | None], Awaitable[CheckoutSession]],
) -> CheckoutSession:
    """Run the native call with the agent's discount codes, dropping each code the
    native rules refuse (reported in ``discounts.rejected``) and trying again."""
    if codes is None:
        return await run(None)
    accepted = codes[:5]
    rejected = [
        requests.rejection(code, "discounts_limit_reached", "At most 5 codes apply at once.")
        for code in codes[5:]
    ]
    while True:
        state["discounts"] = {"codes": codes, "rejected": rejected}
        try:
            return await run(accepted)
        except _RejectedCode as exc:
            code = accepted.pop(exc.index)
            rejected.append(requests.rejection(code, exc.native_code, exc.message))
        except DomainError as exc:
            match = errors.DISCOUNT_PARAM.match(exc.param or "")
            if match is None:
                raise
            code = accepted.pop(int(match.group(1)))
            rejected.append(requests.rejection(code, exc.code, exc.message))


def _native_errors(
    exc: DomainError, line_paths: Sequence[str], address_root: str | None = None
) -> AcpError:
    return errors.domain_error(exc, line_paths=line_paths, address_root=address_root)


@router.post(
    "/checkout_sessions",
    status_code=201,
    response_model=AcpCheckoutSession,
    summary="Create a checkout session",
    dependencies=IDEMPOTENT,
)
async def create_checkout_session(
    body: CheckoutSessionCreateRequest,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Items are catalog SKUs (`/v1/products`): the catalog sets names, prices and tax
    rates. The session offers the shipping options configured for ACP."""
    line_paths = _line_paths(body.line_items)
    # The version the agent speaks: the order webhooks are sent in it.
    state: dict[str, Any] = {"created_via": "acp", VERSION_KEY: versions.CURRENT.get()}
    if body.fulfillment_details is not None:
        state["fulfillment"] = requests.fulfillment_extras(body.fulfillment_details)
    if body.order_notes is not None:
        state["order_notes"] = body.order_notes
    native: dict[str, Any] = {
        "currency": body.currency or await _catalog_currency(ctx, principal, body.line_items),
        "line_items": requests.native_lines(body.line_items),
        "billing_details_collection": "required",
        "payment_methods": ["card"],
        "locale": requests.native_locale(body.locale),
        "metadata": requests.native_metadata(body.metadata),
        "shipping_options": shipping_options(ctx.settings),
    }
    customer = requests.native_customer(body.buyer, body.fulfillment_details, None)
    if customer is not None:
        native["customer"] = customer
    codes = requests.discount_codes(body.discounts.codes if body.discounts else None, body.coupons)

    async def run(accepted: list[str] | None) -> CheckoutSession:
        data = {**native, "custom": {CUSTOM_KEY: state}}
        if accepted is not None:
            data["discounts"] = [{"code": code} for code in accepted]
        params = _validate(CheckoutCreate, data, line_paths=line_paths, address_root=None)
        return await checkouts.create(ctx, principal, params.model_dump())

    await acp_orders.ensure_endpoint(ctx, principal)
    try:
        row = await _with_codes(codes, state, run)
    except DomainError as exc:
        raise _native_errors(exc, line_paths) from exc
    return await _session(ctx, principal, row, status_code=201)


async def _catalog_currency(
    ctx: Context, principal: Principal, entries: Sequence[LineItemIn]
) -> str:
    """Versions before 2026-01-30 send no currency: the first item's catalog price sets it."""
    try:
        product = await products.retrieve(ctx, principal, entries[0].item_id)
    except NotFound as exc:
        raise AcpError(
            400,
            "invalid_item_id",
            f"No such item: '{entries[0].item_id}'.",
            param=f"$.line_items[0].{entries[0].id_path}",
        ) from exc
    return product.currency


@router.get(
    "/checkout_sessions/{checkout_session_id}",
    response_model=AcpCheckoutSession,
    summary="Retrieve a checkout session",
)
async def retrieve_checkout_session(
    checkout_session_id: str,
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    row = await checkouts.retrieve(ctx, principal, checkout_session_id)
    return await _session(ctx, principal, row)


async def _current(ctx: Context, principal: Principal, checkout_id: str) -> dict[str, Any]:
    row = await checkouts.retrieve(ctx, principal, checkout_id)
    return checkout_resource(
        row,
        public_url=ctx.settings.public_url,
        now=ctx.clock(),
        processor=ctx.processor_name_for(row.livemode),
    )


@router.put(
    "/checkout_sessions/{checkout_session_id}",
    response_model=AcpCheckoutSession,
    summary="Update a checkout session (the StateSet client's verb)",
)
@router.post(
    "/checkout_sessions/{checkout_session_id}",
    response_model=AcpCheckoutSession,
    summary="Update a checkout session",
    dependencies=IDEMPOTENT,
)
async def update_checkout_session(
    checkout_session_id: str,
    body: CheckoutSessionUpdateRequest,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Only the fields sent change; `line_items` and `discounts.codes` replace the
    current ones. One fulfillment option applies to the whole session."""
    resource = await _current(ctx, principal, checkout_session_id)
    line_paths = _line_paths(body.line_items)
    state = copy.deepcopy(mapping.acp_state(resource))
    native: dict[str, Any] = {}
    if body.line_items is not None:
        native["line_items"] = requests.native_lines(body.line_items)
    customer = requests.native_customer(body.buyer, body.fulfillment_details, resource["customer"])
    if customer is not None:
        native["customer"] = customer
    if body.fulfillment_details is not None:
        extras = requests.fulfillment_extras(body.fulfillment_details)
        state["fulfillment"] = {**(state.get("fulfillment") or {}), **extras}
    if body.order_notes is not None:
        state["order_notes"] = body.order_notes
    if body.selected_fulfillment_options is not None:
        chosen = list(dict.fromkeys(o.option_id for o in body.selected_fulfillment_options))
        if len(chosen) > 1:
            raise AcpError(
                400,
                "invalid",
                "One fulfillment option applies to the whole session; select only one.",
                param="$.selected_fulfillment_options[1].option_id",
            )
        native["selected_shipping_option"] = chosen[0] if chosen else None
    codes = requests.discount_codes(body.discounts.codes if body.discounts else None, body.coupons)

    async def run(accepted: list[str] | None) -> CheckoutSession:
        data = {**native, "custom": {**resource["custom"], CUSTOM_KEY: state}}
        if accepted is not None:
            data["discounts"] = [{"code": code} for code in accepted]
        params = _validate(CheckoutUpdate, data, line_paths=line_paths, address_root=None)
        return await checkouts.update(
            ctx, principal, checkout_session_id, params.model_dump(exclude_unset=True)
        )

    try:
        row = await _with_codes(codes, state, run)
    except DomainError as exc:
        raise _native_errors(exc, line_paths) from exc
    return await _session(ctx, principal, row)


def _payment_details(ctx: Context, principal: Principal, token: str) -> dict[str, Any]:
    """What the processor is given for a delegated token."""
    if principal.livemode:
        return {"payment_method": token}
    number = TEST_TOKENS.get(token)
    if number is None and token.startswith("spt_"):
        number = TEST_TOKENS["tok_visa"]
    if number is None:
        raise AcpError(
            400,
            "invalid_payment_token",
            f"Unknown test token '{token}'. Use tok_visa, tok_chargeDeclined or an spt_ token.",
            param="$.payment_data.instrument.credential.token",
        )
    return {
        "card_number": number,
        "exp_month": 12,
        "exp_year": ctx.clock().year + 3,
        "cvc": "123",
    }


@router.post(
    "/checkout_sessions/{checkout_session_id}/complete",
    response_model=AcpCheckoutSession,
    summary="Complete a checkout session",
    dependencies=IDEMPOTENT,
    responses={503: _error_doc("The payment processor could not be reached; retry.")},
)
async def complete_checkout_session(
    checkout_session_id: str,
    body: CheckoutSessionCompleteRequest,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Pay with a delegated token (`payment_data.handler_id: "card_tokenized"`).
    Success answers `completed` with the `order`; a decline answers 200 with the
    session still payable and a `payment_declined` message."""
    details = _payment_details(ctx, principal, _delegated_token(body.payment_data))
    resource = await _current(ctx, principal, checkout_session_id)
    await _complete_inputs(ctx, principal, body, resource)

    outcome = (body.authentication_result or {}).get("outcome")
    row: CheckoutSession
    if outcome in FAILED_AUTHENTICATION:
        row = await checkouts.retrieve(ctx, principal, checkout_session_id)
        declined = mapping.message(
            "error",
            f"Issuer authentication ended '{outcome}'; no payment was attempted.",
            code="payment_declined",
            param="$.authentication_result",
        )
        return await _session(ctx, principal, row, messages=[declined])
    try:
        row = await checkouts.complete(
            ctx,
            principal,
            checkout_session_id,
            checkouts.PaymentParams(method="card", details=details),
        )
    except PaymentDeclined as exc:
        row = await checkouts.retrieve(ctx, principal, checkout_session_id)
        declined = mapping.message(
            "error", exc.message, code="payment_declined", param="$.payment_data"
        )
        return await _session(ctx, principal, row, messages=[declined])
    except Conflict as exc:
        if exc.code == "checkout_not_ready":
            # The session says what is missing, as messages.
            row = await checkouts.retrieve(ctx, principal, checkout_session_id)
            return await _session(ctx, principal, row)
        if exc.code == "coupon_exhausted":
            row = await checkouts.retrieve(ctx, principal, checkout_session_id)
            message = mapping.message(
                "error", exc.message, code="coupon_invalid", param="$.discounts.codes"
            )
            return await _session(ctx, principal, row, messages=[message])
        raise _native_errors(exc, ()) from exc
    except DomainError as exc:
        raise _native_errors(exc, ()) from exc
    return await _session(ctx, principal, row)


def _delegated_token(payment: PaymentData) -> str:
    """The delegated token the payment data carries; 400 for any other way to pay."""
    if payment.handler_id is None or payment.instrument is None:
        raise AcpError(
            400,
            "unsupported_payment_method",
            f"Send a delegated token: payment_data.handler_id '{mapping.HANDLER_ID}' with an "
            "instrument (purchase orders are not accepted).",
            param="$.payment_data",
        )
    if payment.handler_id != mapping.HANDLER_ID:
        raise AcpError(
            400,
            "unsupported_payment_handler",
            f"Unknown payment handler '{payment.handler_id}'; this seller offers "
            f"'{mapping.HANDLER_ID}'.",
            param="$.payment_data.handler_id",
        )
    assert payment.instrument.credential is not None  # the model fills it
    return payment.instrument.credential.token


async def _complete_inputs(
    ctx: Context,
    principal: Principal,
    body: CheckoutSessionCompleteRequest,
    resource: dict[str, Any],
) -> None:
    """Apply what the complete request adds (buyer, a billing address when the session
    has none, order notes) through the native update, as an update request would."""
    if resource["status"] not in ("pending", "failed"):
        return  # the native complete refuses it with the session's state
    native: dict[str, Any] = {}
    address_root: str | None = None
    customer = requests.native_customer(body.buyer, None, resource["customer"]) or {}
    billing = body.payment_data.billing_address
    if billing is not None and not resource["customer"].get("billing_address"):
        customer["billing_address"] = requests.native_address(billing)
        address_root = "$.payment_data.billing_address"
    if customer:
        native["customer"] = customer
    if body.order_notes is not None:
        state = {**mapping.acp_state(resource), "order_notes": body.order_notes}
        native["custom"] = {**resource["custom"], CUSTOM_KEY: state}
    if not native:
        return
    params = _validate(CheckoutUpdate, native, line_paths=(), address_root=address_root)
    try:
        await checkouts.update(
            ctx, principal, resource["id"], params.model_dump(exclude_unset=True)
        )
    except DomainError as exc:
        raise _native_errors(exc, (), address_root) from exc


@router.post(
    "/checkout_sessions/{checkout_session_id}/cancel",
    response_model=AcpCheckoutSession,
    summary="Cancel a checkout session",
    dependencies=IDEMPOTENT,
    responses={405: _error_doc("The session is already completed or canceled.")},
)
async def cancel_checkout_session(
    checkout_session_id: str,
    body: CancelSessionRequest | None = None,
    principal: Principal = Depends(require_write),
    ctx: Context = Depends(context),
) -> Response:
    """Cancel a session that is not completed or canceled (405 if it is)."""
    try:
        row = await checkouts.cancel(ctx, principal, checkout_session_id)
    except Conflict as exc:
        resource = await _current(ctx, principal, checkout_session_id)
        status = mapping.acp_status(resource)
        if status in ("completed", "canceled"):
            raise AcpError(
                405,
                "checkout_not_cancelable",
                f"This checkout session is {status} and cannot be canceled.",
            ) from exc
        raise _native_errors(exc, ()) from exc
    return await _session(ctx, principal, row)

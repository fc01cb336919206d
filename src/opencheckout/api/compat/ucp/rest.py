"""The UCP shopping service's REST binding at ``/ucp`` and its discovery profile.

Every operation runs the native use cases (:mod:`opencheckout.service.checkouts`,
``orders``, ``products``), so a UCP checkout has the same totals, stock checks,
shipping rates, customer links and status machine as ``/v1/checkouts`` and
``/acp``. Payment is the specification's test-mode mock handler
(``mock_payment_handler``): the token ``success_token`` pays (the test
processor's 4242 card), ``fail_token`` is declined (402), ``fraud_token`` is
refused before any charge (403). In live mode the token is handed to the
processor as its payment method.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Body, Header, Request, Response
from pydantic import ValidationError

from opencheckout.api.auth import app_context
from opencheckout.api.compat.ucp import mapping, negotiation
from opencheckout.api.compat.ucp.errors import UcpError, json_response, outcome
from opencheckout.api.compat.ucp.route import UcpRoute, account_id, version_of
from opencheckout.api.schemas.checkouts import CheckoutCreate, CheckoutUpdate
from opencheckout.domain.errors import Conflict, DomainError, InvalidValue, NotFound
from opencheckout.domain.session import CheckoutSession
from opencheckout.service import ap2, checkouts, orders, products, ucp_orders
from opencheckout.service import ucp_versions as versions
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.views import checkout_resource, discount_allocations
from opencheckout.webhooks import ucp_signature

#: Mock handler tokens -> the test processor's cards.
TEST_CARDS = {"success_token": "4242424242424242", "fail_token": "4000000000000002"}
FRAUD_TOKEN = "fraud_token"  # noqa: S105 (the mock handler's test token)
_DISCOUNT_PARAM = re.compile(r"^discounts\[(\d+)\]")
SHIPPING_FIELDS = ("line1", "line2", "city", "state", "postal_code", "country")
_LINE_PARAM = re.compile(r"^line_items\[(\d+)\]")

#: UCP's error bodies: protocol errors ``{code, content}`` (also what the shared input
#: rules answer under /ucp, see :class:`.errors.UcpErrorMiddleware`), resource
#: outcomes the ``error_response`` envelope.
_CONTINUE = "Where the buyer can finish in a browser (the hosted page), when there is one."
ERROR_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "object",
            "required": ["code", "content"],
            "properties": {
                "code": {"type": "string", "description": "UCP's error code, e.g. `not_found`."},
                "content": {"type": "string", "description": "What went wrong, in words."},
                "continue_url": {"type": "string", "description": _CONTINUE},
            },
        },
        {
            "type": "object",
            "required": ["ucp", "messages"],
            "properties": {
                "ucp": {"type": "object", "description": "The UCP version and capabilities."},
                "messages": {
                    "type": "array",
                    "items": {"type": "object"},
                    "description": "UCP messages `{type, code, content, severity, path}`.",
                },
                "continue_url": {"type": "string", "description": _CONTINUE},
            },
        },
    ]
}


def _doc(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


RESPONSES: dict[int | str, dict[str, Any]] = {
    400: _doc("Invalid request, or no valid UCP-Agent (invalid_profile_url)."),
    401: _doc("An API key was sent and is not valid."),
    402: _doc("The payment was declined (payment_declined)."),
    403: _doc("A key of another account or mode; a refused payment; simulation."),
    404: _doc("No such checkout or order, or UCP is not configured here."),
    409: _doc("Idempotency-Key reused with another body; the state forbids it."),
    422: _doc("version_unsupported or profile_malformed."),
    424: _doc("The platform profile could not be fetched (profile_unreachable)."),
    500: _doc("Unexpected error; retry."),
    503: _doc("The payment processor could not be reached; retry."),
}
discovery = APIRouter(
    tags=["UCP (universal commerce)"],
    route_class=UcpRoute,
    responses={404: RESPONSES[404], 500: RESPONSES[500]},
)
router = APIRouter(
    prefix="/ucp",
    tags=["UCP (universal commerce)"],
    route_class=UcpRoute,
    responses=RESPONSES,
)


@discovery.get("/.well-known/ucp", summary="The UCP business profile")
async def business_profile(
    request: Request,
    ucp_agent: str | None = Header(None, alias=negotiation.HEADER),
) -> Response:
    """The profile of the current version (2026-04-08), or of the version a `UCP-Agent`
    header's `version` names; older versions are listed in `supported_versions`."""
    version = versions.VERSIONS[versions.LATEST]
    if ucp_agent:
        try:
            declared = negotiation.parse_dictionary(ucp_agent).get("version")
        except ValueError:
            declared = None
        if declared is not None:
            version = versions.for_platform(declared) or version
    return _profile(request, version)


@discovery.get("/.well-known/ucp/{version}", summary="The UCP business profile of one version")
async def versioned_profile(request: Request, version: str) -> Response:
    served = versions.VERSIONS.get(version)
    if served is None:
        raise UcpError(404, "not_found", f"Version {version[:40]} is not served here.")
    return _profile(request, served)


def _profile(request: Request, version: versions.Version) -> Response:
    ctx = app_context(request)
    profile = version.profile(ctx.settings.public_url)
    # The key order webhooks are signed with.
    profile["signing_keys"] = [ucp_signature.jwk(ctx.settings)]
    return json_response(profile, headers={"Cache-Control": "max-age=300"})


# --- helpers --------------------------------------------------------------------


def _ctx(request: Request) -> Context:
    return app_context(request)


def _principal(request: Request) -> Principal:
    principal: Principal = request.state.principal
    return principal


def _agent(request: Request) -> negotiation.Agent:
    agent: negotiation.Agent = request.state.ucp_agent
    return agent


def _resource(ctx: Context, row: CheckoutSession) -> dict[str, Any]:
    resource = checkout_resource(
        row,
        public_url=ctx.settings.public_url,
        now=ctx.clock(),
        processor=ctx.processor_name_for(row.livemode),
    )
    # Where each discount went, per line (the discount extension's allocations).
    resource["discount_allocations"] = discount_allocations(row)
    return resource


def _ap2_locked(agent: negotiation.Agent, resource: dict[str, Any]) -> bool:
    """AP2 is negotiated now, or was when the session began (it stays locked)."""
    return versions.AP2_MANDATE in agent.capabilities or bool(mapping.state_of(resource).get("ap2"))


def _shaped(
    request: Request, resource: dict[str, Any], messages: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """The UCP checkout of ``resource``, signed when AP2 is on for the session."""
    agent = _agent(request)
    body = mapping.checkout(agent.version, resource, agent.capabilities, extra_messages=messages)
    if _ap2_locked(agent, resource):
        return ap2.authorize(_ctx(request).settings, body)
    return body


def _checkout_response(
    request: Request,
    row: CheckoutSession,
    *,
    status_code: int = 200,
    messages: list[dict[str, Any]] | None = None,
) -> Response:
    return json_response(_shaped(request, _resource(_ctx(request), row), messages), status_code)


def _require_checkout_capability(request: Request) -> None:
    agent = _agent(request)
    if versions.CHECKOUT not in agent.capabilities:
        raise UcpError(
            200,
            "capabilities_incompatible",
            "The platform profile shares no checkout capability with this business.",
            envelope=True,
        )


def _object(value: Any, path: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise outcome(400, "invalid", f"{path} must be an object.", path=path)
    return value


def _lines(body: dict[str, Any]) -> list[dict[str, Any]]:
    lines = body.get("line_items")
    if not isinstance(lines, list) or not lines:
        raise outcome(400, "invalid", "line_items must have at least 1 item.", path="$.line_items")
    for n, line in enumerate(lines):
        item = line.get("item") if isinstance(line, dict) else None
        if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
            raise outcome(
                400, "invalid", "Each line item needs item.id.", path=f"$.line_items[{n}].item.id"
            )
        quantity = line.get("quantity", 1)
        if not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            raise outcome(
                400,
                "invalid",
                "quantity must be an integer of at least 1.",
                path=f"$.line_items[{n}].quantity",
            )
        line["quantity"] = quantity
    return lines


def _codes(body: dict[str, Any]) -> list[str]:
    discounts = _object(body.get("discounts"), "$.discounts")
    codes = discounts.get("codes") or []
    if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
        raise outcome(
            400, "invalid", "discounts.codes must be a list of strings.", path="$.discounts.codes"
        )
    return list(dict.fromkeys(code.strip() for code in codes if code.strip()))


def _fulfillment(
    body: dict[str, Any], saved: list[dict[str, Any]], state: dict[str, Any]
) -> tuple[dict[str, Any] | None, str | None]:
    """The shipping address and option a request's fulfillment selects; records the
    destinations the platform sent in ``state``."""
    fulfillment = _object(body.get("fulfillment"), "$.fulfillment")
    state["fulfillment"] = "fulfillment" in body
    methods = fulfillment.get("methods") or []
    method = _object(methods[0], "$.fulfillment.methods[0]") if methods else {}
    saved_ids = {address["id"]: address for address in saved if address.get("id")}
    sent: list[dict[str, Any]] = []
    for n, destination in enumerate(method.get("destinations") or []):
        destination = _object(destination, f"$.fulfillment.methods[0].destinations[{n}]")
        if destination.get("id") in saved_ids:
            continue
        address = mapping.native_address(destination)
        ucp = ucp_orders.ucp_address(address)
        sent.append({"id": destination.get("id") or mapping.destination_id(address), **ucp})
    state["destinations"] = sent
    selected = method.get("selected_destination_id")
    if selected is None and len(sent) == 1:
        selected = sent[0]["id"]
    address_: dict[str, Any] | None = None
    if selected is not None:
        for destination in sent:
            if destination["id"] == selected:
                address_ = mapping.native_address(destination)
        if address_ is None and selected in saved_ids:
            book = saved_ids[selected]
            address_ = {k: book[k] for k in SHIPPING_FIELDS if book.get(k)}
        if address_ is None:
            raise outcome(
                400,
                "invalid",
                f"No destination '{selected}' in this checkout.",
                path="$.fulfillment.methods[0].selected_destination_id",
                severity="recoverable",
            )
    state["selected_destination_id"] = selected
    groups = method.get("groups") or []
    group = _object(groups[0], "$.fulfillment.methods[0].groups[0]") if groups else {}
    option = group.get("selected_option_id")
    return address_, option if isinstance(option, str) else None


def _stock_outcome(exc: DomainError, request: Request) -> UcpError | None:
    """Out-of-stock and unknown items are business outcomes (200 with messages)."""
    match = _LINE_PARAM.match(exc.param or "")
    if match is None:
        return None
    path = f"$.line_items[{match.group(1)}]"
    if exc.code == "insufficient_stock":
        return UcpError(200, "out_of_stock", exc.message, envelope=True, path=path)
    if exc.code in ("product_not_found", "product_archived"):
        return UcpError(200, "item_unavailable", exc.message, envelope=True, path=path + ".item.id")
    return None


async def _with_codes(
    codes: list[str],
    state: dict[str, Any],
    run: Callable[[list[str], bool], Awaitable[CheckoutSession]],
    request: Request,
) -> CheckoutSession:
    """Run the native call with the codes, dropping each one the native rules refuse
    (reported as a warning) and a selected option that is not offered."""
    accepted = list(codes[:5])
    state["codes"] = codes
    state["rejected"] = [{"code": c, "reason": "at most 5 codes apply."} for c in codes[5:]]
    keep_option = True
    while True:
        try:
            return await run(accepted, keep_option)
        except DomainError as exc:
            match = _DISCOUNT_PARAM.match(exc.param or "")
            if match is not None:
                code = accepted.pop(int(match.group(1)))
                state["rejected"].append({"code": code, "reason": exc.message})
                continue
            if exc.param == "selected_shipping_option" and keep_option:
                keep_option = False
                continue
            stock = _stock_outcome(exc, request)
            if stock is not None:
                raise stock from exc
            raise
        except ValidationError as exc:
            location = exc.errors()[0].get("loc", ())
            if len(location) >= 2 and location[0] == "discounts" and isinstance(location[1], int):
                code = accepted.pop(location[1])
                state["rejected"].append({"code": code, "reason": "this code is not valid."})
                continue
            first = exc.errors()[0]
            raise outcome(
                400,
                "invalid",
                f"{'.'.join(str(p) for p in first.get('loc', ()))}: {first.get('msg')}",
                severity="recoverable",
            ) from exc


async def _currency(ctx: Context, principal: Principal, body: dict[str, Any], sku: str) -> str:
    given = body.get("currency")
    if isinstance(given, str) and given:
        return given.lower()
    try:
        return (await products.retrieve(ctx, principal, sku)).currency
    except NotFound as exc:
        raise UcpError(
            200,
            "item_unavailable",
            f"No such item: '{sku}'.",
            envelope=True,
            path="$.line_items[0].item.id",
        ) from exc


async def _state_in(
    ctx: Context, principal: Principal, body: dict[str, Any], agent: negotiation.Agent
) -> dict[str, Any]:
    """What the session keeps of the request and the platform: its profile and version,
    the webhook URL its orders are reported to, the buyer's consent."""
    buyer = _object(body.get("buyer"), "$.buyer")
    state: dict[str, Any] = {"profile": agent.profile, "version": agent.version.name}
    if versions.AP2_MANDATE in agent.capabilities:
        state["ap2"] = True
    if agent.webhook_url and versions.ORDER in agent.capabilities:
        url = await ucp_orders.ensure_endpoint(ctx, principal, agent.webhook_url)
        if url is not None:
            state["webhook_url"] = url
    if isinstance(buyer.get("consent"), dict):
        state["consent"] = {
            k: v for k, v in buyer["consent"].items() if isinstance(v, bool) and len(k) <= 40
        }
    return state


# --- checkout operations --------------------------------------------------------


@router.post("/checkout-sessions", status_code=201, summary="Create a checkout session")
async def create_checkout(request: Request, body: dict[str, Any] = Body(...)) -> Response:
    """Line items are catalog ids: the catalog's title and price are the authority."""
    _require_checkout_capability(request)
    ctx, principal, agent = _ctx(request), _principal(request), _agent(request)
    lines = _lines(body)
    state = await _state_in(ctx, principal, body, agent)
    address, option = _fulfillment(body, [], state)
    customer: dict[str, Any] = {
        **mapping.native_customer(_object(body.get("buyer"), "$.buyer")),
        "shipping_address": address,
    }
    currency = await _currency(ctx, principal, body, lines[0]["item"]["id"])

    async def run(accepted: list[str], keep_option: bool) -> CheckoutSession:
        data: dict[str, Any] = {
            "currency": currency,
            "line_items": mapping.native_lines(lines),
            "billing_details_collection": "auto",
            "payment_methods": ["card"],
            "customer": {k: v for k, v in customer.items() if v is not None},
            "discounts": [{"code": code} for code in accepted],
            "custom": {ucp_orders.CUSTOM_KEY: state},
        }
        if option is not None and keep_option:
            data["selected_shipping_option"] = option
        params = CheckoutCreate.model_validate(data)
        return await checkouts.create(ctx, principal, params.model_dump())

    row = await _with_codes(_codes(body), state, run, request)
    return _checkout_response(request, row, status_code=201)


@router.get("/checkout-sessions/{id}", summary="Get a checkout session")
async def get_checkout(request: Request, id: str) -> Response:
    row = await checkouts.retrieve(_ctx(request), _principal(request), id)
    return _checkout_response(request, row)


@router.put("/checkout-sessions/{id}", summary="Update (replace) a checkout session")
async def update_checkout(request: Request, id: str, body: dict[str, Any] = Body(...)) -> Response:
    """A PUT replaces the session: buyer, fulfillment and discount codes left out are
    cleared, as the specification says."""
    _require_checkout_capability(request)
    ctx, principal, agent = _ctx(request), _principal(request), _agent(request)
    current = _resource(ctx, await checkouts.retrieve(ctx, principal, id))
    lines = _lines(body)
    fresh = await _state_in(ctx, principal, body, agent)
    state = {**mapping.state_of(current), **fresh}
    if "consent" not in fresh:
        state.pop("consent", None)
    address, option = _fulfillment(body, current["customer"].get("addresses") or [], state)
    customer = {
        **mapping.native_customer(_object(body.get("buyer"), "$.buyer")),
        "shipping_address": address,
    }

    async def run(accepted: list[str], keep_option: bool) -> CheckoutSession:
        data: dict[str, Any] = {
            "line_items": mapping.native_lines(lines),
            "customer": customer,
            "discounts": [{"code": code} for code in accepted],
            "selected_shipping_option": option if keep_option else None,
            "custom": {**current["custom"], ucp_orders.CUSTOM_KEY: state},
        }
        params = CheckoutUpdate.model_validate(data)
        return await checkouts.update(ctx, principal, id, params.model_dump(exclude_unset=True))

    row = await _with_codes(_codes(body), state, run, request)
    return _checkout_response(request, row)


def _instrument(body: dict[str, Any]) -> dict[str, Any]:
    """The instrument a complete request pays with (``payment_data`` in 2026-01-11,
    the selected one of ``payment.instruments`` from 2026-04-08; either is read)."""
    if isinstance(body.get("payment_data"), dict):
        return dict(body["payment_data"])
    payment = _object(body.get("payment"), "$.payment")
    instruments = [i for i in payment.get("instruments") or [] if isinstance(i, dict)]
    chosen = [i for i in instruments if i.get("selected")] or instruments
    if not chosen:
        raise outcome(
            400,
            "invalid",
            "Send the payment instrument: payment.instruments[] (or payment_data).",
            path="$.payment.instruments",
            severity="recoverable",
        )
    return dict(chosen[0])


def _payment_details(principal: Principal, instrument: dict[str, Any]) -> dict[str, Any]:
    if instrument.get("handler_id") != versions.HANDLER_ID:
        raise outcome(
            400,
            "invalid",
            f"Unknown payment handler '{instrument.get('handler_id')}'; this business offers "
            f"'{versions.HANDLER_ID}'.",
            path="$.payment.instruments[0].handler_id",
            severity="recoverable",
        )
    credential = instrument.get("credential")
    if isinstance(credential, dict) and credential.get("type") == "card":
        return _card_details(principal, credential)
    token = credential.get("token") if isinstance(credential, dict) else None
    if not isinstance(token, str) or not token:
        raise outcome(
            400,
            "invalid",
            "The instrument needs credential.token.",
            path="$.payment.instruments[0].credential.token",
            severity="recoverable",
        )
    if principal.livemode:
        return {"payment_method": token}
    if token == FRAUD_TOKEN:
        raise outcome(403, "payment_rejected", "The payment was refused as likely fraud.")
    number = TEST_CARDS.get(token)
    if number is None:
        raise outcome(
            400,
            "invalid",
            f"Unknown test token '{token[:40]}'; use success_token, fail_token or fraud_token.",
            path="$.payment.instruments[0].credential.token",
            severity="recoverable",
        )
    return {"card_number": number, "exp_month": 12, "exp_year": 2099, "cvc": "123"}


def _card_details(principal: Principal, credential: dict[str, Any]) -> dict[str, Any]:
    """A card credential (``type: "card"``, a PAN or network token with its expiry):
    charged by the test processor in test mode; live card data is not taken here (a
    business outside PCI scope takes delegated tokens in live mode)."""
    path = "$.payment.instruments[0].credential"
    if principal.livemode:
        raise outcome(
            400,
            "invalid",
            "Card credentials are accepted in test mode only; send a token.",
            path=path,
            severity="recoverable",
        )
    number = credential.get("number")
    month, year = credential.get("expiry_month"), credential.get("expiry_year")
    if not isinstance(number, str) or not isinstance(month, int) or not isinstance(year, int):
        raise outcome(
            400,
            "invalid",
            "A card credential needs number, expiry_month and expiry_year.",
            path=path,
            severity="recoverable",
        )
    details: dict[str, Any] = {"card_number": number, "exp_month": month, "exp_year": year}
    if isinstance(credential.get("cvc"), str):
        details["cvc"] = credential["cvc"]
    return details


def _mandate_refusal(
    request: Request, body: dict[str, Any], shaped: dict[str, Any]
) -> dict[str, Any] | None:
    """Why an AP2 session's complete request may not pay (None: its mandate holds)."""
    sent = body.get("ap2")
    mandate = sent.get("checkout_mandate") if isinstance(sent, dict) else None
    try:
        if not isinstance(mandate, str) or not mandate:
            raise ap2.MandateError(
                "mandate_required", "AP2 was negotiated: send ap2.checkout_mandate."
            )
        ap2.verify_mandate(_ctx(request).settings, mandate, _agent(request).signing_keys, shaped)
    except ap2.MandateError as exc:
        return {
            "type": "error",
            "code": exc.code,
            "path": "$.ap2.checkout_mandate",
            "content": exc.message,
            "severity": "recoverable",
        }
    return None


@router.post("/checkout-sessions/{id}/complete", summary="Complete a checkout session")
async def complete_checkout(
    request: Request, id: str, body: dict[str, Any] = Body(...)
) -> Response:
    """Pay with the mock handler; success answers `completed` with the `order`."""
    ctx, principal, agent = _ctx(request), _principal(request), _agent(request)
    instrument = _instrument(body)
    details = _payment_details(principal, instrument)
    row = await checkouts.retrieve(ctx, principal, id)
    resource = _resource(ctx, row)
    shaped = _shaped(request, resource)
    if shaped["status"] == "incomplete":
        return json_response(shaped)
    if _ap2_locked(agent, resource):
        refusal = _mandate_refusal(request, body, shaped)
        if refusal is not None:
            return _checkout_response(request, row, messages=[refusal])
    billing = instrument.get("billing_address")
    if isinstance(billing, dict) and not resource["customer"].get("billing_address"):
        address = mapping.native_address(billing)
        if address:
            params = CheckoutUpdate.model_validate({"customer": {"billing_address": address}})
            await checkouts.update(ctx, principal, id, params.model_dump(exclude_unset=True))
    try:
        paid = await checkouts.complete(
            ctx, principal, id, checkouts.PaymentParams(method="card", details=details)
        )
    except Conflict as exc:
        if exc.code == "checkout_not_ready":
            return _checkout_response(request, await checkouts.retrieve(ctx, principal, id))
        raise
    except InvalidValue as exc:
        stock = _stock_outcome(exc, request)
        if stock is not None:
            raise stock from exc
        raise
    return _checkout_response(request, paid)


@router.post("/checkout-sessions/{id}/cancel", summary="Cancel a checkout session")
async def cancel_checkout(request: Request, id: str) -> Response:
    row = await checkouts.cancel(_ctx(request), _principal(request), id)
    return _checkout_response(request, row)


# --- orders ---------------------------------------------------------------------


async def _order_response(request: Request, order_id: str) -> Response:
    ctx, principal, agent = _ctx(request), _principal(request), _agent(request)
    row = await orders.retrieve(ctx, principal, order_id)
    resource = orders.order_resource(row)
    checkout = _resource(ctx, await checkouts.retrieve(ctx, principal, resource["checkout"]))
    return json_response(
        ucp_orders.order(agent.version, resource, agent.capabilities, checkout["permalink"])
    )


@router.get("/orders/{id}", summary="Get an order")
async def get_order(request: Request, id: str) -> Response:
    return await _order_response(request, id)


@router.post(
    "/testing/simulate-shipping/{id}",
    summary="Test only: mark an order shipped",
    include_in_schema=True,
)
async def simulate_shipping(
    request: Request,
    id: str,
    simulation_secret: str | None = Header(None, alias="Simulation-Secret"),
) -> Response:
    """Only when `OPENCHECKOUT_UCP_SIMULATION_SECRET` is set and sent in
    `Simulation-Secret` (403 otherwise): adds a `shipped` fulfillment event."""
    ctx = _ctx(request)
    secret = ctx.settings.ucp_simulation_secret
    if (
        not secret
        or not simulation_secret
        or not hmac.compare_digest(secret.encode(), simulation_secret.encode())
    ):
        raise UcpError(403, "forbidden", "Simulation is not enabled for this caller.")
    await account_id(ctx, request.app.state)
    try:
        await orders.add_fulfillment_event(
            ctx,
            _principal(request),
            id,
            orders.NewFulfillmentEvent(type="shipped", carrier="Simulated Carrier"),
        )
    except NotFound:
        raise
    return await _order_response(request, id)


__all__ = ["discovery", "router", "version_of"]

"""Translation between ACP (2026-04-17) and the native checkout shapes.

Requests become native create/update parameters, validated by the native
schemas and applied by the native services; responses are built from the
native ``checkout`` resource (:func:`opencheckout.service.views.checkout_resource`),
so totals, readiness and status come from one place. What ACP has and the
native model lacks (the fulfillment contact's name, order notes, the discount
codes an agent sent and why some were rejected) is kept under ``custom.acp``.

Mapping decisions, in one place:

* ``buyer`` <-> ``customer`` (email, first/last name, phone, ``customer_id`` <->
  ``customer.id``, ``company.name``/``tax_id``); a lone ``full_name`` is split
  at its last space.
* ``fulfillment_details.address`` <-> ``customer.billing_address``: the native
  session keeps one postal address, the one tax and shipping use. Contact
  email and phone fill the customer's when the buyer gave none.
* ``fulfillment_options`` <-> ``shipping_options`` (type ``shipping``), the
  selected one <-> ``selected_shipping_option`` (one per session).
* ``discounts.codes`` (and the deprecated ``coupons``) <-> native
  ``discounts`` by code; a code the native rules refuse is reported in
  ``discounts.rejected`` and as a warning message instead of failing the request.
* Statuses: pending/failed -> ``ready_for_payment`` or ``not_ready_for_payment``
  (native readiness), processing -> ``in_progress``, completed -> ``completed``,
  abandoned -> ``canceled``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import orjson
from fastapi import Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from opencheckout.api.compat.acp_schemas import (
    API_VERSION,
    Address,
    Buyer,
    FulfillmentDetails,
    LineItemIn,
)
from opencheckout.api.errors import APIError
from opencheckout.domain.errors import (
    Conflict,
    DomainError,
    NotFound,
    PaymentDeclined,
    ProcessorUnavailable,
)
from opencheckout.service.acp_orders import CUSTOM_KEY, order_of, session_totals

SUPPORTED_VERSIONS = (API_VERSION,)
LOCALES = frozenset({"ca", "de", "en", "es", "fi", "fr", "hu", "it", "nb", "nl", "no", "sv"})
#: The payment handler this server offers: delegated card tokens.
HANDLER_ID = "card_tokenized"


class AcpError(Exception):
    """A refusal in the spec's flat ``Error`` shape."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        param: str | None = None,
        type: str = "invalid_request",
        headers: dict[str, str] | None = None,
        supported_versions: Sequence[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.param = param
        self.type = type
        self.headers = headers
        self.supported_versions = supported_versions


def error_response(exc: AcpError) -> Response:
    body: dict[str, Any] = {"type": exc.type, "code": exc.code, "message": exc.message}
    if exc.param is not None:
        body["param"] = exc.param
    if exc.supported_versions is not None:
        body["supported_versions"] = list(exc.supported_versions)
    return Response(
        orjson.dumps(body),
        status_code=exc.status_code,
        media_type="application/json",
        headers=exc.headers,
    )


# --------------------------------------------------------------------------- #
# Paths: native parameter names and validation locations -> RFC 9535 JSONPath
# --------------------------------------------------------------------------- #

_ADDRESS_FIELDS = {
    "line1": "line_one",
    "line2": "line_two",
    "city": "city",
    "postal_code": "postal_code",
    "state": "state",
    "country": "country",
}
_CUSTOMER_FIELDS = {
    "email": "$.buyer.email",
    "first_name": "$.buyer.first_name",
    "last_name": "$.buyer.last_name",
    "phone": "$.buyer.phone_number",
    "id": "$.buyer.customer_id",
    "company": "$.buyer.company.name",
    "tax_id": "$.buyer.company.tax_id",
}
_LINE = re.compile(r"^line_items\[(\d+)\](?:\.(\w+))?")
DISCOUNT_PARAM = re.compile(r"^discounts\[(\d+)\]")


def json_path(location: Sequence[Any]) -> str | None:
    """``("line_items", 0, "id")`` -> ``$.line_items[0].id``."""
    path = "$"
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and not part.startswith(("function-", "model-")):
            path += f".{part}"
    return None if path == "$" else path


def acp_param(
    native: str | None,
    *,
    line_paths: Sequence[str] = (),
    address_root: str = "$.fulfillment_details.address",
) -> str | None:
    """Where a native parameter came from in the ACP request."""
    if not native:
        return None
    if native.startswith("customer.billing_address"):
        field = native.removeprefix("customer.billing_address").lstrip(".")
        return f"{address_root}.{_ADDRESS_FIELDS.get(field, field)}" if field else address_root
    if native.startswith("customer."):
        return _CUSTOMER_FIELDS.get(native.removeprefix("customer."), "$.buyer")
    line = _LINE.match(native)
    if line:
        index = int(line.group(1))
        if line.group(2) == "quantity":
            return f"$.line_items[{index}].quantity"
        id_path = line_paths[index] if index < len(line_paths) else "id"
        return f"$.line_items[{index}].{id_path}"
    discount = DISCOUNT_PARAM.match(native)
    if discount:
        return f"$.discounts.codes[{discount.group(1)}]"
    if native == "selected_shipping_option":
        return "$.selected_fulfillment_options[0].option_id"
    if native == "custom":
        return "$.order_notes"
    return "$." + native


def validation_error(exc: ValidationError | RequestValidationError, *, in_body: bool) -> AcpError:
    """The first problem pydantic found, as a flat 400 with a JSONPath."""
    errors = exc.errors()
    first = errors[0] if errors else {"type": "value_error", "loc": (), "msg": "Invalid."}
    location = list(first.get("loc", ()))
    if in_body and location and location[0] == "body":
        location = location[1:]
    if first["type"] == "json_invalid":
        return AcpError(400, "invalid_json", "The request body is not valid JSON.")
    param = json_path(location)
    if first["type"] == "missing":
        if param is None:
            return AcpError(400, "missing", "A JSON object is required as the request body.")
        return AcpError(400, "missing", f"Missing required field: {param}.", param=param)
    if first["type"] == "extra_forbidden":
        return AcpError(400, "invalid", f"Unknown field: {param}.", param=param)
    message = str(first.get("msg", "Invalid value.")).removeprefix("Value error, ")
    return AcpError(400, "invalid", f"Invalid {param}: {message}", param=param)


def native_validation_error(
    exc: ValidationError, *, line_paths: Sequence[str] = (), address_root: str | None = None
) -> AcpError:
    """A native schema's refusal, pointed back at the ACP field that caused it."""
    first = exc.errors()[0]
    native = ".".join(
        f"[{part}]" if isinstance(part, int) else str(part) for part in first.get("loc", ())
    ).replace(".[", "[")
    kwargs: dict[str, Any] = {"line_paths": line_paths}
    if address_root is not None:
        kwargs["address_root"] = address_root
    param = acp_param(native, **kwargs)
    context = first.get("ctx")
    code = (
        str(context.get("code")) if isinstance(context, dict) and context.get("code") else "invalid"
    )
    message = str(first.get("msg", "Invalid value.")).removeprefix("Value error, ")
    return AcpError(400, code, f"Invalid {param}: {message}", param=param)


_ITEM_CODES = frozenset({"product_not_found", "product_archived", "product_currency_mismatch"})


def domain_error(
    exc: DomainError, *, line_paths: Sequence[str] = (), address_root: str | None = None
) -> AcpError:
    """A native business refusal as a flat error (state conflicts keep 409)."""
    kwargs: dict[str, Any] = {"line_paths": line_paths}
    if address_root is not None:
        kwargs["address_root"] = address_root
    if exc.code == "idempotency_conflict":
        return AcpError(
            422,
            "idempotency_conflict",
            "Idempotency-Key has already been used with a different request body.",
        )
    if exc.code == "idempotency_in_flight":
        return AcpError(
            409,
            "idempotency_in_flight",
            "A request with this Idempotency-Key is currently being processed.",
            headers={"Retry-After": "1"},
        )
    if exc.code == "idempotency_key_invalid":
        return AcpError(400, exc.code, exc.message)
    if isinstance(exc, NotFound):
        return AcpError(404, "not_found", exc.message)
    if isinstance(exc, ProcessorUnavailable):
        return AcpError(503, exc.code, exc.message, type="service_unavailable")
    param = acp_param(exc.param, **kwargs)
    if exc.code in _ITEM_CODES:
        return AcpError(400, "invalid_item_id", exc.message, param=param)
    if isinstance(exc, Conflict):
        return AcpError(409, exc.code, exc.message)
    if isinstance(exc, PaymentDeclined):
        return AcpError(402, exc.code, exc.message)
    return AcpError(400, exc.code, exc.message, param=param)


_API_TYPES = {"api_error": "processing_error"}


def render_error(exc: Exception) -> Response | None:
    """Every exception an ACP route may raise, in the flat ``Error`` shape.

    The idempotency layer stores and replays what this returns; None means an
    unexpected failure (the caller answers 500 and does not store it).
    """
    if isinstance(exc, AcpError):
        return error_response(exc)
    if isinstance(exc, RequestValidationError | ValidationError):
        return error_response(validation_error(exc, in_body=True))
    if isinstance(exc, DomainError):
        return error_response(domain_error(exc))
    if isinstance(exc, StarletteHTTPException) and exc.status_code < 500:
        # FastAPI's own refusals, e.g. a body that is not UTF-8 JSON.
        code = "invalid_json" if exc.status_code == 400 else "http_error"
        headers = dict(exc.headers) if exc.headers else None
        return error_response(AcpError(exc.status_code, code, str(exc.detail), headers=headers))
    if isinstance(exc, APIError):
        if exc.code == "idempotency_key_required":
            message = "Idempotency-Key header is required."
        else:
            message = exc.message
        param = exc.param if exc.param and exc.param.startswith("$") else None
        return error_response(
            AcpError(
                exc.status_code,
                exc.code,
                message,
                param=param,
                type=_API_TYPES.get(exc.type, "invalid_request"),
                headers=exc.headers,
            )
        )
    return None


# --------------------------------------------------------------------------- #
# Requests -> native parameters
# --------------------------------------------------------------------------- #


def _blank(value: str | None) -> str | None:
    return value if value else None


def native_locale(locale: str | None) -> str:
    """``en-US`` -> ``en``; a language the hosted page does not speak -> ``auto``."""
    if not locale:
        return "auto"
    language = locale.replace("_", "-").split("-")[0].lower()
    return language if language in LOCALES else "auto"


def native_metadata(metadata: dict[str, Any] | None) -> dict[str, str]:
    """ACP metadata is any JSON; native metadata values are strings."""
    out: dict[str, str] = {}
    for key, value in (metadata or {}).items():
        if value is None:
            continue
        out[str(key)] = value if isinstance(value, str) else orjson.dumps(value).decode()
    return out


def native_address(address: Address) -> dict[str, Any]:
    return {
        "line1": address.line_one,
        "line2": _blank(address.line_two),
        "city": address.city,
        "postal_code": address.postal_code,
        "state": _blank(address.state),
        "country": address.country,
    }


def native_customer(
    buyer: Buyer | None, details: FulfillmentDetails | None, current: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The native customer fields an ACP request sets (None: it sets none)."""
    current = current or {}
    out: dict[str, Any] = {}
    if buyer is not None:
        out["email"] = buyer.email
        first, last = buyer.first_name, buyer.last_name
        if first is None and last is None and buyer.full_name:
            head, _, tail = buyer.full_name.strip().rpartition(" ")
            first, last = (head, tail) if head else (tail, None)
        if first is not None:
            out["first_name"] = first
        if last is not None:
            out["last_name"] = last
        if buyer.phone_number is not None:
            out["phone"] = buyer.phone_number
        if buyer.customer_id is not None:
            out["id"] = buyer.customer_id
        if buyer.company is not None:
            out["company"] = buyer.company.name
            if buyer.company.tax_id is not None:
                out["tax_id"] = buyer.company.tax_id
    if details is not None:
        if details.address is not None:
            out["billing_address"] = native_address(details.address)
        if details.email and "email" not in out and not current.get("email"):
            out["email"] = details.email
        if details.phone_number and "phone" not in out and not current.get("phone"):
            out["phone"] = details.phone_number
    return out or None


def fulfillment_extras(details: FulfillmentDetails) -> dict[str, Any]:
    """The parts of ``fulfillment_details`` with no native field."""
    extras: dict[str, Any] = {}
    if details.name is not None:
        extras["name"] = details.name
    if details.address is not None:
        extras["address_name"] = details.address.name
        extras["address_company"] = details.address.company
    return extras


def native_lines(entries: Sequence[LineItemIn]) -> list[dict[str, Any]]:
    """Lines by catalog SKU: the catalog supplies name, price and tax rates."""
    return [{"product": entry.item_id, "quantity": entry.quantity} for entry in entries]


def discount_codes(codes: Sequence[str] | None, coupons: Sequence[str] | None) -> list[str] | None:
    """``discounts.codes`` wins over the deprecated ``coupons``; duplicates collapse."""
    chosen = codes if codes is not None else coupons
    return None if chosen is None else list(dict.fromkeys(chosen))


#: Native coupon refusals -> the spec's ``DiscountErrorCode``.
REJECTION_REASONS = {
    "coupon_expired": "discount_code_expired",
    "coupon_exhausted": "discount_code_usage_limit_reached",
    "coupon_duplicate": "discount_code_already_applied",
    "discounts_limit_reached": "discount_code_combination_disallowed",
}


def rejection(code: str, native_code: str, message: str) -> dict[str, str]:
    return {
        "code": code,
        "reason": REJECTION_REASONS.get(native_code, "discount_code_invalid"),
        "message": message,
    }


# --------------------------------------------------------------------------- #
# Native resource -> ACP CheckoutSession
# --------------------------------------------------------------------------- #


def acp_state(resource: dict[str, Any]) -> dict[str, Any]:
    custom = resource.get("custom") or {}
    state = custom.get(CUSTOM_KEY)
    return state if isinstance(state, dict) else {}


def acp_status(resource: dict[str, Any]) -> str:
    status = resource["status"]
    if status in ("pending", "failed"):
        return "ready_for_payment" if resource["ready_for_payment"] else "not_ready_for_payment"
    return {"processing": "in_progress", "completed": "completed"}.get(status, "canceled")


def _line_item(line: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": line["id"],
        "item": {"id": line["product"]},
        "quantity": line["quantity"],
        "name": line["name"],
        "unit_amount": line["unit_amount"],
        "product_id": line["product"],
        "totals": [
            {
                "type": "items_base_amount",
                "display_text": "Base amount",
                "amount": line["amount_subtotal"],
            },
            {"type": "discount", "display_text": "Discount", "amount": line["amount_discount"]},
            {
                "type": "subtotal",
                "display_text": "Subtotal",
                "amount": line["amount_subtotal"] - line["amount_discount"],
            },
            {"type": "tax", "display_text": "Tax", "amount": line["amount_tax"]},
            {"type": "total", "display_text": "Total", "amount": line["amount_total"]},
        ],
    }
    if line.get("description"):
        item["description"] = line["description"]
    return item


_UNITS = {
    "hour": "hour",
    "day": "day",
    "business_day": "business day",
    "week": "week",
    "month": "month",
}


def _estimate_text(estimate: dict[str, Any] | None) -> str | None:
    if not estimate:
        return None
    low, high, unit = estimate.get("minimum"), estimate.get("maximum"), _UNITS[estimate["unit"]]
    if low is not None and high is not None and low != high:
        return f"Arrives in {low}-{high} {unit}s"
    value = high if high is not None else low
    if value is None:
        return None
    return f"Arrives in {value} {unit}{'' if value == 1 else 's'}"


def _fulfillment_option(option: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "shipping",
        "id": option["id"],
        "title": option["display_name"],
        "totals": [
            {
                "type": "fulfillment",
                "display_text": option["display_name"],
                "amount": option["amount"],
            },
            {"type": "total", "display_text": "Total", "amount": option["amount"]},
        ],
    }
    description = _estimate_text(option.get("delivery_estimate"))
    if description:
        out["description"] = description
    return out


def _full_name(customer: dict[str, Any]) -> str | None:
    parts = [customer.get("first_name"), customer.get("last_name")]
    name = " ".join(part for part in parts if part)
    return name or None


def _buyer(customer: dict[str, Any]) -> dict[str, Any] | None:
    if not customer.get("email"):
        return None  # the spec's Buyer requires an email
    buyer: dict[str, Any] = {"email": customer["email"]}
    for native, acp in (
        ("first_name", "first_name"),
        ("last_name", "last_name"),
        ("phone", "phone_number"),
        ("id", "customer_id"),
    ):
        if customer.get(native):
            buyer[acp] = customer[native]
    if customer.get("company"):
        buyer["company"] = {"name": customer["company"]}
        if customer.get("tax_id"):
            buyer["company"]["tax_id"] = customer["tax_id"]
    return buyer


def _fulfillment_details(customer: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any] | None:
    details: dict[str, Any] = {}
    name = extras.get("name") or _full_name(customer)
    if name:
        details["name"] = name
    if customer.get("phone"):
        details["phone_number"] = customer["phone"]
    if customer.get("email"):
        details["email"] = customer["email"]
    address = customer.get("billing_address") or {}
    if all(address.get(field) for field in ("line1", "city", "postal_code", "country")):
        details["address"] = {
            "name": extras.get("address_name") or name or "",
            "line_one": address["line1"],
            "city": address["city"],
            "state": address.get("state") or "",
            "country": address["country"],
            "postal_code": address["postal_code"],
        }
        if address.get("line2"):
            details["address"]["line_two"] = address["line2"]
        if extras.get("address_company"):
            details["address"]["company"] = extras["address_company"]
    return details or None


def _applied_discount(discount: dict[str, Any]) -> dict[str, Any]:
    coupon: dict[str, Any] = {
        "id": discount["coupon"],
        "name": discount["name"] or discount["code"] or discount["coupon"],
    }
    if discount["percent_off"] is not None:
        coupon["percent_off"] = discount["percent_off"]
    if discount["amount_off"] is not None:
        coupon["amount_off"] = discount["amount_off"]
    if discount["currency"]:
        coupon["currency"] = discount["currency"].lower()
    applied: dict[str, Any] = {
        "id": f"{discount['coupon']}_{discount['applied_by']}",
        "coupon": coupon,
        "amount": discount["amount"],
    }
    if discount["code"]:
        applied["code"] = discount["code"]
    return applied


def _discounts(resource: dict[str, Any], state: dict[str, Any]) -> dict[str, Any] | None:
    sent = state.get("discounts") or {}
    if not resource["discounts"] and not sent.get("codes"):
        return None
    out: dict[str, Any] = {
        "codes": list(sent.get("codes") or [d["code"] for d in resource["discounts"] if d["code"]]),
        "applied": [_applied_discount(discount) for discount in resource["discounts"]],
    }
    if sent.get("rejected"):
        out["rejected"] = list(sent["rejected"])
    return out


_MISSING_TEXT = {
    "customer.email": ("$.buyer.email", "The buyer's email address is required."),
    "selected_shipping_option": (
        "$.selected_fulfillment_options",
        "Choose one of the fulfillment options.",
    ),
}


def message(
    kind: str, content: str, *, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """One ``messages[]`` entry (``info``, ``warning`` or ``error``), plain text."""
    entry: dict[str, Any] = {"type": kind}
    if code is not None:
        entry["code"] = code
    if param is not None:
        entry["param"] = param
    if kind != "info":
        entry["resolution"] = (
            "requires_buyer_input" if code in ("missing", "payment_declined") else "recoverable"
        )
    entry.update(content_type="plain", content=content)
    return entry


def missing_messages(missing: Sequence[str]) -> list[dict[str, Any]]:
    """Native ``missing_fields`` as ACP ``missing`` errors with JSONPaths."""
    messages: list[dict[str, Any]] = []
    address = [name for name in missing if name.startswith("customer.billing_address.")]
    for name in missing:
        if name in _MISSING_TEXT:
            param, text = _MISSING_TEXT[name]
            messages.append(message("error", text, code="missing", param=param))
    if len(address) == 4:  # nothing of the address yet: ask for it as a whole
        messages.append(
            message(
                "error",
                "A fulfillment address is required.",
                code="missing",
                param="$.fulfillment_details.address",
            )
        )
    else:
        for name in address:
            field = _ADDRESS_FIELDS[name.rsplit(".", 1)[1]]
            messages.append(
                message(
                    "error",
                    f"The fulfillment address needs its {field.replace('_', ' ')}.",
                    code="missing",
                    param=f"$.fulfillment_details.address.{field}",
                )
            )
    return messages


def capabilities(psp: str, livemode: bool) -> dict[str, Any]:
    """One payment handler: delegated card tokens, charged through ``psp``."""
    return {
        "payment": {
            "handlers": [
                {
                    "id": HANDLER_ID,
                    "name": "dev.acp.tokenized.card",
                    "display_name": "Card",
                    "version": "2026-01-22",
                    "spec": "https://acp.dev/handlers/tokenized.card",
                    "requires_delegate_payment": True,
                    "requires_pci_compliance": False,
                    "psp": psp,
                    "config_schema": "https://acp.dev/schemas/handlers/tokenized.card/config.json",
                    "instrument_schemas": [
                        "https://acp.dev/schemas/handlers/tokenized.card/instrument.json"
                    ],
                    "config": {
                        "accepted_brands": ["visa", "mastercard", "amex"],
                        "environment": "production" if livemode else "test",
                    },
                }
            ]
        }
    }


def checkout_session(
    resource: dict[str, Any],
    *,
    psp: str,
    extra_messages: Sequence[dict[str, Any]] = (),
) -> dict[str, Any]:
    """The ACP ``CheckoutSession`` (with ``order`` once paid) for a native resource."""
    state = acp_state(resource)
    status = acp_status(resource)
    customer = resource["customer"]
    messages: list[dict[str, Any]] = []
    if resource["status"] in ("pending", "failed"):
        messages.extend(missing_messages(resource["missing_fields"]))
    if resource["status"] == "failed" and not any(
        m.get("code") == "payment_declined" for m in extra_messages
    ):
        messages.append(
            message(
                "error",
                "The last payment attempt was declined; try another payment method.",
                code="payment_declined",
                param="$.payment_data",
            )
        )
    if resource["status"] == "processing":
        messages.append(message("info", "The payment is being confirmed by the processor."))
    for index, code in enumerate((state.get("discounts") or {}).get("codes") or []):
        for rejected in (state.get("discounts") or {}).get("rejected") or []:
            if rejected["code"] == code:
                messages.append(
                    message(
                        "warning",
                        rejected["message"],
                        code=rejected["reason"],
                        param=f"$.discounts.codes[{index}]",
                    )
                )
    messages.extend(extra_messages)
    session: dict[str, Any] = {
        "id": resource["id"],
        "protocol": {"version": API_VERSION},
        "capabilities": capabilities(psp, resource["livemode"]),
        "status": status,
        "currency": resource["currency"],
        "line_items": [_line_item(line) for line in resource["line_items"]],
        "fulfillment_options": [_fulfillment_option(o) for o in resource["shipping_options"]],
        "totals": session_totals(resource),
        "messages": messages,
        "links": [],
        "created_at": resource["created_at"],
        "updated_at": resource["updated_at"],
    }
    buyer = _buyer(customer)
    if buyer is not None:
        session["buyer"] = buyer
    details = _fulfillment_details(customer, state.get("fulfillment") or {})
    if details is not None:
        session["fulfillment_details"] = details
    if resource["selected_shipping_option"] is not None:
        session["selected_fulfillment_options"] = [
            {
                "type": "shipping",
                "option_id": resource["selected_shipping_option"],
                "item_ids": [line["id"] for line in resource["line_items"]],
            }
        ]
    if resource["locale"] != "auto":
        session["locale"] = resource["locale"]
    if resource["metadata"]:
        session["metadata"] = resource["metadata"]
    discounts = _discounts(resource, state)
    if discounts is not None:
        session["discounts"] = discounts
    if resource["status"] in ("pending", "failed"):
        session["continue_url"] = resource["permalink"]
        session["expires_at"] = resource["expires_at"]
    if resource["status"] == "completed":
        session["order"] = order_of(resource)
    return session

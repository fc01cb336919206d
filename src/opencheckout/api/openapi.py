"""The OpenAPI document, completed where FastAPI's generator stops.

Applied to every operation after generation, so routes added later get the
same treatment:

* ``429`` (the rate limiter answers it before routing, so no route declares it);
* the ``Idempotency-Key`` header on every POST whose route class honours it;
* the error ``code`` values each documented status can carry, in the
  response's description and as ``x-error-codes`` (``{status: [codes]}``):
  the shared layers' codes, the route's own (:data:`ROUTE_CODES`), and the 422
  codes its request body's validators raise, read from the validators' source
  (:func:`body_codes`), so a new field type brings its codes along;
* an example for every request body and JSON response, built from its schema
  (explicit examples and defaults first), so the examples cannot drift from it;
* a description for the parameters the routers leave undescribed (ids, paging,
  filters), said once here by name, and for FastAPI's own validation schemas.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Annotated, Any, get_args, get_origin

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from starlette.routing import BaseRoute

from opencheckout.api.idempotency import IdempotentRoute

Document = dict[str, Any]

#: Codes the shared layers (auth, body guard, validation, rate limit) answer with.
COMMON_CODES: dict[str, list[str]] = {
    "400": ["invalid_json", "body_missing"],
    "401": ["api_key_missing", "api_key_invalid"],
    "402": ["card_declined"],
    "403": ["insufficient_scope"],
    "404": ["resource_missing"],
    "409": ["state_conflict"],
    "413": ["body_too_large"],
    "415": ["unsupported_media_type"],
    "422": ["parameter_invalid", "parameter_missing", "parameter_unknown"],
    "429": ["rate_limited"],
    "500": ["internal_error"],
    "502": ["processor_unavailable"],
    "503": ["database_unavailable"],
}
#: What an idempotent POST adds.
IDEMPOTENCY_CODES = {
    "409": ["idempotency_in_flight"],
    "422": ["idempotency_key_invalid", "idempotency_conflict"],
}
#: Codes a session's lines, discounts, shipping and custom fields can be refused
#: with (service.checkout_pricing, service.coupons, service.tax_rates, domain).
_CART_422 = [
    "product_not_found",
    "product_archived",
    "product_currency_mismatch",
    "amount_too_large",
    "amount_precision_invalid",
    "insufficient_stock",
    "quantity_out_of_range",
    "quantity_not_adjustable",
    "tax_rate_not_found",
    "tax_rate_inactive",
    "coupon_invalid",
    "coupon_inactive",
    "coupon_expired",
    "coupon_currency_mismatch",
    "coupon_duplicate",
    "coupon_exhausted",
    "shipping_option_invalid",
    "custom_field_invalid",
    "custom_field_unknown",
    "custom_field_duplicate",
    "payment_method_not_allowed",
    "processor_not_configured",
]
_CART_409 = ["coupon_exhausted", "discounts_limit_reached", "coupon_collection_disabled"]
#: What the built-in test processor and the processors' declines answer (402);
#: a real processor may pass on its own decline code.
_DECLINES = [
    "card_declined",
    "insufficient_funds",
    "expired_card",
    "incorrect_number",
    "incomplete_card",
    "test_mode_live_card",
    "payment_method_unsupported",
]
#: Lists filtered by `created[gte]`… (api.params.created_range).
_CREATED_422 = {"422": ["timestamp_invalid"]}
#: Route-specific codes (method, path template) -> status -> codes. The HTTP tests
#: record every code the routes answer and fail the run on one missing here
#: (tests/error_codes.py).
ROUTE_CODES: dict[tuple[str, str], dict[str, list[str]]] = {
    ("post", "/v1/checkouts"): {"409": _CART_409, "422": _CART_422},
    ("get", "/v1/checkouts"): _CREATED_422,
    ("patch", "/v1/checkouts/{checkout_id}"): {
        "409": ["checkout_not_editable", "checkout_conflict", *_CART_409],
        "422": [*_CART_422, "line_item_unknown"],
    },
    ("delete", "/v1/checkouts/{checkout_id}"): {"409": ["checkout_not_deletable"]},
    ("post", "/v1/checkouts/{checkout_id}/complete"): {
        "402": _DECLINES,
        "409": [
            "checkout_not_payable",
            "checkout_not_ready",
            "processor_not_configured",
            "amount_changed",
            "insufficient_stock",
            "checkout_link_exhausted",
            "checkout_conflict",
            # A coupon that lapsed since it was applied is found at payment.
            "coupon_invalid",
            "coupon_inactive",
            "coupon_expired",
            *_CART_409,
        ],
        "422": [
            "payment_method_not_allowed",
            "processor_not_configured",
            "amount_not_chargeable",
            *_CART_422,
        ],
    },
    ("post", "/v1/checkouts/{checkout_id}/cancel"): {"409": ["checkout_not_cancelable"]},
    ("post", "/v1/checkouts/{checkout_id}/recover"): {
        "409": ["checkout_not_recoverable", *_CART_409],
        "422": _CART_422,
    },
    ("post", "/v1/checkouts/{checkout_id}/discounts"): {
        "409": ["checkout_not_editable", *_CART_409],
        "422": _CART_422,
    },
    ("delete", "/v1/checkouts/{checkout_id}/discounts/{coupon_id}"): {
        "409": ["checkout_not_editable", "coupon_collection_disabled"],
    },
    ("post", "/v1/checkouts/{checkout_id}/refunds"): {
        "409": ["checkout_not_refundable", "processor_not_configured"],
        "422": ["refund_amount_invalid"],
    },
    ("post", "/v1/products"): {
        "409": ["product_exists"],
        "422": ["tax_rate_not_found", "tax_rate_inactive"],
    },
    ("patch", "/v1/products/{product_id}"): {"422": ["tax_rate_not_found", "tax_rate_inactive"]},
    ("post", "/v1/products/{product_id}/stock"): {"409": ["insufficient_stock"]},
    ("post", "/v1/coupons"): {"409": ["coupon_code_exists"]},
    ("post", "/v1/checkout_links"): {"422": _CART_422},
    ("patch", "/v1/checkout_links/{checkout_link_id}"): {"422": _CART_422},
    ("post", "/v1/customers"): {"409": ["customer_email_exists"]},
    ("patch", "/v1/customers/{customer_id}"): {"409": ["customer_email_exists"]},
    ("post", "/v1/customers/{customer_id}/addresses"): {"409": ["address_book_full"]},
    ("get", "/v1/orders"): _CREATED_422,
    ("post", "/v1/orders/{order_id}/fulfillment_events"): {
        "409": ["order_canceled", "order_limit_reached"],
        "422": ["line_item_unknown", "quantity_out_of_range"],
    },
    ("get", "/v1/events"): _CREATED_422,
    ("post", "/v1/webhook_endpoints"): {
        "422": ["url_invalid", "url_not_allowed", "webhook_endpoint_limit"],
    },
    ("patch", "/v1/webhook_endpoints/{endpoint_id}"): {"422": ["url_invalid", "url_not_allowed"]},
    ("post", "/v1/processors/stripe/webhook"): {
        "400": ["signature_invalid"],
        "404": ["processor_not_configured"],
        "409": ["payment_not_recorded"],
    },
    ("post", "/v1/processors/paypal/webhook"): {
        "400": ["signature_invalid"],
        "404": ["processor_not_configured"],
        "409": ["payment_not_recorded"],
        "502": ["processor_unavailable"],
    },
}

#: Parameters by name, where the route does not describe its own.
PARAMETERS: dict[str, str] = {
    "checkout_id": "The session's id (`cs_…`).",
    "checkout_session_id": "The session's id (`cs_…`), the same as in the native API.",
    "checkout_link_id": "The checkout link's id (`cl_…`).",
    "coupon_id": "The coupon's id (`coupon_…`).",
    "customer_id": "The customer's id (`cus_…`).",
    "address_id": "The saved address's id (`addr_…`).",
    "endpoint_id": "The webhook endpoint's id (`we_…`).",
    "event_id": "The event's id (`evt_…`).",
    "order_id": "The order's id (`ord_…`).",
    "product_id": "The product's SKU (its id).",
    "refund_id": "The refund's id (`re_…`).",
    "tax_rate_id": "The tax rate's id (`txr_…`).",
    "active": "Only active (true) or only inactive (false) objects; omitted: both.",
    "inclusive": "Only tax-inclusive (true) or only tax-exclusive (false) rates; omitted: both.",
    "email": "Only sessions whose buyer has this email address (compared case-insensitively).",
    "client_reference_id": "Only sessions with this `client_reference_id`.",
    "processor_id": "Only the session with this payment id at the processor.",
    "payment_status": "Only sessions with this payment status.",
    "ids[]": "Only these sessions (`cs_…`); repeat the parameter for several.",
    "customer_ids[]": "Only sessions linked to these customers (`cus_…`); repeatable.",
    "product_ids[]": "Only sessions with a line for one of these SKUs; repeatable.",
    "group_keys[]": "Only sessions with one of these `group_key`s; repeatable.",
    "status[]": "Only objects with one of these statuses; repeatable.",
    "types[]": "Only events of these types, e.g. `checkout.completed`; repeatable.",
    "status": "Only objects with this status.",
    "version": "A UCP protocol version this server answers, e.g. `2026-01-11`.",
    "UCP-Agent": 'The agent\'s profile URL as UCP defines it: `profile="https://…"`.',
    "Simulation-Secret": (
        "The secret set in `OPENCHECKOUT_UCP_SIMULATION_SECRET` (conformance runs only); "
        "without it the route answers 403."
    ),
}
#: Path parameters named after no resource: the path's resource says which.
PATH_IDS: dict[str, str] = {
    "/v1/shipping_rates/": "The shipping rate's id (`shr_…`).",
    "/v1/shipping_promotions/": "The shipping promotion's id (`shp_…`).",
    "/ucp/checkout-sessions/": "The session's id (`cs_…`), the same as in the native API.",
    "/ucp/orders/": "The order's id (`ord_…`).",
    "/ucp/testing/simulate-shipping/": "The order's id (`ord_…`) to mark as shipped.",
}

_ERROR_SCHEMA = {"$ref": "#/components/schemas/ErrorResponse"}
_UNEXPECTED = (
    "An unexpected failure (for instance the database went away mid-request). The "
    "body never carries internals; the `Request-Id` header finds the logged cause."
)
_TOO_MANY = (
    "Too many requests with this API key (per key and process; see the X-RateLimit-* "
    "headers). Retry after the number of seconds in `Retry-After`."
)


def install(app: FastAPI) -> None:
    """Replace ``app.openapi`` with the completed, cached document."""

    generate = app.openapi
    completed: list[Document] = []

    def openapi() -> Document:
        if not completed:
            document = generate()  # FastAPI's own, cached on the app
            complete(document, idempotent_operations(app), body_codes(app))
            completed.append(document)
        return completed[0]

    app.openapi = openapi  # type: ignore[method-assign]


def idempotent_operations(app: FastAPI) -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    for route in _flat_routes(app.router):
        if isinstance(route, IdempotentRoute) and "POST" in (route.methods or ()):
            found.add(("post", route.path))
    return found


def body_codes(app: FastAPI) -> dict[tuple[str, str], list[str]]:
    """(method, path) -> the 422 codes the route's request body validators can raise."""
    found: dict[tuple[str, str], list[str]] = {}
    for route in _flat_routes(app.router):
        if not isinstance(route, APIRoute) or route.body_field is None:
            continue
        codes = sorted(_type_codes(route.body_field.field_info.annotation, frozenset()))
        for method in route.methods or ():
            found[(method.lower(), route.path)] = codes
    return found


#: ``invalid("code", …)`` / ``code="…"`` in a validator's source.
_RAISED = re.compile(r"""invalid\(\s*["']([a-z_]+)["']|code\s*=\s*["']([a-z_]+)["']""")


@cache
def _function_codes(function: Callable[..., Any]) -> frozenset[str]:
    try:
        source = inspect.getsource(function)
    except (OSError, TypeError):
        return frozenset()
    return frozenset(a or b for a, b in _RAISED.findall(source))


def _metadata_codes(metadata: Any) -> set[str]:
    codes: set[str] = set()
    for item in metadata:
        function = getattr(item, "func", None)
        if callable(function):
            codes |= _function_codes(function)
    return codes


def _type_codes(annotation: Any, seen: frozenset[type]) -> set[str]:
    """The codes of every validator on ``annotation``, its arguments and model fields."""
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        return _metadata_codes(metadata) | _type_codes(base, seen)
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        if annotation in seen:
            return set()
        return _model_codes(annotation, seen | {annotation})
    codes: set[str] = set()
    for argument in get_args(annotation):
        codes |= _type_codes(argument, seen)
    return codes


def _model_codes(model: type[BaseModel], seen: frozenset[type]) -> set[str]:
    codes: set[str] = set()
    if model.model_config.get("extra") == "forbid":
        codes.add("parameter_unknown")
    decorators = model.__pydantic_decorators__
    for model_validator in decorators.model_validators.values():
        codes |= _function_codes(model_validator.func)
    for field_validator in decorators.field_validators.values():
        codes |= _function_codes(field_validator.func)
    for info in model.model_fields.values():
        codes |= _metadata_codes(info.metadata) | _type_codes(info.annotation, seen)
    return codes


def _flat_routes(router: Any) -> Iterator[BaseRoute]:
    for route in getattr(router, "routes", ()):
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flat_routes(inner)
        else:
            yield route


def complete(
    document: Document,
    idempotent: set[tuple[str, str]],
    validation: dict[tuple[str, str], list[str]] | None = None,
) -> None:
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("ErrorResponse", _error_response_schema())
    _describe_validation_schemas(schemas)
    example = ExampleBuilder(schemas)
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            _describe_parameters(operation, path)
            honours_key = (method, path) in idempotent
            if honours_key:
                _document_idempotency(operation)
            validated = (validation or {}).get((method, path), [])
            _document_errors(operation, method, path, honours_key, validated)
            _add_examples(operation, example)


def _describe_parameters(operation: Document, path: str) -> None:
    for parameter in operation.get("parameters", []):
        if parameter.get("description"):
            continue
        name = str(parameter.get("name"))
        text = PARAMETERS.get(name)
        if parameter.get("in") == "path" and name in ("id", "object_id"):
            text = next((t for prefix, t in PATH_IDS.items() if path.startswith(prefix)), None)
        if name == "limit":
            schema = parameter.get("schema", {})
            text = (
                f"How many objects per page: 1 to {schema.get('maximum', 100)}, "
                f"default {schema.get('default', 20)}."
            )
        if text:
            parameter["description"] = text


#: FastAPI's own schemas (its default 422 body), which no model of ours declares.
_VALIDATION_DESCRIPTIONS = {
    "HTTPValidationError": {"detail": "What failed validation, one entry per problem."},
    "ValidationError": {
        "loc": "Where: the location (`body`, `query`, `path`) and then the field's path.",
        "msg": "What is wrong, in words.",
        "type": "The kind of problem, e.g. `missing`.",
        "input": "The value that was refused.",
        "ctx": 'The rule\'s parameters, e.g. `{"ge": 1}`.',
    },
}


def _describe_validation_schemas(schemas: dict[str, Any]) -> None:
    for name, descriptions in _VALIDATION_DESCRIPTIONS.items():
        for prop, text in descriptions.items():
            target = schemas.get(name, {}).get("properties", {}).get(prop)
            if target is not None:
                target.setdefault("description", text)


def _document_idempotency(operation: Document) -> None:
    parameters: list[Document] = operation.setdefault("parameters", [])
    if any(p.get("name", "").lower() == "idempotency-key" for p in parameters):
        return
    parameters.append(
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": (
                "Any unique string (up to 255 characters, e.g. a UUID). A retry with the "
                "same key and body within 24 hours replays the first response "
                "(`Idempotent-Replayed: true`) instead of acting twice; the same key with "
                "another body is refused (422 `idempotency_conflict`), a key over 255 "
                "characters too (422 `idempotency_key_invalid`), and one still in flight "
                "answers 409 `idempotency_in_flight`."
            ),
            "schema": {"type": "string", "maxLength": 255},
            "example": "3f1c2a9e-6d0b-4b8e-9a57-2c1e0f6d9b11",
        }
    )


def _document_errors(
    operation: Document, method: str, path: str, idempotent: bool, validated: list[str]
) -> None:
    responses: dict[str, Document] = operation.setdefault("responses", {})
    responses.setdefault(
        "429",
        {"description": _TOO_MANY, "content": {"application/json": {"schema": _ERROR_SCHEMA}}},
    )
    if path.startswith("/v1/"):
        responses.setdefault(
            "500",
            {
                "description": _UNEXPECTED,
                "content": {"application/json": {"schema": _ERROR_SCHEMA}},
            },
        )
    extra = ROUTE_CODES.get((method, path), {})
    codes: dict[str, list[str]] = {}
    for status, response in responses.items():
        if not status.isdigit() or int(status) < 400:
            continue
        listed = [
            *COMMON_CODES.get(status, []),
            *(IDEMPOTENCY_CODES.get(status, []) if idempotent else []),
            *extra.get(status, []),
            *(validated if status == "422" else []),
        ]
        if not listed:
            listed = [f"http_{status}"]
        codes[status] = list(dict.fromkeys(listed))
        response["description"] = (
            response.get("description", "").rstrip()
            + " Error codes: "
            + ", ".join(f"`{code}`" for code in codes[status])
            + "."
        ).strip()
        content = response.setdefault("content", {}).setdefault("application/json", {})
        content.setdefault("schema", _ERROR_SCHEMA)
        if content["schema"] == _ERROR_SCHEMA:  # (ACP's flat errors get a generated one)
            content.setdefault("example", _error_example(status, codes[status][0]))
    operation["x-error-codes"] = codes


def _error_example(status: str, code: str) -> Document:
    kind = {
        "401": "authentication_error",
        "402": "card_error",
        "403": "permission_error",
        "429": "rate_limit_error",
    }.get(status, "api_error" if status.startswith("5") else "invalid_request_error")
    return {"error": {"type": kind, "code": code, "message": "A sentence for you.", "param": None}}


def _add_examples(operation: Document, example: ExampleBuilder) -> None:
    body = operation.get("requestBody", {}).get("content", {})
    for content in body.values():
        if "schema" in content and "example" not in content and "examples" not in content:
            content["example"] = example(content["schema"])
    for response in operation.get("responses", {}).values():
        for media, content in response.get("content", {}).items():
            if "json" not in media or "example" in content or "examples" in content:
                continue
            content["example"] = example(content.get("schema", {}))


def _error_response_schema() -> Document:
    return {
        "title": "ErrorResponse",
        "type": "object",
        "required": ["error"],
        "properties": {"error": {"type": "object", "description": "What went wrong."}},
    }


_FORMATS: dict[str, Any] = {
    "date-time": "2026-01-31T12:00:00Z",
    "date": "2026-01-31",
    "email": "buyer@example.com",
    "uri": "https://shop.example.com/thanks",
    "uuid": "3f1c2a9e-6d0b-4b8e-9a57-2c1e0f6d9b11",
}


def _string(schema: Document) -> str:
    text = str(_FORMATS.get(str(schema.get("format")), "string"))
    text = text.ljust(int(schema.get("minLength", 0)), "x")
    return text[: int(schema.get("maxLength", len(text)))]


class ExampleBuilder:
    """A value that satisfies a JSON schema: its own examples and defaults first."""

    #: Deep enough for every schema here; only a self-referencing schema reaches it.
    MAX_DEPTH = 40

    def __init__(self, schemas: dict[str, Any]) -> None:
        self.schemas = schemas

    def __call__(self, schema: Document) -> Any:
        return self._value(schema, 0)

    def _value(self, schema: Document, depth: int) -> Any:
        if "$ref" in schema:
            name = str(schema["$ref"]).rsplit("/", 1)[-1]
            return self._value(self.schemas.get(name, {}), depth + 1)
        for key in ("example", "const", "default"):
            if key in schema and schema[key] is not None:
                return schema[key]
        if schema.get("examples"):
            return schema["examples"][0]
        if schema.get("enum"):
            return schema["enum"][0]
        for key in ("anyOf", "oneOf", "allOf"):
            if key in schema:
                options = [s for s in schema[key] if s.get("type") != "null"]
                if not options or (len(options) < len(schema[key]) and "pattern" in options[0]):
                    return None  # optional, and a made-up value might not match the pattern
                return self._value(options[0], depth)
        return self._by_type(schema, depth)

    def _by_type(self, schema: Document, depth: int) -> Any:
        kind = schema.get("type")
        builders: dict[str, Callable[[], Any]] = {
            "object": lambda: self._object(schema, depth),
            "array": lambda: self._array(schema, depth),
            "string": lambda: _string(schema),
            "integer": lambda: int(schema.get("minimum", 0) or 0) or 1,
            "number": lambda: float(schema.get("minimum", 0) or 0) or 1.0,
            "boolean": lambda: False,
        }
        builder = builders.get(str(kind))
        return builder() if builder else None

    def _array(self, schema: Document, depth: int) -> list[Any]:
        if depth > self.MAX_DEPTH:
            return []
        return [self._value(schema.get("items", {}), depth + 1)]

    def _object(self, schema: Document, depth: int) -> Any:
        if depth > self.MAX_DEPTH:
            return {}
        properties: dict[str, Document] = schema.get("properties", {})
        return {name: self._value(sub, depth + 1) for name, sub in properties.items()}

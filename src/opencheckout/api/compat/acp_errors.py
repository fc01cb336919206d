"""ACP's flat errors: the ``Error`` shape, JSONPaths, and every refusal rendered as one.

Native parameter names and pydantic locations are pointed back at the ACP
field that caused them (RFC 9535 JSONPath, in the 2026-04-17 request shape;
older versions' adapters rewrite the paths into their own shapes).
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
from starlette.types import ASGIApp

from opencheckout.api.compat.dialect_errors import DialectErrorMiddleware
from opencheckout.api.errors import APIError, describe_validation
from opencheckout.domain.errors import (
    Conflict,
    DomainError,
    NotFound,
    PaymentDeclined,
    ProcessorUnavailable,
)


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


ADDRESS_FIELDS = {
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
    for kind in ("customer.billing_address", "customer.shipping_address"):
        if native.startswith(kind):
            field = native.removeprefix(kind).lstrip(".")
            return f"{address_root}.{ADDRESS_FIELDS.get(field, field)}" if field else address_root
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
    return AcpError(400, "invalid", describe_validation(first, param), param=param)


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
    return AcpError(400, code, describe_validation(first, param), param=param)


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
# Refusals made before any ACP route runs (unknown route, 405, body guard, rate limit)
# --------------------------------------------------------------------------- #

_NATIVE_TYPES = {"api_error": "processing_error", "rate_limit_error": "invalid_request"}
_FALLBACK_CODES = {404: "not_found", 405: "method_not_allowed"}


def flatten(status: int, body: bytes) -> bytes:
    """A native ``{"error": {...}}`` envelope (or FastAPI's ``{"detail"}``) -> flat."""
    try:
        parsed = orjson.loads(body) if body else {}
    except orjson.JSONDecodeError:
        parsed = {}
    if isinstance(parsed, dict) and "jsonrpc" in parsed:
        return body  # the MCP binding's JSON-RPC error envelope is its protocol's own
    inner = parsed.get("error") if isinstance(parsed, dict) else None
    if not isinstance(inner, dict):
        if isinstance(parsed, dict) and {"type", "code", "message"} <= set(parsed):
            return body  # already flat
        detail = parsed.get("detail") if isinstance(parsed, dict) else None
        inner = {"message": str(detail or "This request cannot be served.")}
    flat: dict[str, Any] = {
        "type": _NATIVE_TYPES.get(str(inner.get("type")), "invalid_request"),
        "code": str(inner.get("code") or _FALLBACK_CODES.get(status, "invalid_request")),
        "message": str(inner.get("message") or "This request cannot be served."),
    }
    if status == 404 and flat["code"] in ("resource_missing", "not_found", "route_not_found"):
        flat["code"] = "not_found"
    if isinstance(inner.get("param"), str) and inner["param"]:
        flat["param"] = inner["param"]
    if status >= 500:
        flat["type"] = "service_unavailable" if status == 503 else "processing_error"
    return orjson.dumps(flat)


class FlatErrorMiddleware(DialectErrorMiddleware):
    """Under ``/acp``, errors answered outside the ACP routes are flat too: an
    unknown path (404), a known path with another method (405), and the
    middleware stack's refusals (413, 415, 429)."""

    def __init__(self, app: ASGIApp, prefix: str = "/acp") -> None:
        super().__init__(app, prefixes=(prefix,), render=_flat)


def _flat(path: str, status: int, body: bytes) -> bytes:
    return flatten(status, body)

"""One error shape for every failure: ``{"error": {type, code, message, param}}``.

Domain errors, validation errors, unknown routes and unexpected exceptions
all leave through here, so a client never sees a bare 500 page or a
framework-specific body.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException

from opencheckout.domain.errors import (
    Conflict,
    DomainError,
    InvalidValue,
    NotFound,
    PaymentDeclined,
    ProcessorUnavailable,
)

logger = logging.getLogger("opencheckout.api")


class ErrorBody(BaseModel):
    type: str = Field(
        description="The kind of error: `invalid_request_error`, `authentication_error`, "
        "`permission_error`, `card_error`, `rate_limit_error` or `api_error`.",
        examples=["invalid_request_error"],
    )
    code: str = Field(
        description="What went wrong, for your code to branch on; each operation lists "
        "the codes of each status.",
        examples=["parameter_invalid"],
    )
    message: str = Field(description="What went wrong and how to fix it, for a developer.")
    param: str | None = Field(
        None,
        description="The request parameter concerned, as a path (`line_items[0].quantity`), "
        "or null.",
    )


class ErrorResponse(BaseModel):
    error: ErrorBody = Field(description="The error; every failure has this shape.")


class APIError(Exception):
    """An HTTP-level refusal raised by the API layer itself (auth, headers, routing)."""

    def __init__(
        self,
        status_code: int,
        code: str,
        message: str,
        *,
        type: str = "invalid_request_error",
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.message = message
        self.type = type
        self.param = param
        self.headers = headers


def error_response(
    status_code: int,
    *,
    type: str,
    code: str,
    message: str,
    param: str | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    body: dict[str, Any] = {"type": type, "code": code, "message": message, "param": param}
    if extra:
        body.update(extra)
    return Response(
        orjson.dumps({"error": body}),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


def domain_error_response(exc: DomainError) -> Response:
    if isinstance(exc, NotFound):
        return error_response(
            404, type="invalid_request_error", code=exc.code, message=exc.message, param=exc.param
        )
    if isinstance(exc, Conflict):
        return error_response(
            409,
            type="invalid_request_error",
            code=exc.code,
            message=exc.message,
            param=exc.param,
            extra=exc.extra,
        )
    if isinstance(exc, PaymentDeclined):
        return error_response(
            402, type="card_error", code=exc.code, message=exc.message, param=exc.param
        )
    if isinstance(exc, ProcessorUnavailable):
        return error_response(502, type="api_error", code=exc.code, message=exc.message)
    status = 422 if isinstance(exc, InvalidValue) else 400
    return error_response(
        status, type="invalid_request_error", code=exc.code, message=exc.message, param=exc.param
    )


def param_path(location: tuple[Any, ...]) -> str | None:
    """``("body", "line_items", 0, "quantity")`` -> ``line_items[0].quantity``."""
    parts = list(location)
    if parts and parts[0] == "query":
        # A repeated query parameter is named as sent: ``status``, not ``status[1]``.
        parts = [part for part in parts[1:] if not isinstance(part, int)]
    elif parts and parts[0] in ("body", "path", "header"):
        parts = parts[1:]
    path = ""
    for part in parts:
        if isinstance(part, int):
            path += f"[{part}]"
        elif isinstance(part, str) and part.startswith(("function-after", "function-plain")):
            continue
        else:
            path += f".{part}" if path else str(part)
    return path or None


#: Pydantic error types that map to a dedicated public code.
_VALIDATION_CODES = {
    "missing": "parameter_missing",
    "extra_forbidden": "parameter_unknown",
}


#: Patterns our schemas use, said in words (pydantic would quote the regex).
_PATTERNS = {
    r"^[^/\x00-\x1f\x7f]+$": "any characters except '/' and control characters",
    r"^[A-Za-z0-9_-]+$": "letters, digits, '_' and '-'",
}
_TYPE_WORDS = {
    "string_type": "a string",
    "string_sub_type": "a string",
    "int_type": "an integer",
    "int_parsing": "an integer",
    "int_parsing_size": "an integer of at most 19 digits",
    "int_from_float": "a whole number (no decimal places)",
    "float_type": "a number",
    "float_parsing": "a number",
    "decimal_type": "a number",
    "decimal_parsing": "a number",
    "finite_number": "a finite number",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
    "list_type": "a list",
    "tuple_type": "a list",
    "set_type": "a list",
    "dict_type": "an object",
    "model_type": "an object",
    "model_attributes_type": "an object",
    "dataclass_type": "an object",
    "none_required": "null",
    "string_unicode": "valid UTF-8 text",
    "bytes_type": "a string",
    "url_type": "an absolute http or https URL",
    "url_parsing": "an absolute http or https URL",
    "url_scheme": "an absolute http or https URL",
    "datetime_type": "unix seconds or an ISO 8601 time",
    "datetime_parsing": "unix seconds or an ISO 8601 time",
    "datetime_from_date_parsing": "unix seconds or an ISO 8601 time",
    "date_type": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "uuid_type": "a UUID",
    "uuid_parsing": "a UUID",
    "json_type": "a JSON string",
}
_BOUNDS = {
    "greater_than": ("gt", "greater than"),
    "greater_than_equal": ("ge", "at least"),
    "less_than": ("lt", "less than"),
    "less_than_equal": ("le", "at most"),
    "multiple_of": ("multiple_of", "a multiple of"),
}


def _plural(count: Any, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _sized(kind: str, context: dict[str, Any], name: str) -> str | None:
    """Messages for length limits on strings and lists."""
    if kind == "string_too_short":
        minimum = context.get("min_length", 1)
        if minimum == 1:
            return f"{name} may not be empty."
        return f"{name} must be at least {_plural(minimum, 'character')} long."
    if kind == "string_too_long":
        return f"{name} must be at most {_plural(context.get('max_length'), 'character')} long."
    if kind == "too_short":
        minimum = context.get("min_length", 1)
        return f"{name} must have at least {_plural(minimum, 'item')}."
    if kind == "too_long":
        return f"{name} must have at most {_plural(context.get('max_length'), 'item')}."
    return None


def describe_validation(error: Mapping[str, Any], param: str | None) -> str:
    """One validation problem, written for the merchant: the parameter named and what
    it accepts. Never pydantic's own wording (it quotes regexes and internal types)."""
    kind = str(error.get("type", ""))
    raw_context = error.get("ctx")
    context: dict[str, Any] = raw_context if isinstance(raw_context, dict) else {}
    name = param or "The request body"
    if kind == "missing":
        return f"Missing required parameter: {name}."
    if kind == "extra_forbidden":
        return f"Received unknown parameter: {name}."
    if context.get("code") or kind in ("value_error", "assertion_error"):
        # Our own validators' messages (PydanticCustomError / ValueError): already written
        # for the merchant.
        message = str(error.get("msg", "")).removeprefix("Value error, ")
        message = message.removeprefix("Assertion failed, ")
        return f"Invalid {name}: {message}" if param else message
    if kind in _TYPE_WORDS:
        return f"{name} must be {_TYPE_WORDS[kind]}."
    if kind in _BOUNDS:
        key, words = _BOUNDS[kind]
        return f"{name} must be {words} {context.get(key)}."
    sized = _sized(kind, context, name)
    if sized is not None:
        return sized
    if kind in ("literal_error", "enum"):
        return f"{name} must be one of {context.get('expected', 'the documented values')}."
    if kind == "string_pattern_mismatch":
        accepted = _PATTERNS.get(str(context.get("pattern", "")), "the documented format")
        return f"{name} accepts {accepted}."
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tags = context.get("expected_tags")
        return f"{name} has an unknown type" + (f"; use one of {tags}." if tags else ".")
    if kind == "json_invalid":
        return "The request body is not valid JSON."
    return f"{name} is not a valid value; see the API reference for what it accepts."


def validation_error_response(exc: RequestValidationError) -> Response:
    errors = exc.errors()
    first = errors[0] if errors else {"type": "value_error", "loc": (), "msg": "Invalid request."}
    if first["type"] == "json_invalid":
        return error_response(
            400,
            type="invalid_request_error",
            code="invalid_json",
            message="The request body is not valid JSON.",
        )
    param = param_path(tuple(first.get("loc", ())))
    if first["type"] == "missing" and param is None:
        return error_response(
            400,
            type="invalid_request_error",
            code="body_missing",
            message="A JSON object is required as the request body.",
        )
    code = _VALIDATION_CODES.get(str(first["type"]))
    if code is None:
        context = first.get("ctx")
        custom = context.get("code") if isinstance(context, dict) else None
        code = str(custom) if custom else "parameter_invalid"
    message = describe_validation(first, param)
    return error_response(
        422, type="invalid_request_error", code=code, message=message, param=param
    )


_HTTP_CODES = {
    # FastAPI raises 400 only when it cannot decode the body (not UTF-8 text).
    400: "invalid_json",
    404: "route_not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(APIError)
    async def _api_error(_request: Request, exc: APIError) -> Response:
        return error_response(
            exc.status_code,
            type=exc.type,
            code=exc.code,
            message=exc.message,
            param=exc.param,
            headers=exc.headers,
        )

    @app.exception_handler(DomainError)
    async def _domain_error(_request: Request, exc: DomainError) -> Response:
        return domain_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
        return validation_error_response(exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        message = str(exc.detail)
        if exc.status_code == 400:
            message = "The request body is not valid JSON: send UTF-8 text."
        elif exc.status_code == 404:
            message = f"Unrecognized request URL ({request.method}: {request.url.path})."
        elif exc.status_code == 405:
            message = f"{request.method} is not allowed on {request.url.path}."
        return error_response(
            exc.status_code,
            type="invalid_request_error",
            code=code,
            message=message,
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> Response:
        logger.exception("unhandled error", exc_info=exc)
        return error_response(
            500,
            type="api_error",
            code="internal_error",
            message="Something went wrong on our side; the request may be retried.",
        )

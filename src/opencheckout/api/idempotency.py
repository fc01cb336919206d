"""``Idempotency-Key`` support for POST routes, as a route class.

A route class (rather than middleware) runs after routing, so it knows the
route exists and can authenticate the caller, and it sees the final response,
errors included, which it stores for replay.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from opencheckout.api.auth import app_context, authenticate, check_write, require_write
from opencheckout.api.errors import (
    APIError,
    domain_error_response,
    error_response,
    validation_error_response,
)
from opencheckout.domain.errors import DomainError
from opencheckout.service import idempotency

REPLAYED_HEADER = "Idempotent-Replayed"
#: Response headers worth replaying with the stored body.
_KEPT_HEADERS = ("content-type", "location")


def fingerprint(request: Request, livemode: bool, body: bytes) -> str:
    """Identify the request independently of JSON whitespace and key order."""
    try:
        canonical = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS) if body else b""
    except orjson.JSONDecodeError:
        canonical = body
    digest = hashlib.sha256()
    for part in (str(livemode).encode(), request.method.encode(), request.url.path.encode()):
        digest.update(part + b"\0")
    digest.update(canonical)
    return digest.hexdigest()


def as_response(exc: Exception) -> Response | None:
    """The error response a handler would produce, so it can be stored too."""
    if isinstance(exc, DomainError):
        return domain_error_response(exc)
    if isinstance(exc, RequestValidationError):
        return validation_error_response(exc)
    if isinstance(exc, APIError):
        return error_response(
            exc.status_code,
            type=exc.type,
            code=exc.code,
            message=exc.message,
            param=exc.param,
            headers=exc.headers,
        )
    return None


def needs_write(dependant: Dependant) -> bool:
    """Whether a route (or any dependency below it) requires a write key."""
    return any(dep.call is require_write or needs_write(dep) for dep in dependant.dependencies)


class IdempotentRoute(APIRoute):
    #: Whether a POST without the header is refused (the ACP surface requires it).
    key_required = False
    #: Turns a handler's exception into the response that is stored and replayed
    #: (None: not a client error; the key is released and the exception re-raised).
    #: A dialect with its own error shape (ACP's flat errors) overrides it.
    render_error: Callable[[Exception], Response | None] = staticmethod(as_response)
    #: Whether first responses carry ``Idempotent-Replayed: false`` (ACP sends the
    #: header only on replays, with the single value ``true``).
    mark_first_response = True

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        key_required = self.key_required
        render_error = self.render_error
        mark_first_response = self.mark_first_response
        write_only = needs_write(self.dependant)

        async def route(request: Request) -> Response:
            key = request.headers.get("idempotency-key")
            if request.method != "POST":
                return await handler(request)
            if key is None:
                if key_required:
                    raise APIError(
                        400,
                        "idempotency_key_required",
                        "This endpoint requires an Idempotency-Key header.",
                        param="Idempotency-Key",
                    )
                return await handler(request)
            principal = await authenticate(request)
            if write_only:
                # Before the replay: a read-only key must never see a write's
                # stored response (a one-time webhook secret, say).
                check_write(principal)
            ctx = app_context(request)
            body = await request.body()
            owner = idempotency.Owner(principal.account_id, principal.key_id)
            replay = await idempotency.claim(
                ctx, owner, key, fingerprint(request, principal.livemode, body)
            )
            if replay is not None:
                headers = {**replay.headers, REPLAYED_HEADER: "true"}
                return Response(replay.body, status_code=replay.status_code, headers=headers)
            try:
                response = await handler(request)
            except Exception as exc:
                converted = render_error(exc)
                if converted is None:
                    await idempotency.record(ctx, owner, key, 500, b"", {})
                    raise
                response = converted
            kept = {
                name: value
                for name in _KEPT_HEADERS
                if (value := response.headers.get(name)) is not None
            }
            await idempotency.record(
                ctx, owner, key, response.status_code, bytes(response.body), kept
            )
            if mark_first_response:
                response.headers[REPLAYED_HEADER] = "false"
            return response

        return route

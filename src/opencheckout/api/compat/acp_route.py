"""How every ``/acp`` route runs: version negotiation, idempotency and flat errors.

:class:`AcpRoute` wraps each ACP route: it picks the version adapter from
``API-Version`` (absent: the first version), requires ``Idempotency-Key`` where
the version does, upgrades the request body to the internal 2026-04-17 shape
before the route's model reads it, and reshapes the answer (session, list or
error) back into the agent's version. Errors are rendered flat, stored and
replayed as such by the native idempotency layer.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response

from opencheckout.api.compat import acp_errors as errors
from opencheckout.api.compat import acp_versions as versions
from opencheckout.api.compat.acp_errors import AcpError
from opencheckout.api.compat.acp_versions import Adapter
from opencheckout.api.errors import APIError
from opencheckout.api.idempotency import IdempotentRoute

logger = logging.getLogger("opencheckout.acp")

VERSION_HEADER = "API-Version"


#: Which request-body shape each route reads, for the version adapters.
OPERATIONS: dict[str, versions.Operation] = {
    "create_checkout_session": "create",
    "update_checkout_session": "update",
    "complete_checkout_session": "complete",
    "cancel_checkout_session": "cancel",
}


def negotiate(request: Request) -> Adapter:
    """The adapter for the request's ``API-Version`` (absent: the first version)."""
    raw = request.headers.get(VERSION_HEADER)
    if raw is None:
        return versions.DEFAULT
    adapter = versions.VERSIONS.get(raw.strip())
    if adapter is None:
        raise AcpError(
            400,
            "unsupported_api_version",
            f"API version '{raw[:40]}' is not supported; use one of "
            f"{', '.join(versions.SUPPORTED_VERSIONS)}.",
            supported_versions=versions.SUPPORTED_VERSIONS,
        )
    return adapter


class _UpgradedRequest(Request):
    """The request with its body replaced by the 2026-04-17 rendering of it."""

    def __init__(self, original: Request, body: bytes) -> None:
        super().__init__(original.scope, original.receive)
        self._body = body


async def _upgrade(request: Request, adapter: Adapter, operation: versions.Operation) -> Request:
    raw = await request.body()
    try:
        parsed = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return request  # the body model reports it as invalid JSON
    if not isinstance(parsed, dict):
        return request
    upgraded = adapter.upgrade(operation, parsed)
    return request if upgraded is parsed else _UpgradedRequest(request, orjson.dumps(upgraded))


def reshape(response: Response, adapter: Adapter) -> Response:
    """A 2026-04-17 answer (session, list or error) in the agent's version."""
    if adapter is versions.LATEST or not response.headers.get("content-type", "").startswith(
        "application/json"
    ):
        return response
    body = orjson.loads(bytes(response.body))
    if response.status_code >= 400:
        body = adapter.error(body)
    elif isinstance(body.get("data"), list):
        body["data"] = [adapter.session(session) for session in body["data"]]
    else:
        body = adapter.session(body)
    headers = {
        name: value
        for name, value in response.headers.items()
        if name not in ("content-length", "content-type")
    }
    return Response(
        orjson.dumps(body),
        status_code=response.status_code,
        headers=headers,
        media_type="application/json",
    )


class AcpRoute(IdempotentRoute):
    """The native idempotency layer with ACP's rules: a key on every POST where the
    version requires one, flat errors (stored and replayed as such),
    ``Idempotent-Replayed`` only on replays, and every version's shapes."""

    render_error = staticmethod(errors.render_error)
    mark_first_response = False

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()
        operation = OPERATIONS.get(getattr(self.endpoint, "__name__", ""))

        async def route(request: Request) -> Response:
            try:
                adapter = negotiate(request)
            except AcpError as exc:
                refused = errors.error_response(exc)
                refused.headers[VERSION_HEADER] = versions.LATEST.name
                return refused
            token = versions.CURRENT.set(adapter.name)
            try:
                request.state.acp_version = adapter.name
                key = request.headers.get("idempotency-key")
                if request.method == "POST" and key is None and adapter.key_required:
                    raise APIError(
                        400, "idempotency_key_required", "Idempotency-Key header is required."
                    )
                if operation is not None and request.method in ("POST", "PUT"):
                    request = await _upgrade(request, adapter, operation)
                response = await inner(request)
            except Exception as exc:
                response = _render_unexpected(request, exc)
            finally:
                versions.CURRENT.reset(token)
            response = reshape(response, adapter)
            response.headers[VERSION_HEADER] = adapter.name
            key = request.headers.get("idempotency-key")
            if key is not None and request.method == "POST":
                response.headers["Idempotency-Key"] = key
            return response

        return route


def _render_unexpected(request: Request, exc: Exception) -> Response:
    rendered = errors.render_error(exc)
    if rendered is None:
        logger.exception("unhandled error on %s", request.url.path, exc_info=exc)
        rendered = errors.error_response(
            AcpError(
                500,
                "internal_error",
                "Something went wrong on our side; the request may be retried.",
                type="processing_error",
            )
        )
    return rendered

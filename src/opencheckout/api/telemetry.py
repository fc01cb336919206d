"""Per-request metrics and logs, and ``GET /metrics`` (on the API's port or its own).

:class:`TelemetryMiddleware` sits just inside the request id, so it sees every
answer, the rate limiter's 429s and the body guard's 413/415 included. It
labels each request with its route *template* (``/v1/checkouts/{checkout_id}``,
never the id itself, which would make a series per session and could leak a
hosted-page token): the one the router matched, the one :func:`mark_route`
recorded (the hot path answers before routing), or, for answers given before
routing, the template of the route that would have matched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opencheckout.observability import metrics
from opencheckout.service import operations
from opencheckout.service.context import Context

logger = logging.getLogger("opencheckout.request")
metrics_logger = logging.getLogger("opencheckout.metrics")

UNMATCHED = "unmatched"
_ROUTE_KEY = "route_template"
_HEAD_LIMIT = 8 * 1024
_HEAD_TIMEOUT_SECONDS = 5.0


def mark_route(scope: Scope, template: str) -> None:
    """Record the template of a request answered without the router (see api.hot)."""
    scope.setdefault("state", {})[_ROUTE_KEY] = template


def route_template(scope: Scope) -> str:
    state = scope.get("state") or {}
    marked = state.get(_ROUTE_KEY)
    if isinstance(marked, str):
        return marked
    route = scope.get("route")
    path = getattr(route, "path", None)
    if isinstance(path, str):
        return path or "/"
    return _template_by_matching(scope)


def _template_by_matching(scope: Scope) -> str:
    """The template of the route this request would reach (for answers given before routing)."""
    partial: str | None = None
    for route in _flat_routes(getattr(scope.get("app"), "router", None)):
        match, _child = route.matches(scope)
        path = getattr(route, "path", None)
        if match is Match.NONE or not isinstance(path, str):
            continue
        if match is Match.FULL:
            return path or "/"
        if partial is None:
            partial = path or "/"
    return partial or UNMATCHED


def _flat_routes(router: Any) -> Iterator[BaseRoute]:
    """Every route, included routers opened (FastAPI keeps them as one lazy entry each)."""
    for route in getattr(router, "routes", ()):
        inner = getattr(route, "original_router", None)
        if inner is not None:
            yield from _flat_routes(inner)
        else:
            yield route


class TelemetryMiddleware:
    """Count, time and log every HTTP request once."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            self._finish(scope, status, time.perf_counter() - started)

    @staticmethod
    def _finish(scope: Scope, status: int, seconds: float) -> None:
        route = route_template(scope)
        method = str(scope.get("method", ""))
        metrics.record_request(method, route, status, seconds)
        if not logger.isEnabledFor(logging.INFO):
            return
        state: dict[str, Any] = scope.get("state") or {}
        principal = state.get("principal")
        logger.info(
            "request",
            extra={
                "fields": {
                    "request_id": state.get("request_id"),
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "account": getattr(principal, "account_id", None),
                    "livemode": getattr(principal, "livemode", None),
                }
            },
        )


async def metrics_endpoint(request: Request) -> Response:
    """Prometheus text exposition (not part of the API reference)."""
    ctx: Context = request.app.state.context
    body = await operations.render_metrics(ctx)
    return Response(body, media_type=metrics.CONTENT_TYPE_LATEST)


async def start_metrics_port(ctx: Context) -> asyncio.Server | None:
    """Serve ``GET /metrics`` alone on ``OPENCHECKOUT_METRICS_PORT``, when set.

    With ``serve --workers N`` the first process to start binds the port; the
    others find it taken and leave it to that one (its answer covers every
    process in multiprocess mode).
    """
    settings = ctx.settings
    if not settings.metrics or settings.metrics_port is None:
        return None

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await _answer(ctx, reader, writer)
        except (OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            pass
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    try:
        server = await asyncio.start_server(
            handle, settings.metrics_host, settings.metrics_port, limit=_HEAD_LIMIT
        )
    except OSError as exc:
        metrics_logger.info(
            "metrics port not bound",
            extra={"fields": {"port": settings.metrics_port, "reason": str(exc)}},
        )
        return None
    metrics_logger.info(
        "metrics listening",
        extra={"fields": {"host": settings.metrics_host, "port": settings.metrics_port}},
    )
    return server


async def _answer(ctx: Context, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    async with asyncio.timeout(_HEAD_TIMEOUT_SECONDS):
        head = await reader.readuntil(b"\r\n\r\n")
    method, _, rest = head.partition(b" ")
    target = rest.split(b" ", 1)[0].split(b"?", 1)[0]
    if method not in (b"GET", b"HEAD") or target != b"/metrics":
        status, content_type, body = b"404 Not Found", b"text/plain; charset=utf-8", b"Not found.\n"
    else:
        status, content_type = b"200 OK", metrics.CONTENT_TYPE_LATEST.encode()
        body = await operations.render_metrics(ctx)
    writer.write(
        b"HTTP/1.1 "
        + status
        + b"\r\ncontent-type: "
        + content_type
        + b"\r\ncontent-length: "
        + str(len(body)).encode()
        + b"\r\nconnection: close\r\n\r\n"
        + (b"" if method == b"HEAD" else body)
    )
    await writer.drain()


async def stop_metrics_port(server: asyncio.Server | None) -> None:
    if server is not None:
        server.close()
        await server.wait_closed()

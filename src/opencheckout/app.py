"""The ASGI application factory."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from fastapi import FastAPI

from opencheckout import __version__
from opencheckout.api import (
    checkout_links,
    checkouts,
    coupons,
    customers,
    docs,
    events,
    health,
    openapi,
    orders,
    processors,
    products,
    refunds,
    shipping,
    tax_rates,
    webhook_endpoints,
)
from opencheckout.api.compat import acp, acp_listing, acp_mcp, quaderno
from opencheckout.api.compat.acp_errors import FlatErrorMiddleware
from opencheckout.api.compat.ucp import mcp as ucp_mcp
from opencheckout.api.compat.ucp import rest as ucp
from opencheckout.api.compat.ucp.errors import UcpErrorMiddleware
from opencheckout.api.errors import install_error_handlers
from opencheckout.api.hot import HotPathMiddleware
from opencheckout.api.input_guard import InputGuardMiddleware
from opencheckout.api.middleware import BodyGuardMiddleware, RequestIdMiddleware
from opencheckout.api.ratelimit import RateLimitMiddleware
from opencheckout.api.telemetry import (
    TelemetryMiddleware,
    metrics_endpoint,
    start_metrics_port,
    stop_metrics_port,
)
from opencheckout.config import Settings
from opencheckout.observability import logs
from opencheckout.pages import links as link_pages
from opencheckout.pages import routes as pages
from opencheckout.pages.dashboard import routes as dashboard
from opencheckout.processors import build_processors
from opencheckout.service.auth import PrincipalCache
from opencheckout.service.context import Context
from opencheckout.service.worker import Worker
from opencheckout.store.db import Database

DESCRIPTION = """
Checkout sessions with exact totals, a hosted page at each session's permalink,
and a status lifecycle: `pending` → `processing` → `completed` | `failed`, and
`abandoned` after a cancel or inactivity.

Authenticate with `Authorization: Bearer sk_test_...` (or HTTP Basic with the key
as user name). Errors are `{"error": {"type", "code", "message", "param"}}`.
Every POST accepts an `Idempotency-Key` header.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    db = Database(settings.database_url)

    context = Context(db=db, settings=settings, processors=build_processors(settings, db))
    app = FastAPI(
        title="opencheckout",
        version=__version__,
        description=DESCRIPTION,
        lifespan=_lifespan(context),
        # Served by api.docs from packaged assets (FastAPI's defaults load from CDNs).
        docs_url=None,
        redoc_url=None,
        telemetry={"tracing": settings.otel, "metrics": settings.otel, "logs": settings.otel},
    )
    app.state.context = context
    app.state.principals = PrincipalCache(settings.auth_cache_seconds)
    install_error_handlers(app)
    _install_routes(app, context)
    _add_middleware(app, context)
    return app


def _lifespan(context: Context) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The embedded worker and the metrics port run while the app does; the pool closes last."""
    settings, db = context.settings, context.db

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        worker_task = None
        if settings.embedded_worker:
            # The single-process default: deliveries and sweeps need no second command.
            worker_task = asyncio.create_task(Worker(context).run(stop))
        metrics_server = await start_metrics_port(context)
        try:
            yield
        finally:
            stop.set()
            await stop_metrics_port(metrics_server)
            if worker_task is not None:
                await worker_task
            await db.dispose()

    return lifespan


def _install_routes(app: FastAPI, context: Context) -> None:
    """Every API router, the pages, the OpenAPI document and (on the main port) /metrics."""
    settings = context.settings
    docs.install(app)
    app.include_router(health.router)
    app.include_router(checkouts.router)
    app.include_router(refunds.router)
    app.include_router(products.router)
    app.include_router(coupons.router)
    app.include_router(checkout_links.router)
    app.include_router(tax_rates.router)
    app.include_router(customers.router)
    app.include_router(orders.router)
    app.include_router(shipping.rates_router)
    app.include_router(shipping.promotions_router)
    app.include_router(events.router)
    app.include_router(webhook_endpoints.router)
    app.include_router(quaderno.router)
    app.include_router(acp_mcp.router)
    app.include_router(acp_listing.router)
    app.include_router(acp.router)
    app.include_router(ucp.discovery)
    app.include_router(ucp_mcp.router)
    app.include_router(ucp.router)
    app.include_router(processors.router)
    pages.install(app, context)
    link_pages.install(app, context)
    dashboard.install(app, context)
    openapi.install(app)
    if settings.metrics and settings.metrics_port is None:
        app.add_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)


def _add_middleware(app: FastAPI, context: Context) -> None:
    """The middleware stack; each add wraps the ones before it (the last is outermost)."""
    settings = context.settings
    if settings.hot_path:
        # Innermost: behind the request id, rate limit and body guard like any route.
        app.add_middleware(HotPathMiddleware, context=context, principals=app.state.principals)
    # Outside the hot path and every route: one input rule for all dialects.
    app.add_middleware(InputGuardMiddleware)
    app.add_middleware(
        BodyGuardMiddleware,
        max_body_bytes=settings.max_body_bytes,
        form_paths=("/c/", "/dashboard/"),
    )
    if settings.rate_limit_per_second > 0:
        # Inside RequestId (a 429 has a Request-Id), outside everything that costs.
        app.add_middleware(
            RateLimitMiddleware,
            rate=settings.rate_limit_per_second,
            burst=max(1, settings.rate_limit_burst),
            context=context,
            principals=app.state.principals,
        )
    # Outside the body guard and the rate limit: their refusals under /acp are flat too.
    app.add_middleware(FlatErrorMiddleware)
    # Likewise under /ucp: UCP's {code, content}.
    app.add_middleware(UcpErrorMiddleware)
    # Inside RequestId (its log line carries the id), outside the rate limit (429s count).
    app.add_middleware(TelemetryMiddleware)
    app.add_middleware(RequestIdMiddleware)


def app_from_env() -> FastAPI:
    """Entry point for ``uvicorn --factory`` (used by ``serve``, in every worker process)."""
    settings = Settings.from_env()
    logs.configure(settings.log_format, settings.log_level)
    return create_app(settings)

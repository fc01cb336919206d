"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from opencheckout.api.auth import context
from opencheckout.api.errors import error_response
from opencheckout.service import schema
from opencheckout.service.context import Context

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get(
    "/readyz",
    responses={503: {"description": "The database is unreachable or its schema not current."}},
)
async def readyz(ctx: Context = Depends(context)) -> Response:
    """The process can serve traffic: its database answers and its schema is current."""
    try:
        current = await schema.state(ctx.db)
    except Exception:
        return error_response(
            503, type="api_error", code="database_unavailable", message="Database unreachable."
        )
    problem = current.problem()
    if problem is not None:
        # Until `opencheckout migrate` has run every request would fail: keep traffic away.
        return error_response(
            503,
            type="api_error",
            code="database_schema_outdated",
            message=f"{problem[0].upper()}{problem[1:]}.",
        )
    return Response(b'{"status":"ok"}', media_type="application/json")

"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from opencheckout.api.auth import context
from opencheckout.api.errors import error_response
from opencheckout.service.context import Context

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "The database is unreachable."}})
async def readyz(ctx: Context = Depends(context)) -> Response:
    """The process can serve traffic: its database answers."""
    try:
        await ctx.db.ping()
    except Exception:
        return error_response(
            503, type="api_error", code="database_unavailable", message="Database unreachable."
        )
    return Response(b'{"status":"ok"}', media_type="application/json")

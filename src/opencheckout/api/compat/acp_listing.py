"""``GET /acp/checkout_sessions``: sessions by ACP status, newest first (StateSet's list).

Answers ``{data, has_more, total_count, next_cursor}``; the sessions are in the
shape of the request's ``API-Version`` (:class:`~opencheckout.api.compat.acp_route.AcpRoute`
reshapes ``data``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Depends, Request, Response

from opencheckout.api.auth import context, require_read
from opencheckout.api.compat.acp import ERRORS, api_version_header, json_body, session_body
from opencheckout.api.compat.acp_errors import AcpError
from opencheckout.api.compat.acp_route import AcpRoute
from opencheckout.domain.errors import DomainError, NotFound
from opencheckout.service import acp_sessions, orders
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context

router = APIRouter(
    prefix="/acp",
    tags=["ACP (agentic commerce)"],
    route_class=AcpRoute,
    responses=ERRORS,
    dependencies=[Depends(api_version_header)],
)


def _query_int(request: Request, name: str, default: int, low: int, high: int) -> int:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise AcpError(
            400, "invalid", f"'{name}' must be a whole number from {low} to {high}.", param=name
        )
    return int(raw)


def _query_time(request: Request, name: str) -> datetime | None:
    """An ISO 8601 instant or a Unix timestamp, e.g. ``created_after=2026-01-01T00:00:00Z``."""
    raw = request.query_params.get(name)
    if raw is None:
        return None
    try:
        if raw.isdigit() and len(raw) <= 12:
            return datetime.fromtimestamp(int(raw), UTC)
        parsed = datetime.fromisoformat(raw[:40].replace("Z", "+00:00"))
    except ValueError as exc:
        raise AcpError(
            400, "invalid", f"'{name}' must be an ISO 8601 time or a Unix timestamp.", param=name
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _listing_query(request: Request) -> acp_sessions.Query:
    params = request.query_params
    for name, value in params.multi_items():
        if "\x00" in value or "\x00" in name or len(value) > 320:
            raise AcpError(
                400, "invalid", f"Invalid query parameter '{name[:40]}'.", param=name[:40]
            )
    return acp_sessions.Query(
        status=params.get("status"),
        email=params.get("email") or params.get("buyer_email"),
        created_gte=_query_time(request, "created_after"),
        created_lte=_query_time(request, "created_before"),
        limit=_query_int(request, "limit", 20, 1, 100),
        starting_after=params.get("starting_after") or params.get("cursor"),
        ending_before=params.get("ending_before"),
    )


@router.get(
    "/checkout_sessions",
    summary="List checkout sessions, newest first",
    responses={200: {"description": "`{data, has_more, total_count, next_cursor}`."}},
)
async def list_checkout_sessions(
    request: Request,
    principal: Principal = Depends(require_read),
    ctx: Context = Depends(context),
) -> Response:
    """Filters: `status` (an ACP status), `email`, `created_after`, `created_before`;
    paging: `limit` (1-100, default 20) and `starting_after` (or `cursor`, the
    `next_cursor` of the previous page) / `ending_before`. Sessions are in the
    shape of the request's `API-Version`."""
    query = _listing_query(request)
    try:
        page = await acp_sessions.list_sessions(ctx, principal, query)
    except DomainError as exc:
        raise AcpError(
            404 if isinstance(exc, NotFound) else 400, exc.code, exc.message, param=exc.param
        ) from exc
    paid = [row.id for row in page.rows if row.status == "completed"]
    found = await orders.of_checkouts(ctx, principal, paid)
    data = [session_body(ctx, principal, row, order=found.get(row.id)) for row in page.rows]
    body: dict[str, Any] = {
        "data": data,
        "has_more": page.has_more,
        "total_count": page.total_count,
    }
    body["next_cursor"] = data[-1]["id"] if page.has_more and data else None
    return json_body(body)

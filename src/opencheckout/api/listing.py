"""What the catalog resources' routers share: error docs, cursor params, list bodies."""

from __future__ import annotations

from typing import Any

from fastapi import Depends, Query, Request, Response

from opencheckout.api.auth import require_read
from opencheckout.api.errors import ErrorResponse
from opencheckout.api.params import json_response
from opencheckout.domain.errors import InvalidValue, NotFound
from opencheckout.service.auth import Principal
from opencheckout.service.paging import Cursor


def error_responses(noun: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI ``responses`` table for a resource's routes."""
    return {
        status: {"model": ErrorResponse, "description": description}
        for status, description in {
            400: "Malformed request (bad JSON).",
            401: "Missing or invalid API key.",
            403: "The key's scope does not allow this operation.",
            404: f"No such {noun} for this account and mode.",
            409: "A conflicting object exists, or an idempotent request is in flight.",
            413: "Request body over 1 MiB.",
            415: "Request body is not JSON.",
            422: "A parameter is invalid.",
        }.items()
    }


async def refuse_nul(request: Request, _principal: Principal = Depends(require_read)) -> None:
    """A router dependency: U+0000 in an id or a filter never reaches the database.

    PostgreSQL text cannot hold it, so the query would fail; no object can have
    such an id (404), and no filter can sensibly contain one (422). The caller
    is authenticated first, so a missing key is still a 401.
    """
    for value in request.path_params.values():
        if "\x00" in str(value):
            raise NotFound("No such object: ids never contain NUL characters.", param="id")
    for name, value in request.query_params.multi_items():
        if "\x00" in value or "\x00" in name:
            raise InvalidValue(
                "Query parameters may not contain NUL (U+0000) characters.", param=name
            )


# async so FastAPI calls it inline rather than in a worker thread on every list.
async def cursor_params(
    limit: int = Query(20, ge=1, le=100),
    starting_after: str | None = Query(None, description="Cursor: an object id."),
    ending_before: str | None = Query(None, description="Cursor: an object id."),
) -> Cursor:
    if starting_after and ending_before:
        raise InvalidValue(
            "Use either starting_after or ending_before, not both.", param="ending_before"
        )
    return Cursor(limit=limit, starting_after=starting_after, ending_before=ending_before)


def list_response(request: Request, data: list[dict[str, Any]], has_more: bool) -> Response:
    return json_response(
        {"object": "list", "url": request.url.path, "data": data, "has_more": has_more}
    )

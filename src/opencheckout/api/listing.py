"""What the catalog resources' routers share: error docs, cursor params, list bodies."""

from __future__ import annotations

from typing import Any

from fastapi import Query, Request, Response

from opencheckout.api.errors import ErrorResponse
from opencheckout.api.params import json_response
from opencheckout.domain.errors import InvalidValue
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


def cursor_params(
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

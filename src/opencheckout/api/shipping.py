"""``/v1/shipping_rates`` and ``/v1/shipping_promotions``."""

# No ``from __future__ import annotations``: the route factory's annotations name
# its parameters (the body models), which FastAPI must see as classes, not strings.
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel

from opencheckout.api.auth import context, require_read, require_write
from opencheckout.api.idempotency import IdempotentRoute
from opencheckout.api.listing import cursor_params, error_responses, list_response, refuse_nul
from opencheckout.api.params import json_response
from opencheckout.api.schemas import shipping as schemas
from opencheckout.service import shipping as service
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor


def _router(
    path: str,
    noun: str,
    resource: service.Resource,
    render: Callable[[Any], dict[str, Any]],
    create_model: type[BaseModel],
    update_model: type[BaseModel],
    out: type[BaseModel],
    out_list: type[BaseModel],
) -> APIRouter:
    """The five CRUD routes of one resource (the two differ only in names and models)."""
    errors = error_responses(noun)
    router = APIRouter(
        prefix=path,
        tags=[noun + "s"],
        route_class=IdempotentRoute,
        dependencies=[Depends(refuse_nul)],
    )
    _add_object_routes(router, resource, render, create_model, update_model, out, errors)
    _add_list_route(router, resource, render, out_list, errors)
    return router


def _add_object_routes(
    router: APIRouter,
    resource: service.Resource,
    render: Callable[[Any], dict[str, Any]],
    create_model: type[BaseModel],
    update_model: type[BaseModel],
    out: type[BaseModel],
    errors: dict[int | str, dict[str, Any]],
) -> None:
    """Create, retrieve, update and delete one object."""

    @router.post("", status_code=201, response_model=out, responses=errors)
    async def create(
        body: create_model,  # type: ignore[valid-type]
        principal: Principal = Depends(require_write),
        ctx: Context = Depends(context),
    ) -> Response:
        row = await resource.create(ctx, principal, body.model_dump())  # type: ignore[attr-defined]
        return json_response(render(row), 201)

    @router.get("/{object_id}", response_model=out, responses=errors)
    async def retrieve(
        object_id: str,
        principal: Principal = Depends(require_read),
        ctx: Context = Depends(context),
    ) -> Response:
        return json_response(render(await resource.retrieve(ctx, principal, object_id)))

    @router.patch("/{object_id}", response_model=out, responses=errors)
    async def update(
        object_id: str,
        body: update_model,  # type: ignore[valid-type]
        principal: Principal = Depends(require_write),
        ctx: Context = Depends(context),
    ) -> Response:
        changes = body.model_dump(exclude_unset=True)  # type: ignore[attr-defined]
        return json_response(render(await resource.update(ctx, principal, object_id, changes)))

    @router.delete("/{object_id}", status_code=204, responses=errors)
    async def delete(
        object_id: str,
        principal: Principal = Depends(require_write),
        ctx: Context = Depends(context),
    ) -> Response:
        await resource.delete(ctx, principal, object_id)
        return Response(status_code=204)


def _add_list_route(
    router: APIRouter,
    resource: service.Resource,
    render: Callable[[Any], dict[str, Any]],
    out_list: type[BaseModel],
    errors: dict[int | str, dict[str, Any]],
) -> None:
    """The paged list, newest first."""

    @router.get("", response_model=out_list, responses=errors)
    async def list_all(
        request: Request,
        cursor: Cursor = Depends(cursor_params),
        principal: Principal = Depends(require_read),
        ctx: Context = Depends(context),
    ) -> Response:
        rows, has_more = await resource.list(ctx, principal, cursor)
        return list_response(request, [render(row) for row in rows], has_more)


rates_router = _router(
    "/v1/shipping_rates",
    "shipping rate",
    service.rates,
    service.rate_resource,
    schemas.ShippingRateCreate,
    schemas.ShippingRateUpdate,
    schemas.ShippingRate,
    schemas.ShippingRateList,
)
promotions_router = _router(
    "/v1/shipping_promotions",
    "shipping promotion",
    service.promotions,
    service.promotion_resource,
    schemas.ShippingPromotionCreate,
    schemas.ShippingPromotionUpdate,
    schemas.ShippingPromotion,
    schemas.ShippingPromotionList,
)

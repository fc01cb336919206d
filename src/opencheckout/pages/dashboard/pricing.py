"""Catalog: tax rates and coupons with their codes (list, create, edit) through their
services, validated by the API's own input models."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ValidationError

from opencheckout.api.schemas.coupons import CouponCreate, CouponUpdate
from opencheckout.api.schemas.shipping import (
    ShippingPromotionCreate,
    ShippingPromotionUpdate,
    ShippingRateCreate,
    ShippingRateUpdate,
)
from opencheckout.api.schemas.tax_rates import TaxRateCreate, TaxRateUpdate
from opencheckout.domain.currency import to_minor
from opencheckout.domain.errors import Conflict, DomainError, InvalidValue, NotFound
from opencheckout.pages.dashboard import web
from opencheckout.pages.dashboard.web import View, _
from opencheckout.service import coupons, shipping, tax_rates
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.dashboard_users import SignedIn
from opencheckout.service.paging import Cursor

router = APIRouter(prefix=f"{web.PREFIX}/catalog", include_in_schema=False)
PAGE_SIZE = 20
DONE = {"created": _("Created."), "saved": _("Saved.")}


@dataclass(frozen=True, slots=True)
class Kind:
    path: str
    template: str
    create_model: type[BaseModel]
    update_model: type[BaseModel]
    list_rows: Callable[[Context, Principal, Cursor], Awaitable[tuple[list[Any], bool]]]
    resource: Callable[[Any, Context], dict[str, Any]]
    create: Callable[[Context, Principal, dict[str, Any]], Awaitable[Any]]
    retrieve: Callable[[Context, Principal, str], Awaitable[Any]]
    update: Callable[[Context, Principal, str, dict[str, Any]], Awaitable[Any]]
    #: Form -> create params.
    params: Callable[[dict[str, str]], dict[str, Any]]
    #: Form -> update params (name and active).
    name_field: str


def _decimal(text: str, param: str) -> Decimal | None:
    if not text:
        return None
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation:
        raise InvalidValue(f"Enter {param} as a number.", param=param) from None
    if not value.is_finite():
        raise InvalidValue(f"Enter {param} as a number.", param=param)
    return value


def _tax_params(form: dict[str, str]) -> dict[str, Any]:
    return {
        "display_name": form.get("name", ""),
        "percentage": _decimal(form.get("percentage", ""), "percentage"),
        "inclusive": form.get("inclusive") == "on",
        "country": form.get("country") or None,
    }


def _coupon_params(form: dict[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "name": form.get("name") or None,
        "code": form.get("code") or None,
    }
    percent = _decimal(form.get("percent_off", ""), "percent_off")
    amount = _decimal(form.get("amount_off", ""), "amount_off")
    if percent is not None:
        params["percent_off"] = percent
    if amount is not None:
        currency = (form.get("currency") or "eur").lower()
        params["amount_off"] = to_minor(amount, currency, param="amount_off")
        params["currency"] = currency
    if form.get("max_redemptions"):
        if not form["max_redemptions"].isdigit() or len(form["max_redemptions"]) > 10:
            raise InvalidValue("Enter max_redemptions as a whole number.", param="max_redemptions")
        params["max_redemptions"] = int(form["max_redemptions"])
    if form.get("redeem_by"):
        # A day (the form's date input): redeemable through its end, UTC.
        params["redeem_by"] = f"{form['redeem_by']}T23:59:59Z"
    skus = _list_of(form.get("products", ""))
    if skus:
        params["applies_to"] = {"products": skus}
    if form.get("metadata"):
        params["metadata"] = _metadata(form["metadata"])
    return params


def _list_of(text: str) -> list[str]:
    """``"a, b ,c"`` -> ``["a", "b", "c"]`` (a comma-separated form field)."""
    return [part.strip() for part in text.split(",") if part.strip()]


def _metadata(text: str) -> dict[str, str]:
    """``key=value`` per line (the API's metadata object as a textarea)."""
    pairs: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep, value = line.partition("=")
        if not sep or not key.strip():
            raise InvalidValue("Write metadata as key=value, one per line.", param="metadata")
        pairs[key.strip()] = value.strip()
    return pairs


def _rate_params(form: dict[str, str]) -> dict[str, Any]:
    currency = (form.get("currency") or "eur").lower()
    amount = _decimal(form.get("amount", ""), "amount")
    countries = [c.strip().upper() for c in form.get("countries", "").split(",") if c.strip()]
    return {
        "display_name": form.get("name", ""),
        "amount": None if amount is None else to_minor(amount, currency, param="amount"),
        "currency": currency,
        "countries": countries,
    }


def _promotion_params(form: dict[str, str]) -> dict[str, Any]:
    params: dict[str, Any] = {
        "display_name": form.get("name") or None,
        "service_levels": _list_of(form.get("service_levels", "").lower()),
        "products": _list_of(form.get("products", "")),
    }
    minimum = _decimal(form.get("min_subtotal", ""), "min_subtotal")
    if minimum is not None:
        currency = (form.get("currency") or "eur").lower()
        params["min_subtotal"] = to_minor(minimum, currency, param="min_subtotal")
        params["currency"] = currency
    return params


async def _list_tax(ctx: Context, principal: Principal, cursor: Cursor) -> tuple[list[Any], bool]:
    return await tax_rates.list_tax_rates(ctx, principal, cursor)


async def _list_coupons(
    ctx: Context, principal: Principal, cursor: Cursor
) -> tuple[list[Any], bool]:
    return await coupons.list_coupons(ctx, principal, cursor)


KINDS = {
    "shipping_rates": Kind(
        path="shipping_rates",
        template="dashboard/shipping_rates.html",
        create_model=ShippingRateCreate,
        update_model=ShippingRateUpdate,
        list_rows=shipping.rates.list,
        resource=lambda row, _ctx: shipping.rate_resource(row),
        create=shipping.rates.create,
        retrieve=shipping.rates.retrieve,
        update=shipping.rates.update,
        params=_rate_params,
        name_field="display_name",
    ),
    "shipping_promotions": Kind(
        path="shipping_promotions",
        template="dashboard/shipping_promotions.html",
        create_model=ShippingPromotionCreate,
        update_model=ShippingPromotionUpdate,
        list_rows=shipping.promotions.list,
        resource=lambda row, _ctx: shipping.promotion_resource(row),
        create=shipping.promotions.create,
        retrieve=shipping.promotions.retrieve,
        update=shipping.promotions.update,
        params=_promotion_params,
        name_field="display_name",
    ),
    "tax_rates": Kind(
        path="tax_rates",
        template="dashboard/tax_rates.html",
        create_model=TaxRateCreate,
        update_model=TaxRateUpdate,
        list_rows=_list_tax,
        resource=lambda row, _ctx: tax_rates.tax_rate_resource(row),
        create=tax_rates.create,
        retrieve=tax_rates.retrieve,
        update=tax_rates.update,
        params=_tax_params,
        name_field="display_name",
    ),
    "coupons": Kind(
        path="coupons",
        template="dashboard/coupons.html",
        create_model=CouponCreate,
        update_model=CouponUpdate,
        list_rows=_list_coupons,
        resource=lambda row, ctx: coupons.coupon_resource(row, ctx.clock()),
        create=coupons.create,
        retrieve=coupons.retrieve,
        update=coupons.update,
        params=_coupon_params,
        name_field="name",
    ),
}

FIELDS = (
    "name",
    "percentage",
    "inclusive",
    "country",
    "code",
    "percent_off",
    "amount_off",
    "currency",
    "max_redemptions",
    "amount",
    "countries",
    "min_subtotal",
    "redeem_by",
    "products",
    "service_levels",
)


async def _render(
    request: Request,
    who: SignedIn,
    kind: Kind,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
    editing: dict[str, Any] | None = None,
) -> HTMLResponse:
    view = View(request, who)
    ctx = web.ctx_of(request)
    after = request.query_params.get("starting_after") or None
    before = None if after else (request.query_params.get("ending_before") or None)
    try:
        rows, has_more = await kind.list_rows(ctx, who.principal, Cursor(PAGE_SIZE, after, before))
    except NotFound:
        rows, has_more = await kind.list_rows(ctx, who.principal, Cursor(PAGE_SIZE))
        after = before = None
    resources = [kind.resource(row, ctx) for row in rows]
    path = f"/catalog/{kind.path}"
    return view.render(
        kind.template,
        status,
        rows=resources,
        form=form or {},
        editing=editing,
        error=error,
        done=DONE.get(request.query_params.get("done", "")),
        next_url=view.url(path, starting_after=resources[-1]["id"])
        if resources and (has_more or before)
        else None,
        prev_url=view.url(path, ending_before=resources[0]["id"])
        if resources and (after or (before and has_more))
        else None,
    )


async def _signed_form(request: Request) -> tuple[SignedIn | None, Any, Response | None]:
    who = await web.signed_in(request)
    if who is None:
        return None, None, web.to_login(request)
    form = await web.read_form(request)
    if form is None or not web.csrf_ok(request, who, form):
        return who, None, web.forbidden(request, who)
    return who, form, None


def _status(exc: DomainError) -> int:
    return 409 if isinstance(exc, Conflict) else 422


@router.get("/{kind_name}", response_class=HTMLResponse)
async def resource_list(request: Request, kind_name: str) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    kind = KINDS.get(kind_name)
    if kind is None:
        return View(request, who).message(404, _("Not found"), _("There is no such page."))
    return await _render(request, who, kind)


@router.post("/{kind_name}", response_class=HTMLResponse)
async def resource_create(request: Request, kind_name: str) -> Response:
    who, form, refused = await _signed_form(request)
    if refused is not None or who is None:
        return refused or web.to_login(request)
    kind = KINDS.get(kind_name)
    if kind is None:
        return View(request, who).message(404, _("Not found"), _("There is no such page."))
    values = {name: web.field(form, name, 250) for name in FIELDS}
    values["products"] = web.field(form, "products", 4000)
    values["metadata"] = web.field(form, "metadata", 20_000)
    try:
        body = kind.create_model.model_validate(kind.params(values))
        await kind.create(web.ctx_of(request), who.principal, body.model_dump())
    except ValidationError as exc:
        return await _render(
            request, who, kind, status=422, error=View(request, who).error_text(exc), form=values
        )
    except DomainError as exc:
        return await _render(
            request,
            who,
            kind,
            status=_status(exc),
            error=View(request, who).error_text(exc),
            form=values,
        )
    return View(request, who).redirect(f"/catalog/{kind.path}", done="created")


@router.get("/{kind_name}/{object_id}", response_class=HTMLResponse)
async def resource_edit(request: Request, kind_name: str, object_id: str) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    kind = KINDS.get(kind_name)
    view = View(request, who)
    if kind is None:
        return view.message(404, _("Not found"), _("There is no such page."))
    try:
        row = await kind.retrieve(web.ctx_of(request), who.principal, object_id)
    except NotFound:
        return view.message(404, _("Not found"), _("There is no such page."))
    return await _render(request, who, kind, editing=kind.resource(row, web.ctx_of(request)))


@router.post("/{kind_name}/{object_id}", response_class=HTMLResponse)
async def resource_save(request: Request, kind_name: str, object_id: str) -> Response:
    who, form, refused = await _signed_form(request)
    if refused is not None or who is None:
        return refused or web.to_login(request)
    kind = KINDS.get(kind_name)
    view = View(request, who)
    if kind is None:
        return view.message(404, _("Not found"), _("There is no such page."))
    ctx = web.ctx_of(request)
    try:
        row = await kind.retrieve(ctx, who.principal, object_id)
    except NotFound:
        return view.message(404, _("Not found"), _("There is no such page."))
    params = {
        kind.name_field: web.field(form, "name", 250) or None,
        "active": form.get("active") == "on",
    }
    try:
        body = kind.update_model.model_validate(params)
        await kind.update(ctx, who.principal, object_id, body.model_dump(exclude_unset=True))
    except ValidationError as exc:
        return await _render(
            request,
            who,
            kind,
            status=422,
            error=View(request, who).error_text(exc),
            editing=kind.resource(row, ctx),
        )
    except DomainError as exc:
        return await _render(
            request,
            who,
            kind,
            status=_status(exc),
            error=View(request, who).error_text(exc),
            editing=kind.resource(row, ctx),
        )
    return view.redirect(f"/catalog/{kind.path}", done="saved")

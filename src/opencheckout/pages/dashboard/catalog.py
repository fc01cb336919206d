"""Catalog: products with their stock (list, create, edit), through the products
service with the API's own input models."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from opencheckout.api.schemas.products import ProductCreate, ProductUpdate
from opencheckout.domain.currency import to_major, to_minor
from opencheckout.domain.errors import DomainError, InvalidValue, NotFound
from opencheckout.pages.dashboard import web
from opencheckout.pages.dashboard.web import View, _
from opencheckout.service import products
from opencheckout.service.dashboard_users import SignedIn
from opencheckout.service.paging import Cursor

router = APIRouter(prefix=f"{web.PREFIX}/catalog", include_in_schema=False)
PAGE_SIZE = 20
DONE = {
    "created": _("The product was created."),
    "saved": _("The product was saved."),
}


def _price(text: str, currency: str) -> int | None:
    if not text:
        return None
    try:
        amount = Decimal(text.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise InvalidValue("Enter the price as a number, such as 10.50.", param="price") from None
    if not amount.is_finite() or amount.adjusted() > 15:
        raise InvalidValue("Enter the price as a number, such as 10.50.", param="price")
    return to_minor(amount, currency or "eur", param="price")


def _stock(text: str) -> int | None:
    if not text:
        return None
    if not text.lstrip("-").isdigit() or len(text) > 12:
        raise InvalidValue("Enter the stock as a whole number.", param="stock")
    return int(text)


async def _list(
    request: Request,
    who: SignedIn,
    *,
    status: int = 200,
    error: str | None = None,
    form: dict[str, str] | None = None,
) -> HTMLResponse:
    view = View(request, who)
    ctx = web.ctx_of(request)
    after = request.query_params.get("starting_after") or None
    before = None if after else (request.query_params.get("ending_before") or None)
    try:
        rows, has_more = await products.list_products(
            ctx, who.principal, Cursor(PAGE_SIZE, after, before)
        )
    except NotFound:
        rows, has_more = await products.list_products(ctx, who.principal, Cursor(PAGE_SIZE))
        after = before = None
    return view.render(
        "dashboard/products.html",
        status,
        products=rows,
        form=form or {},
        error=error,
        done=DONE.get(request.query_params.get("done", "")),
        next_url=view.url("/catalog/products", starting_after=rows[-1].sku)
        if rows and (has_more or before)
        else None,
        prev_url=view.url("/catalog/products", ending_before=rows[0].sku)
        if rows and (after or (before and has_more))
        else None,
    )


@router.get("", response_class=HTMLResponse)
async def catalog(request: Request) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    return View(request, who).redirect("/catalog/products")


@router.get("/products", response_class=HTMLResponse)
async def product_list(request: Request) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    return await _list(request, who)


@router.post("/products", response_class=HTMLResponse)
async def product_create(request: Request) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    form = await web.read_form(request)
    if form is None or not web.csrf_ok(request, who, form):
        return web.forbidden(request, who)
    values = {
        name: web.field(form, name, 1000) for name in ("sku", "name", "price", "currency", "stock")
    }
    try:
        currency = values["currency"].lower()
        params: dict[str, Any] = {
            "id": values["sku"],
            "name": values["name"],
            "unit_amount": _price(values["price"], currency),
            "currency": currency,
            "stock": _stock(values["stock"]),
        }
        body = ProductCreate.model_validate(params)
        await products.create(web.ctx_of(request), who.principal, body.model_dump())
    except ValidationError as exc:
        return await _list(
            request, who, status=422, error=View(request, who).error_text(exc), form=values
        )
    except DomainError as exc:
        status = 409 if exc.code == "product_exists" else 422
        return await _list(
            request, who, status=status, error=View(request, who).error_text(exc), form=values
        )
    return View(request, who).redirect("/catalog/products", done="created")


async def _edit(
    request: Request, who: SignedIn, sku: str, *, status: int = 200, error: str | None = None
) -> Response:
    view = View(request, who)
    try:
        row = await products.retrieve(web.ctx_of(request), who.principal, sku)
    except NotFound:
        return view.message(404, _("Not found"), _("There is no such page."))
    return view.render(
        "dashboard/product.html",
        status,
        p=row,
        price=str(to_major(row.unit_amount, row.currency)),
        error=error,
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/products/{sku}", response_class=HTMLResponse)
async def product_edit(request: Request, sku: str) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    return await _edit(request, who, sku)


@router.post("/products/{sku}", response_class=HTMLResponse)
async def product_save(request: Request, sku: str) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    form = await web.read_form(request)
    if form is None or not web.csrf_ok(request, who, form):
        return web.forbidden(request, who)
    ctx = web.ctx_of(request)
    try:
        row = await products.retrieve(ctx, who.principal, sku)
    except NotFound:
        return View(request, who).message(404, _("Not found"), _("There is no such page."))
    try:
        params: dict[str, Any] = {
            "name": web.field(form, "name", 1000),
            "active": form.get("active") == "on",
            "stock": _stock(web.field(form, "stock", 20)),
        }
        price = _price(web.field(form, "price", 40), row.currency)
        if price is not None:
            params["unit_amount"] = price
        body = ProductUpdate.model_validate(params)
        await products.update(ctx, who.principal, sku, body.model_dump(exclude_unset=True))
    except ValidationError as exc:
        return await _edit(request, who, sku, status=422, error=View(request, who).error_text(exc))
    except DomainError as exc:
        return await _edit(request, who, sku, status=422, error=View(request, who).error_text(exc))
    return View(request, who).redirect(f"/catalog/products/{sku}", done="saved")

"""Catalog: customers and their address books (list, create, edit; add and remove an
address) through the customers service, validated by the API's input models."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from opencheckout.api.schemas.customers import AddressIn, CustomerCreate, CustomerUpdate
from opencheckout.domain.addresses import AddressContent
from opencheckout.domain.errors import Conflict, DomainError, NotFound
from opencheckout.pages.dashboard import web
from opencheckout.pages.dashboard.web import View, _
from opencheckout.service import customers
from opencheckout.service.dashboard_users import SignedIn
from opencheckout.service.paging import Cursor

router = APIRouter(prefix=f"{web.PREFIX}/catalog/customers", include_in_schema=False)
PAGE_SIZE = 20
DONE = {"created": _("Created."), "saved": _("Saved.")}
ADDRESS = ("line1", "line2", "city", "state", "postal_code", "country")


def _status(exc: DomainError) -> int:
    return 409 if isinstance(exc, Conflict) else 422


async def _guard(request: Request) -> tuple[SignedIn | None, object, Response | None]:
    who = await web.signed_in(request)
    if who is None:
        return None, None, web.to_login(request)
    form = await web.read_form(request)
    if form is None or not web.csrf_ok(request, who, form):
        return who, None, web.forbidden(request, who)
    return who, form, None


async def _list(
    request: Request, who: SignedIn, *, status: int = 200, error: str | None = None
) -> HTMLResponse:
    view = View(request, who)
    ctx = web.ctx_of(request)
    after = request.query_params.get("starting_after") or None
    before = None if after else (request.query_params.get("ending_before") or None)
    email = (request.query_params.get("email") or "").strip()[:320] or None
    try:
        rows, has_more = await customers.list_customers(
            ctx, who.principal, Cursor(PAGE_SIZE, after, before), email=email
        )
    except NotFound:
        rows, has_more = await customers.list_customers(
            ctx, who.principal, Cursor(PAGE_SIZE), email=email
        )
        after = before = None
    resources = [customers.customer_resource(row) for row in rows]
    return view.render(
        "dashboard/customers.html",
        status,
        rows=resources,
        email=email or "",
        error=error,
        done=DONE.get(request.query_params.get("done", "")),
        next_url=view.url("/catalog/customers", email=email, starting_after=resources[-1]["id"])
        if resources and (has_more or before)
        else None,
        prev_url=view.url("/catalog/customers", email=email, ending_before=resources[0]["id"])
        if resources and (after or (before and has_more))
        else None,
    )


@router.get("", response_class=HTMLResponse)
async def customer_list(request: Request) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    return await _list(request, who)


@router.post("", response_class=HTMLResponse)
async def customer_create(request: Request) -> Response:
    who, form, refused = await _guard(request)
    if refused is not None or who is None:
        return refused or web.to_login(request)
    values = {name: web.field(form, name, 320) or None for name in ("email", "name", "phone")}  # type: ignore[arg-type]
    try:
        body = CustomerCreate.model_validate({k: v for k, v in values.items() if v})
        await customers.create(
            web.ctx_of(request),
            who.principal,
            customers.NewCustomer(email=body.email, name=body.name, phone=body.phone),
        )
    except ValidationError as exc:
        return await _list(request, who, status=422, error=View(request, who).error_text(exc))
    except DomainError as exc:
        return await _list(
            request, who, status=_status(exc), error=View(request, who).error_text(exc)
        )
    return View(request, who).redirect("/catalog/customers", done="created")


async def _detail(
    request: Request,
    who: SignedIn,
    customer_id: str,
    *,
    status: int = 200,
    error: str | None = None,
) -> Response:
    view = View(request, who)
    try:
        found = await customers.retrieve(web.ctx_of(request), who.principal, customer_id)
    except NotFound:
        return view.message(404, _("Not found"), _("There is no such page."))
    return view.render(
        "dashboard/customer.html",
        status,
        c=customers.customer_resource(found),
        error=error,
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/{customer_id}", response_class=HTMLResponse)
async def customer_detail(request: Request, customer_id: str) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    return await _detail(request, who, customer_id)


@router.post("/{customer_id}", response_class=HTMLResponse)
async def customer_save(request: Request, customer_id: str) -> Response:
    who, form, refused = await _guard(request)
    if refused is not None or who is None:
        return refused or web.to_login(request)
    changes = {name: web.field(form, name, 320) or None for name in ("email", "name", "phone")}  # type: ignore[arg-type]
    ctx = web.ctx_of(request)
    try:
        body = CustomerUpdate.model_validate(changes)
        await customers.update(ctx, who.principal, customer_id, body.model_dump(exclude_unset=True))
    except NotFound:
        return View(request, who).message(404, _("Not found"), _("There is no such page."))
    except ValidationError as exc:
        return await _detail(
            request, who, customer_id, status=422, error=View(request, who).error_text(exc)
        )
    except DomainError as exc:
        return await _detail(
            request, who, customer_id, status=_status(exc), error=View(request, who).error_text(exc)
        )
    return View(request, who).redirect(f"/catalog/customers/{customer_id}", done="saved")


@router.post("/{customer_id}/addresses", response_class=HTMLResponse)
async def address_add(request: Request, customer_id: str) -> Response:
    who, form, refused = await _guard(request)
    if refused is not None or who is None:
        return refused or web.to_login(request)
    values = {name: web.field(form, name, 200) or None for name in ("name", *ADDRESS)}  # type: ignore[arg-type]
    ctx = web.ctx_of(request)
    try:
        body = AddressIn.model_validate({k: v for k, v in values.items() if v})
        await customers.add_address(
            ctx, who.principal, customer_id, AddressContent.of(body.model_dump())
        )
    except NotFound:
        return View(request, who).message(404, _("Not found"), _("There is no such page."))
    except ValidationError as exc:
        return await _detail(
            request, who, customer_id, status=422, error=View(request, who).error_text(exc)
        )
    except DomainError as exc:
        return await _detail(
            request, who, customer_id, status=_status(exc), error=View(request, who).error_text(exc)
        )
    return View(request, who).redirect(f"/catalog/customers/{customer_id}", done="saved")


@router.post("/{customer_id}/addresses/{address_id}/remove", response_class=HTMLResponse)
async def address_remove(request: Request, customer_id: str, address_id: str) -> Response:
    who, _form, refused = await _guard(request)
    if refused is not None or who is None:
        return refused or web.to_login(request)
    try:
        await customers.remove_address(web.ctx_of(request), who.principal, customer_id, address_id)
    except NotFound:
        return View(request, who).message(404, _("Not found"), _("There is no such page."))
    return View(request, who).redirect(f"/catalog/customers/{customer_id}", done="saved")

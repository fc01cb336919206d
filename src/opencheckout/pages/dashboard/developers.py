"""Developers: API keys (create, shown once; revoke), webhook endpoints (create, rotate,
disable/enable), each endpoint's delivery log with redeliver, and the events list."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from opencheckout.domain.errors import DomainError, NotFound
from opencheckout.pages.dashboard import web
from opencheckout.pages.dashboard.web import View, _
from opencheckout.service import auth, events, webhooks
from opencheckout.service.auth import Scope
from opencheckout.service.dashboard_users import SignedIn
from opencheckout.service.paging import Cursor

router = APIRouter(prefix=f"{web.PREFIX}/developers", include_in_schema=False)
PAGE_SIZE = 20

DONE = {
    "revoked": _("The key was revoked."),
    "disabled": _("The endpoint was disabled."),
    "enabled": _("The endpoint was enabled."),
    "redelivered": _("The event was queued for delivery again."),
}


async def _page(
    request: Request,
    who: SignedIn,
    *,
    status: int = 200,
    error: str | None = None,
    new_key: str | None = None,
    new_secret: tuple[str, str] | None = None,
) -> HTMLResponse:
    view = View(request, who)
    ctx = web.ctx_of(request)
    keys = [
        key
        for key in await auth.list_keys(ctx.db, who.account.name)
        if key.livemode == who.livemode
    ]
    keys.sort(key=lambda key: key.created_at, reverse=True)
    endpoints = await webhooks.list_endpoints(ctx, who.principal, Cursor(limit=100))
    return view.render(
        "dashboard/developers.html",
        status,
        keys=keys,
        endpoints=endpoints.rows,
        new_key=new_key,
        new_secret=new_secret,
        error=error,
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("", response_class=HTMLResponse)
async def developers(request: Request) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    return await _page(request, who)


async def _guard(request: Request) -> tuple[SignedIn | None, Any, Response | None]:
    who = await web.signed_in(request)
    if who is None:
        return None, None, web.to_login(request)
    form = await web.read_form(request)
    if form is None or not web.csrf_ok(request, who, form):
        return who, None, web.forbidden(request, who)
    return who, form, None


@router.post("/keys", response_class=HTMLResponse)
async def create_key(request: Request) -> Response:
    who, form, refused = await _guard(request)
    if refused is not None or who is None:
        return refused or web.to_login(request)
    scope = Scope.READ if web.field(form, "scope", 8) == "read" else Scope.WRITE
    created = await auth.create_key(
        web.ctx_of(request).db, who.account.name, livemode=who.livemode, scope=scope
    )
    # Shown once, in this answer only (never stored, never in a URL).
    return await _page(request, who, status=201, new_key=created.secret)


@router.post("/keys/revoke", response_class=HTMLResponse)
async def revoke_key(request: Request) -> Response:
    who, form, refused = await _guard(request)
    if refused is not None or who is None:
        return refused or web.to_login(request)
    prefix = web.field(form, "prefix", 40)
    ctx = web.ctx_of(request)
    mine = {
        key.prefix
        for key in await auth.list_keys(ctx.db, who.account.name)
        if key.livemode == who.livemode
    }
    if prefix not in mine:
        return await _page(request, who, status=404, error=f"No key with prefix '{prefix}'.")
    await auth.revoke_key(ctx.db, prefix)
    return View(request, who).redirect("/developers", done="revoked")


@router.post("/webhooks", response_class=HTMLResponse)
async def create_endpoint(request: Request) -> Response:
    who, form, refused = await _guard(request)
    if refused is not None or who is None:
        return refused or web.to_login(request)
    url = web.field(form, "url", 2048)
    types = [t.strip() for t in web.field(form, "events", 2000).split(",") if t.strip()]
    try:
        endpoint = await webhooks.create_endpoint(
            web.ctx_of(request),
            who.principal,
            {
                "url": url,
                "enabled_events": types or ["*"],
                "description": web.field(form, "description", 500) or None,
            },
        )
    except DomainError as exc:
        return await _page(request, who, status=422, error=View(request, who).error_text(exc))
    return await _page(request, who, status=201, new_secret=(endpoint.id, endpoint.secret))


@router.post("/webhooks/{endpoint_id}/{action}", response_class=HTMLResponse)
async def endpoint_action(request: Request, endpoint_id: str, action: str) -> Response:
    who, form, refused = await _guard(request)
    if refused is not None or who is None:
        return refused or web.to_login(request)
    ctx = web.ctx_of(request)
    view = View(request, who)
    try:
        if action == "rotate":
            endpoint = await webhooks.rotate_secret(ctx, who.principal, endpoint_id)
            return await _page(request, who, new_secret=(endpoint.id, endpoint.secret))
        if action in ("disable", "enable"):
            status = "disabled" if action == "disable" else "enabled"
            await webhooks.update_endpoint(ctx, who.principal, endpoint_id, {"status": status})
            return view.redirect("/developers", done=status)
        if action == "redeliver":
            event_id = web.field(form, "event", 40)
            await webhooks.redeliver(ctx, who.principal, event_id, endpoint_id=endpoint_id)
            return view.redirect(f"/developers/webhooks/{endpoint_id}", done="redelivered")
    except NotFound as exc:
        return await _page(request, who, status=404, error=View(request, who).error_text(exc))
    return view.message(404, _("Not found"), _("There is no such page."))


@router.get("/webhooks/{endpoint_id}", response_class=HTMLResponse)
async def delivery_log(request: Request, endpoint_id: str) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    view = View(request, who)
    ctx = web.ctx_of(request)
    after = request.query_params.get("starting_after") or None
    before = None if after else (request.query_params.get("ending_before") or None)
    try:
        endpoint = await webhooks.retrieve_endpoint(ctx, who.principal, endpoint_id)
        page = await webhooks.list_attempts(
            ctx, who.principal, endpoint_id, Cursor(PAGE_SIZE, after, before)
        )
    except NotFound:
        return view.message(404, _("Not found"), _("There is no such page."))
    rows = page.rows
    path = f"/developers/webhooks/{endpoint_id}"
    return view.render(
        "dashboard/endpoint.html",
        endpoint=endpoint,
        attempts=rows,
        next_url=view.url(path, starting_after=rows[-1].id)
        if rows and (page.has_more or before)
        else None,
        prev_url=view.url(path, ending_before=rows[0].id)
        if rows and (after or (before and page.has_more))
        else None,
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/events", response_class=HTMLResponse)
async def event_list(request: Request) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    view = View(request, who)
    ctx = web.ctx_of(request)
    event_type = (request.query_params.get("type") or "").strip()[:64]
    after = request.query_params.get("starting_after") or None
    before = None if after else (request.query_params.get("ending_before") or None)
    try:
        rows, has_more = await events.list_events(
            ctx,
            who.principal,
            types=[event_type] if event_type else [],
            created=(None, None, None, None),
            cursor=Cursor(PAGE_SIZE, after, before),
        )
    except NotFound:
        rows, has_more = await events.list_events(
            ctx,
            who.principal,
            types=[event_type] if event_type else [],
            created=(None, None, None, None),
            cursor=Cursor(PAGE_SIZE),
        )
        after = before = None
    return view.render(
        "dashboard/events.html",
        events=rows,
        type=event_type,
        next_url=view.url("/developers/events", type=event_type, starting_after=rows[-1].id)
        if rows and (has_more or before)
        else None,
        prev_url=view.url("/developers/events", type=event_type, ending_before=rows[0].id)
        if rows and (after or (before and has_more))
        else None,
    )

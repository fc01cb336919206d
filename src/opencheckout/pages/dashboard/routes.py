"""Dashboard routes: sign-in, the test/live switch, checkouts (list, detail, actions).

Thin HTTP over the services: every read and action goes through the same use
cases as the API, with a write principal of the signed-in user's account and the
session's mode, so tenancy is the API's own.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from opencheckout.domain import custom_fields
from opencheckout.domain.currency import exponent, to_minor
from opencheckout.domain.errors import (
    Conflict,
    DomainError,
    InvalidValue,
    NotFound,
    PaymentDeclined,
    ProcessorUnavailable,
)
from opencheckout.domain.filters import CheckoutFilters, RefundFilters
from opencheckout.domain.lifecycle import Status
from opencheckout.pages import security
from opencheckout.pages.dashboard import catalog, developers, orders, pricing, web
from opencheckout.pages.dashboard import charts as charts_
from opencheckout.pages.dashboard import customers as customers_pages
from opencheckout.pages.dashboard.web import View, _
from opencheckout.service import (
    checkouts,
    dashboard_users,
    dashboard_views,
    overview,
    refunds,
    webhooks,
)
from opencheckout.service.context import Context
from opencheckout.service.dashboard_users import LockedOut, SignedIn
from opencheckout.service.paging import Cursor
from opencheckout.service.views import checkout_resource

logger = logging.getLogger("opencheckout.dashboard")

STATIC_DIR = Path(__file__).parent / "static"
PAGE_SIZE = 20

router = APIRouter(prefix=web.PREFIX, include_in_schema=False)

#: Outcomes shown after an action's redirect (a fixed set: nothing from the URL is echoed).
DONE = {
    "cancelled": _("The checkout was cancelled."),
    "recovered": _("A recovery checkout was created. Send the buyer its payment link."),
    "refunded": _("The refund was created."),
    "resent": _("The event was queued for delivery again."),
    "mode": _("Switched mode."),
}


def install(app: FastAPI, ctx: Context) -> None:
    app.state.dashboard = web.make(ctx)
    app.include_router(router)
    app.include_router(developers.router)
    app.include_router(orders.router)
    app.include_router(catalog.router)
    app.include_router(customers_pages.router)
    app.include_router(pricing.router)
    app.mount(web.STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="dashboard-static")


# -- sign-in ------------------------------------------------------------------------------


def _login_page(
    request: Request, *, status: int = 200, error: str | None = None, email: str = ""
) -> HTMLResponse:
    view = View(request, None)
    nonce = request.cookies.get(web.LOGIN_CSRF_COOKIE)
    if not nonce or len(nonce) > 64:
        nonce = security.new_nonce()
    token = security.csrf_token(view.dash.secret_key, "dashboard-login", nonce)
    next_path = _safe_next(request.query_params.get("next"))
    return view.render(
        "dashboard/login.html",
        status,
        login_csrf=token,
        error=view.gettext(error) if error else None,
        email=email,
        next=next_path,
        cookies={web.LOGIN_CSRF_COOKIE: nonce},
    )


def _safe_next(value: str | None) -> str | None:
    """Only our own dashboard paths (no scheme, host or protocol-relative tricks)."""
    if not value or not value.startswith(web.PREFIX) or "//" in value or "\\" in value:
        return None
    if any(ord(char) < 0x20 for char in value):
        return None
    return value[:1000]


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request) -> Response:
    if await web.signed_in(request) is not None:
        return View(request, None).redirect("")
    return _login_page(request)


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    form = await web.read_form(request)
    view = View(request, None)
    if form is None:
        return _login_page(request, status=400, error=_("Enter your email and password."))
    nonce = request.cookies.get(web.LOGIN_CSRF_COOKIE)
    submitted = web.field(form, security.CSRF_FIELD, 100)
    if not web.origin_ok(request) or not security.csrf_valid(
        view.dash.secret_key, "dashboard-login", nonce, submitted
    ):
        return _login_page(request, status=403, error=_("This form has expired. Please try again."))
    email = web.field(form, "email", 320)
    password = form.get("password")
    if not email or not isinstance(password, str) or not password:
        return _login_page(
            request, status=422, error=_("Enter your email and password."), email=email
        )
    try:
        result = await dashboard_users.sign_in(web.ctx_of(request), email, password)
    except LockedOut:
        return _login_page(
            request,
            status=429,
            error=_("Too many failed sign-in attempts. Try again in 15 minutes."),
            email=email,
        )
    if result is None:
        return _login_page(
            request, status=401, error=_("The email or password is not correct."), email=email
        )
    token, _who = result
    target = _safe_next(web.field(form, "next", 1000)) or view.url("")
    response = RedirectResponse(target, status_code=303)
    response.headers.update(security.security_headers(web.CSP))
    view.set_cookie(response, web.SESSION_COOKIE, token)
    response.delete_cookie(web.LOGIN_CSRF_COOKIE, path=f"{view.dash.base_path}{web.PREFIX}")
    return response


@router.post("/logout")
async def logout(request: Request) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    form = await web.read_form(request)
    if form is None or not web.csrf_ok(request, who, form):
        return web.forbidden(request, who)
    await dashboard_users.sign_out(web.ctx_of(request), who)
    view = View(request, None)
    response = view.redirect("/login")
    response.delete_cookie(web.SESSION_COOKIE, path=f"{view.dash.base_path}{web.PREFIX}")
    return response


@router.post("/mode")
async def switch_mode(request: Request) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    form = await web.read_form(request)
    if form is None or not web.csrf_ok(request, who, form):
        return web.forbidden(request, who)
    mode = web.field(form, "mode", 8)
    if mode in ("test", "live"):
        await dashboard_users.set_mode(web.ctx_of(request), who, mode == "live")
    return View(request, who).redirect("", done="mode")


@router.get("", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    return View(request, who).redirect("/overview", done=request.query_params.get("done"))


# -- overview -----------------------------------------------------------------------------

PERIODS = (7, 30, 90)


def _period(query: dict[str, str], today: date) -> tuple[date, date, int | None]:
    start = _date(query.get("from", ""))
    end = _date(query.get("to", ""))
    if start is not None and end is not None:
        return start, end, None
    days = int(query["days"]) if query.get("days", "").isdigit() else 30
    days = days if days in PERIODS else 30
    return today - timedelta(days=days - 1), today, days


def _date(value: str) -> date | None:
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d").date()
    except ValueError:
        return None


@router.get("/overview", response_class=HTMLResponse)
async def overview_page(request: Request) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    view = View(request, who)
    ctx = web.ctx_of(request)
    start, end, days = _period(dict(request.query_params), ctx.clock().date())
    figures = await overview.overview(ctx, who.principal, start, end)
    currency = figures.currency or "eur"
    return view.render(
        "dashboard/overview.html",
        o=figures,
        currency=currency,
        charts=_overview_charts(view, figures, currency),
        days=days,
        periods=PERIODS,
        start=start.isoformat(),
        end=end.isoformat(),
        percent=view.percent,
        done=DONE.get(request.query_params.get("done", "")),
    )


def _overview_charts(view: View, figures: overview.Overview, currency: str) -> dict[str, str]:
    """The overview's three SVG charts: revenue, conversion, recovered vs refunded."""

    def money(amount: int) -> str:
        return view.money(amount, currency)

    labels = [view.short_day(d.day) for d in figures.days]
    money_minimum = 4 * 10 ** exponent(currency)
    gettext = view.gettext
    return {
        "revenue": charts_.bar_chart(
            gettext(_("Revenue per day")),
            labels,
            [charts_.Series(gettext(_("Revenue")), [d.revenue for d in figures.days])],
            money,
            minimum=money_minimum,
        ),
        "conversion": charts_.bar_chart(
            gettext(_("Checkouts created and completed per day")),
            labels,
            [
                charts_.Series(gettext(_("Created")), [d.created for d in figures.days]),
                charts_.Series(
                    gettext(_("Completed")), [d.completed for d in figures.days], "hatched"
                ),
            ],
            str,
        ),
        "refunds": charts_.bar_chart(
            gettext(_("Recovered revenue and refunds per day")),
            labels,
            [
                charts_.Series(gettext(_("Recovered")), [d.recovered for d in figures.days]),
                charts_.Series(
                    gettext(_("Refunded")), [d.refunded for d in figures.days], "hatched"
                ),
            ],
            money,
            minimum=money_minimum,
        ),
    }


# -- checkouts ----------------------------------------------------------------------------

STATUSES = [status.value for status in Status]


def _day_bound(value: str, *, end: bool) -> datetime | None:
    try:
        day = datetime.strptime(value, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        return None
    return day + timedelta(days=1) if end else day


def _filters(query: dict[str, str]) -> tuple[CheckoutFilters, dict[str, str]]:
    """The list's filters from the query string, and the values to show back."""
    shown = {
        name: query.get(name, "").strip()[:200]
        for name in ("status", "email", "customer", "product", "created_from", "created_to", "q")
    }
    filters = CheckoutFilters()
    if shown["status"] in STATUSES:
        filters.statuses = [Status(shown["status"])]
    else:
        shown["status"] = ""
    if shown["email"]:
        filters.email = shown["email"].lower()
    if shown["customer"]:
        filters.customer = shown["customer"]
    if shown["product"]:
        filters.product = shown["product"]
    filters.created_gte = _day_bound(shown["created_from"], end=False)
    filters.created_lt = _day_bound(shown["created_to"], end=True)
    search = shown["q"]
    if search:
        if "@" in search:
            filters.email = search.lower()
        else:
            filters.ids = [search]
    return filters, shown


def _custom_field_rows(view: View, resource: dict[str, Any]) -> list[dict[str, str | None]]:
    """The custom fields as the buyer saw them (labels in the dashboard's locale) with
    what the buyer filled in; a dropdown's value with its option's label."""
    rows: list[dict[str, str | None]] = []
    for field in resource.get("custom_fields") or []:
        value = field.get("value")
        labels = {option["value"]: option["label"] for option in field.get("options") or []}
        if value is not None and value in labels and labels[value] != value:
            value = f"{labels[value]} ({value})"
        rows.append(
            {
                "key": field["key"],
                "label": custom_fields.label_for(field, view.locale),
                "value": value,
            }
        )
    return rows


def _checkout_row(view: View, resource: dict[str, Any]) -> dict[str, Any]:
    return {
        **resource,
        "total": view.money(resource["amount_total"], resource["currency"]),
        "created": view.when(resource["created_at"]),
    }


@router.get("/checkouts", response_class=HTMLResponse)
async def checkout_list(request: Request) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    view = View(request, who)
    ctx = web.ctx_of(request)
    query = dict(request.query_params)
    filters, shown = _filters(query)
    after = query.get("starting_after") or None
    before = None if after else (query.get("ending_before") or None)
    try:
        page = await checkouts.list_checkouts(
            ctx,
            who.principal,
            filters,
            limit=PAGE_SIZE,
            starting_after=after,
            ending_before=before,
        )
    except NotFound:
        page = await checkouts.list_checkouts(ctx, who.principal, filters, limit=PAGE_SIZE)
        after = before = None
    now = ctx.clock()
    rows = [
        _checkout_row(view, checkout_resource(row, public_url=ctx.settings.public_url, now=now))
        for row in page.rows
    ]
    more_after = page.has_more or before is not None
    more_before = after is not None or (before is not None and page.has_more)
    return view.render(
        "dashboard/checkouts.html",
        checkouts=rows,
        filters=shown,
        statuses=STATUSES,
        next_url=view.url("/checkouts", **shown, starting_after=rows[-1]["id"])
        if rows and more_after
        else None,
        prev_url=view.url("/checkouts", **shown, ending_before=rows[0]["id"])
        if rows and more_before
        else None,
        done=DONE.get(query.get("done", "")),
    )


async def _detail(
    request: Request,
    who: SignedIn,
    checkout_id: str,
    *,
    status: int = 200,
    error: str | None = None,
) -> Response:
    view = View(request, who)
    ctx = web.ctx_of(request)
    try:
        row = await checkouts.retrieve(ctx, who.principal, checkout_id)
    except NotFound:
        return view.message(
            404, _("Checkout not found"), _("There is no such checkout in this mode.")
        )
    now = ctx.clock()
    resource = checkout_resource(
        row,
        public_url=ctx.settings.public_url,
        now=now,
        processor=ctx.processor_name_for(row.livemode),
    )
    refund_rows, _more = await refunds.list_refunds(
        ctx, who.principal, Cursor(limit=100), RefundFilters(checkout_id=row.id)
    )
    timeline = await dashboard_views.timeline(
        ctx, who.principal, [row.id, *(refund.id for refund in refund_rows)]
    )
    attempts: dict[str, list[Any]] = {}
    for attempt in timeline.attempts:
        attempts.setdefault(attempt.event_id, []).append(attempt)
    remaining = resource["amount_total"] - resource["amount_refunded"]
    return view.render(
        "dashboard/checkout.html",
        status,
        c=_checkout_row(view, resource),
        custom_fields=_custom_field_rows(view, resource),
        client=resource.get("client"),
        refunds=refund_rows,
        events=list(reversed(timeline.events)),
        attempts=attempts,
        remaining=remaining,
        can_cancel=resource["status"] in ("pending", "failed"),
        can_recover=resource["status"] == "abandoned",
        can_refund=resource["status"] == "completed" and remaining > 0 and row.processor,
        is_open=resource["status"] in ("pending", "failed"),
        error=error,
        done=DONE.get(request.query_params.get("done", "")),
    )


@router.get("/checkouts/{checkout_id}", response_class=HTMLResponse)
async def checkout_detail(request: Request, checkout_id: str) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    return await _detail(request, who, checkout_id)


def _refund_amount(text: str, currency: str) -> int | None:
    if not text:
        return None
    try:
        amount = Decimal(text.replace(",", ".").replace(" ", ""))
    except InvalidOperation:
        raise InvalidValue("Enter the amount as a number, such as 10.50.", param="amount") from None
    if not amount.is_finite() or amount.adjusted() > 15:
        raise InvalidValue("Enter the amount as a number, such as 10.50.", param="amount")
    return to_minor(amount, currency)


@router.post("/checkouts/{checkout_id}/{action}", response_class=HTMLResponse)
async def checkout_action(request: Request, checkout_id: str, action: str) -> Response:
    who = await web.signed_in(request)
    if who is None:
        return web.to_login(request)
    if action not in ("cancel", "recover", "refund", "resend"):
        return View(request, who).message(404, _("Not found"), _("There is no such page."))
    form = await web.read_form(request)
    if form is None or not web.csrf_ok(request, who, form):
        return web.forbidden(request, who)
    ctx = web.ctx_of(request)
    view = View(request, who)
    path = f"/checkouts/{checkout_id}"
    try:
        if action == "cancel":
            await checkouts.cancel(ctx, who.principal, checkout_id)
            return view.redirect(path, done="cancelled")
        if action == "recover":
            copy = await checkouts.recover(ctx, who.principal, checkout_id)
            return view.redirect(f"/checkouts/{copy.id}", done="recovered")
        if action == "refund":
            row = await checkouts.retrieve(ctx, who.principal, checkout_id)
            amount = _refund_amount(web.field(form, "amount", 40), row.currency)
            reason = web.field(form, "reason", 500) or None
            await refunds.create(
                ctx,
                who.principal,
                checkout_id,
                refunds.RefundParams(amount=amount, reason=reason, metadata={}),
            )
            return view.redirect(path, done="refunded")
        event_id = web.field(form, "event", 40)
        await webhooks.redeliver(ctx, who.principal, event_id)
        return view.redirect(path, done="resent")
    except NotFound as exc:
        if exc.param in ("id", None) and action != "resend":
            return view.message(
                404, _("Checkout not found"), _("There is no such checkout in this mode.")
            )
        return await _detail(
            request, who, checkout_id, status=404, error=View(request, who).error_text(exc)
        )
    except DomainError as exc:
        return await _detail(
            request,
            who,
            checkout_id,
            status=error_status(exc),
            error=View(request, who).error_text(exc),
        )


def error_status(exc: DomainError) -> int:
    """The API's status for the same refusal."""
    if isinstance(exc, Conflict):
        return 409
    if isinstance(exc, PaymentDeclined):
        return 402
    if isinstance(exc, ProcessorUnavailable):
        return 502
    return 422

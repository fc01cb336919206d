"""The hosted checkout page at each session's permalink, ``/c/{token}``.

Server-rendered with Jinja2 and a little optional JavaScript; the whole flow
(details, coupon, payment, cancel) works with plain form posts. Everything the
buyer does goes through :mod:`opencheckout.service.hosted` and from there the
ordinary checkout use cases, so the API and the page share every rule.

Responses carry a strict CSP (no inline script or style) and are never
cached; expected failures render a page with the right status, and an
unexpected one renders a plain apology, never a stack trace.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.datastructures import FormData

from opencheckout.domain.addresses import AddressContent
from opencheckout.domain.client_ip import client_address
from opencheckout.domain.errors import (
    Conflict,
    DomainError,
    InvalidValue,
    NotFound,
    PaymentDeclined,
    ProcessorUnavailable,
)
from opencheckout.domain.lifecycle import Status
from opencheckout.domain.session import CheckoutSession
from opencheckout.pages import extras, forms, i18n, security, totals
from opencheckout.service import hosted
from opencheckout.service.context import Context
from opencheckout.service.hosted import HostedSession
from opencheckout.service.payments import last_payment_error
from opencheckout.service.visits import Visit, warm_up

logger = logging.getLogger("opencheckout.pages")

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static/hosted"
PROCESSING_REFRESH_SECONDS = 2


def _(message: str) -> str:
    return message


DECLINE_MESSAGES = {
    "card_declined": _("Your card was declined."),
    "insufficient_funds": _("Your card has insufficient funds."),
    "expired_card": _("Your card has expired."),
    "incorrect_number": _("Your card number is incorrect."),
    "test_mode_live_card": _("This is a test checkout: use a test card number."),
    "payment_intent_authentication_failure": _(
        "Your card could not be authenticated. Try again or use another card."
    ),
    "payment_interrupted": _("Your payment was interrupted and nothing was charged. Try again."),
}
DECLINE_FALLBACK = _("Your payment could not be completed. Try another card.")
PROCESSOR_DOWN = _("The payment service could not be reached. Please try again.")
FIX_FIELDS = _("Please correct the highlighted fields.")
CSRF_FAILED = _("This form has expired. Please try again.")
CODE_INVALID = _("This promotion code is not valid.")
CODE_REFUSED = _("This promotion code cannot be used on this order.")
CHANGED = _("This checkout changed while you were on the page. Please review it and try again.")
CARD_REQUIRED = _("Enter your card details.")


@dataclass(frozen=True, slots=True)
class Pages:
    """What the page routes need besides the service context."""

    env: Environment
    secret_key: bytes
    base_path: str


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("opencheckout.pages", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def install(app: FastAPI, ctx: Context) -> None:
    """Mount the page routes and their static files on ``app``."""
    app.state.pages = Pages(
        env=_environment(),
        secret_key=security.resolve_secret_key(ctx.settings),
        base_path=urlsplit(ctx.settings.public_url).path.rstrip("/"),
    )
    app.include_router(router)
    if ctx.settings.record_client != "off":
        warm_up()
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="hosted-static")


router = APIRouter(include_in_schema=False)


def _pages(request: Request) -> Pages:
    pages: Pages = request.app.state.pages
    return pages


def _ctx(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


class _Renderer:
    """Renders one response in the negotiated locale, with the security headers."""

    def __init__(self, request: Request, row: CheckoutSession | None) -> None:
        self.request = request
        self.pages = _pages(request)
        self.row = row
        session_locale = row.data.get("locale") if row is not None else None
        self.locale = i18n.negotiate(session_locale, request.headers.get("accept-language"))
        self.gettext: Callable[[str], str] = i18n.translations(self.locale).gettext
        #: Set when the page loads Stripe.js: the CSP then allows its origin.
        self.stripe_js_url: str | None = None
        #: Origins the page's forms may end up at besides the merchant's (PayPal's
        #: approve page, reached by the redirect that answers the pay form).
        self.form_origins: list[str] = []

    def money(self, amount: int) -> str:
        assert self.row is not None
        return i18n.format_money(amount, self.row.currency, self.locale)

    def response(
        self,
        template: str,
        status: int,
        *,
        refresh: str | None = None,
        cookie: str | None = None,
        **values: Any,
    ) -> HTMLResponse:
        data = self.row.data if self.row is not None else None
        urls = [data.get("success_url"), data.get("cancel_url")] if data is not None else []
        csp = security.content_security_policy(
            [*urls, *self.form_origins],
            stripe_js_url=self.stripe_js_url,
        )
        html = self.pages.env.get_template(template).render(
            _=self.gettext,
            lang=self.locale,
            static=f"{self.pages.base_path}{STATIC_PATH}",
            refresh=refresh,
            **values,
        )
        response = HTMLResponse(html, status_code=status, headers=security.security_headers(csp))
        if cookie is not None and self.row is not None:
            response.set_cookie(
                security.CSRF_COOKIE,
                cookie,
                path=self._path(),
                httponly=True,
                samesite="lax",
                secure=_is_https(self.request),
            )
        return response

    def message(
        self, status: int, title: str, body: str, *, link: str | None = None, link_text: str = ""
    ) -> HTMLResponse:
        return self.response(
            "message.html",
            status,
            title=self.gettext(title),
            body=self.gettext(body),
            link=link,
            link_text=self.gettext(link_text) if link_text else "",
        )

    def _path(self) -> str:
        assert self.row is not None
        return f"{self.pages.base_path}/c/{self.row.token}"


def _is_https(request: Request) -> bool:
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _not_found(request: Request) -> HTMLResponse:
    return _Renderer(request, None).message(
        404,
        _("Checkout not found"),
        _(
            "This payment link is not valid. Check the link you were given, "
            "or ask the store for a new one."
        ),
    )


def _closed(renderer: _Renderer, hosted_session: HostedSession) -> HTMLResponse:
    """A session the buyer can no longer pay: 410 with the way back to the store."""
    row = hosted_session.row
    if hosted_session.status is Status.COMPLETED and row.payment_status in (
        "refunded",
        "partially_refunded",
    ):
        # The same state the API, Quaderno and ACP report: refunded in full or in part.
        refunded = int(row.data.get("amount_refunded", 0))
        title = (
            _("Payment refunded")
            if row.payment_status == "refunded"
            else _("Payment partially refunded")
        )
        body = renderer.gettext(_("Refunded %(refunded)s of %(total)s.")) % {
            "refunded": renderer.money(refunded),
            "total": renderer.money(row.amount_total),
        }
        return renderer.response(
            "message.html",
            410,
            title=renderer.gettext(title),
            body=body,
            link=security.success_target(row.data.get("success_url"), row.id),
            link_text=renderer.gettext(_("Continue")),
        )
    if hosted_session.status is Status.COMPLETED:
        return renderer.message(
            410,
            _("Payment received"),
            _("This checkout has already been paid. Thank you!"),
            link=security.success_target(row.data.get("success_url"), row.id),
            link_text=_("Continue"),
        )
    return renderer.message(
        410,
        _("Checkout closed"),
        _("This checkout was cancelled or has expired."),
        link=security.safe_redirect_target(row.data.get("cancel_url")),
        link_text=_("Return to the store"),
    )


def _processing(renderer: _Renderer) -> HTMLResponse:
    assert renderer.row is not None
    return renderer.response(
        "message.html",
        200,
        refresh=f"{PROCESSING_REFRESH_SECONDS};url={renderer._path()}/return",
        title=renderer.gettext(_("Processing your payment")),
        body=renderer.gettext(
            _("This page refreshes by itself when your payment is confirmed. Please wait.")
        ),
        link=f"{renderer._path()}/return",
        link_text=renderer.gettext(_("Check again")),
    )


def _redirect(url: str) -> RedirectResponse:
    response = RedirectResponse(url, status_code=303)
    response.headers.update({"Referrer-Policy": "same-origin", "Cache-Control": "no-store"})
    return response


def _after_payment(renderer: _Renderer, row: CheckoutSession) -> Response:
    """Success -> the merchant's success_url; otherwise our own page."""
    target = security.success_target(row.data.get("success_url"), row.id)
    if target is None:
        return renderer.message(
            200, _("Payment received"), _("Thank you! Your payment was successful.")
        )
    return _redirect(target)


def _decline_message(code: str | None) -> str:
    return DECLINE_MESSAGES.get(code or "", DECLINE_FALLBACK)


def _guarded(handler: Callable[..., Any]) -> Callable[..., Any]:
    """Never let an unexpected error reach the buyer as a stack trace or JSON."""

    @functools.wraps(handler)
    async def wrapper(request: Request, token: str) -> Response:
        try:
            response: Response = await handler(request, token)
            return response
        except NotFound:
            return _not_found(request)
        except Exception:
            logger.exception("hosted page failed")
            return _Renderer(request, None).message(
                500,
                _("Something went wrong"),
                _("Nothing was charged. Please try again in a moment."),
            )

    return wrapper


@router.get("/c/{token}", response_class=HTMLResponse)
@_guarded
async def show(request: Request, token: str) -> Response:
    ctx = _ctx(request)
    hosted_session = await hosted.touch(ctx, token, _visit(request, ctx))
    renderer = _Renderer(request, hosted_session.row)
    if hosted_session.status is Status.PROCESSING:
        return await _processing_or_action(ctx, renderer, hosted_session.row)
    if not hosted_session.is_open:
        return _closed(renderer, hosted_session)
    error = None
    submission = None
    async_error = last_payment_error(hosted_session.row)
    if hosted_session.status is Status.FAILED and async_error is not None:
        error = _decline_message(async_error.get("code"))
        if hosted.card_entry(ctx, hosted_session.row) is not None:
            # A Stripe decline after the page was left (3-D Secure refused): mark the card.
            submission = forms.Submission(
                values={}, action="pay", code="", remove_coupon=None, errors={"card": error}
            )
    return await _form(renderer, 200, hosted_session.row, submission=submission, error=error)


async def _processing_or_action(
    ctx: Context, renderer: _Renderer, row: CheckoutSession
) -> Response:
    """A processing session: Stripe.js's 3-D Secure step if it waits for the buyer,
    PayPal's approve page if the order waits for the buyer's approval."""
    approve = await _paypal_approval(ctx, row)
    if approve is not None:
        return _redirect(approve)
    try:
        secret = await hosted.pending_action(ctx, row)
    except Exception:
        logger.exception("could not read the PaymentIntent of %s", row.id)
        secret = None
    entry = hosted.card_entry(ctx, row)
    if secret is None or entry is None:
        return _processing(renderer)
    renderer.stripe_js_url = entry.js_url
    return renderer.response(
        "stripe_action.html",
        200,
        stripe=entry,
        client_secret=secret,
        return_url=f"{renderer._path()}/return",
    )


@router.get("/c/{token}/return", response_class=HTMLResponse)
@_guarded
async def after_processing(request: Request, token: str) -> Response:
    """Where the processing page refreshes to: on to the merchant once paid."""
    ctx = _ctx(request)
    hosted_session = await hosted.load(ctx, token)
    if hosted_session.status is Status.PROCESSING:
        # Back from Stripe.js's confirmation: settle now from the PaymentIntent.
        hosted_session = await hosted.refresh_payment(ctx, hosted_session.row)
    renderer = _Renderer(request, hosted_session.row)
    if hosted_session.status is Status.PROCESSING:
        return await _processing_or_action(ctx, renderer, hosted_session.row)
    if hosted_session.status is Status.COMPLETED:
        return _after_payment(renderer, hosted_session.row)
    return _redirect(renderer._path())


def _visit(request: Request, ctx: Context) -> Visit | None:
    """Who is visiting (the address behind trusted proxies only), unless not recorded."""
    if ctx.settings.record_client == "off":
        return None
    peer = request.client.host if request.client is not None else None
    ip = client_address(
        peer, request.headers.getlist("x-forwarded-for"), ctx.settings.trusted_proxies
    )
    return Visit(ip=ip, user_agent=request.headers.get("user-agent"))


@router.get("/c/{token}/paypal/return", response_class=HTMLResponse)
@_guarded
async def paypal_return(request: Request, token: str) -> Response:
    """The buyer approved at PayPal: capture the order and go on like any payment."""
    ctx = _ctx(request)
    hosted_session = await hosted.load(ctx, token)
    row = hosted_session.row
    order_id = request.query_params.get("token")
    if (
        hosted_session.status is Status.PROCESSING
        and row.processor == "paypal"
        and order_id == row.processor_id
    ):
        try:
            hosted_session = await hosted.refresh_payment(ctx, row)
        except Exception:
            # The capture's answer is lost: the page checks again, and the worker
            # reconciles the order if nobody does.
            logger.exception("capturing the PayPal order of %s failed", row.id)
    renderer = _Renderer(request, hosted_session.row)
    if hosted_session.status is Status.PROCESSING:
        return _processing(renderer)
    if hosted_session.status is Status.COMPLETED:
        return _after_payment(renderer, hosted_session.row)
    return _redirect(renderer._path())


@router.get("/c/{token}/paypal/cancel", response_class=HTMLResponse)
@_guarded
async def paypal_cancel(request: Request, token: str) -> Response:
    """The buyer canceled at PayPal: back to a payable page (nothing was charged)."""
    ctx = _ctx(request)
    hosted_session = await hosted.load(ctx, token)
    row = hosted_session.row
    if (
        hosted_session.status is Status.PROCESSING
        and row.processor == "paypal"
        and request.query_params.get("token") == row.processor_id
    ):
        hosted_session = await hosted.paypal_cancel(ctx, row)
    renderer = _Renderer(request, hosted_session.row)
    if hosted_session.status is Status.PROCESSING:
        return _processing(renderer)
    if hosted_session.status is Status.COMPLETED:
        return _after_payment(renderer, hosted_session.row)
    return _redirect(renderer._path())


def _csrf_ok(request: Request, pages: Pages, row: CheckoutSession, form: FormData) -> bool:
    submitted = form.get(security.CSRF_FIELD)
    nonce = request.cookies.get(security.CSRF_COOKIE)
    if not security.csrf_valid(
        pages.secret_key, row.token, nonce, submitted if isinstance(submitted, str) else None
    ):
        return False
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    allowed = {
        security.origin_of(str(request.base_url)),
        security.origin_of(_ctx(request).settings.public_url),
    }
    return origin.lower() in allowed


async def _read_form(request: Request) -> FormData | None:
    try:
        # Up to 100 lines may each post a quantity, besides the buyer's details.
        return await request.form(max_files=0, max_fields=300)
    except Exception:
        return None


@router.post("/c/{token}/cancel", response_class=HTMLResponse)
@_guarded
async def cancel(request: Request, token: str) -> Response:
    ctx = _ctx(request)
    hosted_session = await hosted.load(ctx, token)
    renderer = _Renderer(request, hosted_session.row)
    form = await _read_form(request)
    if form is None or not _csrf_ok(request, renderer.pages, hosted_session.row, form):
        return await _form(renderer, 403, hosted_session.row, error=CSRF_FAILED)
    row = hosted_session.row
    if hosted_session.is_open:
        try:
            row = await hosted.cancel(ctx, row)
        except Conflict:
            hosted_session = await hosted.load(ctx, token)
            if hosted_session.status is not Status.ABANDONED:
                return _closed(renderer, hosted_session)
    elif hosted_session.status is not Status.ABANDONED:
        return _closed(renderer, hosted_session)
    target = security.safe_redirect_target(row.data.get("cancel_url"))
    if target is None:
        return renderer.message(
            200,
            _("Checkout cancelled"),
            _("You cancelled this checkout. Nothing was charged."),
        )
    return _redirect(target)


@router.post("/c/{token}", response_class=HTMLResponse)
@_guarded
async def submit(request: Request, token: str) -> Response:
    ctx = _ctx(request)
    hosted_session = await hosted.load(ctx, token)
    row = hosted_session.row
    renderer = _Renderer(request, row)
    if hosted_session.status is Status.PROCESSING:
        return _redirect(renderer._path())
    if hosted_session.status is Status.COMPLETED:
        # A second click on "Pay" after the first one went through.
        return _after_payment(renderer, row)
    if not hosted_session.is_open:
        return _closed(renderer, hosted_session)
    form = await _read_form(request)
    if form is None or not _csrf_ok(request, renderer.pages, row, form):
        return await _form(renderer, 403, row, error=CSRF_FAILED)

    submission = forms.read_submission(form)
    posted = extras.read(form, row.data)
    submission.values.update(extras.typed_values(posted))
    billing_required = row.data.get("billing_details_collection") == "required"
    forms.check_details(submission, billing_required=billing_required)
    ships = await hosted.ships(ctx, row)
    try:
        row = await _save_details(
            ctx,
            row,
            submission,
            billing_required=billing_required,
            posted=posted,
            gettext=renderer.gettext,
            ships=ships,
        )
    except DomainError as exc:
        return await _refused(ctx, renderer, token, exc, submission)
    renderer.row = row

    if submission.action in ("apply_code", "remove_discount"):
        return await _change_discount(ctx, renderer, token, row, submission)
    if submission.action == "update":
        # Without JavaScript: a changed choice shows its new total before any payment.
        submission.errors.clear()
        return await _form(renderer, 200, row, submission=submission)
    if ships and not row.data.get("selected_shipping_option"):
        # Nowhere to ship to (no option for this address) or none chosen: not paid.
        submission.errors.setdefault("shipping_option", forms.SHIPPING_INVALID)
    return await _pay(ctx, renderer, token, row, form, submission)


@router.post("/c/{token}/totals")
async def refresh_totals(request: Request, token: str) -> Response:
    """For the page's script: apply the buyer's shipping choice and answer the
    server's new figures as JSON (same origin, CSRF-checked like the form)."""
    ctx = _ctx(request)
    try:
        hosted_session = await hosted.load(ctx, token)
        row = hosted_session.row
        renderer = _Renderer(request, row)
        if not hosted_session.is_open:
            return _json_error(409, "checkout_not_editable")
        form = await _read_form(request)
        if form is None or not _csrf_ok(request, renderer.pages, row, form):
            return _json_error(403, "csrf_invalid")
        submission = forms.read_submission(form)
        option = submission.values["shipping_option"]
        posted = extras.read(form, row.data)
        addresses = await _posted_addresses(ctx, row, submission)
        params: dict[str, Any] = {}
        problems: dict[str, str] = {}
        changes = extras.quantity_changes(posted, row.data["line_items"], problems, str)
        if problems:
            return _json_error(422, "quantity_out_of_range")
        if changes:
            params["line_items"] = changes
        if addresses:
            params["customer"] = addresses
        if not option and not params and not posted.quantities and not submission.values["ship_to"]:
            return _json_error(422, "shipping_option_invalid")
        before = row
        if params:
            row = await hosted.update_details(ctx, row, params)
        options = [o["id"] for o in row.data.get("shipping_options") or []]
        if option and option not in options and not addresses and not changes:
            return _json_error(422, "shipping_option_invalid")
        dropped = _dropped(before, row, option)
        if option in options and option != row.data.get("selected_shipping_option"):
            row = await hosted.update_details(ctx, row, {"selected_shipping_option": option})
        renderer.row = row
    except NotFound:
        return _json_error(404, "checkout_link_unknown")
    except DomainError as exc:
        return _json_error(409 if isinstance(exc, Conflict) else 422, exc.code)
    answer = _totals_answer(renderer, row, dropped)
    return JSONResponse(answer, headers={"Cache-Control": "no-store"})


async def _posted_addresses(
    ctx: Context, row: CheckoutSession, submission: forms.Submission
) -> dict[str, Any]:
    """The customer changes the posted address makes; none when the session does not ship.

    The buyer's address decides which rates are offered, so it is applied before the option.
    """
    if not await hosted.ships(ctx, row):
        return {}
    billing_required = row.data.get("billing_details_collection") == "required"
    choices = _ship_choices(row.data, billing_required)
    forms.check_details(submission, billing_required=billing_required)
    forms.check_shipping(submission, choices)
    addresses = _address_changes(
        forms.customer_changes(submission, row.data["customer"], billing_required=billing_required)
    )
    addresses.update(forms.shipping_changes(submission, row.data["customer"], choices))
    return addresses


def _totals_answer(renderer: _Renderer, row: CheckoutSession, dropped: bool) -> dict[str, Any]:
    """The page script's view of the session: figures, options and the choice made."""
    figures = totals.summary(row.totals, row.data, renderer.money, renderer.gettext)
    return {
        **figures.as_json(),
        "shipping_options": _shipping_view(row, renderer.money, renderer.gettext),
        "selected_shipping_option": row.data.get("selected_shipping_option"),
        "shipping_notice": renderer.gettext(forms.SHIPPING_DROPPED) if dropped else "",
    }


def _ship_choices(data: Mapping[str, Any], billing_required: bool) -> dict[str, Any]:
    """The ``ship_to`` values the page offers: the billing address (when there is
    one), each address saved in the linked customer's book, and a new address."""
    customer = data["customer"]
    choices: dict[str, Any] = {}
    if billing_required or customer.get("billing_address"):
        choices[forms.SHIP_TO_BILLING] = None
    for address in customer.get("addresses") or []:
        choices[str(address["id"])] = address
    choices[forms.SHIP_TO_NEW] = None
    return choices


def _same_address(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return AddressContent.of(a) == AddressContent.of({**b, "name": a.get("name")})


def _default_ship_to(data: Mapping[str, Any], choices: Mapping[str, Any]) -> str:
    """What the page shows chosen: the session's shipping address (a saved one when
    it is equal to one), else the billing address."""
    current = data["customer"].get("shipping_address")
    if current is None:
        return forms.SHIP_TO_BILLING if forms.SHIP_TO_BILLING in choices else forms.SHIP_TO_NEW
    for key, saved in choices.items():
        if saved is not None and _same_address(saved, current):
            return key
    return forms.SHIP_TO_NEW


def _shipping_view(
    row: CheckoutSession, money: Callable[[int], str], gettext: Callable[[str], str]
) -> list[dict[str, Any]]:
    return [
        {
            "id": option["id"],
            "name": option["display_name"],
            "amount": money(option["amount"]),
            "estimate": totals.delivery_estimate(option.get("delivery_estimate"), gettext),
        }
        for option in row.data.get("shipping_options") or []
    ]


def _address_label(address: Mapping[str, Any]) -> str:
    """One line for a saved address: "Ada, Carrer de Mallorca 401, 08013 Barcelona, ES"."""
    place = " ".join(p for p in (address.get("postal_code"), address.get("city")) if p)
    parts = (
        address.get("name"),
        address.get("line1"),
        address.get("line2"),
        place,
        address.get("state"),
        address.get("country"),
    )
    return ", ".join(str(p) for p in parts if p)


def _dropped(before: CheckoutSession, after: CheckoutSession, posted: str) -> bool:
    """The option the buyer had (selected, or just chose) that the new address (or
    cart) no longer offers."""
    offered = {o["id"] for o in after.data.get("shipping_options") or []}
    earlier = {o["id"] for o in before.data.get("shipping_options") or []}
    if posted and posted in earlier and posted not in offered:
        return True
    return (
        bool(before.data.get("selected_shipping_option"))
        and not after.data.get("selected_shipping_option")
        and posted not in offered
    )


def _address_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in changes.items() if k in ("billing_address", "shipping_address")}


def _json_error(status: int, code: str) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": code}}, status_code=status, headers={"Cache-Control": "no-store"}
    )


async def _save_details(
    ctx: Context,
    row: CheckoutSession,
    submission: forms.Submission,
    *,
    billing_required: bool,
    posted: extras.Extras | None = None,
    gettext: Callable[[str], str] = str,
    ships: bool = False,
) -> CheckoutSession:
    params: dict[str, Any] = {}
    if posted is not None:
        # The buyer's quantities (within each line's bounds) and custom field answers.
        quantities = extras.quantity_changes(
            posted, row.data["line_items"], submission.errors, gettext
        )
        if quantities:
            params["line_items"] = quantities
        values = extras.field_values(
            posted, row.data.get("custom_fields") or [], submission.errors, gettext, require=True
        )
        if values:
            params["custom_field_values"] = values
    customer = row.data["customer"]
    changes = forms.customer_changes(submission, customer, billing_required=billing_required)
    if ships:
        choices = _ship_choices(row.data, billing_required)
        forms.check_shipping(submission, choices)
        changes.update(forms.shipping_changes(submission, customer, choices))
    if changes:
        params["customer"] = changes
    before = row
    if params:
        # First the address and cart (they decide the shipping options), then the choice.
        row = await hosted.update_details(ctx, row, params)
    option = submission.values["shipping_option"]
    options = [o["id"] for o in row.data.get("shipping_options") or []]
    if option and option in options and option != row.data.get("selected_shipping_option"):
        row = await hosted.update_details(ctx, row, {"selected_shipping_option": option})
    elif _dropped(before, row, option):
        submission.notice = forms.SHIPPING_DROPPED
    elif options and option and option not in options:
        submission.errors["shipping_option"] = forms.SHIPPING_INVALID
    return row


async def _change_discount(
    ctx: Context,
    renderer: _Renderer,
    token: str,
    row: CheckoutSession,
    submission: forms.Submission,
) -> Response:
    # Field errors do not block a coupon: show them only once the buyer pays.
    submission.errors.clear()
    try:
        if submission.action == "remove_discount" and submission.remove_coupon:
            row = await hosted.remove_discount(ctx, row, submission.remove_coupon)
        else:
            row = await hosted.apply_code(ctx, row, submission.code)
    except (NotFound, InvalidValue) as exc:
        if submission.action == "remove_discount":
            return await _refused(ctx, renderer, token, exc, submission)
        submission.errors["code"] = CODE_INVALID
        return await _form(renderer, 422, row, submission=submission)
    except Conflict as exc:
        if exc.code in ("checkout_not_editable",):
            return await _refused(ctx, renderer, token, exc, submission)
        submission.errors["code"] = CODE_REFUSED
        return await _form(renderer, 422, row, submission=submission)
    renderer.row = row
    submission.code = ""
    return await _form(renderer, 200, row, submission=submission)


async def _pay(
    ctx: Context,
    renderer: _Renderer,
    token: str,
    row: CheckoutSession,
    form: Mapping[str, Any],
    submission: forms.Submission,
) -> Response:
    method: str | None = submission.values["method"]
    details: dict[str, Any] = {}
    if row.amount_total == 0:
        method = None  # Nothing to charge: no payment details are asked.
    else:
        methods = hosted.payment_methods(row)
        if method not in methods:
            if len(methods) == 1 and not method:
                method = methods[0]
            else:
                submission.errors["method"] = forms.METHOD_INVALID
        stripe_entry = hosted.card_entry(ctx, row)
        if method == "card" and stripe_entry is not None:
            # Stripe.js turned the card into a token in the browser; no card data is posted.
            card_token = form.get("stripe_token")
            if (
                isinstance(card_token, str)
                and card_token.startswith("tok_")
                and len(card_token) < 256
            ):
                details = {"stripe_token": card_token}
            else:
                submission.errors["card"] = CARD_REQUIRED
        elif method == "card":
            details = forms.card_details(form, submission, ctx.clock())
    if row.data.get("shipping_options") and not row.data.get("selected_shipping_option"):
        submission.errors.setdefault("shipping_option", forms.SHIPPING_INVALID)
    if submission.errors:
        return await _form(renderer, 422, row, submission=submission, error=FIX_FIELDS)
    try:
        paid = await hosted.pay(
            ctx, row, method, details, expected_amount=forms.expected_amount(form)
        )
    except PaymentDeclined as exc:
        fresh = await hosted.load(ctx, token)
        renderer.row = fresh.row
        if stripe_entry is not None:
            submission.errors["card"] = _decline_message(exc.code)
        return await _form(
            renderer, 402, fresh.row, submission=submission, error=_decline_message(exc.code)
        )
    except ProcessorUnavailable:
        fresh = await hosted.load(ctx, token)
        renderer.row = fresh.row
        return await _form(renderer, 502, fresh.row, submission=submission, error=PROCESSOR_DOWN)
    except DomainError as exc:
        return await _refused(ctx, renderer, token, exc, submission)
    if paid.status == Status.PROCESSING.value:
        approve = await _paypal_approval(ctx, paid)
        return _redirect(approve or renderer._path())
    return _after_payment(renderer, paid)


async def _paypal_approval(ctx: Context, row: CheckoutSession) -> str | None:
    try:
        return await hosted.paypal_approval(ctx, row)
    except Exception:
        logger.exception("could not read the PayPal order of %s", row.id)
        return None


async def _refused(
    ctx: Context,
    renderer: _Renderer,
    token: str,
    exc: DomainError,
    submission: forms.Submission,
) -> Response:
    """A rule refused the buyer's request: show the session as it now is."""
    fresh = await hosted.load(ctx, token)
    renderer.row = fresh.row
    if fresh.status is Status.COMPLETED:
        return _after_payment(renderer, fresh.row)
    if fresh.status is Status.PROCESSING:
        return _redirect(renderer._path())
    if not fresh.is_open:
        return _closed(renderer, fresh)
    if isinstance(exc, Conflict) and exc.code == "checkout_not_ready":
        missing = exc.extra.get("missing_fields")
        for path in missing if isinstance(missing, list) else []:
            custom_name = extras.field_name_of_missing(str(path))
            if custom_name is not None:
                submission.errors.setdefault(custom_name, extras.REQUIRED)
                continue
            name = str(path).rsplit(".", 1)[-1]
            name = "shipping_option" if name == "selected_shipping_option" else name
            submission.errors.setdefault(name, forms.REQUIRED)
        return await _form(renderer, 422, fresh.row, submission=submission, error=FIX_FIELDS)
    if isinstance(exc, Conflict) and exc.code == "amount_changed":
        # The buyer saw another total (a choice changed it): show the new one, ask again.
        error = renderer.gettext(totals.AMOUNT_CHANGED).replace(
            "%(amount)s", renderer.money(fresh.row.amount_total)
        )
        return await _form(renderer, 409, fresh.row, submission=submission, raw_error=error)
    logger.info("hosted page request refused: %s %s", exc.code, exc.message)
    status = 409 if isinstance(exc, Conflict) else 422
    return await _form(renderer, status, fresh.row, submission=submission, error=CHANGED)


async def _form(
    renderer: _Renderer,
    status: int,
    row: CheckoutSession,
    *,
    submission: forms.Submission | None = None,
    error: str | None = None,
    raw_error: str | None = None,
) -> HTMLResponse:
    """The checkout page itself (``raw_error``: a message already translated)."""
    nonce, new_cookie = _csrf_nonce(renderer.request)
    data = row.data
    billing_required = data.get("billing_details_collection") == "required"
    ships = await hosted.ships(_ctx(renderer.request), row)
    choices = _ship_choices(data, billing_required) if ships else {}
    ship_to = _default_ship_to(data, choices) if ships else ""
    values = _form_values(row, choices, ship_to, submission)
    stripe_entry = hosted.card_entry(_ctx(renderer.request), row)
    if stripe_entry is not None:
        renderer.stripe_js_url = stripe_entry.js_url
    paypal_origin = hosted.paypal_origin(_ctx(renderer.request), row)
    if paypal_origin is not None:
        renderer.form_origins.append(paypal_origin)
    notice = submission.notice if submission is not None else None
    return renderer.response(
        "checkout.html",
        status,
        cookie=new_cookie,
        action=renderer._path(),
        cancel_action=f"{renderer._path()}/cancel",
        csrf_field=security.CSRF_FIELD,
        csrf_token=security.csrf_token(renderer.pages.secret_key, row.token, nonce),
        test_mode=not row.livemode,
        paypal_simulated=paypal_origin is None,
        **_cart_view(renderer, row, values),
        totals_action=f"{renderer._path()}/totals",
        coupon_collection=bool(data.get("coupon_collection")),
        billing_required=billing_required,
        ships=ships,
        ship_choices=list(choices),
        saved_addresses=[
            {"id": key, "label": _address_label(saved)}
            for key, saved in choices.items()
            if saved is not None
        ],
        shipping_notice=renderer.gettext(notice) if notice else None,
        payment_methods=hosted.payment_methods(row),
        countries=i18n.country_names(renderer.locale),
        values=values,
        errors=submission.errors if submission is not None else {},
        code=submission.code if submission is not None else "",
        error=raw_error or (renderer.gettext(error) if error else None),
        has_cancel=True,
        stripe=stripe_entry,
    )


def _csrf_nonce(request: Request) -> tuple[str, str | None]:
    """The buyer's CSRF nonce, and the new one to set as the cookie when it had none fit."""
    nonce = request.cookies.get(security.CSRF_COOKIE)
    if nonce and len(nonce) <= 64:
        return nonce, None
    fresh = security.new_nonce()
    return fresh, fresh


def _form_values(
    row: CheckoutSession,
    choices: Mapping[str, Any],
    ship_to: str,
    submission: forms.Submission | None,
) -> dict[str, Any]:
    """What the inputs show: the session's details, over them what the buyer just posted."""
    data = row.data
    customer = data["customer"]
    address: Mapping[str, Any] = customer.get("billing_address") or {}
    shipping_address: Mapping[str, Any] = (
        customer.get("shipping_address") or {} if ship_to == forms.SHIP_TO_NEW else {}
    )
    values = {
        "email": customer.get("email") or "",
        "first_name": customer.get("first_name") or "",
        "last_name": customer.get("last_name") or "",
        **{name: address.get(name) or "" for name in forms.ADDRESS_FIELDS},
        **{
            f"{forms.SHIPPING_PREFIX}{name}": shipping_address.get(name) or ""
            for name in forms.ADDRESS_FIELDS
        },
        "ship_to": ship_to,
        "method": (hosted.payment_methods(row) or ["card"])[0],
        "shipping_option": data.get("selected_shipping_option") or "",
    }
    if submission is None:
        return values
    kept = {"method", "ship_to", "shipping_option"}
    values.update({k: v for k, v in submission.values.items() if v or k not in kept})
    if not values["method"]:
        values["method"] = (hosted.payment_methods(row) or ["card"])[0]
    if values["ship_to"] not in choices:
        values["ship_to"] = ship_to
    # The option shown chosen is the session's (a dropped one is not).
    values["shipping_option"] = data.get("selected_shipping_option") or ""
    return values


def _cart_view(
    renderer: _Renderer, row: CheckoutSession, values: Mapping[str, str]
) -> dict[str, Any]:
    """What is bought and for how much: the lines (with their quantity controls), custom
    fields, discounts, the figures and the shipping options, as the template shows them."""
    data = row.data
    money = renderer.money
    items = [
        {
            "id": item["id"],
            "name": item.get("name") or item.get("product"),
            "description": item.get("description"),
            "quantity": item["quantity"],
            "unit": money(item["unit_amount"]),
            "amount": money(item.get("amount_subtotal", item["unit_amount"] * item["quantity"])),
            "control": extras.quantity_control(item, values),
        }
        for item in data["line_items"]
    ]
    custom_fields = extras.view_fields(data.get("custom_fields") or [], values, renderer.locale)
    discounts = [
        {
            "coupon": discount["coupon"],
            "label": discount.get("code") or discount.get("name") or discount["coupon"],
            "amount": money(-int(discount.get("amount", 0))),
            "removable": discount.get("applied_by") == "buyer",
        }
        for discount in data.get("discounts", [])
    ]
    figures = totals.summary(row.totals, row.data, money, renderer.gettext)
    return {
        "items": items,
        "adjustable": any(item["control"] for item in items),
        "custom_fields": custom_fields,
        "discounts": discounts,
        "summary": figures,
        "subtotal": figures.subtotal,
        "discount_total": figures.discount,
        "tax": figures.tax,
        "shipping": figures.shipping,
        "total": figures.total,
        "shipping_options": _shipping_view(row, money, renderer.gettext),
    }

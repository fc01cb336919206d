"""What every dashboard view shares: sign-in, CSRF, rendering, formatting.

**Session.** The cookie ``oc_dashboard`` holds a random token (HttpOnly,
SameSite=Lax, path ``/dashboard``, Secure when ``OPENCHECKOUT_PUBLIC_URL`` is
https); the database keeps only its SHA-256 digest.

**CSRF.** Signed-in forms carry ``HMAC(key, "dashboard", digest of the session
token)``: per session, unknowable without the cookie and the server's key. The
sign-in form, before there is a session, uses a signed double submit (a nonce in
the ``oc_dashboard_csrf`` cookie, its HMAC in the form). A POST without a valid
token, or with a foreign ``Origin``, is refused with 403 and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import urlencode, urlsplit

from babel.dates import format_date, format_datetime, format_skeleton
from babel.numbers import format_percent
from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse
from jinja2 import Environment, PackageLoader, select_autoescape
from pydantic import ValidationError
from starlette.datastructures import FormData

from opencheckout.domain.errors import DomainError
from opencheckout.pages import i18n, security
from opencheckout.pages.dashboard import messages
from opencheckout.service import dashboard_users
from opencheckout.service.context import Context
from opencheckout.service.dashboard_users import SignedIn

SESSION_COOKIE = "oc_dashboard"
LOGIN_CSRF_COOKIE = "oc_dashboard_csrf"
PREFIX = "/dashboard"
STATIC_PATH = "/static/dashboard"
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)


def _(message: str) -> str:
    return message


@dataclass(frozen=True, slots=True)
class Dashboard:
    env: Environment
    secret_key: bytes
    base_path: str
    secure_cookies: bool


def environment() -> Environment:
    return Environment(
        loader=PackageLoader("opencheckout.pages", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def make(ctx: Context) -> Dashboard:
    return Dashboard(
        env=environment(),
        secret_key=security.resolve_secret_key(ctx.settings),
        base_path=urlsplit(ctx.settings.public_url).path.rstrip("/"),
        secure_cookies=ctx.settings.public_url.lower().startswith("https://"),
    )


def dashboard_of(request: Request) -> Dashboard:
    dash: Dashboard = request.app.state.dashboard
    return dash


def ctx_of(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


def session_csrf(dash: Dashboard, who: SignedIn) -> str:
    return security.csrf_token(dash.secret_key, "dashboard", who.token_hash)


def origin_ok(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return True
    allowed = {
        security.origin_of(str(request.base_url)),
        security.origin_of(ctx_of(request).settings.public_url),
    }
    return origin.lower() in allowed


def csrf_ok(request: Request, who: SignedIn, form: FormData) -> bool:
    submitted = form.get(security.CSRF_FIELD)
    if not isinstance(submitted, str) or not origin_ok(request):
        return False
    dash = dashboard_of(request)
    return security.csrf_valid(dash.secret_key, "dashboard", who.token_hash, submitted)


async def read_form(request: Request) -> FormData | None:
    try:
        return await request.form(max_files=0, max_fields=200)
    except Exception:
        return None


def field(form: FormData | Mapping[str, Any], name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


async def signed_in(request: Request) -> SignedIn | None:
    return await dashboard_users.current(ctx_of(request), request.cookies.get(SESSION_COOKIE))


class View:
    """Renders one dashboard response in the negotiated locale with strict headers."""

    def __init__(self, request: Request, who: SignedIn | None) -> None:
        self.request = request
        self.dash = dashboard_of(request)
        self.who = who
        self.locale = i18n.negotiate(None, request.headers.get("accept-language"))
        self.gettext: Callable[[str], str] = i18n.translations(self.locale).gettext
        self._babel = i18n.babel_locale(self.locale)

    def url(self, path: str = "", **query: Any) -> str:
        values = {k: v for k, v in query.items() if v not in (None, "", [])}
        suffix = f"?{urlencode(values, doseq=True)}" if values else ""
        return f"{self.dash.base_path}{PREFIX}{path}{suffix}"

    def error_text(self, exc: DomainError | ValidationError) -> str:
        """A service's (or an input model's) refusal in this view's language."""
        if isinstance(exc, ValidationError):
            return messages.validation_text(exc, self.locale, self.gettext)
        return messages.text_of(exc, self.locale, self.gettext)

    def money(self, amount: int | None, currency: str) -> str:
        if amount is None:
            return ""
        return i18n.format_money(int(amount), currency, self.locale)

    def when(self, value: datetime | str | None) -> str:
        if value is None:
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return format_datetime(value.astimezone(UTC), "medium", tzinfo=UTC, locale=self._babel)

    def day(self, value: date) -> str:
        return format_date(value, "medium", locale=self._babel)

    def short_day(self, value: date) -> str:
        return format_skeleton("MMMd", value, locale=self._babel)

    def percent(self, value: float | None) -> str:
        return "\u2013" if value is None else format_percent(value, "#,##0.0%", locale=self._babel)

    def render(
        self,
        template: str,
        status: int = 200,
        *,
        cookies: dict[str, str] | None = None,
        **values: Any,
    ) -> HTMLResponse:
        csrf = session_csrf(self.dash, self.who) if self.who is not None else ""
        html = self.dash.env.get_template(template).render(
            _=self.gettext,
            lang=self.locale,
            static=f"{self.dash.base_path}{STATIC_PATH}",
            who=self.who,
            csrf=csrf,
            url=self.url,
            money=self.money,
            when=self.when,
            day=self.day,
            path=self.request.url.path,
            **values,
        )
        response = HTMLResponse(html, status_code=status, headers=security.security_headers(CSP))
        for name, value in (cookies or {}).items():
            self.set_cookie(response, name, value)
        return response

    def set_cookie(self, response: HTMLResponse | RedirectResponse, name: str, value: str) -> None:
        response.set_cookie(
            name,
            value,
            path=f"{self.dash.base_path}{PREFIX}",
            httponly=True,
            samesite="lax",
            secure=self.dash.secure_cookies,
        )

    def message(self, status: int, title: str, body: str) -> HTMLResponse:
        return self.render(
            "dashboard/message.html", status, title=self.gettext(title), body=self.gettext(body)
        )

    def redirect(self, path: str, **query: Any) -> RedirectResponse:
        response = RedirectResponse(self.url(path, **query), status_code=303)
        response.headers.update(security.security_headers(CSP))
        return response


def to_login(request: Request) -> RedirectResponse:
    view = View(request, None)
    target = request.url.path
    if request.url.query:
        target += "?" + request.url.query
    return view.redirect("/login", next=target if request.method == "GET" else None)


def forbidden(request: Request, who: SignedIn | None) -> HTMLResponse:
    return View(request, who).message(
        403, _("Request refused"), _("This form has expired. Please go back and try again.")
    )

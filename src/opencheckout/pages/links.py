"""The public address of a checkout link, ``GET /l/{slug}``.

Each visit makes a new session from the link (through the API's own create) and
sends the browser (303) to its permalink. A cookie per link (HttpOnly,
SameSite=Lax, scoped to the link's path) remembers that session, so a reload
returns to it while it is open instead of making another. An inactive, expired
or exhausted link answers a translated 410 page; making sessions is
rate-limited per client address, behind trusted proxies only as the hosted page
believes them (a translated 429 page).
"""

from __future__ import annotations

import logging
import math

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from opencheckout.api.ratelimit import TokenBuckets
from opencheckout.domain.client_ip import client_address
from opencheckout.domain.errors import NotFound
from opencheckout.pages import i18n
from opencheckout.pages.routes import _is_https, _not_found, _pages, _redirect, _Renderer
from opencheckout.service import checkout_links as service
from opencheckout.service.context import Context
from opencheckout.service.views import permalink

logger = logging.getLogger("opencheckout.pages")

#: The cookie (scoped to ``/l/{slug}``) holding the session this browser was sent to.
COOKIE = "oc_link"
COOKIE_MAX_AGE = 7 * 24 * 3600


def _(message: str) -> str:
    return message


UNAVAILABLE_TITLE = _("This link is no longer available")
UNAVAILABLE_BODY = _(
    "This payment link has expired or no longer accepts payments. "
    "Please contact the store for a new one."
)
THROTTLED_TITLE = _("Too many checkouts started")
THROTTLED_BODY = _(
    "Too many checkouts were started from your address. Please wait a minute and try again."
)

router = APIRouter(include_in_schema=False)


def install(app: FastAPI, ctx: Context) -> None:
    settings = ctx.settings
    app.state.link_buckets = (
        TokenBuckets(settings.link_sessions_per_minute / 60.0, settings.link_sessions_burst)
        if settings.link_sessions_per_minute > 0
        else None
    )
    app.include_router(router)


def _client_address(request: Request, ctx: Context) -> str:
    """The address sessions are counted against: the peer, or behind a configured
    trusted proxy (``OPENCHECKOUT_TRUSTED_PROXIES``) the client it forwards for,
    as the hosted page records it."""
    peer = request.client.host if request.client is not None else None
    found = client_address(
        peer, request.headers.getlist("x-forwarded-for"), ctx.settings.trusted_proxies
    )
    return found or "unknown"


def _renderer(request: Request, locale: str | None) -> _Renderer:
    renderer = _Renderer(request, None)
    renderer.locale = i18n.negotiate(locale, request.headers.get("accept-language"))
    renderer.gettext = i18n.translations(renderer.locale).gettext
    return renderer


@router.get("/l/{slug}")
async def visit(request: Request, slug: str) -> Response:
    ctx: Context = request.app.state.context
    try:
        return await _visit(request, ctx, slug)
    except NotFound:
        return _not_found(request)
    except Exception:
        logger.exception("checkout link failed")
        return _Renderer(request, None).message(
            500, "Something went wrong", "Nothing was charged. Please try again in a moment."
        )


async def _visit(request: Request, ctx: Context, slug: str) -> Response:
    try:
        link = await service.load(ctx, slug)
    except service.Unavailable as closed:
        renderer = _renderer(request, closed.link.settings.get("locale"))
        return renderer.message(410, UNAVAILABLE_TITLE, UNAVAILABLE_BODY)
    pages = _pages(request)
    path = f"{pages.base_path}/l/{link.slug}"
    token = await service.open_session_of(ctx, link, request.cookies.get(COOKIE))
    if token is None:
        buckets: TokenBuckets | None = request.app.state.link_buckets
        if buckets is not None:
            decision = buckets.take(_client_address(request, ctx))
            if not decision.allowed:
                renderer = _renderer(request, link.settings.get("locale"))
                response: Response = renderer.message(429, THROTTLED_TITLE, THROTTLED_BODY)
                response.headers["Retry-After"] = str(
                    max(1, math.ceil(decision.retry_after_seconds))
                )
                return response
        row = await service.make_session(ctx, link)
        token = row.token
    response = _redirect(permalink(ctx.settings.public_url, token))
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_MAX_AGE,
        path=path,
        httponly=True,
        samesite="lax",
        secure=_is_https(request),
    )
    return response

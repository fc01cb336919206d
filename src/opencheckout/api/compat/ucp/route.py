"""How every UCP route runs: the account it sells for, the negotiated version,
``Idempotency-Key`` and the two error shapes.

UCP platforms hold no API key of ours: ``OPENCHECKOUT_UCP_ACCOUNT`` and
``OPENCHECKOUT_UCP_MODE`` name the account and mode the binding sells for
(unset: every UCP route is 404). A key sent anyway (``Authorization: Bearer``
or ``X-API-Key``) must be one of that account and mode (401 unknown, 403
another account's or mode's, or a read-only key on a write).

``Idempotency-Key`` on a POST or PUT: the same key with the same body (and
version) answers the stored response again; with another body it is 409, as
the specification says (the native surface's 422 is another dialect's rule).
Keys belong to the API key that sent them, else to the platform (its profile URL).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute

from opencheckout.api.auth import app_context, key_from_authorization
from opencheckout.api.compat.ucp import negotiation
from opencheckout.api.compat.ucp.errors import UcpError, outcome
from opencheckout.api.idempotency import fingerprint
from opencheckout.domain.errors import (
    Conflict,
    DomainError,
    InvalidValue,
    NotFound,
    PaymentDeclined,
    ProcessorUnavailable,
)
from opencheckout.service import auth, idempotency
from opencheckout.service.auth import Principal, Scope
from opencheckout.service.context import Context
from opencheckout.service.ucp_versions import LATEST, VERSIONS, Version

logger = logging.getLogger("opencheckout.ucp")

#: Routes that need no ``UCP-Agent`` (the profile itself is how platforms discover us).
DISCOVERY_PREFIX = "/.well-known/ucp"
#: The principal's ``key_id`` when no key was sent (the binding's own key space).
ANONYMOUS_KEY = "ucp"


def not_configured() -> UcpError:
    return UcpError(404, "not_found", "This server does not sell over UCP.")


async def account_id(ctx: Context, app_state: Any) -> str:
    """The configured account's id (resolved once per process), or 404."""
    configured = ctx.settings.ucp_account
    if not configured:
        raise not_configured()
    cached: str | None = getattr(app_state, "ucp_account_id", None)
    if cached is not None:
        return cached
    found = await auth.find_account_id(ctx.db, configured)
    if found is None:
        logger.warning("OPENCHECKOUT_UCP_ACCOUNT names no account: %r", configured)
        raise not_configured()
    app_state.ucp_account_id = found
    return found


async def principal_of(request: Request) -> Principal:
    ctx = app_context(request)
    owner = await account_id(ctx, request.app.state)
    livemode = ctx.settings.ucp_mode == "live"
    key = key_from_authorization(request.headers.get("authorization")) or request.headers.get(
        "x-api-key"
    )
    if not key:
        return Principal(
            account_id=owner, livemode=livemode, scope=Scope.WRITE, key_id=ANONYMOUS_KEY
        )
    principal = await auth.authenticate(ctx.db, key, cache=request.app.state.principals)
    if principal is None:
        raise UcpError(
            401,
            "unauthorized",
            "Invalid API key provided.",
            headers={"WWW-Authenticate": 'Bearer realm="ucp"'},
        )
    if principal.account_id != owner or principal.livemode != livemode:
        raise UcpError(403, "forbidden", "This key does not belong to the account sold here.")
    if request.method != "GET" and not principal.can_write:
        raise UcpError(403, "forbidden", "This restricted key can only read.")
    return principal


def domain_error(exc: DomainError) -> UcpError:
    path = f"$.{exc.param}" if exc.param else None
    if isinstance(exc, NotFound):
        return outcome(404, "not_found", exc.message, path=path)
    if isinstance(exc, PaymentDeclined):
        return outcome(402, "payment_declined", exc.message, severity="recoverable")
    if isinstance(exc, ProcessorUnavailable):
        return UcpError(503, "service_unavailable", exc.message, headers={"Retry-After": "5"})
    if isinstance(exc, Conflict):
        return outcome(409, exc.code, exc.message, path=path)
    if isinstance(exc, InvalidValue):
        return outcome(400, exc.code, exc.message, path=path, severity="recoverable")
    return outcome(400, exc.code, exc.message, path=path)


def validation_error(exc: RequestValidationError) -> UcpError:
    first = exc.errors()[0] if exc.errors() else {}
    location = [str(part) for part in first.get("loc", ()) if part != "body"]
    path = "$" + "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in location)
    return outcome(
        400,
        "invalid",
        f"{path}: {first.get('msg', 'invalid request')}",
        path=path,
        severity="recoverable",
    )


def version_of(request: Request) -> Version:
    agent: negotiation.Agent | None = getattr(request.state, "ucp_agent", None)
    return agent.version if agent is not None else VERSIONS[LATEST]


class UcpRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()
        discovery = self.path.startswith(DISCOVERY_PREFIX)

        async def run(request: Request) -> Response:
            try:
                return await handler(request)
            except UcpError:
                raise
            except DomainError as exc:
                raise domain_error(exc) from exc
            except RequestValidationError as exc:
                raise validation_error(exc) from exc

        async def route(request: Request) -> Response:
            try:
                ctx = app_context(request)
                principal = await principal_of(request)
                request.state.principal = principal
                if not discovery:
                    request.state.ucp_agent = await negotiation.negotiate(
                        ctx, request.headers.get(negotiation.HEADER)
                    )
                key = request.headers.get("idempotency-key")
                if key is None or request.method not in ("POST", "PUT"):
                    return await run(request)
                return await _idempotent(request, ctx, principal, key, run)
            except UcpError as exc:
                return exc.response(version_of(request))
            except Exception:
                logger.exception("unhandled error on %s", request.url.path)
                return UcpError(
                    500, "internal_error", "Something went wrong on our side; retry."
                ).response()

        return route


def _key_space(request: Request, principal: Principal) -> str:
    """Whose ``Idempotency-Key``s these are: the API key's, else the platform's (by its
    profile URL), so two platforms' keys never meet."""
    if principal.key_id != ANONYMOUS_KEY:
        return principal.key_id
    agent: negotiation.Agent | None = getattr(request.state, "ucp_agent", None)
    profile = (agent.profile if agent is not None else None) or ""
    return "ucp_" + hashlib.sha256(profile.encode()).hexdigest()[:32]


async def _idempotent(
    request: Request,
    ctx: Context,
    principal: Principal,
    key: str,
    run: Callable[[Request], Coroutine[Any, Any, Response]],
) -> Response:
    body = await request.body()
    owner = idempotency.Owner(principal.account_id, _key_space(request, principal))
    # The version is part of the request: the same body at another version is another one.
    print_ = hashlib.sha256(
        (fingerprint(request, principal.livemode, body) + version_of(request).name).encode()
    ).hexdigest()
    try:
        replay = await idempotency.claim(ctx, owner, key, print_)
    except idempotency.IdempotencyConflict as exc:
        raise UcpError(409, "idempotency_conflict", exc.message) from exc
    except Conflict as exc:
        raise UcpError(409, exc.code, exc.message, headers={"Retry-After": "1"}) from exc
    except InvalidValue as exc:
        raise UcpError(400, exc.code, exc.message) from exc
    if replay is not None:
        return Response(replay.body, status_code=replay.status_code, headers=replay.headers)
    try:
        response = await run(request)
    except UcpError as exc:
        response = exc.response(version_of(request))
    except Exception:
        await idempotency.record(ctx, owner, key, 500, b"", {})
        raise
    kept = {"content-type": response.headers.get("content-type", "application/json")}
    await idempotency.record(ctx, owner, key, response.status_code, bytes(response.body), kept)
    return response

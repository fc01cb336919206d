"""API key authentication: ``Authorization: Bearer KEY`` or HTTP Basic with the
key as user name (any password), which is how Quaderno's clients send it."""

from __future__ import annotations

import base64
import binascii

from fastapi import Depends, Request
from fastapi.security import HTTPBearer
from starlette.types import Scope

from opencheckout.api.errors import APIError
from opencheckout.service import auth
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context

# Declared for the OpenAPI document; credentials are parsed below so that Bearer
# and Basic share one code path and one error shape.
_bearer_scheme = HTTPBearer(
    auto_error=False,
    description="Secret (sk_) or restricted (rk_) API key. HTTP Basic with the key as user "
    "name and any password is accepted too.",
)

_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": 'Bearer realm="opencheckout"'}
#: The Quaderno dialect (``/api``) authenticates with HTTP Basic, so its 401 asks for that.
_BASIC_PREFIX = "/api/"
_BASIC_HEADERS = {"WWW-Authenticate": 'Basic realm="opencheckout"'}


def _challenge(request: Request) -> tuple[dict[str, str], str]:
    """The ``WWW-Authenticate`` header and how-to sentence for this route's dialect."""
    if request.url.path.startswith(_BASIC_PREFIX):
        return _BASIC_HEADERS, "Send it with HTTP Basic, the key as user name: -u sk_test_...:x."
    return _UNAUTHORIZED_HEADERS, "Send 'Authorization: Bearer sk_test_...'."


def app_context(request: Request) -> Context:
    ctx: Context = request.app.state.context
    return ctx


async def context(request: Request) -> Context:
    """The dependency form of :func:`app_context`.

    Async on purpose: FastAPI runs a plain ``def`` dependency in a worker
    thread, and that hop (on every request) cost more than the rest of a retrieve.
    """
    return app_context(request)


def presented_key(request: Request) -> str | None:
    return key_from_authorization(request.headers.get("authorization"))


def authorization_of(scope: Scope) -> str | None:
    """The raw ``Authorization`` header of an ASGI request (no ``Request`` object:
    the rate limiter and the hot path read it on every request)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            return bytes(value).decode("latin-1")
    return None


def key_from_authorization(header: str | None) -> str | None:
    """The API key in an ``Authorization`` header value (Bearer or Basic), if any."""
    if not header:
        return None
    scheme, _, credentials = header.partition(" ")
    scheme = scheme.lower()
    credentials = credentials.strip()
    if scheme == "bearer":
        return credentials or None
    if scheme == "basic":
        try:
            decoded = base64.b64decode(credentials, validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        user, _, _password = decoded.partition(":")
        return user or None
    return None


def _principal_cache(request: Request) -> auth.PrincipalCache:
    """The app's cache of recently authenticated keys (shared with :mod:`api.hot`)."""
    cache: auth.PrincipalCache = request.app.state.principals
    return cache


async def authenticate(request: Request) -> Principal:
    """The caller's principal, cached on the request so middleware-like code can reuse it."""
    cached: Principal | None = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    key = presented_key(request)
    headers, how = _challenge(request)
    if key is None:
        raise APIError(
            401,
            "api_key_missing",
            f"No API key provided. {how}",
            type="authentication_error",
            headers=headers,
        )
    principal = await auth.authenticate(
        app_context(request).db, key, cache=_principal_cache(request)
    )
    if principal is None:
        raise APIError(
            401,
            "api_key_invalid",
            "Invalid API key provided.",
            type="authentication_error",
            headers=headers,
        )
    request.state.principal = principal
    return principal


async def require_read(
    request: Request,
    _bearer: object = Depends(_bearer_scheme),
) -> Principal:
    return await authenticate(request)


def check_write(principal: Principal) -> Principal:
    """Refuse a read-only key (403); shared by the dependency and the idempotency
    layer, which must check the scope before it may replay anything."""
    if not principal.can_write:
        raise APIError(
            403,
            "insufficient_scope",
            "This restricted key can only read (scope checkouts:read); use a secret key.",
            type="permission_error",
        )
    return principal


async def require_write(principal: Principal = Depends(require_read)) -> Principal:
    return check_write(principal)

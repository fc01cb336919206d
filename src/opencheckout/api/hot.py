"""The requests that dominate traffic, answered without FastAPI's machinery.

``GET /v1/checkouts/{id}``, ``POST /v1/checkouts``, ``PATCH /v1/checkouts/{id}``
and the plain list ``GET /v1/checkouts?status=...&limit=...`` are most of what
merchants, agents and dashboards send. Through FastAPI each spent more CPU on routing and
dependency solving than on its own work (a profile of the list: a fifth of its
time in routing, dependencies and query validation), so this innermost
middleware answers them directly, calling the same service functions and views
as the routes in :mod:`opencheckout.api.checkouts`.

It takes only the plain, well-formed case and hands everything else to those
routes unchanged (the body it read is replayed): a missing, unknown or
read-only key, a query string (on the list: any parameter but ``status``,
``limit`` and ``starting_after``, or a value that is not plainly valid), a body
that is not JSON or does not validate, an ``Idempotency-Key`` (the route's
idempotency layer replays it). So every
error keeps the one shape the routes give it, and the routes stay the
documented API (OpenAPI is generated from them).
``OPENCHECKOUT_HOT_PATH=0`` turns this off.
"""

from __future__ import annotations

import re
from typing import Any, get_args
from urllib.parse import parse_qsl

import orjson
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from opencheckout.api.auth import authorization_of, key_from_authorization
from opencheckout.api.errors import domain_error_response
from opencheckout.api.middleware import media_type, read_body, replaying
from opencheckout.api.schemas.checkouts import CheckoutCreate, CheckoutUpdate
from opencheckout.api.schemas.checkouts import Status as StatusLiteral
from opencheckout.api.telemetry import mark_route
from opencheckout.domain.errors import DomainError
from opencheckout.domain.lifecycle import Status
from opencheckout.service import auth
from opencheckout.service import checkouts as service
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context
from opencheckout.service.views import checkout_resource, resource_of

PREFIX = "/v1/checkouts"
_ITEM_PREFIX = PREFIX + "/"
#: The templates of the routes answered here, for metrics and logs.
_ITEM_TEMPLATE = PREFIX + "/{checkout_id}"
_STATUSES = frozenset(get_args(StatusLiteral))
#: A cursor the list answers here: what a checkout id looks like (no NUL, no space).
_CURSOR = re.compile(r"[A-Za-z0-9_]{1,64}")


def plain_list_query(query: bytes) -> tuple[list[str], int, str | None] | None:
    """(statuses, limit, starting_after) of a list query this path answers, or None.

    Only values the route would take as they are: known statuses (repeatable),
    one ``limit`` of 1 to 100 in plain digits, one ``starting_after`` shaped like
    an id. Anything else (another filter, ``page``, a value the route would
    refuse or coerce) is the route's.
    """
    try:
        pairs = parse_qsl(query.decode("ascii"), keep_blank_values=True, strict_parsing=True)
    except (UnicodeDecodeError, ValueError):
        return None
    statuses: list[str] = []
    limit, after, seen = 20, None, set()
    for key, value in pairs:
        if key == "status" and value in _STATUSES:
            statuses.append(value)
        elif key in seen:
            return None
        elif key == "limit" and len(value) <= 3 and value.isascii() and value.isdigit():
            if not 1 <= int(value) <= 100:
                return None
            limit = int(value)
        elif key == "starting_after" and _CURSOR.fullmatch(value):
            after = value
        else:
            return None
        seen.add(key)
    return statuses, limit, after


class HotPathMiddleware:
    def __init__(self, app: ASGIApp, *, context: Context, principals: auth.PrincipalCache) -> None:
        self.app = app
        self.context = context
        self.principals = principals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == PREFIX:
            if await self._list(scope, receive, send):
                return
        elif scope["type"] == "http" and not scope["query_string"]:
            method, path = scope["method"], scope["path"]
            if method == "GET" and path.startswith(_ITEM_PREFIX):
                checkout_id = path[len(_ITEM_PREFIX) :]
                plain = checkout_id and "/" not in checkout_id and "\x00" not in checkout_id
                if plain and await self._retrieve(scope, receive, send, checkout_id):
                    return
            elif method == "POST" and path == PREFIX:
                onward = await self._create(scope, receive, send)
                if onward is None:
                    return
                receive = onward
            elif method == "PATCH" and path.startswith(_ITEM_PREFIX):
                checkout_id = path[len(_ITEM_PREFIX) :]
                if checkout_id and "/" not in checkout_id and "\x00" not in checkout_id:
                    onward = await self._update(scope, receive, send, checkout_id)
                    if onward is None:
                        return
                    receive = onward
        await self.app(scope, receive, send)

    async def _principal(self, scope: Scope) -> Principal | None:
        key = key_from_authorization(authorization_of(scope))
        if key is None:
            return None
        principal = await auth.authenticate(self.context.db, key, cache=self.principals)
        if principal is not None:
            # Where the route's dependency keeps it, for the request log's account.
            scope.setdefault("state", {})["principal"] = principal
        return principal

    async def _retrieve(self, scope: Scope, receive: Receive, send: Send, checkout_id: str) -> bool:
        principal = await self._principal(scope)
        if principal is None:
            return False
        ctx = self.context
        mark_route(scope, _ITEM_TEMPLATE)
        try:
            row = await service.retrieve(ctx, principal, checkout_id)
        except DomainError as exc:
            await domain_error_response(exc)(scope, receive, send)
            return True
        resource = checkout_resource(
            row,
            public_url=ctx.settings.public_url,
            now=ctx.clock(),
            processor=ctx.processor_name_for(row.livemode),
        )
        await _send_json(send, 200, resource)
        return True

    async def _list(self, scope: Scope, receive: Receive, send: Send) -> bool:
        query = plain_list_query(scope["query_string"])
        if query is None:
            return False
        principal = await self._principal(scope)
        if principal is None:
            return False
        statuses, limit, starting_after = query
        ctx = self.context
        mark_route(scope, PREFIX)
        try:
            result = await service.list_by_status(
                ctx,
                principal,
                [Status(s) for s in statuses],
                limit=limit,
                starting_after=starting_after,
            )
        except DomainError as exc:
            await domain_error_response(exc)(scope, receive, send)
            return True
        public_url = ctx.settings.public_url
        data = [
            checkout_resource(
                row,
                public_url=public_url,
                now=ctx.clock(),
                processor=ctx.processor_name_for(row.livemode),
            )
            for row in result.rows
        ]
        body = {"object": "list", "url": PREFIX, "data": data, "has_more": result.has_more}
        await _send_json(send, 200, body)
        return True

    async def _write_body(
        self, scope: Scope, receive: Receive
    ) -> tuple[Receive, bytes | None, Principal | None]:
        """A plain JSON write's body and its (writing) principal, with the ``receive`` to
        hand on (the body replayed); no body or no principal: the route's."""
        headers = dict(scope["headers"])
        if b"idempotency-key" in headers or not _is_json(headers.get(b"content-type", b"")):
            return receive, None, None
        messages, body = await read_body(receive)
        replay = replaying(messages, receive)
        if body is None:
            return replay, None, None
        principal = await self._principal(scope)
        if principal is None or not principal.can_write:
            return replay, None, None
        return replay, body, principal

    async def _create(self, scope: Scope, receive: Receive, send: Send) -> Receive | None:
        """None once answered; otherwise the ``receive`` to hand on (body replayed)."""
        replay, body, principal = await self._write_body(scope, receive)
        if body is None or principal is None:
            return replay
        try:
            # Validated straight from the bytes; whatever fails here is handed to
            # the route, which reports it in the one error shape.
            params = CheckoutCreate.model_validate_json(body)
        except ValidationError:
            return replay
        mark_route(scope, PREFIX)
        try:
            values = params.model_dump(exclude_unset=False)
            values["payment_methods_explicit"] = "payment_methods" in params.model_fields_set
            _row, resource = await service.create_with_resource(self.context, principal, values)
        except DomainError as exc:
            await domain_error_response(exc)(scope, receive, send)
            return None
        await _send_json(send, 201, resource)
        return None

    async def _update(
        self, scope: Scope, receive: Receive, send: Send, checkout_id: str
    ) -> Receive | None:
        """``PATCH /v1/checkouts/{id}`` as the route answers it; None once answered."""
        replay, body, principal = await self._write_body(scope, receive)
        if body is None or principal is None:
            return replay
        try:
            params = CheckoutUpdate.model_validate_json(body)
        except ValidationError:
            return replay
        mark_route(scope, _ITEM_TEMPLATE)
        ctx = self.context
        try:
            values = params.model_dump(exclude_unset=True)
            row = await service.update(ctx, principal, checkout_id, values)
        except DomainError as exc:
            await domain_error_response(exc)(scope, receive, send)
            return None
        await _send_json(send, 200, resource_of(ctx, row))
        return None


def _is_json(content_type: bytes) -> bool:
    """What FastAPI parses as a JSON body (it leaves any other body unread: a 422).

    Narrower than the body guard's check, which lets any ``+json`` type through
    to the route; whatever fails here is simply handed to the route."""
    media = media_type(content_type)
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


async def _send_json(send: Send, status: int, content: Any) -> None:
    body = orjson.dumps(content)
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-length", str(len(body)).encode()),
                (b"content-type", b"application/json"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

"""Every error the HTTP tests provoke, checked against the OpenAPI document.

The test servers are wrapped in :class:`ErrorCodeRecorder`, which notes each
``(method, route template, status, error code)`` answered on the native API
(``/v1/…``). At the end of the run :func:`undocumented` compares them with each
operation's ``x-error-codes``: a code a route really answers but does not list
fails the run, so the lists in ``opencheckout.api.openapi`` stay honest.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opencheckout.api.telemetry import route_template

#: Only the native API: the compat surfaces (ACP, UCP, Quaderno) answer in their
#: protocols' own error vocabularies.
PREFIX = "/v1/"
#: An error body is small; a larger one is not ours.
MAX_BODY = 64 * 1024


@dataclass(frozen=True, order=True)
class Observation:
    method: str
    route: str
    status: str
    code: str

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.route} {self.status} {self.code}"


_lock = threading.Lock()
OBSERVED: set[Observation] = set()


class ErrorCodeRecorder:
    """ASGI wrapper around a test server's app: records the error codes it answers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        status = 0
        chunks: list[bytes] = []

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and status >= 400:
                if sum(map(len, chunks)) < MAX_BODY:
                    chunks.append(bytes(message.get("body", b"")))
                if not message.get("more_body", False):
                    _record(scope, status, b"".join(chunks))
            await send(message)

        await self.app(scope, receive, recording_send)


def _record(scope: Scope, status: int, body: bytes) -> None:
    code = _code_of(body)
    if code is None:
        return
    route = route_template(scope)
    if not route.startswith(PREFIX):
        return
    with _lock:
        OBSERVED.add(Observation(scope["method"].lower(), route, str(status), code))


def _code_of(body: bytes) -> str | None:
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        return None
    error = parsed.get("error") if isinstance(parsed, dict) else None
    code = error.get("code") if isinstance(error, dict) else None
    return code if isinstance(code, str) else None


def undocumented(document: dict[str, Any], observed: Iterable[Observation]) -> list[str]:
    """The observations the document does not list for their route and status."""
    gaps: list[str] = []
    for seen in sorted(observed):
        operation = document["paths"].get(seen.route, {}).get(seen.method)
        if operation is None:
            continue  # not an API operation (e.g. a 405 on a method the route lacks)
        listed = operation.get("x-error-codes", {}).get(seen.status, [])
        if seen.code not in listed:
            gaps.append(str(seen))
    return gaps

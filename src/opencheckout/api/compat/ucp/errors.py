"""UCP's two error shapes.

* Protocol errors (negotiation, authentication, idempotency, rate limits): the
  HTTP status says it, with a ``{code, content}`` body (``continue_url`` where
  the buyer can go on in a browser).
* Resource outcomes (no such session, a request the business cannot act on, a
  declined payment): the ``error_response`` envelope, ``{ucp: {version,
  status: "error"}, messages: [...], continue_url}``.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opencheckout.service.ucp_versions import LATEST, VERSIONS, Version


def json_response(
    body: Any, status_code: int = 200, headers: dict[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body),
        status_code=status_code,
        media_type="application/json",
        headers=headers,
    )


class UcpError(Exception):
    """A refusal in one of the two shapes (``envelope``: the ``error_response`` one)."""

    def __init__(
        self,
        status_code: int,
        code: str,
        content: str,
        *,
        envelope: bool = False,
        path: str | None = None,
        severity: str = "unrecoverable",
        continue_url: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(content)
        self.status_code = status_code
        self.code = code
        self.content = content
        self.envelope = envelope
        self.path = path
        self.severity = severity
        self.continue_url = continue_url
        self.headers = headers

    def response(self, version: Version | None = None) -> Response:
        body: dict[str, Any]
        if self.envelope:
            message: dict[str, Any] = {
                "type": "error",
                "code": self.code,
                "content": self.content,
                "severity": self.severity,
            }
            if self.path is not None:
                message["path"] = self.path
            body = {
                "ucp": (version or VERSIONS[LATEST]).error_metadata(),
                "messages": [message],
            }
        else:
            body = {"code": self.code, "content": self.content}
        if self.continue_url is not None:
            body["continue_url"] = self.continue_url
        return json_response(body, self.status_code, self.headers)


def outcome(
    status_code: int,
    code: str,
    content: str,
    *,
    path: str | None = None,
    severity: str = "unrecoverable",
    continue_url: str | None = None,
) -> UcpError:
    return UcpError(
        status_code,
        code,
        content,
        envelope=True,
        path=path,
        severity=severity,
        continue_url=continue_url,
    )


class UcpErrorMiddleware:
    """Under ``/ucp`` and ``/.well-known/ucp``, refusals answered outside the UCP
    routes (an unknown path or method, the shared input rules: hostile numbers, NUL,
    oversized or non-JSON bodies, the rate limit) are UCP protocol errors
    ``{code, content}`` too, not the native ``{"error": ...}`` shape."""

    PREFIXES = ("/ucp", "/.well-known/ucp")

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not any(path == p or path.startswith(p + "/") for p in self.PREFIXES):
            await self.app(scope, receive, send)
            return
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                if message["status"] < 400:
                    await send(message)
                    return
                start = message
                return
            if start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            body = _protocol_body(b"".join(chunks))
            headers = [
                (name, value)
                for name, value in start.get("headers", [])
                if name not in (b"content-length", b"content-type")
            ]
            headers += [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, capture)


def _protocol_body(raw: bytes) -> bytes:
    """A native error body as ``{code, content}``; anything else as it was."""
    try:
        parsed = orjson.loads(raw) if raw else None
    except orjson.JSONDecodeError:
        return raw
    error = parsed.get("error") if isinstance(parsed, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), str):
        return raw
    return orjson.dumps({"code": error["code"], "content": str(error.get("message") or "")})

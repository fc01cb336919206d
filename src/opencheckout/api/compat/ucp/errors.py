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
from starlette.types import ASGIApp

from opencheckout.api.compat.dialect_errors import DialectErrorMiddleware
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


class UcpErrorMiddleware(DialectErrorMiddleware):
    """Under ``/ucp`` and ``/.well-known/ucp``, refusals answered outside the UCP
    routes (an unknown path or method, the shared input rules: hostile numbers, NUL,
    oversized or non-JSON bodies, the rate limit) are UCP protocol errors
    ``{code, content}`` too, not the native ``{"error": ...}`` shape; on the MCP
    binding (``/ucp/mcp``) they are JSON-RPC errors."""

    PREFIXES = ("/ucp", "/.well-known/ucp")

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(app, prefixes=self.PREFIXES, render=render)


MCP_PATH = "/ucp/mcp"
#: The JSON-RPC code of a refusal before the MCP binding ran, by HTTP status
#: (the specification's table: protocol errors -32000; a body that is not JSON,
#: -32700; any other refused request, -32600).
_RPC_CODES = {400: -32700, 429: -32000, 503: -32000}


def render(path: str, status: int, raw: bytes) -> bytes:
    """A native error body in UCP's shape for ``path``."""
    body = _protocol_body(raw)
    if path.rstrip("/") != MCP_PATH:
        return body
    try:
        parsed = orjson.loads(body) if body else None
    except orjson.JSONDecodeError:
        parsed = None
    if isinstance(parsed, dict) and parsed.get("jsonrpc") == "2.0":
        return body  # the binding's own JSON-RPC error
    protocol = parsed if isinstance(parsed, dict) and "code" in parsed else None
    code = _RPC_CODES.get(status, -32603 if status >= 500 else -32600)
    if status == 400 and protocol is not None and protocol.get("code") != "invalid_json":
        code = -32600
    error: dict[str, Any] = {
        "code": code,
        "message": str((protocol or {}).get("content") or "The request was refused."),
    }
    if protocol is not None:
        error["data"] = protocol
    return orjson.dumps({"jsonrpc": "2.0", "id": None, "error": error})


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

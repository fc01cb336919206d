"""Pure ASGI middleware: request ids, body size cap and media-type check.

Written against raw ASGI rather than ``BaseHTTPMiddleware`` because they sit on
every request and must not buffer bodies or add a task per call.
"""

from __future__ import annotations

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opencheckout.ids import random_base62

_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


async def _send_error(
    send: Send, status: int, code: str, message: str, request_id: str | None = None
) -> None:
    body = orjson.dumps(
        {
            "error": {
                "type": "invalid_request_error",
                "code": code,
                "message": message,
                "param": None,
            }
        }
    )
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if request_id:
        headers.append((b"request-id", request_id.encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


#: Dialects whose clients send their own ``Request-Id`` for tracing (UCP: the header is
#: part of every operation); it is echoed instead of a new one.
_ECHO_PREFIXES = ("/ucp", "/.well-known/ucp")


def _echoed_id(scope: Scope) -> str | None:
    if not str(scope.get("path", "")).startswith(_ECHO_PREFIXES):
        return None
    for name, value in scope.get("headers", []):
        if name == b"request-id":
            text = bytes(value).decode("latin-1").strip()
            if 0 < len(text) <= 200 and text.isprintable():
                return text
            return None
    return None


class RequestIdMiddleware:
    """Tag every response with a ``Request-Id`` for support and log correlation."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _echoed_id(scope) or "req_" + random_base62(16)
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"request-id", request_id.encode())

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        await self.app(scope, receive, send_with_id)


class BodyGuardMiddleware:
    """Refuse bodies over the cap (413) and non-JSON bodies (415) before parsing.

    Paths under ``form_paths`` (the hosted page) also take HTML form posts.
    """

    def __init__(
        self, app: ASGIApp, *, max_body_bytes: int, form_paths: tuple[str, ...] = ()
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.form_paths = form_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _BODY_METHODS:
            await self.app(scope, receive, send)
            return
        headers: dict[bytes, bytes] = dict(scope.get("headers", []))
        length_header = headers.get(b"content-length")
        if length_header is not None:
            try:
                declared = int(length_header)
            except ValueError:
                declared = -1
            if declared > self.max_body_bytes:
                await _send_error(send, 413, "body_too_large", self._too_large_message())
                return
        content_type = media_type(headers.get(b"content-type", b""))
        has_body = length_header not in (None, b"0") or b"transfer-encoding" in headers
        is_form = content_type == b"application/x-www-form-urlencoded" and str(
            scope.get("path", "")
        ).startswith(self.form_paths)
        if has_body and content_type and not _is_json(content_type) and not is_form:
            await _send_error(
                send,
                415,
                "unsupported_media_type",
                "Send request bodies as JSON with 'Content-Type: application/json'.",
            )
            return

        received = 0
        too_large = False

        async def limited_receive() -> Message:
            nonlocal received, too_large
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body_bytes:
                    # Stop reading; whatever the app answers is replaced by a 413 below.
                    too_large = True
                    return {"type": "http.disconnect"}
            return message

        replaced = False

        async def guarded_send(message: Message) -> None:
            nonlocal replaced
            if not too_large:
                await send(message)
            elif not replaced:
                replaced = True
                await _send_error(send, 413, "body_too_large", self._too_large_message())

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if not too_large:
                raise
        if too_large and not replaced:
            await _send_error(send, 413, "body_too_large", self._too_large_message())

    def _too_large_message(self) -> str:
        return f"Request bodies are limited to {self.max_body_bytes} bytes."


def media_type(content_type: bytes) -> bytes:
    """``application/json`` from ``Application/JSON; charset=utf-8``."""
    return content_type.split(b";", 1)[0].strip().lower()


def _is_json(content_type: bytes) -> bool:
    return content_type == b"application/json" or content_type.endswith(b"+json")


async def read_body(receive: Receive) -> tuple[list[Message], bytes | None]:
    """Every message read, and the whole body (None if the client went away)."""
    messages: list[Message] = []
    chunks: list[bytes] = []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, b"".join(chunks)


def replaying(messages: list[Message], receive: Receive) -> Receive:
    """A ``receive`` that gives ``messages`` again, then reads on."""
    pending = list(messages)

    async def replay() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replay

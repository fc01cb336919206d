"""One middleware for every protocol dialect's errors answered outside its routes.

A dialect's routes render their own refusals; this catches what the app answers
before or instead of them under the dialect's path prefixes: an unknown path
(404), a known path with another method (405), and the middleware stack's
refusals (413, 415, 429, the shared input rules). Each such error body (the
native ``{"error": {...}}`` envelope, or FastAPI's ``{"detail"}``) is handed
to the dialect's renderer, which returns the body in its own shape (ACP's flat
``Error``, UCP's ``{code, content}``, a JSON-RPC error on an MCP binding);
status and other headers are kept.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: ``(path, status, native body) -> the dialect's body``.
Renderer = Callable[[str, int, bytes], bytes]


class DialectErrorMiddleware:
    def __init__(self, app: ASGIApp, *, prefixes: Sequence[str], render: Renderer) -> None:
        self.app = app
        self.prefixes = tuple(prefixes)
        self.render = render

    def _covers(self, path: str) -> bool:
        return any(path == p or path.startswith(p + "/") for p in self.prefixes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if not self._covers(path):
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
            if not message.get("more_body", False):
                body = self.render(path, start["status"], b"".join(chunks))
                await _send_json(send, start, body)

        await self.app(scope, receive, capture)


async def _send_json(send: Send, start: Message, body: bytes) -> None:
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

"""The HTTP protocol ``opencheckout serve`` runs: uvicorn's httptools parser with
two cut-offs uvicorn lacks.

uvicorn's keep-alive timer is cancelled by the first byte a client sends and
is not armed at all on a fresh connection, so a client that dribbles a request
head one byte at a time (slowloris), or connects and says nothing, holds its
socket forever; and the httptools parser buffers a header of any size. This
protocol:

* gives every request ``request_read_timeout_seconds`` to deliver its head
  (counted from connection open or the end of the previous response), else
  ``408`` and the connection is closed; and as long again for its body, else
  the connection is closed (the application sees the client disconnect);
* answers ``431`` and closes when a request line plus headers exceed
  ``max_header_bytes``.

Limits come from the same ``OPENCHECKOUT_*`` environment as the application,
read in each server process, because uvicorn instantiates the protocol class
itself (and pickles its config to ``--workers`` children).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cache
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from opencheckout.config import Settings


@dataclass(frozen=True, slots=True)
class Limits:
    max_header_bytes: int
    read_timeout_seconds: float


@cache
def limits_from_env() -> Limits:
    settings = Settings.from_env()
    return Limits(
        max_header_bytes=settings.max_header_bytes,
        read_timeout_seconds=settings.request_read_timeout_seconds,
    )


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """httptools with a header-size cap and head/body read deadlines."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limits = limits_from_env()
        self._max_head_bytes = limits.max_header_bytes
        self._read_timeout = limits.read_timeout_seconds
        self._reading_head = True
        #: Bytes received while a head is incomplete: bounds what the parser buffers.
        self._head_bytes = 0
        #: Size of the parsed request line and headers of the current request.
        self._head_size = 0
        self._refused = False
        self._deadline: asyncio.TimerHandle | None = None

    # Deadlines

    def _arm(self) -> None:
        self._disarm()
        if self._read_timeout > 0:
            self._deadline = self.loop.call_later(self._read_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _request_running(self) -> bool:
        return bool(self.pipeline) or (self.cycle is not None and not self.cycle.response_complete)

    def _timed_out(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self._reading_head and not self._request_running():
            self._refuse(408, b"Request head not received in time.")
        else:
            # Mid-body: the application sees a disconnect and its response is dropped.
            self.transport.close()

    def _refuse(self, status: int, message: bytes) -> None:
        self._refused = True
        self._disarm()
        self.transport.write(
            b"".join(
                [
                    STATUS_LINE[status],
                    b"content-type: text/plain; charset=utf-8\r\n",
                    b"content-length: " + str(len(message)).encode() + b"\r\n",
                    b"connection: close\r\n\r\n",
                    message,
                ]
            )
        )
        self.transport.close()

    # Protocol and parser callbacks

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return
        if self._reading_head:
            self._head_bytes += len(data)
        super().data_received(data)
        if (
            self._reading_head
            and self._head_bytes > self._max_head_bytes
            and not self.transport.is_closing()
        ):
            self._refuse(431, _TOO_LARGE)

    def on_url(self, url: bytes) -> None:
        self._head_size += len(url)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._head_size += len(name) + len(value) + 4
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        too_large = self._head_size > self._max_head_bytes
        self._reading_head = False
        self._head_bytes = self._head_size = 0
        if self._refused or too_large:
            if not self._refused:
                self._refuse(431, _TOO_LARGE)
            return
        self._arm()  # now the body's deadline; cleared when the message completes
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._disarm()
        self._reading_head = True
        self._head_bytes = self._head_size = 0
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and not self.pipeline:
            self._arm()  # the next request's head


_TOO_LARGE = b"Request header fields too large."

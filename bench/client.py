"""A small keep-alive HTTP/1.1 load generator on raw asyncio streams.

Why not httpx: at a few hundred microseconds of client CPU per request, httpx
would cap the bare-stack baseline below what the server can do and make the
opencheckout ÷ baseline ratio look better than it is. This client builds each
request as bytes and parses only the status line, ``content-length`` and the
body, so the server, not the client, is what saturates.

Each of ``concurrency`` workers owns one connection and sends requests back to
back for ``duration`` seconds after a short warm-up; latencies are taken from
the first byte written to the last byte read.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field

#: ``(method, path, body)``; body is JSON bytes or None. None ends the worker.
Request = tuple[str, str, bytes | None]
RequestMaker = Callable[[], Request | None]


class HTTPConnection:
    """One keep-alive connection to ``host:port``; reconnects when the server closes."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host = host
        self.port = port
        self.fixed = "".join(f"{k}: {v}\r\n" for k, v in headers.items()).encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        if self.reader is None or self.writer is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        return self.reader, self.writer

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None

    async def request(
        self, method: str, path: str, body: bytes | None = None, headers: bytes = b""
    ) -> tuple[int, bytes]:
        reader, writer = await self._connect()
        head = f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\n".encode() + self.fixed + headers
        if body is not None:
            head += b"Content-Type: application/json\r\nContent-Length: %d\r\n" % len(body)
        writer.write(head + b"\r\n" + (body or b""))
        try:
            response_head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, ConnectionError):
            await self.close()
            raise
        status = int(response_head[9:12])
        lowered = response_head.lower()
        length = 0
        index = lowered.find(b"\r\ncontent-length:")
        if index >= 0:
            end = lowered.index(b"\r\n", index + 2)
            length = int(lowered[index + 17 : end])
            payload = await reader.readexactly(length) if length else b""
        elif b"transfer-encoding: chunked" in lowered:
            payload = await _read_chunked(reader)
        else:
            payload = b""
        if b"\r\nconnection: close" in lowered:
            await self.close()
        return status, payload


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).strip(), 16)
        if size == 0:
            await reader.readuntil(b"\r\n")
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


@dataclass
class LevelResult:
    concurrency: int
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def rps(self) -> float:
        return len(self.latencies_ms) / self.seconds if self.seconds else 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict[str, float | int]:
        return {
            "concurrency": self.concurrency,
            "requests": len(self.latencies_ms),
            "rps": round(self.rps, 1),
            "p50_ms": round(self.percentile(0.50), 3),
            "p99_ms": round(self.percentile(0.99), 3),
            "errors": self.errors,
        }


async def run_level(
    host: str,
    port: int,
    headers: dict[str, str],
    make_request: RequestMaker,
    *,
    concurrency: int,
    duration: float,
    warmup: float = 0.5,
    ok: frozenset[int] = frozenset({200, 201}),
) -> LevelResult:
    """Drive ``concurrency`` connections for ``warmup + duration`` seconds.

    Requests that complete during the warm-up are not counted; a response whose
    status is not in ``ok``, or a broken connection, counts as an error (and
    its latency is not counted in the percentiles).
    """
    connections = [HTTPConnection(host, port, headers) for _ in range(concurrency)]
    start = time.perf_counter()
    measure_from = start + warmup
    stop_at = measure_from + duration
    result = LevelResult(concurrency=concurrency, seconds=duration)
    finished_early: list[float] = []

    async def worker(conn: HTTPConnection) -> None:
        while True:
            now = time.perf_counter()
            if now >= stop_at:
                return
            request = make_request()
            if request is None:
                finished_early.append(now)
                return
            method, path, body = request
            began = time.perf_counter()
            try:
                status, _payload = await conn.request(method, path, body)
            except (OSError, asyncio.IncompleteReadError, ValueError):
                status = 0
            ended = time.perf_counter()
            if began < measure_from:
                continue
            result.statuses[status] = result.statuses.get(status, 0) + 1
            if status in ok:
                result.latencies_ms.append((ended - began) * 1000.0)
            else:
                result.errors += 1

    try:
        await asyncio.gather(*(worker(c) for c in connections))
    finally:
        for conn in connections:
            await conn.close()
    if finished_early:
        # The supply of requests ran out (e.g. no sessions left to complete).
        result.seconds = max(0.001, min(max(finished_early), stop_at) - measure_from)
    return result

"""One delivery attempt: POST the signed payload and describe what happened.

The worker records every attempt for the merchant's delivery log and decides
about retries from ``succeeded`` alone, so this never raises for anything the
network or the receiver does; it turns it into a short ``error`` instead.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import httpx

from opencheckout.webhooks import signing
from opencheckout.webhooks.netguard import BlockedAddress

#: How much of the receiver's answer is kept for the delivery log.
MAX_BODY_BYTES = 1024
_MAX_ERROR_CHARS = 200


@dataclass(frozen=True, slots=True)
class AttemptResult:
    succeeded: bool
    status_code: int | None
    latency_ms: int
    error: str | None
    response_body: str | None


_TOTAL_SLACK_SECONDS = 1.0


def _total_timeout(client: httpx.AsyncClient) -> float | None:
    """A wall-clock cap for the whole attempt.

    httpx timeouts apply per operation, so a receiver trickling a byte at a
    time could hold a worker forever; the sum of the phases bounds it. A
    second of slack lets a phase that runs out report its own timeout (the
    merchant learns which phase) even when the process is slow to schedule.
    """
    phases = (client.timeout.connect, client.timeout.write, client.timeout.read)
    if any(phase is None for phase in phases):
        return None
    return sum(phase for phase in phases if phase is not None) + _TOTAL_SLACK_SECONDS


def _describe(exc: Exception) -> str:
    """A short, merchant-readable reason (no resolved addresses: they leak our DNS view)."""
    if isinstance(exc, BlockedAddress):
        return "endpoint address is not allowed (private, loopback or reserved)"
    if isinstance(exc, httpx.ConnectTimeout):
        return "timed out connecting"
    if isinstance(exc, httpx.WriteTimeout):
        return "timed out sending the request"
    if isinstance(exc, httpx.ReadTimeout):
        return "timed out waiting for the response"
    if isinstance(exc, httpx.PoolTimeout | TimeoutError):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        detail = str(exc) or "connection refused or unreachable"
        return f"connection failed: {detail}"[:_MAX_ERROR_CHARS]
    if isinstance(exc, httpx.RemoteProtocolError):
        return "invalid HTTP response"
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return "invalid endpoint URL"
    return f"request failed: {type(exc).__name__}"


async def _read_prefix(response: httpx.Response) -> str:
    """The first ``MAX_BODY_BYTES`` of the body; the rest is never downloaded."""
    body = bytearray()
    async for chunk in response.aiter_raw():
        body.extend(chunk)
        if len(body) >= MAX_BODY_BYTES:
            break
    return bytes(body[:MAX_BODY_BYTES]).decode("utf-8", errors="replace")


async def deliver(
    client: httpx.AsyncClient,
    *,
    url: str,
    secrets: Sequence[str],
    msg_id: str,
    timestamp: datetime,
    payload: bytes,
    headers: dict[str, str] | None = None,
) -> AttemptResult:
    """POST ``payload`` to ``url``, signed with every secret; any 2xx is success.

    Use a client from :func:`opencheckout.webhooks.netguard.make_client` so the
    address checks apply and redirects are not followed. ``headers``, when
    given, replace the Standard Webhooks ones (ACP order webhooks sign with
    their own ``Merchant-Signature``; ``secrets``, ``msg_id`` and ``timestamp``
    are then unused).
    """
    if headers is not None:
        request_headers = dict(headers)
    else:
        request_headers = signing.headers(secrets, msg_id, timestamp, payload)
    # Raw bytes are read, so ask for them uncompressed (no decompression bombs).
    request_headers["accept-encoding"] = "identity"
    started = time.perf_counter()
    status: int | None = None
    body: str | None = None
    error: str | None = None
    try:
        async with (
            asyncio.timeout(_total_timeout(client)),
            client.stream("POST", url, content=payload, headers=request_headers) as response,
        ):
            status = response.status_code
            body = await _read_prefix(response)
    except (httpx.HTTPError, httpx.InvalidURL, BlockedAddress, TimeoutError) as exc:
        error = _describe(exc)
    latency_ms = round((time.perf_counter() - started) * 1000)
    succeeded = error is None and status is not None and 200 <= status < 300
    if error is None and not succeeded:
        error = f"received HTTP {status}"
        if status is not None and 300 <= status < 400:
            error += " (redirects are not followed)"
    return AttemptResult(succeeded, status, latency_ms, error, body)

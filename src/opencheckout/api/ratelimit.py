"""Rate limiting: a token bucket per verified API key, and one per client address.

Written as pure ASGI middleware so that a throttled request costs no routing,
no body parsing and no body read. A request's key is verified first (a cache
hit, or one indexed read that the route would make anyway, after which the
route reuses the result), and only a key that verifies is counted in its own
bucket, by its key id. Everything else, no key, a malformed key or one that
fails to verify, counts against the client address's bucket: a forged key
that merely shares a real key's public prefix throttles its sender, never
the key's owner. Health probes are never throttled.

The buckets live in one process: with N ``serve`` processes behind a load
balancer a key may get up to N times the configured rate. That is the
intended trade-off (no shared store on the hot path); see docs/operations.md.
The client address is the one ``domain.client_ip`` finds behind the trusted
proxies (``OPENCHECKOUT_TRUSTED_PROXIES``), as everywhere else: behind a
trusted proxy each client has its own bucket, and an ``X-Forwarded-For`` from
an untrusted peer is ignored (a client cannot pick a fresh bucket per request).

Every response carries ``X-RateLimit-Limit`` (the bucket size),
``X-RateLimit-Remaining`` (whole tokens left) and ``X-RateLimit-Reset``
(seconds until the bucket is full again); a throttled one is ``429`` with
``Retry-After`` (seconds).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from opencheckout.api.auth import authorization_of, key_from_authorization
from opencheckout.domain.client_ip import Network, client_address
from opencheckout.service import auth
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context

#: Buckets kept before idle (full) ones are dropped; bounds memory under key churn.
MAX_BUCKETS = 100_000


@dataclass(slots=True)
class Bucket:
    tokens: float
    updated: float


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    limit: int
    remaining: int
    reset_seconds: int
    retry_after_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        headers = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(self.remaining).encode()),
            (b"x-ratelimit-reset", str(self.reset_seconds).encode()),
        ]
        if not self.allowed:
            headers.append((b"retry-after", str(self.retry_after_seconds).encode()))
        return headers


class TokenBuckets:
    """``burst`` tokens per key, refilled at ``rate`` per second; one request costs one."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, Bucket] = {}

    def take(self, name: str) -> Decision:
        now = self.clock()
        bucket = self._buckets.get(name)
        if bucket is None:
            if len(self._buckets) >= MAX_BUCKETS:
                self._prune(now)
            bucket = self._buckets[name] = Bucket(tokens=float(self.burst), updated=now)
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(float(self.burst), bucket.tokens + elapsed * self.rate)
            bucket.updated = now
        allowed = bucket.tokens >= 1.0
        if allowed:
            bucket.tokens -= 1.0
        missing = self.burst - bucket.tokens
        return Decision(
            allowed=allowed,
            limit=self.burst,
            remaining=int(bucket.tokens),
            reset_seconds=math.ceil(missing / self.rate),
            retry_after_seconds=0
            if allowed
            else max(1, math.ceil((1.0 - bucket.tokens) / self.rate)),
        )

    def _prune(self, now: float) -> None:
        """Drop buckets that have refilled completely: forgetting them changes nothing."""
        full_after = self.burst / self.rate
        for name in [n for n, b in self._buckets.items() if now - b.updated >= full_after]:
            del self._buckets[name]
        if len(self._buckets) >= MAX_BUCKETS:
            # Under a flood of distinct keys, forgetting is safer than growing.
            self._buckets.clear()


#: Probes a monitor polls from one address; throttling them would only fake an outage.
_UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


class RateLimitMiddleware:
    """Throttle each verified API key, and each client address for everything
    else, to ``rate`` requests per second with bursts of ``burst``."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        rate: float,
        burst: int,
        context: Context,
        principals: auth.PrincipalCache,
    ) -> None:
        self.app = app
        self.buckets = TokenBuckets(rate, burst)
        self.addresses = TokenBuckets(rate, burst)
        self.context = context
        self.principals = principals
        self.trusted_proxies = context.settings.trusted_proxies

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in _UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        principal = await self._verified(scope)
        if principal is not None:
            decision = self.buckets.take(principal.key_id)
        else:
            decision = self.addresses.take(_client_address(scope, self.trusted_proxies))
        extra = decision.headers()
        if not decision.allowed:
            await _send_throttled(send, decision, extra, keyed=principal is not None)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _verified(self, scope: Scope) -> Principal | None:
        key = key_from_authorization(authorization_of(scope))
        if key is None:
            return None
        principal = await auth.authenticate(self.context.db, key, cache=self.principals)
        if principal is not None:
            # The route's authentication finds it here instead of verifying again.
            scope.setdefault("state", {})["principal"] = principal
        return principal


def _client_address(scope: Scope, trusted: tuple[Network, ...]) -> str:
    """The client behind the trusted proxies (the peer without any), as pages use."""
    client = scope.get("client")
    peer = str(client[0]) if client else None
    forwarded = [
        value.decode("latin-1")
        for name, value in scope.get("headers", [])
        if name == b"x-forwarded-for"
    ]
    return client_address(peer, forwarded, trusted) or "unknown"


async def _send_throttled(
    send: Send, decision: Decision, headers: list[tuple[bytes, bytes]], *, keyed: bool
) -> None:
    sender = "this API key" if keyed else "this address without a valid API key"
    body = orjson.dumps(
        {
            "error": {
                "type": "rate_limit_error",
                "code": "rate_limited",
                "message": (
                    f"Too many requests from {sender}; retry in {decision.retry_after_seconds} s."
                ),
                "param": None,
            }
        }
    )
    await send(
        {
            "type": "http.response.start",
            "status": 429,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})

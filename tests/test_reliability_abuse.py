"""Abuse: rate limiting, the body cap, slow and oversized requests, and keys in logs.

The connection-level cut-offs belong to ``opencheckout serve`` (its HTTP
protocol, see ``opencheckout.httpserver``), so those tests open raw sockets to
a real ``serve`` process.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from opencheckout.api.ratelimit import TokenBuckets
from opencheckout.domain.client_ip import parse_networks
from opencheckout.service import auth
from opencheckout.store.db import Database
from tests.conftest import (
    Account,
    _make_account,
    fresh_database,
    server_settings,
    start_server,
)
from tests.factories import assert_error, session_body
from tests.processes import Serve, start_serve

# -- Rate limiting ------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_allows_a_burst_then_the_rate():
    clock = FakeClock()
    buckets = TokenBuckets(rate=2, burst=3, clock=clock)
    decisions = [buckets.take("sk_test_a") for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert [d.remaining for d in decisions] == [2, 1, 0, 0]
    assert decisions[3].retry_after_seconds == 1
    assert buckets.take("sk_test_b").allowed  # every key has its own bucket
    clock.now += 0.5  # one token back at 2/s
    assert buckets.take("sk_test_a").allowed
    assert not buckets.take("sk_test_a").allowed
    clock.now += 10
    full = buckets.take("sk_test_a")
    assert full.allowed and full.remaining == 2 and full.reset_seconds == 1


@pytest.fixture(scope="module")
def throttled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Account]]:
    """A dedicated server whose keys get 3 requests at once, then one every 2 seconds
    (slow enough that a loaded CI machine cannot refill a token mid-test)."""
    with fresh_database("sqlite", tmp_path_factory.mktemp("ratelimit")) as url:
        account = asyncio.run(_make_account(url, "throttled"))
        settings = server_settings(url, rate_limit_per_second=0.5, rate_limit_burst=3)
        server, thread, base_url = start_server(settings)
        yield base_url, account
        server.should_exit = True
        thread.join(timeout=10)


def test_rate_limit_answers_429_with_retry_after_and_headers(throttled):
    base_url, account = throttled
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {account.secret_key}"}
    ) as api:
        allowed = [api.get("/v1/checkouts") for _ in range(3)]
        assert [r.status_code for r in allowed] == [200, 200, 200]
        assert [r.headers["x-ratelimit-remaining"] for r in allowed] == ["2", "1", "0"]
        assert {r.headers["x-ratelimit-limit"] for r in allowed} == {"3"}
        assert all(int(r.headers["x-ratelimit-reset"]) >= 1 for r in allowed)

        refused = api.post("/v1/checkouts", json=session_body())
        error = assert_error(refused, 429, code="rate_limited")
        assert error["type"] == "rate_limit_error"
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.headers["x-ratelimit-remaining"] == "0"
        # Nothing behind the limiter ran: no session was created.
        time.sleep(int(refused.headers["retry-after"]))
        listed = api.get("/v1/checkouts")
        assert listed.status_code == 200 and listed.json()["data"] == []

    # Other keys, even of the same account, have their own bucket.
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Bearer {account.read_key}"}
    ) as reader:
        assert reader.get("/v1/checkouts").status_code == 200
    # Requests without a key are not counted against anyone (they are 401 anyway).
    assert httpx.get(f"{base_url}/healthz").status_code == 200
    assert "x-ratelimit-limit" not in httpx.get(f"{base_url}/healthz").headers


def _anonymous(base_url: str, forwarded_for: str) -> httpx.Response:
    return httpx.get(f"{base_url}/v1/checkouts", headers={"X-Forwarded-For": forwarded_for})


def test_rate_limit_ignores_forwarded_for_from_an_untrusted_peer(throttled):
    """Without trusted proxies a client cannot get a fresh bucket per request by
    writing a new X-Forwarded-For: the connecting address is counted."""
    base_url, _ = throttled
    answers = [_anonymous(base_url, f"203.0.113.{n}") for n in range(1, 5)]
    assert [r.status_code for r in answers[:3]] == [401, 401, 401]
    assert_error(answers[3], 429, code="rate_limited")


@pytest.fixture(scope="module")
def behind_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throttled server that trusts 127.0.0.1 as its reverse proxy."""
    with fresh_database("sqlite", tmp_path_factory.mktemp("ratelimit_proxy")) as url:
        settings = server_settings(
            url,
            rate_limit_per_second=0.5,
            rate_limit_burst=3,
            trusted_proxies=parse_networks("127.0.0.1"),
        )
        server, thread, base_url = start_server(settings)
        yield base_url
        server.should_exit = True
        thread.join(timeout=10)


def test_rate_limit_counts_the_client_behind_a_trusted_proxy(behind_proxy):
    """Behind a trusted proxy each client has its own bucket (not the proxy's
    one for all), and hops the client wrote further left are not believed."""
    first = [_anonymous(behind_proxy, "203.0.113.7") for _ in range(3)]
    assert [r.status_code for r in first] == [401, 401, 401]
    # A forged left-most hop does not change who is counted: 203.0.113.7 again.
    assert_error(_anonymous(behind_proxy, "198.51.100.1, 203.0.113.7"), 429, code="rate_limited")
    other = _anonymous(behind_proxy, "203.0.113.8")
    assert other.status_code == 401
    assert other.headers["x-ratelimit-remaining"] == "2"


# -- serve's connection cut-offs ----------------------------------------------

READ_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def serve_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Serve, Account]]:
    """One ``serve`` process with a 1 s read timeout and an auth cache, logging at info."""
    tmp = tmp_path_factory.mktemp("serve")
    with fresh_database("sqlite", tmp) as url:
        account = asyncio.run(_make_account(url, "abuse"))
        serve = start_serve(
            url,
            tmp,
            OPENCHECKOUT_REQUEST_READ_TIMEOUT_SECONDS=str(READ_TIMEOUT),
            OPENCHECKOUT_AUTH_CACHE_SECONDS="2",
        )
        try:
            yield serve, account
        finally:
            serve.stop()


def _connect(serve: Serve) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", serve.port), timeout=15)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _status(raw: bytes) -> int:
    return int(raw.split(b" ", 2)[1]) if raw.startswith(b"HTTP/1.1 ") else 0


def test_huge_headers_get_431_and_the_connection_closed(serve_process):
    serve, _ = serve_process
    for head in (
        # one enormous header
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 64_000 + b"\r\n\r\n",
        # many ordinary ones
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n"
        + b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(300))
        + b"\r\n",
        # an endless URL
        b"GET /healthz?" + b"q" * 64_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    ):
        with _connect(serve) as sock:
            # The server may close before reading it all.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                sock.sendall(head)
            raw = _read_all(sock)
        assert _status(raw) == 431, raw[:200]
    # A head just under the limit is served.
    with _connect(serve) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Ok: " + b"a" * 12_000 + b"\r\n\r\n")
        assert _status(sock.recv(65536)) == 200


def test_a_silent_or_dribbling_client_is_cut_off(serve_process):
    serve, _ = serve_process
    # Connects and says nothing.
    with _connect(serve) as sock:
        raw = _read_all(sock)
    assert _status(raw) == 408

    # Sends its head one byte at a time, never finishing (slowloris).
    with _connect(serve) as sock:
        closed = False
        for byte in b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"z" * 200:
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                closed = True
                break
            time.sleep(0.05)
        if not closed:
            raw = _read_all(sock)
            assert _status(raw) == 408, raw[:200]

    # Sends a head announcing a body, then stalls.
    with _connect(serve) as sock:
        sock.sendall(
            b"POST /v1/checkouts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
        assert _read_all(sock) == b""  # dropped without a response

    # The server is still healthy, and keep-alive clients are unaffected.
    with httpx.Client(base_url=serve.url) as http:
        assert http.get("/healthz").status_code == 200
        assert http.get("/healthz").status_code == 200


def test_body_over_one_mebibyte_is_413_on_serve(serve_process):
    serve, account = serve_process
    raw = json.dumps({**session_body(), "custom": {"pad": "x" * (1024 * 1024)}}).encode()
    response = httpx.post(
        f"{serve.url}/v1/checkouts",
        content=raw,
        headers={
            "Authorization": f"Bearer {account.secret_key}",
            "Content-Type": "application/json",
        },
    )
    assert_error(response, 413, code="body_too_large")


def test_keys_never_appear_in_logs(serve_process):
    serve, account = serve_process
    wrong = account.secret_key[:-4] + "zzzz"  # well-formed, right prefix, wrong secret
    basic = base64.b64encode(f"{account.secret_key}:".encode()).decode()
    with httpx.Client(base_url=serve.url, timeout=30) as http:
        bearer = {"Authorization": f"Bearer {account.secret_key}"}
        assert http.post("/v1/checkouts", json=session_body(), headers=bearer).status_code == 201
        assert http.get("/v1/checkouts", headers=bearer).status_code == 200
        assert http.get("/v1/checkouts", headers={"Authorization": f"Basic {basic}"}).is_success
        assert (
            http.get("/v1/checkouts", headers={"Authorization": f"Bearer {wrong}"}).status_code
            == 401
        )
        assert (
            http.get("/v1/checkouts", headers={"Authorization": "Bearer sk_garbage"}).status_code
            == 401
        )
        reader = {"Authorization": f"Bearer {account.read_key}"}
        assert http.post("/v1/checkouts", json=session_body(), headers=reader).status_code == 403
        # A key in the URL (a client mistake) is not echoed either: only the path is.
        http.get("/v1/checkouts/cs_missing", headers=bearer)
    time.sleep(0.3)  # let the request log reach the file
    logs = serve.output()
    records = [json.loads(line) for line in logs.splitlines() if line.startswith("{")]
    assert any(  # the request log (one JSON event per request) is on
        r.get("event") == "request"
        and (r.get("method"), r.get("route"), r.get("status")) == ("GET", "/v1/checkouts", 200)
        for r in records
    ), logs[-3000:]
    for secret in (account.secret_key, account.read_key, wrong, basic):
        assert secret not in logs
        assert secret[-24:] not in logs  # not even the random tail


def test_revoked_key_stops_working_once_its_cache_entry_lapses(serve_process):
    """With the auth cache on (2 s here), revocation is prompt but not instant."""
    serve, _ = serve_process
    account = asyncio.run(_make_account(serve.database_url, "revoked-later"))
    headers = {"Authorization": f"Bearer {account.secret_key}"}
    assert httpx.get(f"{serve.url}/v1/checkouts", headers=headers).status_code == 200

    async def revoke() -> None:
        db = Database(serve.database_url)
        try:
            await auth.revoke_key(db, auth.key_prefix(account.secret_key) or "")
        finally:
            await db.dispose()

    asyncio.run(revoke())
    deadline = time.monotonic() + 2 + 5  # the TTL, plus slack for a loaded machine
    while httpx.get(f"{serve.url}/v1/checkouts", headers=headers).status_code != 401:
        assert time.monotonic() < deadline, "a revoked key kept working past the cache TTL"
        time.sleep(0.1)

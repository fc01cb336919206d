"""Webhook building blocks against a real HTTP receiver on 127.0.0.1.

Nothing here talks to a public address: the receiver listens on loopback, and
the URLs that name public hosts are only validated, never requested.
"""

from __future__ import annotations

import asyncio
import base64
import json
import random
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from ipaddress import ip_address
from pathlib import Path

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from opencheckout.domain.errors import InvalidValue
from opencheckout.domain.retry import (
    MAX_DELAY,
    RETRY_WINDOW,
    next_attempt_delay,
    should_give_up,
)
from opencheckout.webhooks import signing
from opencheckout.webhooks.netguard import (
    BlockedAddress,
    GuardedTransport,
    is_public_address,
    make_client,
    resolve_public,
    validate_endpoint_url,
)
from opencheckout.webhooks.sender import MAX_BODY_BYTES, AttemptResult, deliver

PAYLOAD = json.dumps({"type": "checkout.completed", "data": {"id": "cs_123"}}).encode()


@dataclass
class Recorded:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """A merchant endpoint. ``mode`` picks the answer: ok, error, hang or redirect."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.requests: list[Recorded] = []
        self.mode = "ok"
        self.release = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                receiver.requests.append(
                    Recorded(
                        self.path,
                        {k.lower(): v for k, v in self.headers.items()},
                        self.rfile.read(length),
                    )
                )
                if receiver.mode == "hang":
                    receiver.release.wait(10)
                if receiver.mode == "error":
                    self._answer(500, b"x" * 5000)
                elif receiver.mode == "redirect":
                    self._answer(302, b"", location="http://127.0.0.1:9/elsewhere")
                else:
                    self._answer(200, b"ok")

            def _answer(self, status: int, body: bytes, location: str | None = None) -> None:
                self.send_response(status)
                if location:
                    self.send_header("location", location)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = int(self.server.server_address[1])
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def url(self, host: str = "127.0.0.1", scheme: str = "http") -> str:
        return f"{scheme}://{host}:{self.port}/hook"

    def stop(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    yield server
    server.stop()


def send(
    url: str,
    secrets: list[str],
    *,
    allow_private: bool = True,
    timeout: float = 5.0,
    msg_id: str = "msg_1",
    timestamp: datetime | None = None,
) -> AttemptResult:
    async def run() -> AttemptResult:
        async with make_client(allow_private=allow_private, timeout=timeout) as client:
            return await deliver(
                client,
                url=url,
                secrets=secrets,
                msg_id=msg_id,
                timestamp=timestamp or datetime.now(UTC),
                payload=PAYLOAD,
            )

    return asyncio.run(run())


# --- signing and delivery -------------------------------------------------


def test_new_secret_is_accepted_by_the_library() -> None:
    secret = signing.new_secret()
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"))) >= 24
    assert secret != signing.new_secret()
    Webhook(secret)


def test_delivery_is_signed_and_verifies(receiver: Receiver) -> None:
    secret = signing.new_secret()
    result = send(receiver.url(), [secret], msg_id="msg_abc")

    assert result.succeeded
    assert (result.status_code, result.error, result.response_body) == (200, None, "ok")
    assert result.latency_ms >= 0
    [request] = receiver.requests
    assert request.path == "/hook"
    assert request.body == PAYLOAD
    assert request.headers["webhook-id"] == "msg_abc"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "opencheckout-webhooks/1"
    assert Webhook(secret).verify(request.body, request.headers) == json.loads(PAYLOAD)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(request.body, request.headers)


def test_rotation_signature_verifies_with_either_secret(receiver: Receiver) -> None:
    new, old = signing.new_secret(), signing.new_secret()
    assert send(receiver.url(), [new, old]).succeeded

    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    for secret in (new, old):
        Webhook(secret).verify(request.body, request.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(signing.new_secret()).verify(request.body, request.headers)


def test_timestamp_in_another_zone_signs_the_same_instant() -> None:
    secret = signing.new_secret()
    utc = datetime(2030, 1, 2, 3, 4, 5, tzinfo=UTC)
    shifted = utc.astimezone(timezone(timedelta(hours=-5)))
    assert signing.headers([secret], "m", shifted, PAYLOAD) == signing.headers(
        [secret], "m", utc, PAYLOAD
    )
    assert signing.timestamp_header(utc) == str(int(utc.timestamp()))


def test_non_2xx_is_a_failure_with_a_truncated_body(receiver: Receiver) -> None:
    receiver.mode = "error"
    result = send(receiver.url(), [signing.new_secret()])

    assert not result.succeeded
    assert result.status_code == 500
    assert result.error == "received HTTP 500"
    assert result.response_body == "x" * MAX_BODY_BYTES


def test_redirects_are_not_followed(receiver: Receiver) -> None:
    receiver.mode = "redirect"
    result = send(receiver.url(), [signing.new_secret()])

    assert not result.succeeded
    assert result.status_code == 302
    assert result.error is not None and "redirects are not followed" in result.error
    assert len(receiver.requests) == 1


def test_timeout_is_a_failure(receiver: Receiver) -> None:
    receiver.mode = "hang"
    result = send(receiver.url(), [signing.new_secret()], timeout=0.3)

    assert not result.succeeded
    assert result.status_code is None
    assert result.error == "timed out waiting for the response"
    assert result.latency_ms < 5000


def test_connection_refused_is_a_failure(receiver: Receiver) -> None:
    url = receiver.url()
    receiver.stop()
    result = send(url, [signing.new_secret()])

    assert not result.succeeded
    assert result.status_code is None
    assert result.error is not None and result.error.startswith("connection failed")


# --- SSRF guard -------------------------------------------------------------


def test_loopback_receiver_needs_allow_private(receiver: Receiver) -> None:
    refused = send(receiver.url(), [signing.new_secret()], allow_private=False)
    assert not refused.succeeded
    assert refused.status_code is None
    assert refused.error is not None and "not allowed" in refused.error
    assert receiver.requests == []

    assert send(receiver.url(), [signing.new_secret()], allow_private=True).succeeded
    assert len(receiver.requests) == 1


def test_hostname_resolving_to_loopback_is_refused_at_connect(receiver: Receiver) -> None:
    url = receiver.url(host="localhost")  # validate_endpoint_url would refuse it; skip it

    async def request() -> None:
        async with make_client(allow_private=False, timeout=5) as client:
            await client.post(url, content=b"{}")

    with pytest.raises(BlockedAddress) as blocked:
        asyncio.run(request())
    assert "127.0.0.1" in blocked.value.addresses
    assert not send(url, [signing.new_secret()], allow_private=False).succeeded
    assert receiver.requests == []


def test_connecting_by_ip_keeps_the_host_header(receiver: Receiver) -> None:
    assert send(receiver.url(host="localhost"), [signing.new_secret()]).succeeded
    assert receiver.requests[0].headers["host"] == f"localhost:{receiver.port}"


def test_resolve_public_checks_every_address() -> None:
    with pytest.raises(BlockedAddress):
        asyncio.run(resolve_public("localhost", 80, allow_private=False))
    with pytest.raises(BlockedAddress):
        asyncio.run(resolve_public("169.254.169.254", 80, allow_private=False))
    assert "127.0.0.1" in asyncio.run(resolve_public("localhost", 80, allow_private=True))


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://169.254.169.254/latest/meta-data", "url_not_allowed"),
        ("http://10.0.0.1/hook", "url_not_allowed"),
        ("http://172.16.5.4/hook", "url_not_allowed"),
        ("http://192.168.1.1/hook", "url_not_allowed"),
        ("http://100.64.0.1/hook", "url_not_allowed"),
        ("http://0.0.0.0/hook", "url_not_allowed"),
        ("http://224.0.0.1/hook", "url_not_allowed"),
        ("http://240.0.0.1/hook", "url_not_allowed"),
        ("http://[::1]/", "url_not_allowed"),
        ("http://[::ffff:127.0.0.1]/", "url_not_allowed"),
        ("http://[fe80::1]/", "url_not_allowed"),
        ("http://[fd00::1]/", "url_not_allowed"),
        ("http://[2002:7f00:1::]/", "url_not_allowed"),
        ("http://localhost/", "url_not_allowed"),
        ("http://LocalHost./", "url_not_allowed"),
        ("http://api.localhost/", "url_not_allowed"),
        ("http://127.1/", "url_invalid"),
        ("http://2130706433/", "url_invalid"),
        ("http://0x7f.0.0.1/", "url_invalid"),
        ("ftp://x", "url_invalid"),
        ("file:///etc/passwd", "url_invalid"),
        ("https://user:pw@example.com/", "url_invalid"),
        ("https://", "url_invalid"),
        ("https://example.com/" + "a" * 2048, "url_invalid"),
    ],
)
def test_validate_endpoint_url_refuses(url: str, code: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        validate_endpoint_url(url, allow_private=False)
    assert (refused.value.code, refused.value.param) == (code, "url")


def test_validate_endpoint_url_accepts() -> None:
    assert validate_endpoint_url("https://example.com/hook", allow_private=False) == (
        "https://example.com/hook"
    )
    assert validate_endpoint_url("https://93.184.215.14:8443/h", allow_private=False)
    for url in ("http://10.0.0.1/hook", "http://localhost:8080/", "http://[::1]/"):
        assert validate_endpoint_url(url, allow_private=True)
    with pytest.raises(InvalidValue):
        validate_endpoint_url("ftp://x", allow_private=True)


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2606:4700::1111", True),
        ("127.0.0.1", False),
        ("100.100.100.100", False),
        ("239.1.2.3", False),
        ("ff02::1", False),
        ("fec0::1", False),
        ("::", False),
        ("::ffff:10.0.0.1", False),
        ("::ffff:93.184.215.14", False),  # IPv4-mapped is special-purpose as a whole
        ("64:ff9b::a9fe:a9fe", False),
    ],
)
def test_is_public_address(address: str, public: bool) -> None:
    assert is_public_address(ip_address(address)) is public


# --- TLS: connecting to the checked IP still verifies the hostname ----------


@pytest.fixture
def tls_files(tmp_path: Path) -> tuple[Path, Path]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=DNS:localhost", "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_tls_checks_the_certificate_against_the_hostname(tls_files: tuple[Path, Path]) -> None:
    cert, key = tls_files
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_context.load_cert_chain(cert, key)
    receiver = Receiver(tls=server_context)
    trust = ssl.create_default_context(cafile=str(cert))

    async def post(url: str) -> int:
        transport = GuardedTransport(allow_private=True, verify=trust)
        async with httpx.AsyncClient(transport=transport, timeout=5) as client:
            return (await client.post(url, content=PAYLOAD)).status_code

    try:
        assert asyncio.run(post(receiver.url(host="localhost", scheme="https"))) == 200
        # Same server by IP: the certificate does not name 127.0.0.1, so it must fail.
        with pytest.raises(httpx.ConnectError):
            asyncio.run(post(receiver.url(host="127.0.0.1", scheme="https")))
    finally:
        receiver.stop()
    assert len(receiver.requests) == 1


# --- retry schedule -----------------------------------------------------------


def test_retry_delays_grow_within_their_jitter_bounds() -> None:
    rng = random.Random(7)
    base = 5.0
    floors = []
    for attempt in range(1, 25):
        ceiling = min(base * 2 ** (attempt - 1), MAX_DELAY.total_seconds())
        for _ in range(50):
            delay = next_attempt_delay(attempt, base_seconds=base, rng=rng).total_seconds()
            assert ceiling / 2 <= delay <= ceiling
        floors.append(ceiling / 2)
    assert floors == sorted(floors)
    assert floors[0] == 2.5 and floors[-1] == MAX_DELAY.total_seconds() / 2
    assert next_attempt_delay(100_000, base_seconds=base) <= MAX_DELAY
    with pytest.raises(ValueError):
        next_attempt_delay(0, base_seconds=base)


def test_gives_up_after_three_days() -> None:
    first = datetime(2030, 1, 1, tzinfo=UTC)
    assert timedelta(days=3) == RETRY_WINDOW
    assert not should_give_up(first, first)
    assert not should_give_up(first, first + timedelta(days=3) - timedelta(seconds=1))
    assert should_give_up(first, first + timedelta(days=3))

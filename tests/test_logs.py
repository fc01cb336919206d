"""Structured logs of a real ``opencheckout serve`` process: one JSON object per
line, one event per request, every delivery attempt logged, and no key, secret,
card number or password anywhere in a full run."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import uuid
from collections.abc import Iterator

import httpx
import pytest

from opencheckout.observability.logs import ConsoleFormatter, JsonFormatter, redact
from tests.conftest import _make_account, fresh_database
from tests.factories import DECLINED_CARD, GOOD_CARD, session_body
from tests.processes import start_serve
from tests.receiver import Receiver, run_receiver


@pytest.fixture(params=["sqlite", "postgresql"])
def own_database(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:
    """A database of this test's own: the suite's in-process server embeds a worker
    on the shared one, and would deliver (and log) this test's webhooks itself."""
    with fresh_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with run_receiver() as running:
        yield running


def _lines(text: str) -> list[dict]:
    records = []
    for line in text.splitlines():
        if line.strip():
            records.append(json.loads(line))  # every line is one JSON object
    return records


def test_a_full_run_logs_structured_events_and_never_a_secret(own_database, tmp_path, receiver):
    database_url = own_database
    account = asyncio.run(_make_account(database_url, f"logs-{uuid.uuid4().hex[:8]}"))
    serve = start_serve(database_url, tmp_path, OPENCHECKOUT_LOG_FORMAT="json")
    bogus_key = "sk_test_" + uuid.uuid4().hex
    secrets = [account.secret_key, account.read_key, account.live_key, bogus_key]
    try:
        auth = {"Authorization": f"Bearer {account.secret_key}"}
        with httpx.Client(base_url=serve.url, headers=auth, timeout=60) as api:
            endpoint = api.post(
                "/v1/webhook_endpoints",
                json={"url": f"{receiver.url}/hook", "enabled_events": ["*"]},
            ).json()
            secrets.append(endpoint["secret"])
            rotated = api.post(f"/v1/webhook_endpoints/{endpoint['id']}/rotate_secret")
            if rotated.status_code == 200 and rotated.json().get("secret"):
                secrets.append(rotated.json()["secret"])
            created = api.post("/v1/checkouts", json=session_body())
            assert created.status_code == 201
            checkout = created.json()
            request_id = created.headers["request-id"]
            pay = f"/v1/checkouts/{checkout['id']}/complete"
            assert api.post(pay, json={"payment": DECLINED_CARD}).status_code == 402
            assert api.post(pay, json={"payment": GOOD_CARD}).status_code == 200
            assert api.get(f"/v1/checkouts/{checkout['id']}").status_code == 200
            # A key in Basic auth with a password, a bogus key, a read key writing.
            basic = base64.b64encode(f"{account.secret_key}:hunter2-password".encode()).decode()
            listed = httpx.get(
                serve.url + "/v1/checkouts", headers={"Authorization": f"Basic {basic}"}
            )
            assert listed.status_code == 200
            bogus = httpx.get(
                serve.url + "/v1/checkouts", headers={"Authorization": f"Bearer {bogus_key}"}
            )
            assert bogus.status_code == 401
            read_only = httpx.post(
                serve.url + "/v1/checkouts",
                json=session_body(),
                headers={"Authorization": f"Bearer {account.read_key}"},
            )
            assert read_only.status_code == 403
            live = httpx.get(
                serve.url + "/v1/checkouts", headers={"Authorization": f"Bearer {account.live_key}"}
            )
            assert live.status_code == 200
        receiver.wait_for(lambda: len(receiver.on("/hook")) >= 4)
        # Each attempt is logged once its outcome is stored, just after the receiver saw it.
        receiver.wait_for(
            lambda: serve.output().count('"webhook delivery attempt"') >= 4, timeout=120
        )
    finally:
        serve.stop()
    output = serve.output()

    for secret in secrets:
        assert secret not in output
    for card in (GOOD_CARD["card_number"], DECLINED_CARD["card_number"]):
        assert card not in output
        assert card.replace(" ", "") not in output
    assert "hunter2-password" not in output
    assert basic not in output

    records = _lines(output)
    requests = [r for r in records if r["logger"] == "opencheckout.request"]
    assert {"ts", "level", "event"} <= set(requests[0])
    by_id = {r["request_id"]: r for r in requests}
    create = by_id[request_id]
    assert create["route"] == "/v1/checkouts" and create["method"] == "POST"
    assert create["status"] == 201 and create["duration_ms"] > 0
    assert create["account"] and create["account"].startswith("acct_")
    assert create["livemode"] is False
    item = [r for r in requests if r["route"] == "/v1/checkouts/{checkout_id}/complete"]
    assert sorted(r["status"] for r in item) == [200, 402]
    refused = [r for r in requests if r["status"] == 401]
    assert refused and refused[0]["account"] is None
    assert all(r["request_id"].startswith("req_") for r in requests)

    attempts = [r for r in records if r["event"] == "webhook delivery attempt"]
    assert len(attempts) >= 4
    assert {"endpoint_id", "event_id", "attempt", "outcome", "status_code", "latency_ms"} <= set(
        attempts[0]
    )
    assert all(a["endpoint_id"] == endpoint["id"] for a in attempts)
    assert receiver.url not in output  # endpoints are logged by id, not URL
    assert {a["outcome"] for a in attempts} == {"succeeded"}
    assert any(r["logger"] == "opencheckout.serve" for r in records)


def test_console_format_is_readable_lines(database_url, tmp_path):
    serve = start_serve(database_url, tmp_path, OPENCHECKOUT_LOG_FORMAT="console")
    try:
        assert httpx.get(serve.url + "/healthz", timeout=30).status_code == 200
    finally:
        serve.stop()
    lines = [line for line in serve.output().splitlines() if "opencheckout.request" in line]
    assert lines and not lines[0].startswith("{")
    healthz = [line for line in lines if "route=/healthz" in line]
    assert healthz and "status=200" in healthz[0] and "request_id=req_" in healthz[0]


def _record(message: str, **fields: object) -> logging.LogRecord:
    record = logging.LogRecord("opencheckout.test", logging.INFO, __file__, 1, message, (), None)
    record.fields = fields
    return record


def test_formatters_redact_what_slips_through():
    """The last line of defence: a secret in a message or a field is masked."""
    record = _record(
        "charging 4242 4242 4242 4242 with sk_test_abcDEF123",
        header="Bearer rk_live_XYZ987",
        secret="whsec_c2VjcmV0+/==",
        card="4000000000000002",
        not_a_card="1234567890123",  # 13 digits failing the Luhn check: kept
    )
    for formatter in (JsonFormatter(), ConsoleFormatter()):
        line = formatter.format(record)
        for leaked in ("4242 4242", "abcDEF123", "XYZ987", "c2VjcmV0", "4000000000000002"):
            assert leaked not in line, (formatter, line)
        assert "1234567890123" in line
    document = json.loads(JsonFormatter().format(record))
    assert document["event"] == "charging [card redacted] with sk_test_[redacted]"
    assert document["level"] == "info" and document["logger"] == "opencheckout.test"
    assert redact("id cs_123 and 42") == "id cs_123 and 42"

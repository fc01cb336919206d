"""Quaderno's webhooks at /api/webhooks.json: CRUD in the dialect, and deliveries a
receiver written for Quaderno verifies (Base64(HMAC-SHA1(url + raw body, auth_key)))."""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterator

import httpx
import pytest

from tests.factories import DECLINED_CARD, GOOD_CARD, assert_error, create_session
from tests.receiver import Received, Receiver, run_receiver

EVENTS = ["checkout.succeeded", "checkout.failed", "checkout.abandoned"]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with run_receiver() as running:
        yield running


@pytest.fixture
def quaderno(server, account):
    with httpx.Client(base_url=server.url, auth=(account.secret_key, "x"), timeout=30) as client:
        yield client


def quaderno_verified(url: str, auth_key: str, request: Received) -> dict:
    """What a Quaderno receiver does: recompute the signature from its own URL and the raw body."""
    expected = base64.b64encode(
        hmac.new(auth_key.encode(), url.encode() + request.body, hashlib.sha1).digest()
    ).decode()
    assert hmac.compare_digest(request.headers["x-quaderno-signature"], expected)
    return request.json


def make_webhook(quaderno, url: str, events: list[str]) -> dict:
    response = quaderno.post("/api/webhooks.json", json={"url": url, "events_types": events})
    assert response.status_code == 201, response.text
    webhook = response.json()
    assert isinstance(webhook["id"], int) and webhook["auth_key"]
    assert webhook["url"] == url and webhook["events_types"] == events
    return webhook


def test_webhook_crud_in_the_quaderno_dialect(quaderno, api, server, other_account):
    webhook = make_webhook(quaderno, "https://hooks.example.com/q", ["checkout.succeeded"])
    path = f"/api/webhooks/{webhook['id']}.json"
    assert quaderno.get(path).json() == webhook
    assert [w["id"] for w in quaderno.get("/api/webhooks.json").json()] == [webhook["id"]]
    updated = quaderno.put(
        path, json={"events_types": EVENTS, "url": "https://hooks.example.com/2"}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["events_types"] == EVENTS
    assert updated.json()["url"] == "https://hooks.example.com/2"
    assert updated.json()["auth_key"] == webhook["auth_key"]
    # native endpoints are not Quaderno webhooks
    api.post(
        "/v1/webhook_endpoints", json={"url": "https://n.example.com", "enabled_events": ["*"]}
    )
    assert [w["id"] for w in quaderno.get("/api/webhooks.json").json()] == [webhook["id"]]
    # validation, in the dialect's error shape
    bad = quaderno.post("/api/webhooks.json", json={"url": "https://x.example.com"})
    assert_error(bad, 422, param="events_types")
    assert bad.json()["errors"] == {"events_types": [bad.json()["error"]["message"]]}
    wrong = quaderno.post(
        "/api/webhooks.json", json={"url": "https://x.example.com", "events_types": ["invoice.x"]}
    )
    assert_error(wrong, 422, param="events_types[0]")
    missing = quaderno.post("/api/webhooks.json", json={"events_types": EVENTS})
    assert_error(missing, 422, code="parameter_missing", param="url")
    assert_error(quaderno.get("/api/webhooks/999999999.json"), 404)
    assert_error(quaderno.get("/api/webhooks/nope.json"), 404)
    private = quaderno.put(path, json={"url": "ftp://hooks.example.com"})
    assert_error(private, 422, param="url")
    # another account cannot see, change or delete it
    with httpx.Client(base_url=server.url, auth=(other_account.secret_key, "x")) as other:
        assert other.get(path).status_code == 404
        assert other.put(path, json={"url": "https://evil.example.com"}).status_code == 404
        assert other.delete(path).status_code == 404
        assert other.get("/api/webhooks.json").json() == []
    assert httpx.get(server.url + "/api/webhooks.json").status_code == 401
    assert quaderno.delete(path).status_code == 204
    assert_error(quaderno.get(path), 404)
    assert quaderno.get("/api/webhooks.json").json() == []


def test_paid_and_failed_sessions_reach_a_quaderno_receiver_signed(quaderno, api, receiver):
    url = f"{receiver.url}/quaderno"
    receiver.behaviours["/quaderno"] = lambda n: 500 if n == 0 else 200  # one retry
    webhook = make_webhook(quaderno, url, ["checkout.succeeded", "checkout.failed"])
    session = create_session(api)
    number = quaderno.get("/api/checkout/sessions.json").json()[0]["id"]
    api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": DECLINED_CARD})
    api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": GOOD_CARD})
    receiver.wait_for(lambda: len(receiver.on("/quaderno")) >= 3, timeout=30)
    requests = receiver.on("/quaderno")
    bodies = [quaderno_verified(url, webhook["auth_key"], r) for r in requests]
    # the first delivery was answered 500 and came again; nothing else was sent
    types = sorted(b["event_type"] for b in bodies)
    assert types == ["checkout.failed", "checkout.failed", "checkout.succeeded"]
    index = next(i for i, b in enumerate(bodies) if b["event_type"] == "checkout.succeeded")
    paid = bodies[index]["data"]
    assert all(b["data"]["status"] == "failed" for b in bodies if b is not bodies[index])
    assert paid["id"] == number and paid["status"] == "completed"
    assert paid == quaderno.get(f"/api/checkout/sessions/{number}.json").json()
    assert isinstance(paid["items"][0]["amount"], float)
    # a forged body fails the receiver's check
    forged = Received(requests[index].path, requests[index].headers, requests[index].body + b" ")
    with pytest.raises(AssertionError):
        quaderno_verified(url, webhook["auth_key"], forged)
    # the deliveries are in the native delivery log
    endpoint = next(e for e in api.get("/v1/webhook_endpoints").json()["data"] if e["url"] == url)
    log = api.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries").json()["data"]
    assert sorted(a["status_code"] for a in log) == [200, 200, 500]


def test_abandoned_session_reaches_a_quaderno_receiver(quaderno, api, receiver):
    url = f"{receiver.url}/abandoned"
    webhook = make_webhook(quaderno, url, ["checkout.abandoned"])
    session = create_session(api, abandon_after_seconds=1)
    receiver.wait_for(lambda: len(receiver.on("/abandoned")) >= 1, timeout=20)
    body = quaderno_verified(url, webhook["auth_key"], receiver.on("/abandoned")[0])
    assert body["event_type"] == "checkout.abandoned"
    assert body["data"]["status"] == "abandoned"
    assert body["data"]["permalink"] == session["permalink"]

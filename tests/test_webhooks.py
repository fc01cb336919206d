"""Events and signed webhook deliveries, end to end over loopback HTTP."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import httpx
import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from tests.conftest import client_for, server_settings, start_server
from tests.factories import DECLINED_CARD, GOOD_CARD, assert_error, create_session
from tests.receiver import Receiver, run_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with run_receiver() as running:
        yield running


def make_endpoint(api, url: str, events: list[str] | None = None) -> dict:
    response = api.post(
        "/v1/webhook_endpoints", json={"url": url, "enabled_events": events or ["*"]}
    )
    assert response.status_code == 201, response.text
    endpoint = response.json()
    assert endpoint["secret"].startswith("whsec_")
    return endpoint


def verified(secret: str, request) -> dict:
    payload: dict = Webhook(secret).verify(request.body, request.headers)
    return payload


def test_every_event_is_delivered_signed_and_in_order(api, receiver):
    endpoint = make_endpoint(api, f"{receiver.url}/all")
    session = create_session(api)
    api.patch(f"/v1/checkouts/{session['id']}", json={"locale": "es"})
    api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": DECLINED_CARD})
    api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": GOOD_CARD})
    expected = [
        "checkout.created",
        "checkout.updated",
        "checkout.processing",
        "checkout.failed",
        "checkout.processing",
        "checkout.completed",
        "order.created",
    ]
    receiver.wait_for(lambda: len(receiver.on("/all")) >= len(expected))
    time.sleep(0.3)  # nothing extra arrives
    deliveries = receiver.on("/all")
    payloads = [verified(endpoint["secret"], r) for r in deliveries]
    assert [p["type"] for p in payloads] == expected
    assert all(p["object"] == "event" and p["livemode"] is False for p in payloads)
    assert [r.headers["webhook-id"] for r in deliveries] == [p["id"] for p in payloads]
    assert payloads[-2]["data"]["object"]["status"] == "completed"
    assert payloads[-1]["data"]["object"]["object"] == "order"
    assert payloads[0]["data"]["object"]["status"] == "pending"
    # the events API holds the same events, newest first
    listed = api.get("/v1/events", params={"limit": 10}).json()["data"]
    assert [e["id"] for e in listed] == [p["id"] for p in reversed(payloads)]
    # a forged body fails verification
    forged = deliveries[0].body.replace(b"pending", b"completed")
    with pytest.raises(WebhookVerificationError):
        Webhook(endpoint["secret"]).verify(forged, deliveries[0].headers)


def test_only_subscribed_types_are_sent(api, receiver):
    make_endpoint(api, f"{receiver.url}/completed", ["checkout.completed"])
    session = create_session(api)
    api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": GOOD_CARD})
    receiver.wait_for(lambda: len(receiver.on("/completed")) >= 1)
    time.sleep(0.3)
    assert [r.json["type"] for r in receiver.on("/completed")] == ["checkout.completed"]


def test_failing_receiver_gets_the_event_exactly_once_more_after_three_failures(api, receiver):
    receiver.behaviours["/flaky"] = lambda n: 500 if n < 3 else 200
    endpoint = make_endpoint(api, f"{receiver.url}/flaky", ["checkout.created"])
    session = create_session(api)
    receiver.wait_for(lambda: len(receiver.on("/flaky")) >= 4, timeout=30)
    time.sleep(1.0)  # longer than the next backoff: no fifth delivery comes
    requests = receiver.on("/flaky")
    assert len(requests) == 4
    assert len({r.headers["webhook-id"] for r in requests}) == 1
    assert requests[0].json["data"]["object"]["id"] == session["id"]
    attempts = api.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries").json()["data"]
    assert [a["attempt"] for a in attempts] == [4, 3, 2, 1]
    assert [a["status_code"] for a in attempts] == [200, 500, 500, 500]
    assert [a["succeeded"] for a in attempts] == [True, False, False, False]
    assert all(a["latency_ms"] >= 0 for a in attempts)
    assert attempts[1]["error"]


def test_rotated_secret_verifies_during_the_overlap(api, receiver):
    endpoint = make_endpoint(api, f"{receiver.url}/rotate")
    rotated = api.post(f"/v1/webhook_endpoints/{endpoint['id']}/rotate_secret")
    assert rotated.status_code == 200
    new_secret = rotated.json()["secret"]
    assert new_secret != endpoint["secret"]
    create_session(api)
    receiver.wait_for(lambda: len(receiver.on("/rotate")) >= 1)
    request = receiver.on("/rotate")[0]
    assert verified(endpoint["secret"], request)["type"] == "checkout.created"
    assert verified(new_secret, request)["type"] == "checkout.created"

    # with no overlap, only the new secret signs
    again = api.post(
        f"/v1/webhook_endpoints/{endpoint['id']}/rotate_secret", json={"expires_in_seconds": 0}
    ).json()["secret"]
    create_session(api)
    receiver.wait_for(lambda: len(receiver.on("/rotate")) >= 2)
    latest = receiver.on("/rotate")[1]
    assert verified(again, latest)["type"] == "checkout.created"
    with pytest.raises(WebhookVerificationError):
        Webhook(new_secret).verify(latest.body, latest.headers)


def test_redeliver_sends_the_same_event_again(api, receiver):
    make_endpoint(api, f"{receiver.url}/again", ["checkout.created"])
    session = create_session(api)
    receiver.wait_for(lambda: len(receiver.on("/again")) >= 1)
    event_id = receiver.on("/again")[0].headers["webhook-id"]
    response = api.post(f"/v1/events/{event_id}/redeliver")
    assert response.status_code == 202 and response.json()["queued"] == 1
    receiver.wait_for(lambda: len(receiver.on("/again")) >= 2)
    second = receiver.on("/again")[1]
    assert second.headers["webhook-id"] == event_id
    assert second.json["data"]["object"]["id"] == session["id"]
    assert_error(api.post("/v1/events/evt_nope/redeliver"), 404)


def test_disabled_endpoints_receive_nothing_until_enabled(api, receiver):
    endpoint = make_endpoint(api, f"{receiver.url}/paused")
    disabled = api.patch(f"/v1/webhook_endpoints/{endpoint['id']}", json={"status": "disabled"})
    assert disabled.json()["status"] == "disabled"
    create_session(api)
    time.sleep(0.5)
    assert receiver.on("/paused") == []
    api.patch(f"/v1/webhook_endpoints/{endpoint['id']}", json={"status": "enabled"})
    create_session(api)
    receiver.wait_for(lambda: len(receiver.on("/paused")) >= 1)


def test_expired_sessions_are_swept_with_an_event(api, receiver):
    make_endpoint(api, f"{receiver.url}/abandoned", ["checkout.abandoned"])
    session = create_session(api, abandon_after_seconds=1)
    receiver.wait_for(lambda: len(receiver.on("/abandoned")) >= 1, timeout=15)
    payload = receiver.on("/abandoned")[0].json
    assert payload["data"]["object"]["id"] == session["id"]
    assert payload["data"]["object"]["status"] == "abandoned"
    time.sleep(0.5)
    assert len(receiver.on("/abandoned")) == 1  # the sweep is idempotent
    events = api.get("/v1/events", params={"type": "checkout.abandoned"}).json()["data"]
    assert [e["data"]["object"]["id"] for e in events] == [session["id"]]


def test_endpoint_crud_and_validation(api, server, account, other_account):
    endpoint = make_endpoint(api, "https://hooks.example.com/opencheckout", ["checkout.completed"])
    fetched = api.get(f"/v1/webhook_endpoints/{endpoint['id']}").json()
    assert "secret" not in fetched
    assert fetched["url"] == "https://hooks.example.com/opencheckout"
    updated = api.patch(
        f"/v1/webhook_endpoints/{endpoint['id']}",
        json={"enabled_events": ["checkout.completed", "checkout.failed"], "description": "orders"},
    ).json()
    assert updated["enabled_events"] == ["checkout.completed", "checkout.failed"]
    assert updated["description"] == "orders"
    listed = api.get("/v1/webhook_endpoints").json()
    assert [e["id"] for e in listed["data"]] == [endpoint["id"]]
    assert_error(
        api.post("/v1/webhook_endpoints", json={"url": "ftp://x.example", "enabled_events": ["*"]}),
        422,
        param="url",
    )
    assert_error(
        api.post(
            "/v1/webhook_endpoints",
            json={"url": "https://a.example", "enabled_events": ["checkout.exploded"]},
        ),
        422,
        param="enabled_events[0]",
    )
    assert_error(
        api.post("/v1/webhook_endpoints", json={"url": "https://a.example", "enabled_events": []}),
        422,
    )
    with client_for(server, other_account.secret_key) as other:
        assert_error(other.get(f"/v1/webhook_endpoints/{endpoint['id']}"), 404)
    with client_for(server, account.read_key) as reader:
        assert reader.get(f"/v1/webhook_endpoints/{endpoint['id']}").status_code == 200
        assert_error(reader.post(f"/v1/webhook_endpoints/{endpoint['id']}/rotate_secret"), 403)
    assert api.delete(f"/v1/webhook_endpoints/{endpoint['id']}").status_code == 204
    assert_error(api.get(f"/v1/webhook_endpoints/{endpoint['id']}"), 404)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.1/hook",
        "http://127.0.0.1:9/hook",
        "http://[::1]/hook",
        "http://localhost/hook",
        "http://192.168.1.10/hook",
    ],
)
def test_private_addresses_are_refused_by_default(server, account, url):
    settings = server_settings(
        server.database_url, webhooks_allow_private=False, embedded_worker=False
    )
    strict, thread, base = start_server(settings)
    try:
        # The first request of a fresh server, on a shared 2-core machine: httpx's
        # 5 s default timed out under load, like the other clients' 30 s does not.
        with httpx.Client(
            base_url=base, headers={"Authorization": f"Bearer {account.secret_key}"}, timeout=30
        ) as api:
            response = api.post("/v1/webhook_endpoints", json={"url": url, "enabled_events": ["*"]})
            assert_error(response, 422, code="url_not_allowed", param="url")
    finally:
        strict.should_exit = True
        thread.join(timeout=10)


def test_events_api_filters_and_pages(api, server, other_account):
    first = create_session(api)
    for _ in range(4):
        create_session(api)
    api.post(f"/v1/checkouts/{first['id']}/cancel")
    created = api.get("/v1/events", params={"type": "checkout.created", "limit": 2})
    page = created.json()
    assert len(page["data"]) == 2 and page["has_more"] is True
    rest = api.get(
        "/v1/events",
        params={"type": "checkout.created", "limit": 10, "starting_after": page["data"][-1]["id"]},
    ).json()
    assert len(rest["data"]) == 3 and rest["has_more"] is False
    family = api.get("/v1/events", params={"type": "checkout.*"}).json()["data"]
    assert len(family) == 6 and family[0]["type"] == "checkout.abandoned"
    one = api.get(f"/v1/events/{family[0]['id']}").json()
    assert one == family[0]
    since = api.get("/v1/events", params={"created[gte]": family[0]["created_at"]}).json()["data"]
    assert family[0]["id"] in [e["id"] for e in since]
    with client_for(server, other_account.secret_key) as other:
        assert other.get("/v1/events").json()["data"] == []
        assert_error(other.get(f"/v1/events/{family[0]['id']}"), 404)
    assert_error(api.get("/v1/events/evt_missing"), 404)
    unique = uuid.uuid4().hex
    assert api.get("/v1/events", params={"type": unique}).json()["data"] == []


def test_nul_characters_in_ids_are_404_not_500(api):
    for path in (
        "/v1/events/a%00b",
        "/v1/webhook_endpoints/a%00b",
        "/api/checkout/sessions.json?status=%00",
    ):
        response = api.get(path)
        assert response.status_code in (404, 422), (path, response.text)

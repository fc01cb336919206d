"""The stripe processor against localstripe (a fake Stripe server from PyPI), run as a
separate process on a free loopback port: success, decline, and an asynchronous
confirmation delivered by a Stripe-signed webhook, stored once."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import http.server
import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import (
    Server,
    _make_account,
    client_for,
    free_port,
    fresh_database,
    server_settings,
    start_server,
)
from tests.factories import create_session
from tests.hosted import buyer, filled_form, page_path

STRIPE_KEY = "sk_test_localstripe"
WEBHOOK_SECRET = "whsec_opencheckout_tests"

# localstripe binds every interface by default; this runs its app on loopback only,
# and keeps its state in memory instead of /tmp/localstripe.pickle.
LOCALSTRIPE = """
import sys
from aiohttp import web
from localstripe import resources, server
resources.Store.dump_to_disk = lambda self: None
web.run_app(server.app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""


@pytest.fixture(scope="module")
def localstripe() -> Iterator[str]:
    pytest.importorskip("localstripe", reason="pip install localstripe (a dev dependency)")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", LOCALSTRIPE, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"{url}/v1/customers", auth=(STRIPE_KEY, ""), timeout=1)
            break
        except httpx.TransportError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                _out, err = process.communicate()
                raise RuntimeError(f"localstripe did not start: {err.decode()[-2000:]}") from None
            time.sleep(0.1)
    yield url
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="module")
def stripe_server(database_url: str, localstripe: str) -> Iterator[Server]:
    settings = server_settings(
        database_url,
        processor="stripe",
        stripe_secret_key=STRIPE_KEY,
        stripe_api_base=localstripe,
        stripe_webhook_secret=WEBHOOK_SECRET,
    )
    uv_server, thread, url = start_server(settings)
    # localstripe signs its webhooks with this secret and posts them to us.
    registered = httpx.post(
        f"{localstripe}/_config/webhooks/opencheckout-{uuid.uuid4().hex[:8]}",
        data={"url": f"{url}/v1/processors/stripe/webhook", "secret": WEBHOOK_SECRET},
        auth=(STRIPE_KEY, ""),
    )
    assert registered.status_code == 200, registered.text
    yield Server(url=url, database_url=database_url, settings=settings)
    uv_server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def stripe_api(stripe_server: Server) -> Iterator[httpx.Client]:
    account = asyncio.run(_make_account(stripe_server.database_url, f"s-{uuid.uuid4().hex[:8]}"))
    with httpx.Client(
        base_url=stripe_server.url,
        headers={"Authorization": f"Bearer {account.secret_key}"},
        timeout=30,
    ) as client:
        yield client


def _card(number: str) -> dict:
    return {
        "method": "card",
        "card_number": number,
        "exp_month": 12,
        "exp_year": 2034,
        "cvc": "123",
    }


def _intent(localstripe: str, intent_id: str) -> dict:
    response = httpx.get(f"{localstripe}/v1/payment_intents/{intent_id}", auth=(STRIPE_KEY, ""))
    assert response.status_code == 200, response.text
    return response.json()


def _event_types(api: httpx.Client, checkout_id: str) -> list[str]:
    data = api.get("/v1/events", params={"limit": 100}).json()["data"]
    return [e["type"] for e in data if e["data"]["object"]["id"] == checkout_id]


def _wait_for_status(api: httpx.Client, checkout_id: str, status: str) -> dict:
    deadline = time.monotonic() + 15
    while True:
        body = api.get(f"/v1/checkouts/{checkout_id}").json()
        if body["status"] == status:
            return body
        assert time.monotonic() < deadline, body["status"]
        time.sleep(0.1)


def _signed(payload: bytes, secret: str = WEBHOOK_SECRET) -> dict[str, str]:
    timestamp = int(time.time())
    signature = hmac.new(
        secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256
    ).hexdigest()
    return {"Stripe-Signature": f"t={timestamp},v1={signature}", "Content-Type": "application/json"}


def test_success_records_the_payment_intent_and_passes_metadata(stripe_api, localstripe):
    session = create_session(
        stripe_api, custom={"stripe": {"metadata": {"order_id": "1001", "channel": 7}}}
    )
    response = stripe_api.post(
        f"/v1/checkouts/{session['id']}/complete", json={"payment": _card("4242424242424242")}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "completed" and body["payment_status"] == "paid"
    assert body["processor"] == "stripe" and body["processor_id"].startswith("pi_")
    intent = _intent(localstripe, body["processor_id"])
    assert intent["status"] == "succeeded" and intent["amount"] == 5799
    assert intent["currency"] == "eur"
    # The attempt's idempotency key: how reconciliation finds an unrecorded intent.
    assert intent["metadata"].pop("opencheckout_attempt").startswith("opencheckout-pat_")
    assert intent["metadata"] == {
        "order_id": "1001",
        "channel": "7",
        "opencheckout_checkout_id": session["id"],
    }


def test_decline_fails_the_session_and_a_retry_succeeds(stripe_api):
    session = create_session(stripe_api)
    declined = stripe_api.post(
        f"/v1/checkouts/{session['id']}/complete", json={"payment": _card("4000000000000341")}
    )
    assert declined.status_code == 402
    assert declined.json()["error"]["code"] == "card_declined"
    assert stripe_api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "failed"
    retry = stripe_api.post(
        f"/v1/checkouts/{session['id']}/complete", json={"payment": _card("4242424242424242")}
    )
    assert retry.status_code == 200 and retry.json()["status"] == "completed"


def test_async_confirmation_arrives_by_signed_webhook(stripe_api, localstripe, stripe_server):
    session = create_session(stripe_api)
    # A 3-D Secure card: Stripe answers requires_action, the session waits in processing.
    response = stripe_api.post(
        f"/v1/checkouts/{session['id']}/complete", json={"payment": _card("4000000000003220")}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "processing" and body["processor_id"].startswith("pi_")
    intent = _intent(localstripe, body["processor_id"])
    assert intent["status"] == "requires_action"
    with buyer(stripe_server) as client:
        assert "Processing your payment" in client.get(page_path(session)).text
    # The buyer passes the 3-D Secure step; localstripe then sends payment_intent.succeeded.
    authenticated = httpx.post(
        f"{localstripe}/v1/payment_intents/{intent['id']}/_authenticate",
        data={"client_secret": intent["client_secret"], "success": "true"},
        auth=(STRIPE_KEY, ""),
    )
    assert authenticated.status_code == 200, authenticated.text
    done = _wait_for_status(stripe_api, session["id"], "completed")
    assert done["payment_status"] == "paid" and done["completed_at"]
    assert _event_types(stripe_api, session["id"]).count("checkout.completed") == 1


def test_webhook_is_verified_and_stored_once(stripe_api, stripe_server):
    session = create_session(stripe_api)
    body = stripe_api.post(
        f"/v1/checkouts/{session['id']}/complete", json={"payment": _card("4000000000003220")}
    ).json()
    assert body["status"] == "processing"
    event = {
        "id": f"evt_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "type": "payment_intent.succeeded",
        "created": int(time.time()),
        "livemode": False,
        "data": {
            "object": {
                "id": body["processor_id"],
                "object": "payment_intent",
                "status": "succeeded",
                "metadata": {"opencheckout_checkout_id": session["id"]},
            }
        },
    }
    payload = json.dumps(event).encode()
    url = f"{stripe_server.url}/v1/processors/stripe/webhook"

    forged = httpx.post(url, content=payload, headers=_signed(payload, "whsec_wrong"))
    assert forged.status_code == 400
    assert forged.json()["error"]["code"] == "signature_invalid"
    unsigned = httpx.post(url, content=payload, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 400
    assert stripe_api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "processing"

    first = httpx.post(url, content=payload, headers=_signed(payload))
    assert first.status_code == 200 and first.json()["result"] == "settled"
    second = httpx.post(url, content=payload, headers=_signed(payload))
    assert second.status_code == 200 and second.json()["result"] == "unchanged"
    assert stripe_api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "completed"
    assert _event_types(stripe_api, session["id"]).count("checkout.completed") == 1

    # A failure notice for the same, already settled, payment changes nothing either.
    failed = {**event, "id": event["id"] + "x", "type": "payment_intent.payment_failed"}
    failed_payload = json.dumps(failed).encode()
    late = httpx.post(url, content=failed_payload, headers=_signed(failed_payload))
    assert late.status_code == 200 and late.json()["result"] == "unchanged"
    assert stripe_api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "completed"

    other = {**event, "id": event["id"] + "y", "type": "customer.created"}
    other_payload = json.dumps(other).encode()
    ignored = httpx.post(url, content=other_payload, headers=_signed(other_payload))
    assert ignored.status_code == 200 and ignored.json()["result"] == "ignored"


def test_hosted_page_pays_through_stripe(stripe_api, stripe_server):
    session = create_session(stripe_api)
    with buyer(stripe_server) as client:
        html = client.get(page_path(session)).text
        declined = client.post(
            page_path(session), data=filled_form(html, card_number="4000 0000 0000 0341")
        )
        assert declined.status_code == 402 and "Your card was declined." in declined.text
        paid = client.post(page_path(session), data=filled_form(declined.text))
    assert paid.status_code == 303
    body = stripe_api.get(f"/v1/checkouts/{session['id']}").json()
    assert body["status"] == "completed" and body["processor"] == "stripe"


@pytest.fixture(scope="module")
def reconciling_server(
    database_url: str, localstripe: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """Reconciles a payment attempt left unanswered for 2 seconds.

    On a database of its own: the other server here, with the default window,
    would keep rescheduling the same attempts (every process of one deployment
    has the same window)."""
    engine = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with fresh_database(engine, tmp_path_factory.mktemp("reconciling")) as own_url:
        yield from _reconciling(own_url, localstripe)


def _reconciling(database_url: str, localstripe: str) -> Iterator[Server]:
    settings = server_settings(
        database_url,
        processor="stripe",
        stripe_secret_key=STRIPE_KEY,
        stripe_api_base=localstripe,
        payment_reconcile_seconds=2.0,
    )
    uv_server, thread, url = start_server(settings)
    yield Server(url=url, database_url=database_url, settings=settings)
    uv_server.should_exit = True
    thread.join(timeout=10)


def test_abandoned_three_d_secure_is_canceled_and_the_session_payable(
    reconciling_server, localstripe
):
    account = asyncio.run(_make_account(reconciling_server.database_url, "s-abandon"))
    with httpx.Client(
        base_url=reconciling_server.url,
        headers={"Authorization": f"Bearer {account.secret_key}"},
        timeout=30,
    ) as api:
        once = api.post("/v1/coupons", json={"percent_off": 10, "max_redemptions": 1}).json()
        session = create_session(api, discounts=[{"coupon": once["id"]}])
        body = api.post(
            f"/v1/checkouts/{session['id']}/complete", json={"payment": _card("4000000000003220")}
        ).json()
        assert body["status"] == "processing"
        # The buyer never completes 3-D Secure: past the window the worker cancels the
        # PaymentIntent (it can no longer be confirmed) and makes the session payable.
        failed = _wait_for_status(api, session["id"], "failed")
        assert failed["payment_status"] == "unpaid"
        assert _intent(localstripe, body["processor_id"])["status"] == "canceled"
        assert api.get(f"/v1/coupons/{once['id']}").json()["times_redeemed"] == 0
        retry = api.post(
            f"/v1/checkouts/{session['id']}/complete", json={"payment": _card("4242424242424242")}
        )
        assert retry.status_code == 200 and retry.json()["status"] == "completed"


# -- Refunds Stripe leaves pending, settled by its webhooks -------------------


class _PendingRefundsProxy(http.server.BaseHTTPRequestHandler):
    """localstripe behind a proxy that answers a new refund as Stripe does for
    methods that settle later: the same Refund object, ``status: pending``.
    Everything else is localstripe's answer, untouched."""

    upstream = ""

    def _forward(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {
            k: v for k, v in self.headers.items() if k.lower() not in ("host", "content-length")
        }
        answer = httpx.request(
            self.command, f"{self.upstream}{self.path}", content=body, headers=headers
        )
        content = answer.content
        if (
            self.command == "POST"
            and self.path.split("?")[0] == "/v1/refunds"
            and answer.status_code == 200
        ):
            content = json.dumps({**answer.json(), "status": "pending"}).encode()
        self.send_response(answer.status_code)
        self.send_header("Content-Type", answer.headers.get("content-type", "application/json"))
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    do_GET = do_POST = do_DELETE = _forward

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture(scope="module")
def pending_refunds_server(database_url: str, localstripe: str) -> Iterator[Server]:
    handler = type("Handler", (_PendingRefundsProxy,), {"upstream": localstripe})
    proxy = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    proxy_thread = threading.Thread(target=proxy.serve_forever, daemon=True)
    proxy_thread.start()
    settings = server_settings(
        database_url,
        processor="stripe",
        stripe_secret_key=STRIPE_KEY,
        stripe_api_base=f"http://127.0.0.1:{proxy.server_port}",
        stripe_webhook_secret=WEBHOOK_SECRET,
    )
    uv_server, thread, url = start_server(settings)
    yield Server(url=url, database_url=database_url, settings=settings)
    uv_server.should_exit = True
    thread.join(timeout=10)
    proxy.shutdown()
    proxy.server_close()


def _refund_event(event_type: str, refund: dict) -> bytes:
    event = {
        "id": f"evt_{uuid.uuid4().hex[:16]}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": refund},
    }
    return json.dumps(event).encode()


def test_refund_webhooks_settle_pending_refunds(pending_refunds_server, localstripe):
    """``refund.updated`` and ``charge.refund.updated`` carry the Refund object:
    a pending refund follows it at once (no worker poll), once."""
    account = asyncio.run(_make_account(pending_refunds_server.database_url, "s-refund-hook"))
    url = f"{pending_refunds_server.url}/v1/processors/stripe/webhook"
    with client_for(pending_refunds_server, account.secret_key) as api:
        session = create_session(api)
        done = api.post(
            f"/v1/checkouts/{session['id']}/complete", json={"payment": _card("4242424242424242")}
        ).json()
        assert done["status"] == "completed"
        refunds_url = f"/v1/checkouts/{session['id']}/refunds"
        first = api.post(refunds_url, json={"amount": 1000}).json()
        second = api.post(refunds_url, json={"amount": 500}).json()
        assert first["status"] == second["status"] == "pending"
        listed = httpx.get(
            f"{localstripe}/v1/refunds", params={"limit": 100}, auth=(STRIPE_KEY, "")
        ).json()["data"]
        mine = {r["amount"]: r for r in listed if r["payment_intent"] == done["processor_id"]}

        # Still pending at Stripe: nothing changes.
        still = _refund_event("refund.updated", {**mine[1000], "status": "pending"})
        answer = httpx.post(url, content=still, headers=_signed(still))
        assert answer.status_code == 200 and answer.json()["result"] == "unchanged"
        assert api.get(f"/v1/refunds/{first['id']}").json()["status"] == "pending"

        succeeded = _refund_event("refund.updated", mine[1000])  # localstripe's: succeeded
        answer = httpx.post(url, content=succeeded, headers=_signed(succeeded))
        assert answer.status_code == 200 and answer.json()["result"] == "settled"
        again = httpx.post(url, content=succeeded, headers=_signed(succeeded))
        assert again.status_code == 200 and again.json()["result"] == "unchanged"

        failed = {**mine[500], "status": "failed", "failure_reason": "expired_or_canceled_card"}
        failed_payload = _refund_event("charge.refund.updated", failed)
        answer = httpx.post(url, content=failed_payload, headers=_signed(failed_payload))
        assert answer.status_code == 200 and answer.json()["result"] == "settled"

        assert api.get(f"/v1/refunds/{first['id']}").json()["status"] == "succeeded"
        refused = api.get(f"/v1/refunds/{second['id']}").json()
        assert refused["status"] == "failed"
        checkout = api.get(f"/v1/checkouts/{session['id']}").json()
        assert checkout["amount_refunded"] == 1000
        assert checkout["payment_status"] == "partially_refunded"
        types = [e["type"] for e in api.get("/v1/events", params={"limit": 100}).json()["data"]]
        assert types.count("refund.succeeded") == 1 and types.count("refund.failed") == 1

        # A refund of a payment we never took is acknowledged and ignored.
        stranger = _refund_event("refund.updated", {**mine[1000], "payment_intent": "pi_nobody"})
        answer = httpx.post(url, content=stranger, headers=_signed(stranger))
        assert answer.status_code == 200 and answer.json()["result"] == "unknown"

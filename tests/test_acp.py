"""The Agentic Commerce Protocol surface at /acp (2026-04-17), over real HTTP.

Every response body is validated against the spec's JSON Schema bundle
(Draft 2020-12, ``$ref``s resolved within the bundle): sessions against
``CheckoutSession``, completed ones against ``CheckoutSessionWithOrder`` (in
the bundle ``CheckoutSessionBase`` declares ``order``, so the composition
accepts it; the OpenAPI component's defect does not apply), errors against
``Error``, order webhooks' ``data`` against ``Order``. The spec's named
request examples are replayed as they stand.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import hmac
import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from starlette.requests import Request

from opencheckout.api.idempotency import fingerprint
from opencheckout.config import Settings
from opencheckout.service import acp_orders, idempotency
from opencheckout.service import auth as auth_service
from opencheckout.service.context import Context
from opencheckout.store.db import Database
from opencheckout.store.models import Event, WebhookEndpoint
from opencheckout.webhooks import acp_signature
from tests.conftest import (
    MISSING_SHARED,
    SHARED,
    Account,
    Server,
    SharedJSON,
    _make_account,
    fresh_database,
    require_shared,
    server_settings,
    start_server,
)
from tests.receiver import Receiver, run_receiver

SPEC = SHARED / "specs" / "acp" / "spec" / "2026-04-17" / "json-schema"
if not SPEC.is_dir():
    pytest.skip(f"{MISSING_SHARED} {SPEC}", allow_module_level=True)
EXAMPLES = SHARED / "specs" / "acp" / "examples" / "2026-04-17"
BUNDLE = SharedJSON(SPEC / "schema.agentic_checkout.json")
NAMED = SharedJSON(EXAMPLES / "examples.agentic_checkout.json")
VERSION = "2026-04-17"
SECRET = "acp_platform_shared_secret"
WEBHOOK_PATH = "/acp-orders"
SHIPPING = [
    {
        "id": "fulfillment_option_123",
        "display_name": "Standard",
        "amount": 100,
        "delivery_estimate": {"minimum": 4, "maximum": 5, "unit": "business_day"},
    },
    {"id": "fulfillment_option_456", "display_name": "Express", "amount": 500},
]
AUTO = object()


@functools.cache
def registry() -> Registry:
    return Registry().with_resource(BUNDLE["$id"], Resource.from_contents(dict(BUNDLE)))


def validate(definition: str, instance: Any) -> None:
    schema = {"$ref": f"{BUNDLE['$id']}#/$defs/{definition}"}
    Draft202012Validator(
        schema, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER
    ).validate(instance)


def check(response: httpx.Response) -> httpx.Response:
    """Every ACP response goes through here: its body must match the bundle."""
    body = response.json()
    if response.is_success:
        if body["status"] == "completed":
            assert "order" in body
            validate("CheckoutSessionWithOrder", body)
        else:
            validate("CheckoutSession", body)
    else:
        validate("Error", body)
        assert "error" not in body  # flat, not the native envelope
    assert response.headers["API-Version"] == VERSION
    return response


class Acp:
    """An agent: API-Version on every call, a fresh Idempotency-Key per POST."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        key: Any = AUTO,
        version: str | None = VERSION,
        content: bytes | None = None,
    ) -> httpx.Response:
        headers: dict[str, str] = {}
        if version is not None:
            headers["API-Version"] = version
        if method == "POST" and key is not None:
            headers["Idempotency-Key"] = str(uuid.uuid4()) if key is AUTO else key
        if content is not None:
            headers["Content-Type"] = "application/json"
        response = self.http.request(
            method,
            "/acp" + path,
            json=body if content is None else None,
            content=content,
            headers=headers,
        )
        return check(response)

    def post(self, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, body, **kwargs)

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def create(self, body: dict[str, Any]) -> dict[str, Any]:
        response = self.post("/checkout_sessions", body)
        assert response.status_code == 201, response.text
        return response.json()


@pytest.fixture(scope="module")
def receiver() -> Iterator[Receiver]:
    with run_receiver() as running:
        yield running


@pytest.fixture(scope="module")
def acp_server(
    database_url: str, receiver: Receiver, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """A server with ACP shipping options and an ACP order-webhook receiver.

    It gets a database of its own: every server embeds a worker, and the shared
    test server's worker, which has no ACP settings, must not claim (and retry)
    this server's order deliveries.
    """
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with fresh_database(kind, tmp_path_factory.mktemp("acp")) as own_url:
        yield from _serve_acp(own_url, receiver)


def _serve_acp(database_url: str, receiver: Receiver) -> Iterator[Server]:
    settings = server_settings(
        database_url,
        acp_shipping_options=json.dumps(SHIPPING),
        acp_webhook_url=receiver.url + WEBHOOK_PATH,
        acp_webhook_secret=SECRET,
        test_settle_seconds=0.3,
    )
    uv_server, thread, url = start_server(settings)
    yield Server(url=url, database_url=database_url, settings=settings)
    uv_server.should_exit = True
    thread.join(timeout=10)


def _account(server: Server, prefix: str) -> Account:
    return asyncio.run(_make_account(server.database_url, f"{prefix}-{uuid.uuid4().hex[:10]}"))


@pytest.fixture
def merchant(acp_server: Server) -> Account:
    return _account(acp_server, "acp")


@pytest.fixture
def native(acp_server: Server, merchant: Account) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {merchant.secret_key}"}
    with httpx.Client(base_url=acp_server.url, headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def agent(acp_server: Server, merchant: Account, native: httpx.Client) -> Iterator[Acp]:
    """The merchant's catalog (the items the spec's examples name) and an agent client."""
    tax = native.post(
        "/v1/tax_rates", json={"display_name": "Sales tax", "percentage": 10, "inclusive": False}
    ).json()
    for sku, name, amount in (
        ("item_123", "Vintage Denim Jacket", 300),
        ("item_456", "Canvas Tote", 300),
        ("item_shirt", "Shirt", 2500),
        ("item_pants", "Pants", 5000),
        ("item_laptop", "Laptop", 99900),
        ("item_mouse", "Mouse", 2900),
    ):
        created = native.post(
            "/v1/products",
            json={
                "id": sku,
                "name": name,
                "unit_amount": amount,
                "currency": "usd",
                "tax_rates": [tax["id"]] if sku == "item_123" else [],
            },
        )
        assert created.status_code == 201, created.text
    for coupon in (
        {"name": "$10 Off Your Order", "amount_off": 1000, "currency": "usd", "code": "SAVE10"},
        {"name": "Summer 20%", "percent_off": 20, "code": "SUMMER20"},
        {"name": "Loyalty $5", "amount_off": 500, "currency": "usd", "code": "LOYALTY5"},
    ):
        assert native.post("/v1/coupons", json=coupon).status_code == 201
    headers = {"Authorization": f"Bearer {merchant.secret_key}"}
    with httpx.Client(base_url=acp_server.url, headers=headers, timeout=30) as client:
        yield Acp(client)


def ready_session(agent: Acp) -> dict[str, Any]:
    """A session from the spec's create example, with a fulfillment option chosen."""
    created = agent.create(NAMED["create_checkout_session_request"])
    updated = agent.post(
        f"/checkout_sessions/{created['id']}",
        {
            "selected_fulfillment_options": [
                {
                    "type": "shipping",
                    "option_id": "fulfillment_option_123",
                    "item_ids": ["item_123"],
                }
            ]
        },
    )
    assert updated.json()["status"] == "ready_for_payment", updated.text
    return updated.json()


def pay(token: str) -> dict[str, Any]:
    return {
        "payment_data": {
            "handler_id": "card_tokenized",
            "instrument": {"type": "card", "credential": {"type": "spt", "token": token}},
        }
    }


def totals(session: dict[str, Any]) -> dict[str, int]:
    return {total["type"]: total["amount"] for total in session["totals"]}


def orders_for(receiver: Receiver, session_id: str) -> list[Any]:
    return [
        r for r in receiver.on(WEBHOOK_PATH) if r.json["data"]["checkout_session_id"] == session_id
    ]


# --------------------------------------------------------------------------- #


def test_create_select_complete_with_order_and_native_view(agent, native, receiver):
    created = agent.create(NAMED["create_checkout_session_request"])
    assert created["id"].startswith("cs_")
    assert created["status"] == "not_ready_for_payment"
    assert created["protocol"] == {"version": VERSION}
    assert [o["id"] for o in created["fulfillment_options"]] == [
        "fulfillment_option_123",
        "fulfillment_option_456",
    ]
    assert created["fulfillment_options"][0]["description"] == "Arrives in 4-5 business days"
    line = created["line_items"][0]
    assert line["item"] == {"id": "item_123"} and line["quantity"] == 1
    assert line["name"] == "Vintage Denim Jacket" and line["unit_amount"] == 300
    assert totals(created) == {"items_base_amount": 300, "subtotal": 300, "tax": 30, "total": 330}
    missing = [m for m in created["messages"] if m["type"] == "error"]
    assert [(m["code"], m["param"]) for m in missing] == [
        ("missing", "$.selected_fulfillment_options")
    ]
    details = created["fulfillment_details"]
    assert details["name"] == "John Doe" and details["address"]["line_one"] == "1234 Chat Road,"
    assert details["address"]["postal_code"] == "94131"
    assert created["continue_url"].startswith("https://pay.example.test/c/")

    update = NAMED["update_checkout_session_request"]
    updated = agent.post(f"/checkout_sessions/{created['id']}", update).json()
    assert updated["status"] == "ready_for_payment"
    assert updated["messages"] == []
    assert updated["selected_fulfillment_options"][0]["option_id"] == "fulfillment_option_456"
    assert totals(updated)["fulfillment"] == 500 and totals(updated)["total"] == 830

    done = agent.post(
        f"/checkout_sessions/{created['id']}/complete", NAMED["complete_checkout_session_request"]
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "completed"
    assert body["buyer"]["first_name"] == "John" and body["buyer"]["last_name"] == "Smith"
    order = body["order"]
    assert order["checkout_session_id"] == created["id"] and order["id"].startswith("ord_")
    assert order["permalink_url"] == created["continue_url"]

    # One session, three views: natively it is a completed, paid checkout.
    seen = native.get(f"/v1/checkouts/{created['id']}").json()
    assert seen["status"] == "completed" and seen["payment_status"] == "paid"
    assert seen["amount_total"] == 830 and seen["customer"]["email"] == "johnsmith@mail.com"
    assert seen["customer"]["billing_address"]["country"] == "US"
    assert agent.get(f"/checkout_sessions/{created['id']}").json() == body

    # The order webhook: signed as the spec says, the order valid against the bundle.
    receiver.wait_for(lambda: len(orders_for(receiver, created["id"])) >= 1)
    delivery = orders_for(receiver, created["id"])[0]
    header = delivery.headers["merchant-signature"]
    match = re.fullmatch(r"t=(\d+),v1=([0-9a-f]{64})", header)
    assert match is not None
    expected = hmac.new(
        SECRET.encode(), match.group(1).encode() + b"." + delivery.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(expected, match.group(2))
    assert abs(int(match.group(1)) - time.time()) < 60
    acp_signature.verify(SECRET, header, delivery.body, now=datetime.now(UTC))
    with pytest.raises(acp_signature.InvalidSignature):
        acp_signature.verify(SECRET, header, delivery.body + b" ", now=datetime.now(UTC))
    event = delivery.json
    assert event["type"] == "order_create"
    validate("Order", event["data"])
    assert event["data"]["type"] == "order" and event["data"]["status"] == "created"
    assert event["data"]["id"] == order["id"]
    assert {t["type"]: t["amount"] for t in event["data"]["totals"]}["total"] == 830
    assert delivery.headers["request-id"].startswith("evt_")
    # The delivery is logged on the ACP endpoint like any webhook.
    endpoints = native.get("/v1/webhook_endpoints").json()["data"]
    assert [e["url"] for e in endpoints] == [receiver.url + WEBHOOK_PATH]


def _replay(agent: Acp, name: str, example: dict[str, Any]) -> httpx.Response:
    """Send a named request example to the endpoint it is written for."""
    if name.startswith("create_"):
        return agent.post("/checkout_sessions", example)
    session = ready_session(agent)
    if name.startswith("update_"):
        return agent.post(f"/checkout_sessions/{session['id']}", example)
    if name.startswith("cancel_"):
        return agent.post(f"/checkout_sessions/{session['id']}/cancel", example)
    assert name.startswith("complete_"), name
    return agent.post(f"/checkout_sessions/{session['id']}/complete", example)


def test_named_request_examples_are_replayed(agent):
    requests = {name: body for name, body in NAMED.items() if "_request" in name}
    assert len(requests) == 10
    outcomes = {}
    for name, example in requests.items():
        validate(
            {
                "create": "CheckoutSessionCreateRequest",
                "update": "CheckoutSessionUpdateRequest",
                "complete": "CheckoutSessionCompleteRequest",
                "cancel": "CancelSessionRequest",
            }[name.split("_")[0]],
            example,
        )
        response = _replay(agent, name, example)
        outcomes[name] = (response.status_code, response.json().get("status"))
    assert outcomes == {
        "create_checkout_session_request": (201, "not_ready_for_payment"),
        "create_checkout_session_request_with_first_touch_attribution": (
            201,
            "not_ready_for_payment",
        ),
        "update_checkout_session_request": (200, "ready_for_payment"),
        "complete_checkout_session_request": (200, "completed"),
        # A saved-card handler this seller does not offer: refused, nothing charged.
        "complete_checkout_session_request_seller_backed": (400, None),
        "complete_checkout_session_request_with_last_touch_attribution": (200, "completed"),
        "cancel_checkout_session_request": (200, "canceled"),
        "cancel_checkout_session_request_timing_deferred": (200, "canceled"),
        "complete_session_with_authentication_result_request": (200, "completed"),
        # The issuer denied authentication: no charge, the session stays payable.
        "complete_session_with_denied_authentication_request": (200, "ready_for_payment"),
    }


def test_discount_extension_examples(agent):
    for path in sorted(require_shared(EXAMPLES / "discount-extension").glob("*.json")):
        request = json.loads(path.read_text())["request"]
        session = agent.create(request)
        codes = (request.get("discounts") or {}).get("codes", [])
        applied = {d["code"] for d in (session.get("discounts") or {}).get("applied", [])}
        rejected = {
            d["code"]: d["reason"] for d in (session.get("discounts") or {}).get("rejected", [])
        }
        assert applied | set(rejected) == set(codes), path.name
        if "EXPIRED50" in codes:
            assert rejected == {"EXPIRED50": "discount_code_invalid"}
            warning = next(m for m in session["messages"] if m["type"] == "warning")
            assert warning["code"] == "discount_code_invalid"
            assert warning["param"] == f"$.discounts.codes[{codes.index('EXPIRED50')}]"
        if codes == ["SAVE10"]:
            assert totals(session)["discount"] == 300  # $10 off a $3 jacket: capped
    stacked = agent.create(
        {"line_items": [{"id": "item_laptop"}], "currency": "usd", "coupons": ["SUMMER20"]}
    )
    assert stacked["discounts"]["applied"][0]["coupon"]["percent_off"] == 20
    assert totals(stacked)["discount"] == 19980
    # Codes are replaced as a whole on update; [] removes them.
    cleared = agent.post(f"/checkout_sessions/{stacked['id']}", {"discounts": {"codes": []}})
    assert "discount" not in totals(cleared.json())


def test_line_item_shapes_and_item_errors(agent):
    both = agent.create(
        {
            "currency": "usd",
            "line_items": [{"id": "item_456", "quantity": 2}, {"item": {"id": "item_123"}}],
        }
    )
    assert [(li["item"]["id"], li["quantity"]) for li in both["line_items"]] == [
        ("item_456", 2),
        ("item_123", 1),
    ]
    for line_items, param in (
        ([{"id": "item_123"}, {"id": "invalid_item"}], "$.line_items[1].id"),
        ([{"item": {"id": "invalid_item"}, "quantity": 1}], "$.line_items[0].item.id"),
    ):
        refused = agent.post("/checkout_sessions", {"currency": "usd", "line_items": line_items})
        assert refused.status_code == 400
        assert refused.json()["code"] == "invalid_item_id"
        assert refused.json()["param"] == param
    # The catalog's price is in USD: an EUR session cannot sell it.
    euro = agent.post("/checkout_sessions", {"currency": "eur", "line_items": [{"id": "item_123"}]})
    assert euro.status_code == 400 and euro.json()["param"] == "$.line_items[0].id"


def test_protocol_errors_are_flat_with_json_paths(agent, acp_server):
    missing = agent.post("/checkout_sessions", {"currency": "usd"})
    assert missing.status_code == 400
    assert missing.json()["code"] == "missing" and missing.json()["param"] == "$.line_items"
    unknown = agent.post(
        "/checkout_sessions", {"currency": "usd", "line_items": [{"id": "item_123"}], "itemz": 1}
    )
    assert unknown.status_code == 400 and unknown.json()["param"] == "$.itemz"
    bad_quantity = agent.post(
        "/checkout_sessions", {"currency": "usd", "line_items": [{"id": "item_123", "quantity": 0}]}
    )
    assert bad_quantity.json()["param"] == "$.line_items[0].quantity"
    bad_email = agent.post(
        "/checkout_sessions",
        {"currency": "usd", "line_items": [{"id": "item_123"}], "buyer": {"email": "not-an-email"}},
    )
    assert bad_email.status_code == 400 and bad_email.json()["param"] == "$.buyer.email"
    bad_country = dict(NAMED["create_checkout_session_request"])
    bad_country["fulfillment_details"] = {
        **bad_country["fulfillment_details"],
        "address": {**bad_country["fulfillment_details"]["address"], "country": "XX"},
    }
    refused = agent.post("/checkout_sessions", bad_country)
    assert refused.json()["param"] == "$.fulfillment_details.address.country"
    not_json = agent.post("/checkout_sessions", content=b"{nope")
    assert not_json.status_code == 400 and not_json.json()["code"] == "invalid_json"

    # No API-Version: answered in the first version (what pre-header clients speak).
    no_version = agent.http.get("/acp/checkout_sessions/cs_nope")
    assert no_version.status_code == 404 and no_version.headers["API-Version"] == "2025-09-29"
    assert no_version.json()["code"] == "not_found"
    future = agent.http.get("/acp/checkout_sessions/cs_nope", headers={"API-Version": "2099-01-01"})
    assert future.status_code == 400 and future.json()["code"] == "unsupported_api_version"
    assert future.json()["supported_versions"] == [
        "2025-09-29",
        "2025-12-12",
        "2026-01-16",
        "2026-01-30",
        "2026-04-17",
    ]
    assert agent.get("/checkout_sessions/cs_nope").status_code == 404

    with httpx.Client(base_url=acp_server.url, timeout=30) as anonymous:
        unauthenticated = check(
            anonymous.post(
                "/acp/checkout_sessions",
                json={"currency": "usd", "line_items": [{"id": "item_123"}]},
                headers={"API-Version": VERSION, "Idempotency-Key": "k-anon"},
            )
        )
    assert unauthenticated.status_code == 401

    session = ready_session(agent)
    wrong_option = agent.post(
        f"/checkout_sessions/{session['id']}",
        {
            "selected_fulfillment_options": [
                {"type": "shipping", "option_id": "teleport", "item_ids": []}
            ]
        },
    )
    assert wrong_option.status_code == 400
    assert wrong_option.json()["param"] == "$.selected_fulfillment_options[0].option_id"
    handler = pay("tok_visa")
    handler["payment_data"]["handler_id"] = "crypto"
    refused = agent.post(f"/checkout_sessions/{session['id']}/complete", handler)
    assert refused.status_code == 400 and refused.json()["param"] == "$.payment_data.handler_id"
    token = agent.post(f"/checkout_sessions/{session['id']}/complete", pay("tok_unknown"))
    assert token.json()["param"] == "$.payment_data.instrument.credential.token"
    assert agent.get(f"/checkout_sessions/{session['id']}").json()["status"] == "ready_for_payment"


def test_idempotency_key_rules(agent, acp_server, merchant):
    body = {"currency": "usd", "line_items": [{"id": "item_456"}]}
    required = agent.post("/checkout_sessions", body, key=None)
    assert required.status_code == 400
    assert required.json() == {
        "type": "invalid_request",
        "code": "idempotency_key_required",
        "message": "Idempotency-Key header is required.",
    }
    first = agent.post("/checkout_sessions", body, key="order-1")
    assert first.status_code == 201
    assert "Idempotent-Replayed" not in first.headers
    assert first.headers["Idempotency-Key"] == "order-1"
    again = agent.post("/checkout_sessions", body, key="order-1")
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    conflict = agent.post("/checkout_sessions", {**body, "locale": "fr-FR"}, key="order-1")
    assert conflict.status_code == 422 and conflict.json()["code"] == "idempotency_conflict"
    # Errors are stored and replayed too, still flat.
    bad = {"currency": "usd", "line_items": [{"id": "nope"}]}
    assert agent.post("/checkout_sessions", bad, key="order-2").status_code == 400
    replayed = agent.post("/checkout_sessions", bad, key="order-2")
    assert replayed.status_code == 400 and replayed.headers["Idempotent-Replayed"] == "true"
    assert replayed.json()["code"] == "invalid_item_id"

    # In flight: the key is claimed by a request that has not finished.
    async def claim() -> None:
        db = Database(acp_server.database_url)
        try:
            principal = await auth_service.authenticate(db, merchant.secret_key)
            assert principal is not None
            ctx = Context(db=db, settings=Settings(database_url=acp_server.database_url))
            scope = {"type": "http", "method": "POST", "path": "/acp/checkout_sessions"}
            request = Request({**scope, "headers": [], "query_string": b""})
            raw = json.dumps(body).encode()
            owner = idempotency.Owner(principal.account_id, principal.key_id)
            await idempotency.claim(ctx, owner, "order-3", fingerprint(request, False, raw))
        finally:
            await db.dispose()

    asyncio.run(claim())
    busy = agent.post("/checkout_sessions", body, key="order-3")
    assert busy.status_code == 409 and busy.json()["code"] == "idempotency_in_flight"
    assert busy.headers["Retry-After"] == "1"


def test_status_mapping_through_the_lifecycle(agent, native, receiver):
    bare = agent.create({"currency": "usd", "line_items": [{"id": "item_123"}]})
    assert bare["status"] == "not_ready_for_payment"
    params = sorted(m["param"] for m in bare["messages"] if m["code"] == "missing")
    assert params == [
        "$.buyer.email",
        "$.fulfillment_details.address",
        "$.selected_fulfillment_options",
    ]
    path = f"/checkout_sessions/{bare['id']}"
    incomplete = agent.post(path, {"buyer": {"email": "a@example.com"}})
    assert incomplete.json()["status"] == "not_ready_for_payment"
    # Completing a session that is not ready answers its state with what is missing.
    early = agent.post(path + "/complete", pay("tok_visa")).json()
    assert early["status"] == "not_ready_for_payment" and "order" not in early

    session = ready_session(agent)
    path = f"/checkout_sessions/{session['id']}"
    declined = agent.post(path + "/complete", pay("tok_chargeDeclined"))
    assert declined.status_code == 200
    assert declined.json()["status"] == "ready_for_payment"
    message = next(m for m in declined.json()["messages"] if m["type"] == "error")
    assert message["code"] == "payment_declined" and "declined" in message["content"]
    assert native.get(f"/v1/checkouts/{session['id']}").json()["status"] == "failed"

    later = agent.post(path + "/complete", pay("tok_visa_delayed"))
    assert later.json()["status"] == "in_progress" and "order" not in later.json()
    assert native.get(f"/v1/checkouts/{session['id']}").json()["status"] == "processing"
    deadline = time.monotonic() + 20
    while agent.get(path).json()["status"] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    receiver.wait_for(lambda: len(orders_for(receiver, session["id"])) == 1)

    other = ready_session(agent)
    canceled = agent.post(f"/checkout_sessions/{other['id']}/cancel")
    assert canceled.json()["status"] == "canceled" and "continue_url" not in canceled.json()
    assert native.get(f"/v1/checkouts/{other['id']}").json()["status"] == "abandoned"


def test_cancelling_a_finished_session_is_405(agent):
    paid = ready_session(agent)
    assert agent.post(f"/checkout_sessions/{paid['id']}/complete", pay("tok_amex")).is_success
    for session_id in (paid["id"],):
        refused = agent.post(f"/checkout_sessions/{session_id}/cancel", {})
        assert refused.status_code == 405 and refused.json()["code"] == "checkout_not_cancelable"
    canceled = ready_session(agent)
    assert agent.post(f"/checkout_sessions/{canceled['id']}/cancel").status_code == 200
    twice = agent.post(f"/checkout_sessions/{canceled['id']}/cancel")
    assert twice.status_code == 405
    # A finished session cannot be edited or paid either (a state conflict).
    edit = agent.post(f"/checkout_sessions/{paid['id']}", {"order_notes": "late"})
    assert edit.status_code == 409
    again = agent.post(f"/checkout_sessions/{paid['id']}/complete", pay("tok_visa"))
    assert again.status_code == 409


def test_unknown_list_cursors_name_the_checkout_session(agent):
    for param in ("starting_after", "ending_before"):
        gone = agent.get(f"/checkout_sessions?{param}=cs_nope")
        assert gone.status_code == 404, gone.text
        body = gone.json()
        assert body["message"] == "No such checkout session: 'cs_nope'."
        assert body["param"] == param


def test_tenant_isolation(agent, acp_server, merchant):
    session = ready_session(agent)
    stranger = _account(acp_server, "stranger")
    headers = {"Authorization": f"Bearer {stranger.secret_key}"}
    with httpx.Client(base_url=acp_server.url, headers=headers, timeout=30) as client:
        other = Acp(client)
        assert other.get(f"/checkout_sessions/{session['id']}").status_code == 404
        for suffix, body in (
            ("", {"order_notes": "x"}),
            ("/complete", pay("tok_visa")),
            ("/cancel", {}),
        ):
            refused = other.post(f"/checkout_sessions/{session['id']}{suffix}", body)
            assert refused.status_code == 404, suffix
        # Their catalog is empty: the merchant's items do not exist for them.
        unknown = other.post(
            "/checkout_sessions", {"currency": "usd", "line_items": [{"id": "item_123"}]}
        )
        assert unknown.json()["code"] == "invalid_item_id"
    # The merchant's live key does not see test sessions either.
    headers = {"Authorization": f"Bearer {merchant.live_key}"}
    with httpx.Client(base_url=acp_server.url, headers=headers, timeout=30) as client:
        assert Acp(client).get(f"/checkout_sessions/{session['id']}").status_code == 404
    assert agent.get(f"/checkout_sessions/{session['id']}").json()["status"] == "ready_for_payment"


def test_native_sessions_send_no_acp_order_webhooks(agent, native, receiver):
    # The ACP endpoint exists once an ACP session was made for the account.
    ready_session(agent)
    created = native.post(
        "/v1/checkouts",
        json={
            "currency": "usd",
            "line_items": [{"product": "item_456"}],
            "customer": {"email": "n@example.com"},
            "billing_details_collection": "auto",
        },
    ).json()
    paid = native.post(
        f"/v1/checkouts/{created['id']}/complete",
        json={"payment": {"method": "card", "card_number": "4242424242424242"}},
    )
    assert paid.status_code == 200
    endpoint = next(
        e
        for e in native.get("/v1/webhook_endpoints").json()["data"]
        if e["url"].endswith(WEBHOOK_PATH)
    )
    deadline = time.monotonic() + 20
    while True:
        log = native.get(f"/v1/webhook_endpoints/{endpoint['id']}/deliveries").json()["data"]
        if log:
            break
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert log[0]["succeeded"] and log[0]["status_code"] is None
    assert orders_for(receiver, created["id"]) == []


def test_order_update_mapping():
    completed = {
        "id": "cs_abc",
        "status": "completed",
        "permalink": "https://pay.example.test/c/t",
        "custom": {"acp": {}},
        "line_items": [],
        "totals": [{"type": "total", "display_text": "Total", "amount": 0}],
    }
    created = acp_orders.order_event("checkout.completed", completed)
    assert created is not None and created["type"] == "order_create"
    updated = acp_orders.order_event("checkout.refunded", completed)
    assert updated is not None and updated["type"] == "order_update"
    validate("Order", updated["data"])
    assert acp_orders.order_event("checkout.completed", {**completed, "custom": {}}) is None


def test_acp_endpoints_send_nothing_once_unconfigured():
    endpoint = WebhookEndpoint(
        url="https://agents.example.test/orders",
        metadata_={acp_orders.ENDPOINT_MARKER: acp_orders.ENDPOINT_MARKER_VALUE},
    )
    snapshot = {
        "id": "cs_abc",
        "status": "completed",
        "permalink": "https://pay.example.test/c/t",
        "custom": {"acp": {}},
        "line_items": [],
        "totals": [],
    }
    event = Event(id="evt_1", type="checkout.completed", data={"object": snapshot})
    now = datetime.now(UTC)
    configured = Settings(acp_webhook_url=endpoint.url, acp_webhook_secret=SECRET)
    sent = acp_orders.render_body(configured, endpoint, event, now)
    assert sent is not None and sent.payload is not None
    acp_signature.verify(SECRET, sent.headers["Merchant-Signature"], sent.payload, now=now)
    for settings in (
        Settings(),
        Settings(acp_webhook_url="https://x.test", acp_webhook_secret="s"),
    ):
        skipped = acp_orders.render_body(settings, endpoint, event, now)
        assert skipped is not None and skipped.payload is None  # never a native payload
    plain = WebhookEndpoint(url=endpoint.url, metadata_={})
    assert acp_orders.render_body(configured, plain, event, now) is None


def test_both_dialects_are_in_the_openapi_document(acp_server):
    with httpx.Client(base_url=acp_server.url, timeout=30) as client:
        paths = client.get("/openapi.json").json()["paths"]
    for path in (
        "/acp/checkout_sessions",
        "/acp/checkout_sessions/{checkout_session_id}",
        "/acp/checkout_sessions/{checkout_session_id}/complete",
        "/acp/checkout_sessions/{checkout_session_id}/cancel",
        "/api/checkout/sessions.json",
    ):
        assert path in paths, path
    create = paths["/acp/checkout_sessions"]["post"]
    assert "requestBody" in create and "201" in create["responses"]

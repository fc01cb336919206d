"""Every published ACP version at /acp, over real HTTP, on both engines.

Each version's named examples are replayed with that version's ``API-Version``
and every answer is validated against that version's JSON Schema bundle
(sessions, completed sessions, lists, errors). A full purchase runs over each
version and must cost exactly what the native API charges for the same cart.
"""

from __future__ import annotations

import json
import uuid
from functools import cache
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.conftest import SHARED

ACP = SHARED / "specs" / "acp"
if not (ACP / "spec").is_dir():
    pytest.skip(f"ACP specification data missing: {ACP / 'spec'}", allow_module_level=True)

from tests.test_acp import (  # noqa: E402  (after the skip: it reads the spec at import)
    SHIPPING,
    acp_server,
    agent,
    merchant,
    native,
    receiver,
)

__all__ = ["acp_server", "agent", "merchant", "native", "receiver"]  # fixtures

VERSIONS = ("2025-09-29", "2025-12-12", "2026-01-16", "2026-01-30", "2026-04-17")
ADDRESS = {
    "name": "Ada Lovelace",
    "line_one": "1 Analytical Way",
    "city": "San Francisco",
    "state": "CA",
    "country": "US",
    "postal_code": "94131",
}
BUYER = {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com"}


def _draft4_bounds(node: Any) -> Any:
    """2025-09-29 writes ``exclusiveMinimum: true`` (draft 4) in a 2020-12 bundle,
    which 2020-12 reads as "greater than 1"; read it as the authors meant: > minimum."""
    if isinstance(node, dict):
        node = {key: _draft4_bounds(value) for key, value in node.items()}
        if node.get("exclusiveMinimum") is True:
            node["exclusiveMinimum"] = node.pop("minimum", 0)
        return node
    if isinstance(node, list):
        return [_draft4_bounds(value) for value in node]
    return node


@cache
def validator(version: str, definition: str) -> Draft202012Validator:
    bundle = _draft4_bounds(
        json.loads(
            (ACP / "spec" / version / "json-schema" / "schema.agentic_checkout.json").read_text()
        )
    )
    registry = Registry().with_resource(bundle["$id"], Resource.from_contents(bundle))
    return Draft202012Validator(
        {"$ref": f"{bundle['$id']}#/$defs/{definition}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def validate_session(version: str, body: dict[str, Any]) -> None:
    # 2025-09-29's CheckoutSessionBase forbids ``order``: its completed sessions have none.
    if body["status"] == "completed" and version != "2025-09-29":
        assert "order" in body
        validator(version, "CheckoutSessionWithOrder").validate(body)
    else:
        validator(version, "CheckoutSession").validate(body)


def check(version: str, response: httpx.Response) -> httpx.Response:
    body = response.json()
    assert response.headers["API-Version"] == version
    if not response.is_success:
        validator(version, "Error").validate(body)
        assert "error" not in body
    elif "data" in body:
        assert set(body) >= {"data", "has_more", "total_count"}
        for session in body["data"]:
            validate_session(version, session)
    else:
        validate_session(version, body)
    return response


class Agent:
    """An agent speaking one ACP version (a fresh Idempotency-Key per POST)."""

    def __init__(self, http: httpx.Client, version: str) -> None:
        self.http = http
        self.version = version

    def request(self, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"API-Version": self.version}
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        response = self.http.request(method, "/acp" + path, json=body, headers=headers)
        return check(self.version, response)

    def post(self, path: str, body: Any = None) -> httpx.Response:
        return self.request("POST", path, body)

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path)

    # Version-specific shapes of the same purchase.

    @property
    def legacy(self) -> bool:
        return self.version < "2026-01-30"

    def create_body(self, lines: list[tuple[str, int]], **extra: Any) -> dict[str, Any]:
        if self.legacy:
            return {"items": [{"id": sku, "quantity": qty} for sku, qty in lines], **extra}
        return {
            "currency": "usd",
            "line_items": [{"id": sku, "quantity": qty} for sku, qty in lines],
            **extra,
        }

    def address_body(self) -> dict[str, Any]:
        if self.version == "2025-09-29":
            return {"buyer": BUYER, "fulfillment_address": ADDRESS}
        return {"buyer": BUYER, "fulfillment_details": {"name": "Ada Lovelace", "address": ADDRESS}}

    def option_body(self, option: str, item_ids: list[str]) -> dict[str, Any]:
        if self.version == "2025-09-29":
            return {"fulfillment_option_id": option}
        if self.legacy:
            return {
                "selected_fulfillment_options": [
                    {"type": "shipping", "shipping": {"option_id": option, "item_ids": item_ids}}
                ]
            }
        return {
            "selected_fulfillment_options": [
                {"type": "shipping", "option_id": option, "item_ids": item_ids}
            ]
        }

    def payment_body(self, token: str = "tok_visa") -> dict[str, Any]:
        if self.legacy:
            return {"payment_data": {"token": token, "provider": "stripe"}}
        return {
            "payment_data": {
                "handler_id": "card_tokenized",
                "instrument": {"type": "card", "credential": {"type": "spt", "token": token}},
            }
        }

    def ready_session(self) -> dict[str, Any]:
        created = self.post("/checkout_sessions", self.create_body([("item_123", 1)]))
        assert created.status_code == 201, created.text
        session = created.json()
        self.post(f"/checkout_sessions/{session['id']}", self.address_body())
        lines = [line["id"] for line in session["line_items"]]
        updated = self.post(
            f"/checkout_sessions/{session['id']}", self.option_body("fulfillment_option_123", lines)
        )
        assert updated.json()["status"] == "ready_for_payment", updated.text
        return updated.json()


def totals(session: dict[str, Any]) -> dict[str, int]:
    return {total["type"]: total["amount"] for total in session["totals"]}


def named_requests(version: str) -> dict[str, dict[str, Any]]:
    """Every request example the version publishes, by name."""
    folder = ACP / "examples" / version
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(folder.glob("examples.*.json")):
        if path.name in ("examples.agentic_checkout.json", "examples.capability_negotiation.json"):
            found.update(
                (name, body)
                for name, body in json.loads(path.read_text()).items()
                if name.endswith("_request") or "_request_" in name
            )
        if path.name == "examples.multi_item_checkout.json":
            found.update(
                (name, body)
                for name, body in json.loads(path.read_text()).items()
                if name.endswith("_request")
            )
    for path in sorted((folder / "discount-extension").glob("*.json")):
        found[f"create_discount_{path.stem}"] = json.loads(path.read_text())["request"]
    return found


def replay(agent: Agent, name: str, body: dict[str, Any]) -> httpx.Response:
    if name.startswith("create_") or name.endswith(("_negotiation_request", "capable_request")):
        return agent.post("/checkout_sessions", body)
    if "_request" in name and not name.startswith(("update_", "complete_", "cancel_")):
        return agent.post("/checkout_sessions", body)  # the capability-negotiation creates
    session = agent.ready_session()
    if name.startswith("update_"):
        return agent.post(f"/checkout_sessions/{session['id']}", body)
    if name.startswith("cancel_"):
        return agent.post(f"/checkout_sessions/{session['id']}/cancel", body)
    return agent.post(f"/checkout_sessions/{session['id']}/complete", body)


#: Examples refused on purpose, by version and name: (status, code, param).
REFUSED = {
    # A fractional quantity of a jacket: 2025-09-29 typed quantity as a number.
    ("2025-09-29", "create_checkout_session_request"): (400, "invalid", "$.items[0].quantity"),
}
#: A saved-card handler this seller does not offer: refused, nothing charged.
SELLER_BACKED = "complete_checkout_session_request_seller_backed"


#: Items only the capability-negotiation examples name (the agent fixture has the rest).
EXTRA_ITEMS = ("item_101", "item_202", "item_303", "item_3ds_001", "item_404", "item_789")


@pytest.mark.parametrize("version", VERSIONS)
def test_every_example_replays_and_validates(agent, native, version):
    for sku in EXTRA_ITEMS:
        product = {"id": sku, "name": sku, "unit_amount": 1500, "currency": "usd"}
        assert native.post("/v1/products", json=product).status_code == 201
    speaker = Agent(agent.http, version)
    examples = named_requests(version)
    assert examples, version
    for name, body in examples.items():
        response = replay(speaker, name, body)
        refused = REFUSED.get((version, name))
        if refused is not None:
            status, code, param = refused
            assert response.status_code == status, (name, response.text)
            assert (response.json()["code"], response.json().get("param")) == (code, param)
        elif name == SELLER_BACKED:
            assert response.status_code == 400, response.text
            assert response.json()["code"].startswith("unsupported_payment")
        else:
            assert response.is_success, (version, name, response.text)
        if name.startswith("complete_") and response.is_success:
            denied = "denied" in name
            assert response.json()["status"] == ("ready_for_payment" if denied else "completed")
        if name.startswith("cancel_"):
            assert response.json()["status"] == "canceled"


def _native_total(native: httpx.Client, lines: list[tuple[str, int]]) -> dict[str, Any]:
    """The same cart through /v1/checkouts: the reference amounts."""
    created = native.post(
        "/v1/checkouts",
        json={
            "currency": "usd",
            "line_items": [{"product": sku, "quantity": qty} for sku, qty in lines],
            "customer": {
                "email": BUYER["email"],
                "billing_address": {
                    "line1": ADDRESS["line_one"],
                    "city": ADDRESS["city"],
                    "state": ADDRESS["state"],
                    "postal_code": ADDRESS["postal_code"],
                    "country": ADDRESS["country"],
                },
            },
            "shipping_options": SHIPPING,
            "selected_shipping_option": "fulfillment_option_456",
            "discounts": [{"code": "SUMMER20"}],
        },
    )
    assert created.status_code in (200, 201), created.text
    return created.json()


@pytest.mark.parametrize("version", VERSIONS)
def test_full_purchase_costs_what_the_native_api_charges(agent, native, version):
    speaker = Agent(agent.http, version)
    lines = [("item_123", 1), ("item_456", 2)]
    created = speaker.post("/checkout_sessions", speaker.create_body(lines)).json()
    assert created["status"] == "not_ready_for_payment"
    assert created["currency"] == "usd"  # before 2026-01-30 the catalog's currency
    path = f"/checkout_sessions/{created['id']}"
    speaker.post(path, speaker.address_body())
    line_ids = [line["id"] for line in created["line_items"]]
    chosen = speaker.post(path, speaker.option_body("fulfillment_option_456", line_ids)).json()
    assert chosen["status"] == "ready_for_payment", chosen
    # Discount codes are the discount extension's (2026-01-30 on); earlier
    # versions may send them too, and see the discount in the amounts.
    discounted = speaker.post(path, {"discounts": {"codes": ["SUMMER20"]}}).json()
    done = speaker.post(f"{path}/complete", speaker.payment_body()).json()
    assert done["status"] == "completed"

    reference = _native_total(native, lines)
    expected = {
        "items_base_amount": reference["amount_subtotal"],
        "discount": reference["amount_discount"],
        "tax": reference["amount_tax"],
        "fulfillment": reference["amount_shipping"],
        "total": reference["amount_total"],
    }
    assert reference["amount_discount"] > 0 and reference["amount_shipping"] == 500
    for session in (discounted, done):
        got = totals(session)
        assert {key: got.get(key) for key in expected} == expected, (version, got)
    # The native view of the ACP session is the same money.
    seen = native.get(f"/v1/checkouts/{created['id']}").json()
    assert seen["amount_total"] == reference["amount_total"]
    assert seen["payment_status"] == "paid"
    if version >= "2026-01-30":
        applied = discounted["discounts"]["applied"][0]
        assert applied["method"] == "each"
        assert sum(a["amount"] for a in applied["allocations"]) == applied["amount"]
        assert [a["path"] for a in applied["allocations"]] == ["$.line_items[0]", "$.line_items[1]"]
    else:
        assert "discounts" not in discounted
        assert sum(line["discount"] for line in discounted["line_items"]) == expected["discount"]


@pytest.mark.parametrize("version", VERSIONS)
def test_errors_are_in_the_versions_shape(agent, acp_server, version):
    speaker = Agent(agent.http, version)
    missing = speaker.get("/checkout_sessions/cs_nope")
    assert missing.status_code == 404 and missing.json()["code"] == "not_found"
    bad = speaker.create_body([("item_123", 0)])
    refused = speaker.post("/checkout_sessions", bad)
    assert refused.status_code == 400
    items = "items" if speaker.legacy else "line_items"
    assert refused.json()["param"] == f"$.{items}[0].quantity"
    unknown = speaker.post("/checkout_sessions", speaker.create_body([("no_such_item", 1)]))
    assert unknown.status_code == 400 and unknown.json()["param"] == f"$.{items}[0].id"
    session = speaker.ready_session()
    token = speaker.post(
        f"/checkout_sessions/{session['id']}/complete", speaker.payment_body("tok_unknown")
    )
    expected = (
        "$.payment_data.token" if speaker.legacy else "$.payment_data.instrument.credential.token"
    )
    assert token.status_code == 400 and token.json()["param"] == expected
    with httpx.Client(base_url=acp_server.url, timeout=30) as anonymous:
        unauthenticated = anonymous.get(
            "/acp/checkout_sessions/cs_nope", headers={"API-Version": version}
        )
    check(version, unauthenticated)
    assert unauthenticated.status_code == 401


def test_idempotency_key_is_required_from_2026_04_17_only(agent):
    body = {"currency": "usd", "line_items": [{"id": "item_123"}]}
    for version, status in (("2026-04-17", 400), ("2026-01-30", 201)):
        response = agent.http.post(
            "/acp/checkout_sessions", json=body, headers={"API-Version": version}
        )
        check(version, response)
        assert response.status_code == status, (version, response.text)
    legacy = agent.http.post(
        "/acp/checkout_sessions", json={"items": [{"id": "item_123", "quantity": 1}]}
    )
    check("2025-09-29", legacy)
    assert legacy.status_code == 201


def test_unknown_routes_and_methods_are_flat(agent):
    for method, path, status in (
        ("GET", "/acp/nope", 404),
        ("GET", "/acp", 404),
        ("DELETE", "/acp/checkout_sessions/cs_x", 405),
        ("PATCH", "/acp/checkout_sessions", 405),
    ):
        response = agent.http.request(method, path, headers={"API-Version": "2026-04-17"})
        assert response.status_code == status, (method, path, response.text)
        body = response.json()
        validator("2026-04-17", "Error").validate(body)
        assert "error" not in body
    not_json = agent.http.post(
        "/acp/checkout_sessions",
        content=b"{}",
        headers={"API-Version": "2026-04-17", "Content-Type": "text/plain", "Idempotency-Key": "x"},
    )
    assert not_json.status_code == 415
    validator("2026-04-17", "Error").validate(not_json.json())


def test_listing_sessions_as_the_stateset_client_does(agent):
    """Seed 004: ``GET .../checkout_sessions?status=…&limit=…`` with only a Bearer key."""
    modern = Agent(agent.http, "2026-04-17")
    ready = [modern.ready_session()["id"] for _ in range(3)]
    open_ = modern.post("/checkout_sessions", modern.create_body([("item_456", 1)])).json()["id"]
    canceled = modern.ready_session()["id"]
    modern.post(f"/checkout_sessions/{canceled}/cancel", {})

    # No API-Version and no Idempotency-Key, like the StateSet client: 2025-09-29 shapes.
    first = agent.http.get("/acp/checkout_sessions?status=ready_for_payment&limit=2")
    check("2025-09-29", first)
    page = first.json()
    assert first.status_code == 200
    assert [s["id"] for s in page["data"]] == [ready[2], ready[1]]  # newest first
    assert page["has_more"] is True and page["total_count"] == 3
    assert {"base_amount", "discount", "subtotal", "tax", "total"} <= set(
        page["data"][0]["line_items"][0]
    )
    second = agent.http.get(
        "/acp/checkout_sessions",
        params={"status": "ready_for_payment", "limit": 2, "starting_after": page["next_cursor"]},
    )
    check("2025-09-29", second)
    assert [s["id"] for s in second.json()["data"]] == [ready[0]]
    assert second.json()["has_more"] is False

    for status, expected in (
        ("not_ready_for_payment", [open_]),
        ("canceled", [canceled]),
    ):
        listed = modern.get(f"/checkout_sessions?status={status}").json()
        assert [s["id"] for s in listed["data"]] == expected, status
        assert listed["total_count"] == len(expected)
    everything = modern.get("/checkout_sessions?limit=100").json()
    assert everything["total_count"] == 5 and len(everything["data"]) == 5
    older = Agent(agent.http, "2025-12-12").get(f"/checkout_sessions?starting_after={ready[2]}")
    assert older.json()["data"][0]["id"] == ready[1]

    for query, param in (
        ("status=bogus", "status"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("created_after=yesterday", "created_after"),
    ):
        refused = modern.get(f"/checkout_sessions?{query}")
        assert refused.status_code == 400 and refused.json()["param"] == param, query
    gone = modern.get("/checkout_sessions?starting_after=cs_nope")
    assert gone.status_code == 404


def test_stateset_client_shapes(agent):
    """Seed 004 / providers.md: PUT updates, cancel takes {reason, message}, no headers."""
    created = agent.http.post(
        "/acp/checkout_sessions",
        json={
            "items": [{"id": "item_123", "quantity": 2}],
            "buyer": {**BUYER, "phone_number": "+1234567890"},
            "fulfillment_address": ADDRESS,
        },
    )
    check("2025-09-29", created)
    session = created.json()
    assert created.status_code == 201 and session["line_items"][0]["item"]["quantity"] == 2
    assert session["buyer"]["phone_number"] == "+1234567890"
    put = agent.http.put(
        f"/acp/checkout_sessions/{session['id']}",
        json={"fulfillment_option_id": "fulfillment_option_123"},
    )
    check("2025-09-29", put)
    assert put.json()["status"] == "ready_for_payment"
    assert put.json()["fulfillment_option_id"] == "fulfillment_option_123"
    canceled = agent.http.post(
        f"/acp/checkout_sessions/{session['id']}/cancel",
        json={"reason": "customer_request", "message": "Changed my mind"},
    )
    check("2025-09-29", canceled)
    assert canceled.json()["status"] == "canceled"
    again = agent.http.post(f"/acp/checkout_sessions/{session['id']}/cancel", json={})
    check("2025-09-29", again)
    assert again.status_code == 405

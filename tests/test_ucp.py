"""UCP: discovery and the REST binding, versions 2026-01-11 and 2026-04-08, over real
HTTP on both engines, every response validated against the version's JSON Schemas.

The store is the conformance suite's flower shop
(``../shared/specs/ucp/conformance/test_data/flower_shop/*.csv``), loaded by
``opencheckout import``.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

from tests.conftest import (
    SHARED,
    Account,
    _make_account,
    client_for,
    require_shared,
    server_settings,
    start_server,
)

UCP = SHARED / "specs" / "ucp"
V1, V2 = "2026-01-11", "2026-04-08"
SECRET = "sim-" + uuid.uuid4().hex
FLOWER_SHOP = UCP / "conformance" / "test_data" / "flower_shop"
ENTRY_POINT = Path(sys.executable).with_name("opencheckout")


# --- schemas --------------------------------------------------------------------


def _registry(source: Path) -> Registry:
    """Every schema file of a version, by its ``$id``; a reference to a URI no file
    claims is resolved by the longest path suffix that names a file (the specs'
    relative ``$ref``s are written against the directory layout)."""
    files = {p.relative_to(source).as_posix(): p for p in source.rglob("*.json")}

    def retrieve(uri: str) -> Resource:
        parts = uri.split("://", 1)[-1].split("/")[1:]
        for start in range(len(parts)):
            path = files.get("/".join(parts[start:]))
            if path is not None:
                return Resource.from_contents(json.loads(path.read_text()))
        raise NoSuchResource(uri)

    registry: Registry = Registry(retrieve=retrieve)  # type: ignore[call-arg]
    for path in files.values():
        contents = json.loads(path.read_text())
        if isinstance(contents, dict) and "$id" in contents:
            registry = registry.with_resource(contents["$id"], Resource.from_contents(contents))
    return registry


@dataclass
class Schemas:
    version: str
    source: Path
    registry: Registry

    def validate(self, document: Any, ref: str) -> None:
        base = "https://ucp.dev/"
        validator = Draft202012Validator({"$ref": base + ref}, registry=self.registry)
        errors = sorted(validator.iter_errors(document), key=lambda e: list(e.path))
        assert not errors, f"{ref} ({self.version}): " + "; ".join(
            f"{list(e.absolute_path)}: {e.message}" for e in errors[:5]
        )

    def checkout(self, body: Any) -> None:
        self.validate(body, "schemas/shopping/checkout.json")
        key = "checkout" if self.version == V1 else "dev.ucp.shopping.checkout"
        for extension in ("fulfillment", "discount", "buyer_consent"):
            self.validate(body, f"schemas/shopping/{extension}.json#/$defs/{key}")

    def order(self, body: Any) -> None:
        self.validate(body, "schemas/shopping/order.json")

    def error(self, body: Any) -> None:
        # 2026-01-11 has no error envelope schema; its successor's is the one used.
        Schemas.of(V2).validate(body, "schemas/shopping/types/error_response.json")

    def profile(self, body: Any) -> None:
        ref = "discovery/profile_schema.json"
        self.validate(body, ref if self.version == V1 else ref + "#/$defs/business_profile")

    @classmethod
    def of(cls, version: str) -> Schemas:
        if version not in _SCHEMAS:
            source = require_shared(UCP / f"v{version}" / "source")
            _SCHEMAS[version] = Schemas(version, source, _registry(source))
        return _SCHEMAS[version]


_SCHEMAS: dict[str, Schemas] = {}


# --- the flower shop ------------------------------------------------------------


@dataclass
class Shop:
    url: str
    account: Account


@pytest.fixture(scope="module")
def shop(database_url: str) -> Iterator[Shop]:
    require_shared(FLOWER_SHOP)
    account = asyncio.run(_make_account(database_url, f"ucp-{uuid.uuid4().hex[:10]}"))
    settings = server_settings(database_url, ucp_account=account.name, ucp_simulation_secret=SECRET)
    uv_server, thread, url = start_server(settings)
    try:
        imported = subprocess.run(
            [str(ENTRY_POINT), "import", str(FLOWER_SHOP), "--account", account.name],
            env={**os.environ, "OPENCHECKOUT_DATABASE_URL": database_url},
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert imported.returncode == 0, imported.stdout + imported.stderr
        yield Shop(url, account)
    finally:
        uv_server.should_exit = True
        thread.join(timeout=10)


def agent_headers(version: str, **extra: str) -> dict[str, str]:
    return {
        "UCP-Agent": f'profile="https://agent.example/.well-known/ucp", version="{version}"',
        "Request-Id": str(uuid.uuid4()),
        **extra,
    }


@pytest.fixture
def ucp(shop: Shop) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=shop.url + "/ucp", timeout=30) as client:
        yield client


def line(sku: str, quantity: int = 1) -> dict[str, Any]:
    return {"item": {"id": sku}, "quantity": quantity}


def totals_of(body: dict[str, Any]) -> dict[str, int]:
    return {entry["type"]: entry["amount"] for entry in body["totals"]}


# --- tests ----------------------------------------------------------------------


def test_discovery_profile_of_each_version(shop: Shop) -> None:
    with httpx.Client(base_url=shop.url, timeout=30) as client:
        latest = client.get("/.well-known/ucp")
        assert latest.status_code == 200, latest.text
        Schemas.of(V2).profile(latest.json())
        ucp = latest.json()["ucp"]
        assert ucp["version"] == V2
        assert ucp["services"]["dev.ucp.shopping"][0]["endpoint"] == (
            shop_public_url(shop) + "/ucp"
        )
        assert set(ucp["capabilities"]) >= {
            "dev.ucp.shopping.checkout",
            "dev.ucp.shopping.order",
            "dev.ucp.shopping.discount",
            "dev.ucp.shopping.fulfillment",
            "dev.ucp.shopping.buyer_consent",
        }
        assert ucp["payment_handlers"]["dev.ucp.mock_payment_handler"][0]["id"] == (
            "mock_payment_handler"
        )
        assert latest.json()["signing_keys"][0]["alg"] == "ES256"
        older_url = ucp["supported_versions"][V1]
        assert older_url.endswith("/.well-known/ucp/2026-01-11")
        older = client.get("/.well-known/ucp/2026-01-11")
        Schemas.of(V1).profile(older.json())
        assert older.json()["ucp"]["version"] == V1
        assert older.json()["payment"]["handlers"][0]["id"] == "mock_payment_handler"
        negotiated = client.get("/.well-known/ucp", headers=agent_headers(V1))
        assert negotiated.json() == older.json()
        assert client.get("/.well-known/ucp/2025-01-01").status_code == 404


def shop_public_url(shop: Shop) -> str:
    from tests.conftest import PUBLIC_URL

    return PUBLIC_URL


def test_unconfigured_binding_is_404(server: Any) -> None:
    with client_for(server, None) as client:
        assert client.get("/.well-known/ucp").status_code == 404
        answer = client.post(
            "/ucp/checkout-sessions",
            json={"line_items": [line("x")]},
            headers=agent_headers(V2),
        )
        assert answer.status_code == 404
        assert answer.json()["code"] == "not_found"
        rpc = client.post("/ucp/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
        assert rpc.status_code == 404


@pytest.mark.parametrize("version", [V1, V2])
def test_full_purchase_matches_native_totals(shop: Shop, ucp: httpx.Client, version: str) -> None:
    schemas = Schemas.of(version)
    headers = agent_headers(version)
    created = ucp.post(
        "/checkout-sessions",
        json={
            "line_items": [line("bouquet_roses", 2), line("pot_ceramic")],
            "currency": "USD",
            "fulfillment": {"methods": [{"type": "shipping"}]},
        },
        headers=headers,
    )
    assert created.status_code == 201, created.text
    assert created.headers["request-id"] == headers["Request-Id"]
    body = created.json()
    schemas.checkout(body)
    assert body["ucp"]["version"] == version
    assert body["status"] == "incomplete"
    assert [li["item"]["title"] for li in body["line_items"]] == [
        "Bouquet of Red Roses",
        "Ceramic Pot",
    ]
    assert totals_of(body)["subtotal"] == 2 * 3500 + 1500
    checkout_id = body["id"]

    # The buyer is a known customer: their saved addresses are offered.
    update = {
        "line_items": [line("bouquet_roses", 2), line("pot_ceramic")],
        "buyer": {
            "email": "john.doe@example.com",
            "first_name": "John",
            "last_name": "Doe",
            "consent": {"marketing": True},
        },
        "fulfillment": {"methods": [{"type": "shipping"}]},
        "discounts": {"codes": ["10OFF", "NOPE"]},
    }
    offered = ucp.put(f"/checkout-sessions/{checkout_id}", json=update, headers=headers)
    assert offered.status_code == 200, offered.text
    schemas.checkout(offered.json())
    method = offered.json()["fulfillment"]["methods"][0]
    saved = [d for d in method["destinations"] if d["id"].startswith("addr_")]
    assert {d["street_address"] for d in saved} >= {"123 Main St", "456 Oak Ave"}
    assert offered.json()["buyer"]["consent"] == {"marketing": True}
    warnings = [m for m in offered.json()["messages"] if m["type"] == "warning"]
    assert [w["code"] for w in warnings] == ["discount_code_invalid"]

    # A new destination, then the express option.
    destination = {
        "id": "dest_home",
        "street_address": "123 Market St",
        "address_locality": "San Francisco",
        "address_region": "CA",
        "postal_code": "94105",
        "address_country": "US",
    }
    update["discounts"] = {"codes": ["10OFF"]}
    update["fulfillment"] = {"methods": [{"type": "shipping", "destinations": [destination]}]}
    with_address = ucp.put(f"/checkout-sessions/{checkout_id}", json=update, headers=headers)
    schemas.checkout(with_address.json())
    group = with_address.json()["fulfillment"]["methods"][0]["groups"][0]
    titles = {option["title"]: option for option in group["options"]}
    assert set(titles) == {"Standard Shipping", "Express Shipping (US)"}
    # The roses earn free shipping (the conformance promotion).
    assert all(o["totals"][-1]["amount"] == 0 for o in group["options"])
    express = titles["Express Shipping (US)"]["id"]
    update["fulfillment"]["methods"][0] |= {
        "selected_destination_id": "dest_home",
        "groups": [{"id": group["id"], "selected_option_id": express}],
    }
    ready = ucp.put(f"/checkout-sessions/{checkout_id}", json=update, headers=headers)
    schemas.checkout(ready.json())
    assert ready.json()["status"] == "ready_for_complete", ready.json().get("messages")
    applied = ready.json()["discounts"]["applied"]
    assert applied[0]["code"] == "10OFF" and applied[0]["amount"] == 850
    assert sum(a["amount"] for a in applied[0]["allocations"]) == 850
    totals = totals_of(ready.json())
    assert totals["discount"] == (-850 if version == V2 else 850)
    assert totals["total"] == 8500 - 850

    with client_for_shop(shop) as native:
        session = native.get(f"/v1/checkouts/{checkout_id}").json()
    assert session["amount_total"] == totals["total"]
    assert session["amount_subtotal"] == totals["subtotal"]
    assert session["amount_discount"] == abs(totals["discount"])
    assert session["amount_shipping"] == totals["fulfillment"]

    payment = complete_body(version, "success_token")
    done = ucp.post(f"/checkout-sessions/{checkout_id}/complete", json=payment, headers=headers)
    assert done.status_code == 200, done.text
    schemas.checkout(done.json())
    assert done.json()["status"] == "completed"
    order_id = done.json()["order"]["id"]

    order = ucp.get(f"/orders/{order_id}", headers=headers)
    assert order.status_code == 200, order.text
    schemas.order(order.json())
    assert totals_of(order.json())["total"] == totals["total"]
    assert order.json()["checkout_id"] == checkout_id

    refused = ucp.post(f"/testing/simulate-shipping/{order_id}", headers=headers)
    assert refused.status_code == 403
    wrong = ucp.post(
        f"/testing/simulate-shipping/{order_id}",
        headers={**headers, "Simulation-Secret": "wrong"},
    )
    assert wrong.status_code == 403
    shipped = ucp.post(
        f"/testing/simulate-shipping/{order_id}",
        headers={**headers, "Simulation-Secret": SECRET},
    )
    assert shipped.status_code == 200, shipped.text
    schemas.order(shipped.json())
    assert [e["type"] for e in shipped.json()["fulfillment"]["events"]] == ["shipped"]
    assert {li["status"] for li in shipped.json()["line_items"]} == {"fulfilled"}

    # The new address went to the customer's book.
    with client_for_shop(shop) as native:
        customer = native.get("/v1/customers", params={"email": "john.doe@example.com"}).json()
    streets = {a["line1"] for c in customer["data"] for a in c.get("addresses", [])}
    assert "123 Market St" in streets


def client_for_shop(shop: Shop) -> httpx.Client:
    return httpx.Client(
        base_url=shop.url,
        headers={"Authorization": f"Bearer {shop.account.secret_key}"},
        timeout=30,
    )


def complete_body(version: str, token: str) -> dict[str, Any]:
    instrument = {
        "id": "instr_1",
        "handler_id": "mock_payment_handler",
        "type": "card",
        "brand": "Visa",
        "last_digits": "1234",
        "credential": {"type": "token", "token": token},
    }
    if version == V1:
        return {"payment_data": instrument, "risk_signals": {}}
    return {"payment": {"instruments": [{**instrument, "selected": True}]}}


DESTINATION = {
    "street_address": "1 Ferry Building",
    "address_locality": "San Francisco",
    "address_region": "CA",
    "postal_code": "94111",
    "address_country": "US",
}


def _ready_checkout(ucp: httpx.Client, version: str) -> str:
    headers = agent_headers(version)
    body: dict[str, Any] = {
        "line_items": [line("orchid_white")],
        "buyer": {"email": "buyer@example.com"},
        "fulfillment": {"methods": [{"type": "shipping", "destinations": [DESTINATION]}]},
    }
    created = ucp.post("/checkout-sessions", json=body, headers=headers)
    assert created.status_code == 201, created.text
    method = created.json()["fulfillment"]["methods"][0]
    option = method["groups"][0]["options"][0]["id"]
    method_in = body["fulfillment"]["methods"][0]
    method_in["groups"] = [{"id": method["groups"][0]["id"], "selected_option_id": option}]
    path = f"/checkout-sessions/{created.json()['id']}"
    ready = ucp.put(path, json=body, headers=headers)
    Schemas.of(version).checkout(ready.json())
    assert ready.json()["status"] == "ready_for_complete", ready.json()
    checkout_id: str = created.json()["id"]
    return checkout_id


@pytest.mark.parametrize("version", [V1, V2])
def test_mock_handler_declines_and_refuses(ucp: httpx.Client, version: str) -> None:
    checkout_id = _ready_checkout(ucp, version)
    headers = agent_headers(version)
    declined = ucp.post(
        f"/checkout-sessions/{checkout_id}/complete",
        json=complete_body(version, "fail_token"),
        headers=headers,
    )
    assert declined.status_code == 402, declined.text
    Schemas.of(version).error(declined.json())
    assert declined.json()["messages"][0]["code"] == "payment_declined"
    fraud = ucp.post(
        f"/checkout-sessions/{checkout_id}/complete",
        json=complete_body(version, "fraud_token"),
        headers=headers,
    )
    assert fraud.status_code == 403
    Schemas.of(version).error(fraud.json())
    again = ucp.get(f"/checkout-sessions/{checkout_id}", headers=headers)
    Schemas.of(version).checkout(again.json())
    assert again.json()["status"] == "ready_for_complete"
    paid = ucp.post(
        f"/checkout-sessions/{checkout_id}/complete",
        json=complete_body(version, "success_token"),
        headers=headers,
    )
    assert paid.json()["status"] == "completed"
    canceled = ucp.post(f"/checkout-sessions/{checkout_id}/cancel", headers=headers)
    assert canceled.status_code == 409
    Schemas.of(version).error(canceled.json())


@pytest.mark.parametrize("version", [V1, V2])
def test_cancel_and_stock_and_unknown(ucp: httpx.Client, version: str) -> None:
    headers = agent_headers(version)
    checkout_id = _ready_checkout(ucp, version)
    canceled = ucp.post(f"/checkout-sessions/{checkout_id}/cancel", headers=headers)
    assert canceled.status_code == 200
    Schemas.of(version).checkout(canceled.json())
    assert canceled.json()["status"] == "canceled"
    for sku, code in (("gardenias", "out_of_stock"), ("pink_wumpus", "item_unavailable")):
        refused = ucp.post(
            "/checkout-sessions",
            json={"line_items": [line(sku)], "currency": "USD"},
            headers=headers,
        )
        assert refused.status_code == 200, refused.text
        Schemas.of(version).error(refused.json())
        assert refused.json()["messages"][0]["code"] == code
    missing = ucp.get("/checkout-sessions/cs_nope", headers=headers)
    assert missing.status_code == 404
    Schemas.of(version).error(missing.json())


def test_idempotency_key(ucp: httpx.Client) -> None:
    key = str(uuid.uuid4())
    body = {"line_items": [line("bouquet_tulips")], "buyer": {"email": "i@example.com"}}
    headers = agent_headers(V2, **{"Idempotency-Key": key})
    first = ucp.post("/checkout-sessions", json=body, headers=headers)
    again = ucp.post("/checkout-sessions", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = ucp.post(
        "/checkout-sessions", json={**body, "line_items": [line("pot_ceramic")]}, headers=headers
    )
    assert other.status_code == 409
    assert other.json()["code"] == "idempotency_conflict"
    put_key = agent_headers(V2, **{"Idempotency-Key": str(uuid.uuid4())})
    path = f"/checkout-sessions/{first.json()['id']}"
    put_body = {**body, "line_items": [line("bouquet_tulips", 3)]}
    assert ucp.put(path, json=put_body, headers=put_key).json() == (
        ucp.put(path, json=put_body, headers=put_key).json()
    )
    assert ucp.put(path, json=body, headers=put_key).status_code == 409
    # Another platform's keys are its own.
    elsewhere = {
        **headers,
        "UCP-Agent": f'profile="https://other.example/.well-known/ucp", version="{V2}"',
    }
    theirs = ucp.post(
        "/checkout-sessions", json={**body, "line_items": [line("pot_ceramic")]}, headers=elsewhere
    )
    assert theirs.status_code == 201 and theirs.json()["id"] != first.json()["id"]


@pytest.fixture
def platform_profile() -> Iterator[tuple[str, dict[str, Any]]]:
    """A platform publishing its profile on loopback (what UCP-Agent points at)."""
    profile: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            payload = json.dumps(profile).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", profile
    finally:
        httpd.shutdown()
        thread.join(timeout=5)


def test_version_negotiation(ucp: httpx.Client, platform_profile: Any) -> None:
    base, profile = platform_profile
    body = {"line_items": [line("bouquet_sunflowers")], "currency": "USD"}
    missing = ucp.post("/checkout-sessions", json=body)
    assert missing.status_code == 400 and missing.json()["code"] == "invalid_profile_url"
    future = ucp.post("/checkout-sessions", json=body, headers=agent_headers("2099-01-01"))
    assert future.status_code == 422 and future.json()["code"] == "version_unsupported"
    older = ucp.post("/checkout-sessions", json=body, headers=agent_headers("2026-01-23"))
    assert older.json()["ucp"]["version"] == V1
    Schemas.of(V1).checkout(older.json())

    # Without a version parameter the platform's profile is fetched and its version used.
    profile["ucp"] = {
        "version": V1,
        "capabilities": [{"name": "dev.ucp.shopping.checkout", "version": V1}],
    }
    url = f"{base}/v1/.well-known/ucp"
    fetched = ucp.post("/checkout-sessions", json=body, headers={"UCP-Agent": f'profile="{url}"'})
    assert fetched.status_code == 201, fetched.text
    assert fetched.json()["ucp"]["capabilities"] == [
        {"name": "dev.ucp.shopping.checkout", "version": V1}
    ]
    assert "fulfillment" not in fetched.json()
    Schemas.of(V1).checkout(fetched.json())
    unreachable = ucp.post(
        "/checkout-sessions",
        json=body,
        headers={"UCP-Agent": 'profile="http://127.0.0.1:9/.well-known/ucp"'},
    )
    assert unreachable.status_code == 424
    assert unreachable.json()["code"] == "profile_unreachable"


def test_api_key_must_belong_to_the_account(
    shop: Shop, ucp: httpx.Client, other_account: Account
) -> None:
    body = {"line_items": [line("bouquet_sunflowers")], "currency": "USD"}
    own = ucp.post(
        "/checkout-sessions",
        json=body,
        headers={**agent_headers(V2), "Authorization": f"Bearer {shop.account.secret_key}"},
    )
    assert own.status_code == 201
    foreign = ucp.post(
        "/checkout-sessions",
        json=body,
        headers={**agent_headers(V2), "X-API-Key": other_account.secret_key},
    )
    assert foreign.status_code == 403
    bogus = ucp.post(
        "/checkout-sessions",
        json=body,
        headers={**agent_headers(V2), "Authorization": "Bearer sk_test_nope"},
    )
    assert bogus.status_code == 401


@pytest.mark.parametrize("version", [V1, V2])
def test_order_webhooks_reach_the_platform(
    ucp: httpx.Client, platform_profile: Any, version: str
) -> None:
    from tests.receiver import run_receiver

    base, profile = platform_profile
    with run_receiver() as receiver:
        hook = f"{receiver.url}/webhooks/ucp/orders"
        names = ["dev.ucp.shopping.checkout", "dev.ucp.shopping.fulfillment"]
        if version == V1:
            profile["ucp"] = {
                "version": V1,
                "capabilities": [{"name": name, "version": V1} for name in names]
                + [
                    {
                        "name": "dev.ucp.shopping.order",
                        "version": V1,
                        "config": {"webhook_url": hook},
                    }
                ],
            }
        else:
            profile["ucp"] = {
                "version": V2,
                "capabilities": {
                    **{name: [{"version": V2}] for name in names},
                    "dev.ucp.shopping.order": [{"version": V2, "config": {"webhook_url": hook}}],
                },
            }
        # A profile URL of its own per version (profiles are cached by URL).
        headers = {"UCP-Agent": f'profile="{base}/{version}/.well-known/ucp"'}
        body: dict[str, Any] = {
            "line_items": [line("bouquet_sunflowers")],
            "currency": "USD",
            "buyer": {"email": "hooks@example.com"},
            "fulfillment": {"methods": [{"type": "shipping", "destinations": [DESTINATION]}]},
        }
        created = ucp.post("/checkout-sessions", json=body, headers=headers)
        assert created.status_code == 201, created.text
        group = created.json()["fulfillment"]["methods"][0]["groups"][0]
        body["fulfillment"]["methods"][0]["groups"] = [
            {"id": group["id"], "selected_option_id": group["options"][0]["id"]}
        ]
        path = f"/checkout-sessions/{created.json()['id']}"
        assert ucp.put(path, json=body, headers=headers).json()["status"] == "ready_for_complete"
        done = ucp.post(
            f"{path}/complete", json=complete_body(version, "success_token"), headers=headers
        )
        assert done.json()["status"] == "completed", done.text
        order_id = done.json()["order"]["id"]
        ucp.post(
            f"/testing/simulate-shipping/{order_id}",
            headers={**headers, "Simulation-Secret": SECRET},
        )

        def by_event() -> dict[str, Any]:
            return {r.json["event_id"]: r for r in receiver.on("/webhooks/ucp/orders")}

        receiver.wait_for(lambda: len(by_event()) >= 2)
        # Deliveries are retried independently (at least once), so they may arrive again
        # or out of order; each carries its event's id and time.
        placed, shipped = sorted(by_event().values(), key=lambda r: r.json["created_time"])[:2]
        for delivery in (placed, shipped):
            Schemas.of(version).order(delivery.json)
            assert delivery.json["id"] == order_id
            assert delivery.json["event_id"] == delivery.headers["webhook-id"]
            assert delivery.headers["webhook-timestamp"].isdigit()
            assert delivery.headers["content-digest"].startswith("sha-256=:")
            assert delivery.json["ucp"]["version"] == version
        assert placed.json["fulfillment"]["events"] == []
        assert [e["type"] for e in shipped.json["fulfillment"]["events"]] == ["shipped"]
        with httpx.Client(base_url=ucp.base_url.copy_with(path="/"), timeout=30) as root:
            keys = root.get(f"/.well-known/ucp/{version}").json()["signing_keys"]
        for delivery in (placed, shipped):
            verify_signature(version, keys[0], hook, delivery)


def _public_key(jwk: dict[str, Any]) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    def number(value: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")

    return ec.EllipticCurvePublicNumbers(
        number(jwk["x"]), number(jwk["y"]), ec.SECP256R1()
    ).public_key()


def _verify_es256(jwk: dict[str, Any], raw: bytes, message: bytes) -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    _public_key(jwk).verify(der, message, ec.ECDSA(hashes.SHA256()))  # raises if invalid


def verify_signature(version: str, jwk: dict[str, Any], url: str, delivery: Any) -> None:
    """Check a webhook's signature with the key of our profile, as a platform would."""
    import hashlib
    from urllib.parse import urlsplit

    digest = base64.b64encode(hashlib.sha256(delivery.body).digest()).decode()
    assert delivery.headers["content-digest"] == f"sha-256=:{digest}:"
    if version == V1:
        protected, empty, signature = delivery.headers["request-signature"].split(".")
        assert empty == ""
        header = json.loads(base64.urlsafe_b64decode(protected + "=" * (-len(protected) % 4)))
        assert header["kid"] == jwk["kid"] and header["b64"] is False
        raw = base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4))
        _verify_es256(jwk, raw, protected.encode() + b"." + delivery.body)
        return
    label, _, params = delivery.headers["signature-input"].partition("=")
    assert label == "sig1" and f'keyid="{jwk["kid"]}"' in params
    parts = urlsplit(url)
    values = {
        "@method": "POST",
        "@authority": parts.netloc,
        "@path": parts.path,
        "content-digest": delivery.headers["content-digest"],
        "content-type": delivery.headers["content-type"],
    }
    components = params[1 : params.index(")")].replace('"', "").split()
    base = "\n".join(f'"{name}": {values[name]}' for name in components)
    base += f'\n"@signature-params": {params}'
    raw = base64.b64decode(delivery.headers["signature"].removeprefix("sig1=:").rstrip(":"))
    _verify_es256(jwk, raw, base.encode())


def _rpc(client: httpx.Client, name: str, arguments: dict[str, Any], rpc_id: int = 1) -> Any:
    answer = client.post(
        "/ucp/mcp",
        json={
            "jsonrpc": "2.0",
            "id": rpc_id,
            "method": "tools/call",
            "params": {"name": name, "arguments": arguments},
        },
    )
    return answer


@pytest.mark.parametrize("version", [V1, V2])
def test_mcp_binding_runs_the_same_operations(shop: Shop, version: str) -> None:
    openrpc_name = "openrpc.json" if version == V1 else "mcp.openrpc.json"
    openrpc = json.loads(
        require_shared(
            UCP / f"v{version}" / "source" / "services" / "shopping" / openrpc_name
        ).read_text()
    )
    methods = {m["name"] for m in openrpc["methods"]}
    schemas = Schemas.of(version)
    meta = {"ucp-agent": {"profile": "https://agent.example/.well-known/ucp", "version": version}}
    with httpx.Client(base_url=shop.url, timeout=30) as client:
        init = client.post(
            "/ucp/mcp",
            json={"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": {}},
        )
        assert init.json()["result"]["serverInfo"]["name"] == "opencheckout-ucp"
        listed = client.post("/ucp/mcp", json={"jsonrpc": "2.0", "id": 0, "method": "tools/list"})
        names = {tool["name"] for tool in listed.json()["result"]["tools"]}
        assert names - {"get_order"} <= methods and "create_checkout" in names
        body: dict[str, Any] = {
            "line_items": [line("bouquet_tulips")],
            "currency": "USD",
            "buyer": {"email": "mcp@example.com"},
            "fulfillment": {"methods": [{"type": "shipping", "destinations": [DESTINATION]}]},
        }
        created = _rpc(client, "create_checkout", {"meta": meta, "checkout": body})
        assert created.status_code == 200, created.text
        checkout = created.json()["result"]["structuredContent"]
        schemas.checkout(checkout)
        assert json.loads(created.json()["result"]["content"][0]["text"]) == checkout
        group = checkout["fulfillment"]["methods"][0]["groups"][0]
        body["fulfillment"]["methods"][0]["groups"] = [
            {"id": group["id"], "selected_option_id": group["options"][0]["id"]}
        ]
        updated = _rpc(
            client, "update_checkout", {"meta": meta, "id": checkout["id"], "checkout": body}
        )
        ready = updated.json()["result"]["structuredContent"]
        schemas.checkout(ready)
        assert ready["status"] == "ready_for_complete"
        with client_for_shop(shop) as native:
            session = native.get(f"/v1/checkouts/{checkout['id']}").json()
        assert totals_of(ready)["total"] == session["amount_total"]
        key = str(uuid.uuid4())
        payment = complete_body(version, "success_token")
        if version == V1:
            arguments = {"meta": meta, "id": checkout["id"], "idempotency_key": key, **payment}
        else:
            arguments = {"meta": {**meta, "idempotency-key": key}, "id": checkout["id"]}
            arguments["checkout"] = payment
        done = _rpc(client, "complete_checkout", arguments)
        paid = done.json()["result"]["structuredContent"]
        schemas.checkout(paid)
        assert paid["status"] == "completed"
        replay = _rpc(client, "complete_checkout", arguments)
        assert replay.json()["result"]["structuredContent"] == paid
        order = _rpc(client, "get_order", {"meta": meta, "id": paid["order"]["id"]})
        schemas.order(order.json()["result"]["structuredContent"])
        missing = _rpc(client, "get_checkout", {"meta": meta, "id": "cs_nope"})
        assert missing.json()["result"]["isError"] is True
        schemas.error(missing.json()["result"]["structuredContent"])
        unsupported = _rpc(
            client,
            "get_checkout",
            {
                "meta": {"ucp-agent": {"profile": "https://a.example/", "version": "2099-01-01"}},
                "id": checkout["id"],
            },
        )
        assert unsupported.status_code == 422
        assert unsupported.json()["error"]["code"] == -32001
        assert unsupported.json()["error"]["data"]["code"] == "version_unsupported"


def _fixtures() -> tuple[dict[str, Any], dict[str, Any]]:
    folder = UCP / "conformance" / "test_data" / "flower_shop"
    config = json.loads(require_shared(folder / "conformance_input.json").read_text())
    fixtures = json.loads(require_shared(folder / "test_fixtures.json").read_text())
    return config, fixtures["test_fixtures"]


def test_conformance_fixtures_hold(ucp: httpx.Client) -> None:
    """What the conformance suite expects of the flower shop, from its own data files:
    the item's price, each code's reduction, free shipping above the threshold, the
    known customers' saved addresses, and the out-of-stock and unknown items."""
    config, fixtures = _fixtures()
    version = config["ucp_version"]
    schemas = Schemas.of(version)
    headers = agent_headers(version)
    item = fixtures["valid_item"]
    base = {
        "line_items": [line(item["sku"], item["quantity"])],
        "currency": config["currency"],
        "buyer": {"email": fixtures["known_customer"]["email"]},
        "fulfillment": {"methods": [{"type": "shipping"}]},
    }
    created = ucp.post("/checkout-sessions", json=base, headers=headers)
    schemas.checkout(created.json())
    assert created.json()["line_items"][0]["item"]["price"] == round(item["expected_price"] * 100)
    # The catalog's title is the authority (the suite's config calls it "Red Rose").
    assert created.json()["line_items"][0]["item"]["id"] == config["items"][0]["id"]
    method = created.json()["fulfillment"]["methods"][0]
    streets = {d.get("street_address") for d in method["destinations"]}
    assert {a["street_address"] for a in fixtures["known_customer"]["addresses"]} <= streets
    subtotal = round(item["expected_price"] * 100) * item["quantity"]
    path = f"/checkout-sessions/{created.json()['id']}"
    for code, expected in (
        (
            fixtures["valid_discount_code"],
            subtotal * fixtures["expected_discount_percentage"] / 100,
        ),
        (
            fixtures["valid_discount_code_2"],
            subtotal * fixtures["expected_discount_percentage_2"] / 100,
        ),
        (
            fixtures["valid_fixed_discount_code"],
            fixtures["expected_fixed_discount_reduction"] * 100,
        ),
    ):
        applied = ucp.put(path, json={**base, "discounts": {"codes": [code]}}, headers=headers)
        schemas.checkout(applied.json())
        assert abs(totals_of(applied.json())["discount"]) == round(expected), code
    # Free shipping over the threshold, on an item the rose promotion does not cover.
    threshold = round(fixtures["free_shipping_min_subtotal"] * 100)
    big = {
        **base,
        "buyer": {"email": fixtures["known_customer_without_address"]["email"]},
        "line_items": [line("orchid_white", -(-threshold // 4500))],
        "fulfillment": {"methods": [{"type": "shipping", "destinations": [DESTINATION]}]},
    }
    offered = ucp.post("/checkout-sessions", json=big, headers=headers)
    schemas.checkout(offered.json())
    method = offered.json()["fulfillment"]["methods"][0]
    assert not [d for d in method["destinations"] if d["id"].startswith("addr_")]
    standard = [o for o in method["groups"][0]["options"] if o["title"] == "Standard Shipping"]
    assert standard[0]["totals"][-1]["amount"] == 0
    for key, code in (
        ("out_of_stock_item", "out_of_stock"),
        ("non_existent_item", "item_unavailable"),
    ):
        refused = ucp.post(
            "/checkout-sessions",
            json={**base, "line_items": [line(config[key]["id"])]},
            headers=headers,
        )
        schemas.error(refused.json())
        assert refused.json()["messages"][0]["code"] == code


def test_card_credential_in_test_mode(ucp: httpx.Client) -> None:
    checkout_id = _ready_checkout(ucp, V1)
    card = {
        "id": "instr_card",
        "handler_id": "mock_payment_handler",
        "type": "card",
        "brand": "Visa",
        "last_digits": "4242",
        "credential": {
            "type": "card",
            "card_number_type": "fpan",
            "number": "4242424242424242",
            "expiry_month": 12,
            "expiry_year": 2099,
            "cvc": "123",
        },
    }
    paid = ucp.post(
        f"/checkout-sessions/{checkout_id}/complete",
        json={"payment_data": card},
        headers=agent_headers(V1),
    )
    assert paid.status_code == 200, paid.text
    Schemas.of(V1).checkout(paid.json())
    assert paid.json()["status"] == "completed"


def test_refusals_outside_the_routes_are_ucp_shaped(ucp: httpx.Client) -> None:
    headers = agent_headers(V2)
    unknown = ucp.get("/no-such-operation", headers=headers)
    assert unknown.status_code == 404
    assert set(unknown.json()) == {"code", "content"}
    wrong_method = ucp.delete("/checkout-sessions/cs_x", headers=headers)
    assert wrong_method.status_code == 405
    assert set(wrong_method.json()) == {"code", "content"}
    hostile = ucp.post(
        "/checkout-sessions",
        content=b'{"line_items": [{"item": {"id": "x"}, "quantity": 1E+999999}]}',
        headers={**headers, "Content-Type": "application/json"},
    )
    assert hostile.status_code == 422
    assert set(hostile.json()) == {"code", "content"}
    not_json = ucp.post(
        "/checkout-sessions",
        content=b"line_items=1",
        headers={**headers, "Content-Type": "text/plain"},
    )
    assert not_json.status_code == 415
    assert set(not_json.json()) == {"code", "content"}

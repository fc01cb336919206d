"""Orders created on completion, their fulfillment events and order events, over HTTP."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import httpx

from opencheckout.service import orders as order_service
from opencheckout.store import payments as payment_store
from opencheckout.store.db import Database
from tests.conftest import client_for
from tests.factories import DECLINED_CARD, assert_error, create_session, paid_session

SHIP_TO = {
    "line1": "1 Infinite Loop",
    "city": "Cupertino",
    "state": "CA",
    "postal_code": "95014",
    "country": "US",
}


def order_of(api: httpx.Client, checkout_id: str) -> dict[str, Any]:
    found = api.get("/v1/orders", params={"checkout": checkout_id}).json()["data"]
    assert len(found) == 1, found
    order: dict[str, Any] = found[0]
    return order


def test_completion_creates_the_order(api):
    session = paid_session(
        api,
        customer={
            "id": "crm-7",
            "email": "ada@example.com",
            "first_name": "Ada",
            "last_name": "Lovelace",
            "billing_address": {**SHIP_TO, "country": "ES"},
            "shipping_address": SHIP_TO,
        },
        shipping_options=[{"id": "std", "display_name": "Standard", "amount": 500}],
        selected_shipping_option="std",
    )
    order = order_of(api, session["id"])
    assert order["id"] == "ord_" + session["id"].removeprefix("cs_")
    assert order["object"] == "order" and order["status"] == "confirmed"
    assert order["checkout"] == session["id"] and order["customer"] == "crm-7"
    assert order["email"] == "ada@example.com" and order["currency"] == "eur"
    assert order["line_items"] == session["line_items"]
    for key in (
        "amount_subtotal",
        "amount_discount",
        "amount_tax",
        "amount_shipping",
        "amount_total",
    ):
        assert order[key] == session[key]
    assert order["amount_shipping"] == 500
    assert order["shipping_address"]["line1"] == "1 Infinite Loop"
    assert order["shipping_option"]["id"] == "std"
    assert order["fulfillment_events"] == [] and order["adjustments"] == []
    assert api.get(f"/v1/orders/{order['id']}").json() == order
    types = [e["type"] for e in api.get("/v1/events", params={"limit": 100}).json()["data"]]
    assert "order.created" in types
    created = next(
        e
        for e in api.get("/v1/events", params={"limit": 100}).json()["data"]
        if e["type"] == "order.created"
    )
    assert created["data"]["object"]["id"] == order["id"]


def test_no_order_without_payment_and_billing_address_ships(api):
    declined = create_session(api)
    response = api.post(f"/v1/checkouts/{declined['id']}/complete", json={"payment": DECLINED_CARD})
    assert response.status_code == 402
    assert api.get("/v1/orders", params={"checkout": declined["id"]}).json()["data"] == []
    pending = create_session(api)
    assert api.get("/v1/orders", params={"checkout": pending["id"]}).json()["data"] == []
    paid = paid_session(api)
    order = order_of(api, paid["id"])
    assert order["shipping_address"]["city"] == "Barcelona"  # the billing address


def test_fulfillment_events_drive_status(api):
    session = paid_session(api)
    order = order_of(api, session["id"])
    shirt, socks = (line["id"] for line in session["line_items"])
    path = f"/v1/orders/{order['id']}/fulfillment_events"
    first = api.post(
        path,
        json={
            "type": "shipped",
            "line_items": [{"id": shirt, "quantity": 1}],
            "tracking_number": "1Z999",
            "carrier": "UPS",
            "tracking_url": "https://ups.example/1Z999",
        },
    )
    assert first.status_code == 201, first.text
    order = first.json()
    assert order["status"] == "partially_fulfilled"
    event = order["fulfillment_events"][0]
    assert event["id"].startswith("fe_") and event["type"] == "shipped"
    assert event["line_items"] == [{"id": shirt, "quantity": 1}] and event["carrier"] == "UPS"
    order = api.post(path, json={"type": "in_transit"}).json()
    assert order["status"] == "fulfilled" and len(order["fulfillment_events"]) == 2
    assert api.post(path, json={"type": "delivered"}).json()["status"] == "fulfilled"
    assert_error(
        api.post(path, json={"type": "shipped", "line_items": [{"id": "li_x", "quantity": 1}]}),
        422,
        param="line_items[0].id",
    )
    assert_error(
        api.post(path, json={"type": "shipped", "line_items": [{"id": socks, "quantity": 2}]}),
        422,
        param="line_items[0].quantity",
    )
    assert_error(api.post(path, json={"type": "Shipped!"}), 422, param="type")
    assert_error(
        api.post(path, json={"type": "shipped", "tracking_url": "javascript:x"}),
        422,
        param="tracking_url",
    )
    assert_error(api.post("/v1/orders/ord_nope/fulfillment_events", json={"type": "shipped"}), 404)
    updates = [
        e
        for e in api.get("/v1/events", params={"limit": 100}).json()["data"]
        if e["type"] == "order.updated"
    ]
    assert len(updates) == 3 and updates[0]["data"]["object"]["status"] == "fulfilled"


def test_cancel_and_list_filters(api, server, other_account):
    one = order_of(api, paid_session(api)["id"])
    two = order_of(
        api,
        paid_session(
            api,
            customer={
                "id": "crm-9",
                "email": "x@example.com",
                "first_name": "X",
                "last_name": "Y",
                "billing_address": SHIP_TO,
            },
        )["id"],
    )
    canceled = api.post(f"/v1/orders/{one['id']}/fulfillment_events", json={"type": "canceled"})
    assert canceled.json()["status"] == "canceled"
    assert_error(
        api.post(f"/v1/orders/{one['id']}/fulfillment_events", json={"type": "shipped"}),
        409,
        code="order_canceled",
    )
    listed = api.get("/v1/orders").json()
    assert listed["url"] == "/v1/orders" and [o["id"] for o in listed["data"]] == [
        two["id"],
        one["id"],
    ]
    assert [
        o["id"] for o in api.get("/v1/orders", params={"status": "canceled"}).json()["data"]
    ] == [one["id"]]
    assert [
        o["id"] for o in api.get("/v1/orders", params={"customer": "crm-9"}).json()["data"]
    ] == [two["id"]]
    page = api.get("/v1/orders", params={"limit": 1}).json()
    assert page["has_more"] is True and page["data"][0]["id"] == two["id"]
    rest = api.get("/v1/orders", params={"starting_after": two["id"]}).json()
    assert [o["id"] for o in rest["data"]] == [one["id"]]
    after = api.get("/v1/orders", params={"created[gt]": two["created_at"]}).json()["data"]
    assert after == []
    assert_error(api.get("/v1/orders", params={"status": "lost"}), 422, param="status")
    with client_for(server, other_account.secret_key) as elsewhere:
        assert elsewhere.get("/v1/orders").json()["data"] == []
        assert_error(elsewhere.get(f"/v1/orders/{one['id']}"), 404)
        assert_error(
            elsewhere.post(f"/v1/orders/{one['id']}/fulfillment_events", json={"type": "shipped"}),
            404,
        )


def test_linked_customer_is_the_order_customer(api):
    customer = api.post("/v1/customers", json={"email": "linked@example.com"}).json()
    session = paid_session(
        api,
        customer={
            "email": "linked@example.com",
            "first_name": "L",
            "last_name": "K",
            "billing_address": SHIP_TO,
        },
    )
    order = order_of(api, session["id"])
    assert order["customer"] == customer["id"]
    assert [
        o["id"] for o in api.get("/v1/orders", params={"customer": customer["id"]}).json()["data"]
    ] == [order["id"]]


def test_a_completion_recorded_again_keeps_its_one_order(api, server):
    """Creating the order of a session that has one (a completion recorded twice) answers
    the order there is: no second order, no second ``order.created`` event."""
    session = paid_session(api)
    first = order_of(api, session["id"])

    async def again() -> str:
        db = Database(server.database_url)
        try:
            async with db.write() as tx:
                row = await payment_store.get_by_id(tx, session["id"])
                assert row is not None
                order = await order_service.create_for(tx, row, datetime.now(UTC))
                return order.id
        finally:
            await db.dispose()

    assert asyncio.run(again()) == first["id"]
    assert order_of(api, session["id"]) == first
    events = api.get("/v1/events", params={"limit": 100}).json()["data"]
    assert [e["type"] for e in events].count("order.created") == 1

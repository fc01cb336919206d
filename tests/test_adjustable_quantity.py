"""Buyer-adjustable quantities over the API: ``adjustable_quantity`` on line items,
bounds checked on create and on PATCH (``quantity_out_of_range``), bounded by
tracked stock, and Quaderno's ``updatable_quantity``; on both engines."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.factories import GOOD_CARD, assert_error, create_session, session_body

ADJUSTABLE = {"enabled": True}


def _lines(**adjustable: Any) -> list[dict[str, Any]]:
    return [
        {
            "product": "sku-shirt",
            "name": "Shirt",
            "unit_amount": 2500,
            "quantity": 2,
            "adjustable_quantity": {"enabled": True, **adjustable},
        },
        {"product": "sku-socks", "name": "Socks", "unit_amount": 799, "quantity": 1},
    ]


def test_defaults_are_one_to_ninety_nine_and_fixed_lines_say_null(api):
    session = create_session(api, line_items=_lines())
    shirt, socks = session["line_items"]
    assert shirt["adjustable_quantity"] == {"enabled": True, "minimum": 1, "maximum": 99}
    assert socks["adjustable_quantity"] is None
    line_items = api.get(f"/v1/checkouts/{session['id']}/line_items").json()["data"]
    assert line_items[0]["adjustable_quantity"]["maximum"] == 99


def test_create_refuses_a_quantity_outside_the_bounds(api):
    response = api.post(
        "/v1/checkouts", json=session_body(line_items=_lines(minimum=3, maximum=10))
    )
    error = assert_error(response, 422, "quantity_out_of_range", "line_items[0].quantity")
    assert "3 to 10" in error["message"]
    response = api.post("/v1/checkouts", json=session_body(line_items=_lines(maximum=1)))
    assert_error(response, 422, "quantity_out_of_range", "line_items[0].quantity")


@pytest.mark.parametrize(
    ("adjustable", "param"),
    [
        ({"minimum": 5, "maximum": 4}, "line_items[0].adjustable_quantity.minimum"),
        ({"minimum": 0}, "line_items[0].adjustable_quantity.minimum"),
        ({"maximum": 1_000_000}, "line_items[0].adjustable_quantity.maximum"),
        ({"enabled": "yes"}, "line_items[0].adjustable_quantity.enabled"),
        ({"step": 2}, "line_items[0].adjustable_quantity.step"),
    ],
)
def test_bad_bounds_are_422_naming_them(api, adjustable, param):
    response = api.post("/v1/checkouts", json=session_body(line_items=_lines(**adjustable)))
    assert_error(response, 422, param=param)


def test_missing_enabled_is_parameter_missing(api):
    lines = _lines()
    lines[0]["adjustable_quantity"] = {"maximum": 5}
    response = api.post("/v1/checkouts", json=session_body(line_items=lines))
    assert_error(response, 422, "parameter_missing", "line_items[0].adjustable_quantity.enabled")


def test_patch_changes_a_quantity_within_bounds_and_reprices(api):
    session = create_session(api, line_items=_lines(maximum=5))
    shirt = session["line_items"][0]
    response = api.patch(
        f"/v1/checkouts/{session['id']}", json={"line_items": [{"id": shirt["id"], "quantity": 4}]}
    )
    assert response.status_code == 200, response.text
    changed = response.json()
    assert changed["line_items"][0]["id"] == shirt["id"]
    assert changed["line_items"][0]["quantity"] == 4
    assert changed["line_items"][1]["quantity"] == 1  # the other line is kept
    assert changed["amount_subtotal"] == 4 * 2500 + 799
    assert changed["amount_total"] == 4 * 2500 + 799
    events = api.get("/v1/events", params={"type": "checkout.updated"}).json()["data"]
    assert events[0]["data"]["object"]["line_items"][0]["quantity"] == 4


def test_patch_refuses_a_quantity_out_of_range(api):
    session = create_session(api, line_items=_lines(minimum=2, maximum=5))
    shirt_id = session["line_items"][0]["id"]
    for quantity in (1, 6):
        response = api.patch(
            f"/v1/checkouts/{session['id']}",
            json={"line_items": [{"id": shirt_id, "quantity": quantity}]},
        )
        assert_error(response, 422, "quantity_out_of_range", "line_items[0].quantity")
    assert api.get(f"/v1/checkouts/{session['id']}").json()["line_items"][0]["quantity"] == 2


def test_patch_by_id_rules(api):
    session = create_session(api, line_items=_lines())
    shirt_id, socks_id = (line["id"] for line in session["line_items"])
    url = f"/v1/checkouts/{session['id']}"
    fixed = api.patch(url, json={"line_items": [{"id": socks_id, "quantity": 3}]})
    assert_error(fixed, 422, "quantity_not_adjustable", "line_items[0].quantity")
    unknown = api.patch(url, json={"line_items": [{"id": "li_nope", "quantity": 3}]})
    assert_error(unknown, 422, "line_item_unknown", "line_items[0].id")
    twice = api.patch(
        url,
        json={"line_items": [{"id": shirt_id, "quantity": 3}, {"id": shirt_id, "quantity": 4}]},
    )
    assert_error(twice, 422, "line_item_unknown", "line_items[1].id")
    priced = api.patch(url, json={"line_items": [{"id": shirt_id, "unit_amount": 1}]})
    assert_error(priced, 422, "parameter_invalid", "line_items[0].unit_amount")
    mixed = api.patch(
        url,
        json={
            "line_items": [
                {"id": shirt_id, "quantity": 3},
                {"product": "sku-hat", "unit_amount": 100},
            ]
        },
    )
    assert_error(mixed, 422, "parameter_invalid", "line_items[1].id")
    neither = api.patch(url, json={"line_items": [{"quantity": 3}]})
    assert_error(neither, 422, "parameter_missing", "line_items[0].product")
    # The merchant may make a fixed line adjustable by id, keeping its price.
    made = api.patch(
        url, json={"line_items": [{"id": socks_id, "adjustable_quantity": {"enabled": True}}]}
    )
    assert made.status_code == 200, made.text
    assert made.json()["line_items"][1]["adjustable_quantity"]["enabled"] is True
    assert made.json()["line_items"][1]["unit_amount"] == 799
    again = api.patch(url, json={"line_items": [{"id": socks_id, "quantity": 3}]})
    assert again.status_code == 200 and again.json()["line_items"][1]["quantity"] == 3


def test_full_lines_on_patch_are_checked_like_on_create(api):
    session = create_session(api, line_items=_lines())
    response = api.patch(f"/v1/checkouts/{session['id']}", json={"line_items": _lines(minimum=5)})
    assert_error(response, 422, "quantity_out_of_range", "line_items[0].quantity")


def test_the_maximum_is_bounded_by_tracked_stock(api):
    created = api.post(
        "/v1/products",
        json={"id": "vase", "name": "Vase", "unit_amount": 1000, "currency": "eur", "stock": 4},
    )
    assert created.status_code == 201, created.text
    lines = [{"product": "vase", "quantity": 1, "adjustable_quantity": {"enabled": True}}]
    session = create_session(api, line_items=lines)
    line = session["line_items"][0]
    assert line["adjustable_quantity"] == {"enabled": True, "minimum": 1, "maximum": 4}
    url = f"/v1/checkouts/{session['id']}"
    over = api.patch(url, json={"line_items": [{"id": line["id"], "quantity": 5}]})
    assert_error(over, 422, "quantity_out_of_range", "line_items[0].quantity")
    # Stock sold elsewhere meanwhile: the change is checked against what is left now.
    assert api.post("/v1/products/vase/stock", json={"set": 2}).status_code == 200
    short = api.patch(url, json={"line_items": [{"id": line["id"], "quantity": 3}]})
    assert_error(short, 422, "insufficient_stock", "line_items[0].quantity")
    ok = api.patch(url, json={"line_items": [{"id": line["id"], "quantity": 2}]})
    assert ok.status_code == 200, ok.text
    paid = api.post(f"{url}/complete", json={"payment": GOOD_CARD, "expected_amount": 2000})
    assert paid.status_code == 200, paid.text
    assert api.get("/v1/products/vase").json()["stock"] == 0


@pytest.fixture
def quaderno(server, account):
    with httpx.Client(base_url=server.url, auth=(account.secret_key, "x"), timeout=30) as client:
        yield client


QUADERNO_SESSION: dict[str, Any] = {
    "items": [
        {"product": "ebook", "name": "E-book", "amount": 19.99, "currency": "EUR", "quantity": 2}
    ],
    "customer": {"email": "buyer@example.com", "first_name": "Ada", "billing_country": "ES"},
    "billing_details_collection": "auto",
    "success_url": "https://shop.example.com/thanks",
    "cancel_url": "https://shop.example.com/cart",
}


def test_quaderno_updatable_quantity_maps_to_adjustable_lines(quaderno, api):
    created = quaderno.post(
        "/api/checkout/sessions.json", json={**QUADERNO_SESSION, "updatable_quantity": True}
    )
    assert created.status_code == 201, created.text
    session = created.json()
    assert session["updatable_quantity"] is True
    number = session["id"]
    native = api.get("/v1/checkouts", params={"limit": 1}).json()["data"][0]
    assert native["line_items"][0]["adjustable_quantity"] == {
        "enabled": True,
        "minimum": 1,
        "maximum": 99,
    }
    # New items keep the session's flag; the flag alone changes every line.
    items = [{**QUADERNO_SESSION["items"][0], "quantity": 3}]
    put = quaderno.put(f"/api/checkout/sessions/{number}.json", json={"items": items})
    assert put.status_code == 200, put.text
    assert put.json()["updatable_quantity"] is True and put.json()["items"][0]["quantity"] == 3
    off = quaderno.put(f"/api/checkout/sessions/{number}.json", json={"updatable_quantity": False})
    assert off.status_code == 200, off.text
    assert off.json()["updatable_quantity"] is False
    assert off.json()["items"][0]["amount"] == 19.99
    native = api.get(f"/v1/checkouts/{native['id']}").json()
    assert native["line_items"][0]["adjustable_quantity"]["enabled"] is False
    assert_error(
        api.patch(
            f"/v1/checkouts/{native['id']}",
            json={"line_items": [{"id": native["line_items"][0]["id"], "quantity": 1}]},
        ),
        422,
        "quantity_not_adjustable",
    )
    plain = quaderno.post("/api/checkout/sessions.json", json=QUADERNO_SESSION)
    assert plain.json()["updatable_quantity"] is False
    bad = quaderno.post(
        "/api/checkout/sessions.json", json={**QUADERNO_SESSION, "updatable_quantity": "yes"}
    )
    assert_error(bad, 422, param="updatable_quantity")


def test_quaderno_names_its_own_items_in_quantity_errors(quaderno):
    created = quaderno.post(
        "/api/checkout/sessions.json",
        json={
            **QUADERNO_SESSION,
            "updatable_quantity": True,
            "items": [{**QUADERNO_SESSION["items"][0], "quantity": 1_000_000}],
        },
    )
    assert created.status_code == 422, created.text
    assert created.json()["error"]["param"].startswith("items[0]")

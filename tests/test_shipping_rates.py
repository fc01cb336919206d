"""Shipping rates by country, free-shipping promotions and the options sessions are
offered from them, over HTTP on both engines."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import client_for
from tests.factories import assert_error, create_session

US = {"line1": "1 Main St", "city": "Springfield", "postal_code": "62704", "country": "US"}
FR = {"line1": "1 rue de Rivoli", "city": "Paris", "postal_code": "75001", "country": "FR"}


def rate(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"display_name": "Standard", "amount": 500, "currency": "eur", **fields}
    response = api.post("/v1/shipping_rates", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def buyer(address: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "email": "b@example.com",
        "first_name": "B",
        "last_name": "C",
        "billing_address": address,
        **fields,
    }


def test_shipping_rate_and_promotion_crud(api, server, other_account):
    made = rate(
        api,
        countries=["us", "CA"],
        service_level="express",
        delivery_estimate={"minimum": 1, "maximum": 2, "unit": "business_day"},
    )
    assert made["id"].startswith("shr_") and made["object"] == "shipping_rate"
    assert made["countries"] == ["US", "CA"] and made["active"] is True
    assert api.get(f"/v1/shipping_rates/{made['id']}").json() == made
    changed = api.patch(f"/v1/shipping_rates/{made['id']}", json={"amount": 900, "active": False})
    assert changed.json()["amount"] == 900 and changed.json()["active"] is False
    assert [r["id"] for r in api.get("/v1/shipping_rates").json()["data"]] == [made["id"]]
    assert_error(
        api.post("/v1/shipping_rates", json={"display_name": "x", "amount": -1, "currency": "eur"}),
        422,
        param="amount",
    )
    assert_error(
        api.post(
            "/v1/shipping_rates",
            json={"display_name": "x", "amount": 1, "currency": "eur", "countries": ["ZZ"]},
        ),
        422,
        param="countries[0]",
    )
    promo = api.post(
        "/v1/shipping_promotions",
        json={"min_subtotal": 10000, "currency": "eur", "service_levels": ["standard"]},
    )
    assert promo.status_code == 201, promo.text
    assert promo.json()["id"].startswith("shp_") and promo.json()["object"] == "shipping_promotion"
    with client_for(server, other_account.secret_key) as elsewhere:
        assert_error(elsewhere.get(f"/v1/shipping_rates/{made['id']}"), 404)
        assert_error(elsewhere.get(f"/v1/shipping_promotions/{promo.json()['id']}"), 404)
    assert api.delete(f"/v1/shipping_rates/{made['id']}").status_code == 204
    assert_error(api.get(f"/v1/shipping_rates/{made['id']}"), 404, param="id")
    assert api.delete(f"/v1/shipping_promotions/{promo.json()['id']}").status_code == 204


def test_options_follow_the_shipping_country(api):
    default = rate(api, display_name="Standard", amount=500)
    us_express = rate(
        api, display_name="Express (US)", amount=1500, countries=["US"], service_level="express"
    )
    us_standard = rate(api, display_name="Standard (US)", amount=700, countries=["US"])
    rate(api, display_name="Inactive", amount=1, active=False)
    rate(api, display_name="Dollars", amount=1, currency="usd")
    us = create_session(api, customer=buyer(US))
    assert [o["id"] for o in us["shipping_options"]] == [us_express["id"], us_standard["id"]]
    assert us["ready_for_payment"] is False
    assert "selected_shipping_option" in us["missing_fields"]
    fr = create_session(api, customer=buyer(FR))
    assert [o["id"] for o in fr["shipping_options"]] == [default["id"]]
    # A shipping address wins over the billing address.
    shipped = create_session(api, customer=buyer(FR, shipping_address=US))
    assert shipped["shipping_options"][0]["id"] == us_express["id"]

    # Selecting an option, then moving the address where it does not apply, drops it.
    chosen = api.patch(
        f"/v1/checkouts/{us['id']}", json={"selected_shipping_option": us_express["id"]}
    ).json()
    assert chosen["amount_shipping"] == 1500 and chosen["ready_for_payment"] is True
    moved = api.patch(f"/v1/checkouts/{us['id']}", json={"customer": {"billing_address": FR}})
    moved_session = moved.json()
    assert [o["id"] for o in moved_session["shipping_options"]] == [default["id"]]
    assert moved_session["selected_shipping_option"] is None
    assert "selected_shipping_option" in moved_session["missing_fields"]
    assert moved_session["amount_shipping"] == 0

    # Explicit per-session options keep working.
    own = create_session(
        api,
        customer=buyer(US),
        shipping_options=[{"id": "pickup", "display_name": "Pickup", "amount": 0}],
    )
    assert [o["id"] for o in own["shipping_options"]] == ["pickup"]


def test_promotions_make_shipping_free(api):
    standard = rate(api, amount=500)
    express = rate(api, display_name="Express", amount=1500, service_level="express")
    api.post(
        "/v1/shipping_promotions",
        json={"min_subtotal": 10000, "currency": "eur", "service_levels": ["standard"]},
    )
    api.post("/v1/shipping_promotions", json={"products": ["bouquet_roses"]})
    small = create_session(
        api, customer=buyer(FR), line_items=[{"product": "pot", "unit_amount": 1500}]
    )
    assert {o["id"]: o["amount"] for o in small["shipping_options"]} == {
        standard["id"]: 500,
        express["id"]: 1500,
    }
    big = create_session(
        api, customer=buyer(FR), line_items=[{"product": "pot", "unit_amount": 5000, "quantity": 2}]
    )
    assert {o["id"]: o["amount"] for o in big["shipping_options"]} == {
        standard["id"]: 0,
        express["id"]: 1500,
    }
    roses = create_session(
        api, customer=buyer(FR), line_items=[{"product": "bouquet_roses", "unit_amount": 3500}]
    )
    assert {o["amount"] for o in roses["shipping_options"]} == {0}
    # The cart changes: the promotion is recomputed.
    shrunk = api.patch(
        f"/v1/checkouts/{big['id']}", json={"line_items": [{"product": "pot", "unit_amount": 5000}]}
    ).json()
    assert {o["id"]: o["amount"] for o in shrunk["shipping_options"]}[standard["id"]] == 500

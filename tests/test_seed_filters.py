"""The seed list filters: customer_ids[], product_ids[], group_key / group_keys[] and
payment_intent_id (an alias of processor_id), over HTTP on both engines."""

from __future__ import annotations

from tests.factories import GOOD_CARD, assert_error, create_session


def ids_of(api, **params) -> list[str]:
    response = api.get("/v1/checkouts", params=params)
    assert response.status_code == 200, response.text
    return [session["id"] for session in response.json()["data"]]


def _customer(ref: str) -> dict:
    return {
        "id": ref,
        "email": f"{ref}@example.com",
        "first_name": "A",
        "last_name": "B",
        "billing_address": {"line1": "x", "city": "y", "postal_code": "1", "country": "ES"},
    }


def test_customer_and_product_id_lists(api):
    a = create_session(api, customer=_customer("crm-a"))
    b = create_session(
        api, customer=_customer("crm-b"), line_items=[{"product": "sku-hat", "unit_amount": 100}]
    )
    c = create_session(
        api, customer=_customer("crm-c"), line_items=[{"product": "sku-cap", "unit_amount": 100}]
    )
    assert ids_of(api, **{"customer_ids[]": ["crm-a", "crm-c"]}) == [c["id"], a["id"]]
    assert ids_of(api, **{"product_ids[]": ["sku-hat", "sku-cap"]}) == [c["id"], b["id"]]
    assert ids_of(api, **{"product_ids[]": ["sku-shirt"], "customer_ids[]": ["crm-a"]}) == [a["id"]]
    assert ids_of(api, **{"customer_ids[]": ["nobody"]}) == []
    assert_error(
        api.get("/v1/checkouts", params={"customer_ids[]": [f"c{n}" for n in range(101)]}),
        422,
        param="customer_ids[]",
    )


def test_group_key_and_group_keys(api):
    one = create_session(api, group_key="cart-1")
    two = create_session(api, group_key="cart-2")
    create_session(api)
    assert one["group_key"] == "cart-1"
    assert ids_of(api, **{"group_keys[]": ["cart-1"]}) == [one["id"]]
    assert ids_of(api, **{"group_keys[]": ["cart-1", "cart-2"]}) == [two["id"], one["id"]]
    moved = api.patch(f"/v1/checkouts/{two['id']}", json={"group_key": "cart-1"}).json()
    assert moved["group_key"] == "cart-1"
    assert ids_of(api, **{"group_keys[]": ["cart-1"]}) == [two["id"], one["id"]]
    assert (
        api.patch(f"/v1/checkouts/{two['id']}", json={"group_key": None}).json()["group_key"]
        is None
    )
    assert_error(
        api.post(
            "/v1/checkouts",
            json={
                "currency": "eur",
                "group_key": "x" * 201,
                "line_items": [{"product": "a", "unit_amount": 1}],
            },
        ),
        422,
        param="group_key",
    )


def test_payment_intent_id_is_processor_id(api):
    session = create_session(api)
    paid = api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": GOOD_CARD}).json()
    create_session(api)
    assert paid["processor_id"]
    assert ids_of(api, payment_intent_id=paid["processor_id"]) == [session["id"]]
    assert ids_of(api, processor_id=paid["processor_id"]) == [session["id"]]
    assert ids_of(
        api, payment_intent_id=paid["processor_id"], processor_id=paid["processor_id"]
    ) == [session["id"]]
    assert_error(
        api.get("/v1/checkouts", params={"payment_intent_id": "a", "processor_id": "b"}),
        422,
        param="payment_intent_id",
    )

"""Request bodies and sessions for tests: valid by default, tweakable per test."""

from __future__ import annotations

import copy
from typing import Any

import httpx

BASE_SESSION: dict[str, Any] = {
    "currency": "eur",
    "line_items": [
        {"product": "sku-shirt", "name": "Shirt", "unit_amount": 2500, "quantity": 2},
        {"product": "sku-socks", "name": "Socks", "unit_amount": 799, "quantity": 1},
    ],
    "customer": {
        "id": "cus_42",
        "email": "buyer@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "billing_address": {
            "line1": "Carrer de Mallorca 401",
            "city": "Barcelona",
            "postal_code": "08013",
            "country": "ES",
        },
    },
    "success_url": "https://shop.example.com/thanks?cs={CHECKOUT_ID}",
    "cancel_url": "https://shop.example.com/cart",
}

GOOD_CARD = {"method": "card", "card_number": "4242 4242 4242 4242"}
DECLINED_CARD = {"method": "card", "card_number": "4000 0000 0000 0002"}


def session_body(**overrides: Any) -> dict[str, Any]:
    body = copy.deepcopy(BASE_SESSION)
    for key, value in overrides.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


def create_session(api: httpx.Client, **overrides: Any) -> dict[str, Any]:
    response = api.post("/v1/checkouts", json=session_body(**overrides))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def paid_session(api: httpx.Client, **overrides: Any) -> dict[str, Any]:
    """A session created with ``overrides`` and completed with :data:`GOOD_CARD`."""
    session = create_session(api, **overrides)
    done = api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": GOOD_CARD})
    assert done.status_code == 200, done.text
    data: dict[str, Any] = done.json()
    return data


#: What a recovered copy lacks before it can be paid (the buyer's details are not copied).
RECOVERED_CUSTOMER: dict[str, Any] = {
    "email": "c@example.com",
    "billing_address": {
        "line1": "1 Main St",
        "city": "Paris",
        "postal_code": "75001",
        "country": "FR",
    },
}


def recovered_and_paid(api: httpx.Client, **overrides: Any) -> dict[str, Any]:
    """A session created with ``overrides`` and cancelled, then its recovered copy
    given a customer and completed with :data:`GOOD_CARD`: the copy as completed."""
    gone = create_session(api, **overrides)
    assert api.post(f"/v1/checkouts/{gone['id']}/cancel").status_code == 200
    copy = api.post(f"/v1/checkouts/{gone['id']}/recover").json()
    api.patch(f"/v1/checkouts/{copy['id']}", json={"customer": RECOVERED_CUSTOMER})
    done = api.post(f"/v1/checkouts/{copy['id']}/complete", json={"payment": GOOD_CARD})
    assert done.status_code == 200, done.text
    data: dict[str, Any] = done.json()
    return data


def assert_error(
    response: httpx.Response, status: int, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert set(error) >= {"type", "code", "message", "param"}
    assert error["message"]
    if code is not None:
        assert error["code"] == code, error
    if param is not None:
        assert error["param"] == param, error
    assert response.headers.get("request-id", "").startswith("req_")
    return error

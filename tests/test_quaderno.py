"""The Quaderno dialect at /api: seeds' examples, shapes, paging, both dialects on one session."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.conftest import SHARED, require_shared
from tests.factories import create_session

SEEDS = SHARED / "seeds"


def seed_examples() -> list[dict]:
    """Every JSON object example in Quaderno's seed docs (000 and 001)."""
    examples: list[dict] = []
    for path in sorted(require_shared(SEEDS).glob("00[01]_*.txt")):
        for block in re.findall(r"```json\n(.*?)```", path.read_text(), flags=re.S):
            data = json.loads(block)
            examples.extend(data if isinstance(data, list) else [data])
    return examples


@pytest.fixture
def quaderno(server, account):
    with httpx.Client(base_url=server.url, auth=(account.secret_key, "x"), timeout=30) as client:
        yield client


def test_seed_examples_are_accepted_as_they_stand(quaderno):
    examples = seed_examples()
    assert len(examples) >= 4
    for example in examples:
        response = quaderno.post("/api/checkout/sessions.json", json=example)
        assert response.status_code == 201, response.text
        session = response.json()
        assert isinstance(session["id"], int)
        assert session["status"] == "pending"  # status is read-only
        assert session["permalink"].startswith("https://pay.example.test/c/")
        for sent, got in zip(example["items"], session["items"], strict=True):
            assert got["product"] == sent["product"]
            assert got["amount"] == sent["amount"]
            assert got["currency"] == sent["currency"]
            assert got["quantity"] == sent["quantity"]
        for key in ("email", "first_name", "billing_country", "billing_postal_code"):
            assert session["customer"][key] == (example["customer"].get(key) or None)
        assert session["payment_methods"] == example["payment_methods"]
        assert session["locale"] == example["locale"]


def test_both_dialects_see_one_session(quaderno, api):
    created = quaderno.post(
        "/api/checkout/sessions.json",
        json={
            "items": [
                {
                    "product": "ebook",
                    "amount": 19.99,
                    "currency": "EUR",
                    "quantity": 3,
                    "name": "E-book",
                }
            ],
            "customer": {"email": "q@example.com", "first_name": "Quim", "billing_country": "ES"},
            "billing_details_collection": "auto",
            "success_url": "https://shop.example.com/ok",
            "cancel_url": "https://shop.example.com/ko",
        },
    ).json()
    number = created["id"]
    native = api.get("/v1/checkouts", params={"email": "q@example.com"}).json()["data"][0]
    assert native["amount_total"] == 5997
    assert native["line_items"][0]["unit_amount"] == 1999
    assert native["customer"]["billing_address"]["country"] == "ES"
    assert native["permalink"] == created["permalink"]

    # edit natively, read in Quaderno
    api.patch(
        f"/v1/checkouts/{native['id']}",
        json={"line_items": [{"product": "ebook", "unit_amount": 2500, "quantity": 2}]},
    )
    read = quaderno.get(f"/api/checkout/sessions/{number}.json").json()
    assert read["items"][0]["amount"] == 25.0 and read["items"][0]["quantity"] == 2
    assert read["amount_total"] == 50.0
    # edit in Quaderno (singular path), read natively
    updated = quaderno.put(
        f"/api/checkout/session/{number}.json",
        json={"customer": {"last_name": "Puig"}, "locale": "ca"},
    )
    assert updated.status_code == 200
    again = api.get(f"/v1/checkouts/{native['id']}").json()
    assert again["locale"] == "ca"
    assert again["customer"]["last_name"] == "Puig" and again["customer"]["first_name"] == "Quim"
    assert again["amount_total"] == 5000


def test_zero_and_three_decimal_currencies(quaderno):
    yen = quaderno.post(
        "/api/checkout/sessions.json",
        json={"items": [{"product": "tea", "amount": 1500, "currency": "JPY", "quantity": 1}]},
    )
    assert yen.status_code == 201 and yen.json()["items"][0]["amount"] == 1500
    bad = quaderno.post(
        "/api/checkout/sessions.json",
        json={"items": [{"product": "tea", "amount": 15.5, "currency": "JPY", "quantity": 1}]},
    )
    assert bad.status_code == 422
    assert bad.json()["errors"] == {"items[0].amount": [bad.json()["error"]["message"]]}
    dinar = quaderno.post(
        "/api/checkout/sessions.json",
        json={"items": [{"product": "x", "amount": 1.235, "currency": "KWD", "quantity": 2}]},
    )
    assert dinar.json()["items"][0]["amount"] == 1.235


def test_invalid_input_is_422_with_a_json_body(quaderno):
    cases = [
        ({"items": []}, "line_items"),
        ({"items": [{"amount": 5, "currency": "EUR", "quantity": 1}]}, "line_items[0].product"),
        (
            {"items": [{"product": "a", "amount": 5, "currency": "EUR", "quantity": 0}]},
            "line_items[0].quantity",
        ),
        (
            {
                "items": [
                    {"product": "a", "amount": 5, "currency": "EUR"},
                    {"product": "b", "amount": 5, "currency": "USD"},
                ]
            },
            "items",
        ),
        (
            {
                "items": [{"product": "a", "amount": 5, "currency": "EUR"}],
                "customer": {"billing_country": "XX"},
            },
            "customer.billing_address.country",
        ),
        (
            {"items": [{"product": "a", "amount": 5, "currency": "EUR"}], "success_url": "nope"},
            "success_url",
        ),
    ]
    for body, param in cases:
        response = quaderno.post("/api/checkout/sessions.json", json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["param"] == param
        assert param in response.json()["errors"]
    assert (
        quaderno.post(
            "/api/checkout/sessions.json",
            content=b"{",
            headers={"content-type": "application/json"},
        ).status_code
        == 400
    )


def test_list_paging_status_filter_and_delete(quaderno, api):
    numbers = [
        quaderno.post(
            "/api/checkout/sessions.json",
            json={"items": [{"product": f"p{i}", "amount": 1, "currency": "EUR", "quantity": 1}]},
        ).json()["id"]
        for i in range(7)
    ]
    seen: list[int] = []
    url = "/api/checkout/sessions.json?limit=3"
    while True:
        response = quaderno.get(url)
        assert response.status_code == 200
        seen.extend(session["id"] for session in response.json())
        if response.headers["X-Pages-HasMore"] != "true":
            assert "X-Pages-NextPage" not in response.headers
            break
        url = response.headers["X-Pages-NextPage"]
    assert seen == list(reversed(numbers))

    quaderno.put(
        f"/api/checkout/sessions/{numbers[0]}.json", json={"customer": {"email": "a@b.co"}}
    )
    native_id = api.get("/v1/checkouts", params={"email": "a@b.co"}).json()["data"][0]["id"]
    api.post(f"/v1/checkouts/{native_id}/cancel")
    abandoned = quaderno.get("/api/checkout/sessions.json", params={"status": "abandoned"}).json()
    assert [s["id"] for s in abandoned] == [numbers[0]]
    assert (
        quaderno.put(f"/api/checkout/sessions/{numbers[0]}.json", json={"locale": "es"}).status_code
        == 409
    )

    assert quaderno.delete(f"/api/checkout/sessions/{numbers[1]}.json").status_code == 204
    assert quaderno.get(f"/api/checkout/sessions/{numbers[1]}.json").status_code == 404
    assert quaderno.delete(f"/api/checkout/session/{numbers[2]}.json").status_code == 204


def test_other_tenants_cannot_reach_sessions_by_number(quaderno, server, other_account):
    number = quaderno.post(
        "/api/checkout/sessions.json",
        json={"items": [{"product": "a", "amount": 1, "currency": "EUR", "quantity": 1}]},
    ).json()["id"]
    with httpx.Client(base_url=server.url, auth=(other_account.secret_key, "x")) as other:
        assert other.get(f"/api/checkout/sessions/{number}.json").status_code == 404
        assert other.delete(f"/api/checkout/sessions/{number}.json").status_code == 404
    with httpx.Client(base_url=server.url) as anonymous:
        assert anonymous.get("/api/checkout/sessions.json").status_code == 401


def test_native_sessions_appear_in_quaderno(quaderno, api):
    native = create_session(api)
    listed = quaderno.get("/api/checkout/sessions.json").json()
    assert listed[0]["permalink"] == native["permalink"]
    assert listed[0]["items"][0]["amount"] == 25.0

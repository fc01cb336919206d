"""The Quaderno dialect at /api: seeds' examples, shapes, paging, both dialects on one session."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from tests.conftest import SHARED, require_shared
from tests.factories import DECLINED_CARD, GOOD_CARD, create_session

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
        ({"items": []}, "items"),
        ({"items": [{"amount": 5, "currency": "EUR", "quantity": 1}]}, "items[0].product"),
        (
            {"items": [{"product": "a", "amount": 5, "currency": "EUR", "quantity": 0}]},
            "items[0].quantity",
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
            "customer.billing_country",
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
        # Errors name the Quaderno fields the client sent, never the native ones.
        assert "line_items" not in response.text and "billing_address" not in response.text
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


# --------------------------------------------------------------------------- #
# A client written only from seeds 000/001
# --------------------------------------------------------------------------- #


def _ready_session(quaderno) -> int:
    """A Quaderno session that can be paid (email and a billing address given)."""
    response = quaderno.post(
        "/api/checkout/sessions.json",
        json={
            "items": [{"product": "book", "amount": 12.5, "currency": "EUR", "quantity": 1}],
            "customer": {
                "email": "reader@example.com",
                "first_name": "Rita",
                "billing_street_line_1": "Gran Via 1",
                "billing_city": "Madrid",
                "billing_postal_code": "28013",
                "billing_country": "ES",
            },
            "billing_details_collection": "required",
        },
    )
    assert response.status_code == 201, response.text
    number: int = response.json()["id"]
    return number


def _native_id(quaderno, api, number: int) -> str:
    permalink = quaderno.get(f"/api/checkout/sessions/{number}.json").json()["permalink"]
    data = api.get("/v1/checkouts", params={"email": "reader@example.com", "limit": 100}).json()
    return next(s["id"] for s in data["data"] if s["permalink"] == permalink)


def test_only_pending_sessions_can_be_updated(quaderno, api):
    """Seed 001: "Only pending sessions can be updated": failed ones are 409 as completed are."""
    failed = _ready_session(quaderno)
    failed_id = _native_id(quaderno, api, failed)
    declined = api.post(f"/v1/checkouts/{failed_id}/complete", json={"payment": DECLINED_CARD})
    assert declined.status_code == 402, declined.text
    assert quaderno.get(f"/api/checkout/sessions/{failed}.json").json()["status"] == "failed"

    completed = _ready_session(quaderno)
    paid = api.post(
        f"/v1/checkouts/{_native_id(quaderno, api, completed)}/complete",
        json={"payment": GOOD_CARD},
    )
    assert paid.status_code == 200, paid.text

    for number in (failed, completed):
        for path in (
            f"/api/checkout/sessions/{number}.json",
            f"/api/checkout/session/{number}.json",
        ):
            response = quaderno.put(path, json={"locale": "es"})
            assert response.status_code == 409, response.text
            body = response.json()
            assert body["error"]["code"] == "checkout_not_editable"
            assert "only pending sessions can be" in body["error"]["message"]
            assert body["errors"] == {"base": [body["error"]["message"]]}
    assert quaderno.get(f"/api/checkout/sessions/{failed}.json").json()["locale"] == "auto"
    # The native API keeps its own rule: a failed session may still be edited there.
    assert api.patch(f"/v1/checkouts/{failed_id}", json={"locale": "es"}).status_code == 200


def test_empty_strings_come_back_as_sent(quaderno, api):
    """Seed 000 shows ``"company": ""`` and ``"description": ""``: not null."""
    created = quaderno.post(
        "/api/checkout/sessions.json",
        json={
            "items": [
                {
                    "product": "awesome",
                    "amount": 999.0,
                    "name": "Awesome",
                    "description": "",
                    "currency": "EUR",
                    "quantity": 1,
                }
            ],
            "customer": {
                "company": "",
                "first_name": "James",
                "last_name": "",
                "email": None,
                "billing_street_line_2": "",
                "billing_country": None,
            },
        },
    )
    assert created.status_code == 201, created.text
    number = created.json()["id"]
    for session in (created.json(), quaderno.get(f"/api/checkout/sessions/{number}.json").json()):
        assert session["items"][0]["description"] == ""
        assert session["customer"]["company"] == ""
        assert session["customer"]["last_name"] == ""
        assert session["customer"]["billing_street_line_2"] == ""
        assert session["customer"]["email"] is None
        assert session["customer"]["billing_country"] is None
        assert session["customer"]["tax_id"] is None  # never sent: still null
    updated = quaderno.put(
        f"/api/checkout/sessions/{number}.json", json={"customer": {"first_name": ""}}
    )
    assert updated.status_code == 200, updated.text
    assert updated.json()["customer"]["first_name"] == ""
    assert updated.json()["customer"]["company"] == ""


def test_the_401_asks_for_basic_auth(server, account):
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        for method, path in (
            ("GET", "/api/checkout/sessions.json"),
            ("POST", "/api/checkout/sessions.json"),
            ("GET", "/api/checkout/sessions/1.json"),
        ):
            response = anonymous.request(method, path)
            assert response.status_code == 401, response.text
            assert response.headers["WWW-Authenticate"].startswith("Basic ")
            message = response.json()["error"]["message"]
            assert "Basic" in message and "Bearer" not in message
        wrong = anonymous.get("/api/checkout/sessions.json", auth=("sk_test_wrong", "x"))
        assert wrong.status_code == 401
        assert wrong.headers["WWW-Authenticate"].startswith("Basic ")
        # The native API still asks for a Bearer token.
        native = anonymous.get("/v1/checkouts")
        assert native.status_code == 401
        assert native.headers["WWW-Authenticate"].startswith("Bearer ")
        assert "Bearer" in native.json()["error"]["message"]
    # A key sent as Basic user name, with Quaderno's "x" password, is accepted.
    with httpx.Client(base_url=server.url, auth=(account.secret_key, "x"), timeout=30) as client:
        assert client.get("/api/checkout/sessions.json").status_code == 200


def test_a_create_without_items_names_items(quaderno):
    for body in (
        {},
        {"success_url": "https://shop.example.com/ok"},
        {"items": None},
        {"items": []},
    ):
        response = quaderno.post("/api/checkout/sessions.json", json=body)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["param"] == "items", error
        assert "items" in error["message"] and "line_items" not in error["message"]
        assert list(response.json()["errors"]) == ["items"]
        assert "line_items" not in response.text


def test_a_refunded_session_says_so(quaderno, api):
    """Quaderno has no refunds: the session stays completed and tells what was given back."""
    number = _ready_session(quaderno)
    native_id = _native_id(quaderno, api, number)
    paid = api.post(f"/v1/checkouts/{native_id}/complete", json={"payment": GOOD_CARD}).json()
    path = f"/api/checkout/sessions/{number}.json"
    session = quaderno.get(path).json()
    assert (session["status"], session["payment_status"]) == ("completed", "paid")
    assert session["amount_total"] == 12.5 and session["amount_refunded"] == 0.0

    assert api.post(f"/v1/checkouts/{native_id}/refunds", json={"amount": 250}).status_code == 201
    partly = quaderno.get(path).json()
    assert partly["status"] == "completed"
    assert partly["payment_status"] == "partially_refunded"
    assert (partly["amount_total"], partly["amount_refunded"]) == (12.5, 2.5)
    listed = quaderno.get("/api/checkout/sessions.json", params={"status": "completed"}).json()
    assert next(s for s in listed if s["id"] == number) == partly

    assert api.post(f"/v1/checkouts/{native_id}/refunds", json={}).status_code == 201
    full = quaderno.get(path).json()
    assert (full["payment_status"], full["amount_refunded"]) == ("refunded", 12.5)
    native = api.get(f"/v1/checkouts/{native_id}").json()
    assert native["amount_refunded"] == paid["amount_total"] == 1250
    assert native["payment_status"] == full["payment_status"]


def test_a_shipping_address_set_natively_survives_quaderno_updates(quaderno, api):
    """Quaderno's reference (seeds 000/001, providers.md) has no shipping fields, so the
    dialect maps none; its billing edits leave the session's shipping address alone."""
    number = _ready_session(quaderno)
    native_id = _native_id(quaderno, api, number)
    ships_to = {
        "line1": "1 rue de Rivoli",
        "city": "Paris",
        "postal_code": "75001",
        "country": "FR",
    }
    patched = api.patch(
        f"/v1/checkouts/{native_id}", json={"customer": {"shipping_address": ships_to}}
    )
    assert patched.status_code == 200, patched.text
    updated = quaderno.put(
        f"/api/checkout/sessions/{number}.json",
        json={"customer": {"billing_city": "Sevilla", "billing_postal_code": "41001"}},
    )
    assert updated.status_code == 200, updated.text
    assert not any(key.startswith("shipping") for key in updated.json()["customer"])
    customer = api.get(f"/v1/checkouts/{native_id}").json()["customer"]
    assert customer["billing_address"]["city"] == "Sevilla"
    assert customer["shipping_address"] == {**ships_to, "line2": None, "state": None}

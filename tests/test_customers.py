"""Customers, their address books and session linking, over HTTP on both engines."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import client_for
from tests.factories import GOOD_CARD, assert_error, create_session

HOME = {
    "line1": "123 Main St",
    "city": "Springfield",
    "state": "IL",
    "postal_code": "62704",
    "country": "US",
}
OFFICE = {
    "line1": "456 Oak Ave",
    "city": "Metropolis",
    "state": "NY",
    "postal_code": "10012",
    "country": "us",
}


def new_customer(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"email": "john.doe@example.com", "name": "John Doe", **fields}
    response = api.post("/v1/customers", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def test_customer_crud(api):
    made = new_customer(
        api,
        phone="+1 555 0100",
        metadata={"crm": "42"},
        addresses=[HOME, {**HOME, "city": " springfield "}],
    )
    assert made["id"].startswith("cus_") and made["object"] == "customer"
    assert made["email"] == "john.doe@example.com" and made["phone"] == "+1 555 0100"
    # Two addresses equal in content (case, spacing) are saved once.
    assert len(made["addresses"]) == 1
    saved = made["addresses"][0]
    assert saved["id"].startswith("addr_") and saved["object"] == "address"
    assert saved["country"] == "US" and saved["line2"] is None
    assert api.get(f"/v1/customers/{made['id']}").json() == made

    changed = api.patch(
        f"/v1/customers/{made['id']}",
        json={"name": "Johnny Doe", "phone": None, "metadata": {"crm": None, "tier": "gold"}},
    ).json()
    assert changed["name"] == "Johnny Doe" and changed["phone"] is None
    assert changed["metadata"] == {"tier": "gold"} and changed["email"] == made["email"]
    assert_error(
        api.patch(f"/v1/customers/{made['id']}", json={"email": "nope"}), 422, param="email"
    )
    assert_error(api.patch(f"/v1/customers/{made['id']}", json={"id": "x"}), 422, param="id")

    assert api.delete(f"/v1/customers/{made['id']}").status_code == 204
    assert_error(api.get(f"/v1/customers/{made['id']}"), 404, code="resource_missing", param="id")
    assert_error(api.delete(f"/v1/customers/{made['id']}"), 404)


def test_email_is_unique_per_tenant_in_any_case(api, server, other_account):
    first = new_customer(api)
    assert_error(
        api.post("/v1/customers", json={"email": "John.DOE@example.com"}),
        409,
        code="customer_email_exists",
        param="email",
    )
    other = new_customer(api, email="jane@example.com")
    assert_error(
        api.patch(f"/v1/customers/{other['id']}", json={"email": "JOHN.doe@example.com"}),
        409,
        code="customer_email_exists",
    )
    # Another account (and the same account's live mode) may use the email.
    with client_for(server, other_account.secret_key) as elsewhere:
        assert (
            elsewhere.post("/v1/customers", json={"email": "john.doe@example.com"}).status_code
            == 201
        )
        assert_error(elsewhere.get(f"/v1/customers/{first['id']}"), 404)
        assert elsewhere.get("/v1/customers").json()["data"][0]["id"] != first["id"]
    found = api.get("/v1/customers", params={"email": "JOHN.DOE@example.com"}).json()["data"]
    assert [c["id"] for c in found] == [first["id"]]


def test_customer_list_pages(api):
    made = [new_customer(api, email=f"c{n}@example.com") for n in range(5)]
    newest = [c["id"] for c in reversed(made)]
    page = api.get("/v1/customers", params={"limit": 2}).json()
    assert page["object"] == "list" and page["url"] == "/v1/customers"
    assert [c["id"] for c in page["data"]] == newest[:2] and page["has_more"] is True
    rest = api.get("/v1/customers", params={"starting_after": newest[1]}).json()
    assert [c["id"] for c in rest["data"]] == newest[2:] and rest["has_more"] is False
    back = api.get("/v1/customers", params={"ending_before": newest[2]}).json()
    assert [c["id"] for c in back["data"]] == newest[:2]
    assert_error(
        api.get("/v1/customers", params={"starting_after": "cus_nope"}), 404, param="starting_after"
    )


def test_address_book_dedups_and_deletes(api):
    customer = new_customer(api)
    added = api.post(f"/v1/customers/{customer['id']}/addresses", json=HOME)
    assert added.status_code == 201, added.text
    address = added.json()
    again = api.post(
        f"/v1/customers/{customer['id']}/addresses",
        json={**HOME, "line1": "123  MAIN st", "name": "John at home"},
    )
    assert again.status_code == 200 and again.json()["id"] == address["id"]
    office = api.post(f"/v1/customers/{customer['id']}/addresses", json=OFFICE).json()
    assert office["id"] != address["id"] and office["country"] == "US"
    book = api.get(f"/v1/customers/{customer['id']}").json()["addresses"]
    assert [a["id"] for a in book] == [address["id"], office["id"]]
    assert_error(api.post(f"/v1/customers/{customer['id']}/addresses", json={}), 422)
    assert_error(
        api.post(f"/v1/customers/{customer['id']}/addresses", json={"country": "XX"}),
        422,
        param="country",
    )
    assert_error(api.post("/v1/customers/cus_nope/addresses", json=HOME), 404)

    gone = api.delete(f"/v1/customers/{customer['id']}/addresses/{address['id']}")
    assert gone.status_code == 204
    book = api.get(f"/v1/customers/{customer['id']}").json()["addresses"]
    assert [a["id"] for a in book] == [office["id"]]
    assert_error(
        api.delete(f"/v1/customers/{customer['id']}/addresses/{address['id']}"),
        404,
        param="address",
    )


def _customer_block(**fields: Any) -> dict[str, Any]:
    return {"first_name": "John", "last_name": "Doe", "billing_address": HOME, **fields}


def test_session_names_a_customer_by_id(api, server, other_account):
    customer = new_customer(api, addresses=[HOME, OFFICE], phone="+1 555 0100")
    session = create_session(api, customer=customer["id"])
    linked = session["customer"]
    assert linked["id"] == customer["id"] and linked["email"] == "john.doe@example.com"
    assert linked["first_name"] == "John" and linked["last_name"] == "Doe"
    assert [a["id"] for a in linked["addresses"]] == [a["id"] for a in customer["addresses"]]
    assert api.get(f"/v1/checkouts/{session['id']}").json()["customer"] == linked
    assert_error(
        api.post(
            "/v1/checkouts",
            json={
                "currency": "eur",
                "customer": "cus_nope",
                "line_items": [{"product": "x", "unit_amount": 100}],
            },
        ),
        404,
        param="customer",
    )
    # Another tenant cannot link to this customer.
    with client_for(server, other_account.secret_key) as elsewhere:
        refused = elsewhere.post(
            "/v1/checkouts",
            json={
                "currency": "eur",
                "customer": customer["id"],
                "line_items": [{"product": "x", "unit_amount": 100}],
            },
        )
        assert_error(refused, 404, param="customer")
    # The object form with a customer's id links too; an unknown id stays a plain reference.
    by_object = create_session(api, customer=_customer_block(id=customer["id"]))
    assert len(by_object["customer"]["addresses"]) == 2
    plain = create_session(api, customer=_customer_block(id="crm-42", email="john.doe@example.com"))
    assert plain["customer"]["id"] == "crm-42" and plain["customer"]["addresses"] == []


def test_session_links_by_email_and_saves_the_shipping_address(api):
    customer = new_customer(api, addresses=[HOME])
    session = create_session(
        api,
        customer=_customer_block(
            email="JOHN.Doe@example.com", shipping_address={**OFFICE, "line2": "Suite 5"}
        ),
    )
    assert session["customer"]["id"] == customer["id"]
    assert session["customer"]["shipping_address"]["line2"] == "Suite 5"
    assert len(session["customer"]["addresses"]) == 1
    paid = api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": GOOD_CARD})
    assert paid.status_code == 200, paid.text
    book = api.get(f"/v1/customers/{customer['id']}").json()["addresses"]
    assert len(book) == 2 and book[1]["line2"] == "Suite 5" and book[1]["country"] == "US"

    # The same address again is not saved twice; without a shipping address the
    # billing address is where it ships, and it is already in the book.
    for block in (
        _customer_block(
            email="john.doe@example.com", shipping_address={**OFFICE, "line2": "suite 5"}
        ),
        _customer_block(email="john.doe@example.com"),
    ):
        again = create_session(api, customer=block)
        assert (
            api.post(
                f"/v1/checkouts/{again['id']}/complete", json={"payment": GOOD_CARD}
            ).status_code
            == 200
        )
    assert len(api.get(f"/v1/customers/{customer['id']}").json()["addresses"]) == 2


def test_update_links_and_unlinked_sessions_save_nothing(api):
    customer = new_customer(api)
    session = create_session(api, customer=_customer_block(email="someone@example.com"))
    assert session["customer"]["id"] is None and session["customer"]["addresses"] == []
    updated = api.patch(f"/v1/checkouts/{session['id']}", json={"customer": customer["id"]})
    assert updated.status_code == 200, updated.text
    assert updated.json()["customer"]["id"] == customer["id"]
    # The merchant's email stays (it was set); the link is by id.
    assert updated.json()["customer"]["email"] == "someone@example.com"
    unlinked = create_session(api, customer=_customer_block(email="stranger@example.com"))
    api.post(f"/v1/checkouts/{unlinked['id']}/complete", json={"payment": GOOD_CARD})
    assert api.get(f"/v1/customers/{customer['id']}").json()["addresses"] == []
    assert_error(
        api.patch(f"/v1/checkouts/{session['id']}", json={"customer": "cus_missing"}),
        404,
        param="customer",
    )

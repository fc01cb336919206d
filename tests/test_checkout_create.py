"""Creating and reading sessions: shape, defaults, totals and field validation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import assert_error, create_session, session_body


def test_create_returns_full_session_and_retrieve_matches(api, server):
    response = api.post("/v1/checkouts", json=session_body())
    assert response.status_code == 201
    session = response.json()
    assert session["id"].startswith("cs_")
    assert session["object"] == "checkout"
    assert session["status"] == "pending"
    assert session["payment_status"] == "unpaid"
    assert session["livemode"] is False
    assert session["currency"] == "eur"
    assert [i["amount_subtotal"] for i in session["line_items"]] == [5000, 799]
    assert all(i["id"].startswith("li_") for i in session["line_items"])
    assert session["amount_subtotal"] == 5799
    assert session["amount_total"] == 5799
    assert session["amount_discount"] == session["amount_tax"] == session["amount_shipping"] == 0
    totals = {t["type"]: t["amount"] for t in session["totals"]}
    assert totals == {
        "items_base_amount": 5799,
        "discount": 0,
        "subtotal": 5799,
        "fulfillment": 0,
        "tax": 0,
        "total": 5799,
    }
    assert session["ready_for_payment"] is True
    assert session["missing_fields"] == []
    assert session["permalink"].startswith("https://pay.example.test/c/")
    token = session["permalink"].rsplit("/", 1)[1]
    assert len(token) >= 27 and session["id"] not in token  # >= 160 bits, not the id
    assert session["billing_details_collection"] == "required"
    assert session["locale"] == "auto"
    assert session["payment_methods"] == ["card", "paypal"]
    assert session["abandon_after_seconds"] == 1800
    assert session["expires_at"] > session["created_at"]
    assert session["completed_at"] is None and session["recovered_from"] is None

    fetched = api.get(f"/v1/checkouts/{session['id']}")
    assert fetched.status_code == 200
    assert fetched.json() == session


def test_amounts_are_integers_and_currency_is_case_insensitive(api):
    session = create_session(
        api,
        currency="JPY",
        line_items=[{"product": "tea", "unit_amount": 1500, "quantity": 3}],
    )
    assert session["currency"] == "jpy"
    assert session["amount_total"] == 4500
    assert isinstance(session["amount_total"], int)
    assert session["line_items"][0]["name"] == "tea"  # name defaults to the SKU

    kwd = create_session(
        api, currency="kwd", line_items=[{"product": "x", "unit_amount": 1250, "quantity": 4}]
    )
    assert kwd["amount_total"] == 5000


def test_missing_fields_follow_billing_collection(api):
    auto = create_session(
        api, customer={"email": "a@example.com"}, billing_details_collection="auto"
    )
    assert auto["ready_for_payment"] is True

    required = create_session(api, customer={"first_name": "No Email"})
    assert required["ready_for_payment"] is False
    assert required["missing_fields"] == [
        "customer.email",
        "customer.billing_address.line1",
        "customer.billing_address.city",
        "customer.billing_address.postal_code",
        "customer.billing_address.country",
    ]


LONG = "x" * 600


@pytest.mark.parametrize(
    ("overrides", "param", "code"),
    [
        ({"line_items": []}, "line_items", "parameter_invalid"),
        ({"line_items": [{"product": "a", "unit_amount": 1}] * 101}, "line_items", None),
        (
            {"line_items": [{"unit_amount": 100, "quantity": 1}]},
            "line_items[0].product",
            "parameter_missing",
        ),
        ({"line_items": [{"product": "", "unit_amount": 100}]}, "line_items[0].product", None),
        ({"line_items": [{"product": "a", "unit_amount": -1}]}, "line_items[0].unit_amount", None),
        (
            {"line_items": [{"product": "a", "unit_amount": 9.99}]},
            "line_items[0].unit_amount",
            None,
        ),
        (
            {"line_items": [{"product": "a", "unit_amount": "100"}]},
            "line_items[0].unit_amount",
            None,
        ),
        (
            {"line_items": [{"product": "a", "unit_amount": 1, "quantity": 0}]},
            "line_items[0].quantity",
            None,
        ),
        (
            {"line_items": [{"product": "a", "unit_amount": 1, "quantity": 1_000_000}]},
            "line_items[0].quantity",
            None,
        ),
        (
            {"line_items": [{"product": "a", "unit_amount": 1, "colour": "red"}]},
            "line_items[0].colour",
            "parameter_unknown",
        ),
        ({"currency": "EURO"}, "currency", None),
        ({"currency": "xyz"}, "currency", "currency_invalid"),
        ({"currency": None}, "currency", "parameter_missing"),
        ({"customer": {"email": "not-an-email"}}, "customer.email", "email_invalid"),
        (
            {"customer": {"billing_address": {"country": "XX"}}},
            "customer.billing_address.country",
            "country_invalid",
        ),
        ({"customer": {"nickname": "x"}}, "customer.nickname", "parameter_unknown"),
        ({"billing_details_collection": "sometimes"}, "billing_details_collection", None),
        ({"coupon_collection": "yes"}, "coupon_collection", None),
        ({"locale": "pt"}, "locale", None),
        ({"payment_methods": []}, "payment_methods", None),
        ({"payment_methods": ["bitcoin"]}, "payment_methods[0]", None),
        ({"success_url": "javascript:alert(1)"}, "success_url", "url_invalid"),
        ({"cancel_url": "/relative/path"}, "cancel_url", "url_invalid"),
        ({"success_url": "ftp://example.com/x"}, "success_url", "url_invalid"),
        ({"metadata": {f"k{i}": "v" for i in range(51)}}, "metadata", "metadata_invalid"),
        ({"metadata": {"k" * 41: "v"}}, "metadata", "metadata_invalid"),
        ({"metadata": {"k": LONG}}, "metadata", "metadata_invalid"),
        ({"metadata": {"k": 1}}, "metadata.k", None),
        ({"custom": {"blob": "x" * 9000}}, "custom", "custom_too_large"),
        ({"abandon_after_seconds": 0}, "abandon_after_seconds", None),
        ({"abandon_after_seconds": 604_801}, "abandon_after_seconds", None),
        ({"client_reference_id": ""}, "client_reference_id", None),
        ({"status": "completed"}, "status", "parameter_unknown"),
    ],
)
def test_invalid_fields_are_refused_with_their_path(api, overrides: dict[str, Any], param, code):
    response = api.post("/v1/checkouts", json=session_body(**overrides))
    error = assert_error(response, 422, code=code, param=param)
    assert error["type"] == "invalid_request_error"
    listed = api.get("/v1/checkouts").json()
    assert listed["data"] == []  # nothing was written


def test_total_too_large_is_refused(api):
    response = api.post(
        "/v1/checkouts",
        json=session_body(
            line_items=[{"product": "gold", "unit_amount": 999_999_999_999, "quantity": 999_999}]
        ),
    )
    assert_error(response, 422, code="amount_too_large", param="line_items")


def test_accepts_the_boundaries(api):
    session = create_session(
        api,
        line_items=[
            {"product": f"p{i}", "unit_amount": 0, "quantity": 999_999} for i in range(100)
        ],
        metadata={f"k{i}": "v" * 500 for i in range(50)},
        abandon_after_seconds=604_800,
        payment_methods=["paypal"],
        locale="nb",
    )
    assert len(session["line_items"]) == 100
    assert session["amount_total"] == 0
    assert session["payment_methods"] == ["paypal"]

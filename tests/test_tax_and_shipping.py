"""Tax rates (resource and on sessions) and shipping options, over HTTP."""

from __future__ import annotations

import pytest

from tests.conftest import client_for
from tests.factories import assert_error, create_session, session_body
from tests.pricing_helpers import assert_invariants, complete, session_with, tax_rate

# --------------------------------------------------------------------------- #
# The tax_rate resource
# --------------------------------------------------------------------------- #


def test_tax_rate_crud_and_exact_percentages(api):
    vat = tax_rate(
        api,
        "21",
        True,
        display_name="IVA",
        country="es",
        jurisdiction="Spain",
        metadata={"ledger": "477"},
    )
    assert vat["id"].startswith("txr_") and vat["object"] == "tax_rate"
    assert vat["percentage"] == 21.0 and isinstance(vat["percentage"], float)
    assert vat["inclusive"] is True and vat["active"] is True
    assert vat["country"] == "ES" and vat["state"] is None
    assert vat["livemode"] is False and vat["created_at"].endswith("Z")
    assert api.get(f"/v1/tax_rates/{vat['id']}").json() == vat

    nyc = tax_rate(api, 8.875, False, display_name="NYC sales tax", state="NY")
    assert nyc["percentage"] == 8.875
    assert tax_rate(api, "7.6875", False)["percentage"] == 7.6875
    assert tax_rate(api, 0, False)["percentage"] == 0.0

    updated = api.patch(
        f"/v1/tax_rates/{vat['id']}",
        json={"display_name": "VAT", "active": False, "metadata": {"ledger": None, "k": "v"}},
    ).json()
    assert updated["display_name"] == "VAT" and updated["active"] is False
    assert updated["metadata"] == {"k": "v"}
    assert updated["percentage"] == 21.0 and updated["updated_at"] >= vat["updated_at"]
    # The arithmetic of a rate is fixed: a new rate is needed for a new percentage.
    assert_error(
        api.patch(f"/v1/tax_rates/{vat['id']}", json={"percentage": 19}),
        422,
        code="parameter_unknown",
        param="percentage",
    )
    assert_error(
        api.patch(f"/v1/tax_rates/{vat['id']}", json={"display_name": None}),
        422,
        param="display_name",
    )
    assert_error(api.get("/v1/tax_rates/txr_missing"), 404, code="resource_missing", param="id")


def test_tax_rate_list_filters_and_pages(api):
    made = [tax_rate(api, n, n % 2 == 0) for n in range(5)]
    newest_first = [r["id"] for r in reversed(made)]
    page = api.get("/v1/tax_rates", params={"limit": 2}).json()
    assert page["object"] == "list" and page["url"] == "/v1/tax_rates"
    assert [r["id"] for r in page["data"]] == newest_first[:2] and page["has_more"] is True
    rest = api.get("/v1/tax_rates", params={"starting_after": newest_first[1]}).json()
    assert [r["id"] for r in rest["data"]] == newest_first[2:] and rest["has_more"] is False
    back = api.get("/v1/tax_rates", params={"ending_before": newest_first[2], "limit": 5}).json()
    assert [r["id"] for r in back["data"]] == newest_first[:2]
    inclusive = api.get("/v1/tax_rates", params={"inclusive": "true"}).json()["data"]
    assert {r["id"] for r in inclusive} == {made[0]["id"], made[2]["id"], made[4]["id"]}
    api.patch(f"/v1/tax_rates/{made[0]['id']}", json={"active": False})
    inactive = api.get("/v1/tax_rates", params={"active": "false"}).json()["data"]
    assert [r["id"] for r in inactive] == [made[0]["id"]]
    assert_error(
        api.get("/v1/tax_rates", params={"starting_after": "txr_nope"}), 404, param="starting_after"
    )
    assert_error(
        api.get("/v1/tax_rates", params={"starting_after": "a", "ending_before": "b"}),
        422,
        param="ending_before",
    )
    assert_error(api.get("/v1/tax_rates", params={"limit": 101}), 422, param="limit")


@pytest.mark.parametrize(
    ("body", "param", "code"),
    [
        ({"percentage": 100.01}, "percentage", "percentage_invalid"),
        ({"percentage": -1}, "percentage", "percentage_invalid"),
        ({"percentage": "8.87501"}, "percentage", "percentage_invalid"),
        ({"percentage": 8.87501}, "percentage", "percentage_invalid"),
        ({"percentage": "abc"}, "percentage", "percentage_invalid"),
        ({"percentage": "NaN"}, "percentage", "percentage_invalid"),
        ({"percentage": True}, "percentage", "percentage_invalid"),
        ({"percentage": None}, "percentage", "percentage_invalid"),
        ({"inclusive": "yes"}, "inclusive", None),
        ({"inclusive": None}, "inclusive", None),
        ({"display_name": ""}, "display_name", None),
        ({"country": "XX"}, "country", "country_invalid"),
        ({"rate": 5}, "rate", "parameter_unknown"),
    ],
)
def test_tax_rate_validation(api, body, param, code):
    base = {"display_name": "VAT", "percentage": 21, "inclusive": True}
    assert_error(api.post("/v1/tax_rates", json={**base, **body}), 422, code=code, param=param)
    assert api.get("/v1/tax_rates").json()["data"] == []


def test_tax_rates_are_isolated_by_account_and_mode(api, server, account, other_account):
    mine = tax_rate(api, 20, True)
    with client_for(server, other_account.secret_key) as other:
        assert_error(other.get(f"/v1/tax_rates/{mine['id']}"), 404)
        assert_error(other.patch(f"/v1/tax_rates/{mine['id']}", json={"active": False}), 404)
        assert other.get("/v1/tax_rates").json()["data"] == []
        # Nor can another account's session use it.
        response = other.post("/v1/checkouts", json=session_body(default_tax_rates=[mine["id"]]))
        assert_error(response, 422, code="tax_rate_not_found", param="default_tax_rates[0]")
    with client_for(server, account.live_key) as live:
        assert_error(live.get(f"/v1/tax_rates/{mine['id']}"), 404)
    with client_for(server, account.read_key) as read:
        assert read.get(f"/v1/tax_rates/{mine['id']}").status_code == 200
        assert_error(read.post("/v1/tax_rates", json={}), 403, code="insufficient_scope")


# --------------------------------------------------------------------------- #
# Tax on sessions
# --------------------------------------------------------------------------- #


def test_line_rates_override_session_defaults(api):
    books = tax_rate(api, 4, False, display_name="Books")
    standard = tax_rate(api, 10, False, display_name="Standard")
    session = session_with(
        api,
        [
            {"product": "book", "unit_amount": 2000, "tax_rates": [books["id"]]},
            {"product": "pen", "unit_amount": 2000},
            {"product": "gift", "unit_amount": 1000, "tax_rates": []},  # [] = defaults
        ],
        default_tax_rates=[standard["id"]],
    )
    lines = session["line_items"]
    assert [line["tax_rates"] for line in lines] == [[books["id"]], [], []]
    assert [line["amount_tax"] for line in lines] == [80, 200, 100]
    assert [line["taxes"][0]["tax_rate"] for line in lines] == [
        books["id"],
        standard["id"],
        standard["id"],
    ]
    assert session["default_tax_rates"] == [standard["id"]]
    assert [
        (e["tax_rate"], e["taxable_amount"], e["amount"]) for e in session["tax_breakdown"]
    ] == [
        (books["id"], 2000, 80),
        (standard["id"], 3000, 300),
    ]
    assert session["amount_total"] == 5000 + 380
    assert_invariants(session)


def test_exclusive_rate_on_top_of_inclusive_vat(api):
    vat = tax_rate(api, 21, True)
    levy = tax_rate(api, 2, False)
    session = session_with(
        api, [{"product": "a", "unit_amount": 12100, "tax_rates": [vat["id"], levy["id"]]}]
    )
    # Net 10000 inside 12100; the levy is 2 % of the net, added on top.
    assert [(t["taxable_amount"], t["amount"]) for t in session["line_items"][0]["taxes"]] == [
        (10000, 2100),
        (10000, 200),
    ]
    assert session["amount_tax"] == 2300
    assert session["amount_total"] == 12300
    assert_invariants(session)


def test_unknown_duplicate_and_inactive_rates_are_refused(api):
    rate = tax_rate(api, 10, False)
    retired = tax_rate(api, 5, False)
    api.patch(f"/v1/tax_rates/{retired['id']}", json={"active": False})
    cases = [
        (
            {"line_items": [{"product": "a", "unit_amount": 1, "tax_rates": ["txr_nope"]}]},
            "tax_rate_not_found",
            "line_items[0].tax_rates[0]",
        ),
        (
            {
                "line_items": [
                    {"product": "a", "unit_amount": 1},
                    {"product": "b", "unit_amount": 1, "tax_rates": [rate["id"], retired["id"]]},
                ]
            },
            "tax_rate_inactive",
            "line_items[1].tax_rates[1]",
        ),
        (
            {"line_items": [{"product": "a", "unit_amount": 1, "tax_rates": [rate["id"]] * 2}]},
            "parameter_invalid",
            "line_items[0].tax_rates",
        ),
        ({"default_tax_rates": [retired["id"]]}, "tax_rate_inactive", "default_tax_rates[0]"),
        ({"default_tax_rates": ["x"] * 6}, None, "default_tax_rates"),
    ]
    for overrides, code, param in cases:
        response = api.post("/v1/checkouts", json=session_body(**overrides))
        assert_error(response, 422, code=code, param=param)
    assert api.get("/v1/checkouts").json()["data"] == []


def test_sessions_keep_the_rates_they_were_priced_with(api):
    rate = tax_rate(api, 10, False, display_name="Old name")
    session = session_with(
        api, [{"product": "a", "unit_amount": 1000}], default_tax_rates=[rate["id"]]
    )
    api.patch(f"/v1/tax_rates/{rate['id']}", json={"active": False, "display_name": "New name"})
    edited = api.patch(f"/v1/checkouts/{session['id']}", json={"locale": "de"})
    assert edited.status_code == 200, edited.text
    edited = edited.json()
    assert edited["amount_tax"] == 100
    assert edited["tax_breakdown"][0]["display_name"] == "Old name"
    # Re-sending lines keeps the rate the session already has, inactive or not...
    relined = api.patch(
        f"/v1/checkouts/{session['id']}",
        json={"line_items": [{"product": "b", "unit_amount": 3000}]},
    ).json()
    assert relined["amount_tax"] == 300
    # ...but a session that does not have it yet cannot take it on.
    assert_error(
        api.post("/v1/checkouts", json=session_body(default_tax_rates=[rate["id"]])),
        422,
        code="tax_rate_inactive",
    )
    # Removing the defaults removes the tax.
    cleared = api.patch(f"/v1/checkouts/{session['id']}", json={"default_tax_rates": []}).json()
    assert cleared["amount_tax"] == 0 and cleared["tax_breakdown"] == []
    assert complete(api, session["id"]).json()["amount_total"] == 3000


def test_customer_tax_ids_are_kept_for_the_merchant(api):
    session = create_session(
        api,
        customer={
            "email": "ap@acme.example",
            "company": "ACME SL",
            "tax_id": "ESB12345678",
            "business_number": "B-12345678",
            "billing_address": {
                "line1": "Gran Via 1",
                "city": "Madrid",
                "postal_code": "28013",
                "country": "ES",
            },
        },
    )
    assert session["customer"]["tax_id"] == "ESB12345678"
    assert session["customer"]["business_number"] == "B-12345678"
    # Reverse charge is out of scope: a tax id changes no amount.
    assert session["amount_tax"] == 0


# --------------------------------------------------------------------------- #
# Shipping
# --------------------------------------------------------------------------- #

OPTIONS = [
    {
        "id": "standard",
        "display_name": "Standard",
        "amount": 499,
        "delivery_estimate": {"minimum": 3, "maximum": 5, "unit": "business_day"},
    },
    {"id": "express", "display_name": "Express", "amount": 1299},
]


def test_shipping_follows_the_selection_and_blocks_payment_until_chosen(api):
    rate = tax_rate(api, 10, False)
    session = create_session(api, shipping_options=OPTIONS, default_tax_rates=[rate["id"]])
    assert session["shipping_options"][0]["delivery_estimate"] == {
        "minimum": 3,
        "maximum": 5,
        "unit": "business_day",
    }
    assert session["shipping_options"][1]["delivery_estimate"] is None
    assert session["selected_shipping_option"] is None
    assert session["amount_shipping"] == 0
    assert session["ready_for_payment"] is False
    assert session["missing_fields"] == ["selected_shipping_option"]
    error = assert_error(
        complete(api, session["id"]),
        409,
        code="checkout_not_ready",
        param="selected_shipping_option",
    )
    assert error["missing_fields"] == ["selected_shipping_option"]

    url = f"/v1/checkouts/{session['id']}"
    express = api.patch(url, json={"selected_shipping_option": "express"}).json()
    assert express["amount_shipping"] == 1299
    assert express["amount_tax"] == 580  # shipping is not taxed
    assert express["amount_total"] == 5799 + 580 + 1299
    assert express["ready_for_payment"] is True
    assert {"type": "fulfillment", "display_text": "Shipping", "amount": 1299} in express["totals"]
    assert_invariants(express)

    standard = api.patch(url, json={"selected_shipping_option": "standard"}).json()
    assert standard["amount_total"] == 5799 + 580 + 499
    # Replacing the options drops a selection that no longer exists.
    replaced = api.patch(url, json={"shipping_options": [OPTIONS[1]]}).json()
    assert replaced["shipping_options"] == [{**OPTIONS[1], "delivery_estimate": None}]
    assert replaced["selected_shipping_option"] is None and replaced["amount_shipping"] == 0
    assert replaced["ready_for_payment"] is False
    # No options at all: nothing to select, nothing missing.
    none = api.patch(url, json={"shipping_options": []}).json()
    assert none["shipping_options"] == [] and none["ready_for_payment"] is True
    assert complete(api, session["id"]).json()["status"] == "completed"


def test_selecting_on_create_and_clearing(api):
    session = create_session(api, shipping_options=OPTIONS, selected_shipping_option="express")
    assert session["amount_shipping"] == 1299 and session["ready_for_payment"] is True
    cleared = api.patch(
        f"/v1/checkouts/{session['id']}", json={"selected_shipping_option": None}
    ).json()
    assert cleared["selected_shipping_option"] is None and cleared["amount_shipping"] == 0


@pytest.mark.parametrize(
    ("overrides", "code", "param"),
    [
        (
            {"selected_shipping_option": "pigeon"},
            "shipping_option_invalid",
            "selected_shipping_option",
        ),
        (
            {"shipping_options": OPTIONS, "selected_shipping_option": "pigeon"},
            "shipping_option_invalid",
            "selected_shipping_option",
        ),
        ({"shipping_options": [OPTIONS[0], OPTIONS[0]]}, None, "shipping_options[1].id"),
        ({"shipping_options": [OPTIONS[1]] * 6}, None, "shipping_options"),
        (
            {"shipping_options": [{**OPTIONS[1], "amount": -1}]},
            None,
            "shipping_options[0].amount",
        ),
        (
            {"shipping_options": [{**OPTIONS[1], "amount": 1.5}]},
            None,
            "shipping_options[0].amount",
        ),
        (
            {"shipping_options": [{**OPTIONS[1], "id": "has space"}]},
            None,
            "shipping_options[0].id",
        ),
        (
            {
                "shipping_options": [
                    {**OPTIONS[1], "delivery_estimate": {"minimum": 5, "maximum": 2, "unit": "day"}}
                ]
            },
            None,
            "shipping_options[0].delivery_estimate",
        ),
        (
            {"shipping_options": [{**OPTIONS[1], "delivery_estimate": {"unit": "fortnight"}}]},
            None,
            "shipping_options[0].delivery_estimate.unit",
        ),
    ],
)
def test_shipping_validation(api, overrides, code, param):
    assert_error(
        api.post("/v1/checkouts", json=session_body(**overrides)), 422, code=code, param=param
    )
    assert api.get("/v1/checkouts").json()["data"] == []

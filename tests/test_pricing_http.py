"""Pricing through the HTTP API: worked examples to the minor unit, then properties.

The examples are the public references the issue names (Stripe's EUR 600 +
10 % exclusive tax, 21 % VAT extracted from an inclusive price, a 3-for-EUR 10
cart at 33.33 % off) plus zero- and three-decimal currencies. The Hypothesis
test drives random carts, tax rates, coupons, shipping and currencies through
the API and checks the invariants on every session it gets back, and that the
API agrees with the pure pricing module.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from opencheckout.domain.pricing import Coupon, PricedLine, TaxRate, price_session
from tests.factories import assert_error
from tests.pricing_helpers import (
    assert_invariants,
    coupon,
    session_with,
    tax_rate,
)


def test_stripe_600_eur_with_10_percent_exclusive_tax_is_660(api):
    rate = tax_rate(api, 10, False, display_name="Sales tax")
    session = session_with(
        api, [{"product": "course", "unit_amount": 60000, "tax_rates": [rate["id"]]}]
    )
    assert session["amount_subtotal"] == 60000
    assert session["amount_tax"] == 6000
    assert session["amount_total"] == 66000
    assert session["tax_breakdown"] == [
        {
            "tax_rate": rate["id"],
            "display_name": "Sales tax",
            "percentage": 10.0,
            "inclusive": False,
            "taxable_amount": 60000,
            "amount": 6000,
        }
    ]
    assert session["line_items"][0]["taxes"] == [
        {"tax_rate": rate["id"], "taxable_amount": 60000, "amount": 6000, "inclusive": False}
    ]
    assert_invariants(session)


def test_inclusive_21_percent_vat_extracts_to_the_cent(api):
    vat = tax_rate(api, "21", True, display_name="IVA", country="ES")
    session = session_with(
        api,
        [
            {"product": "a", "unit_amount": 12100},  # 121.00 -> 100.00 net + 21.00 VAT
            {"product": "b", "unit_amount": 10000},  # 100.00 -> 82.64 net + 17.36 VAT
        ],
        default_tax_rates=[vat["id"]],
    )
    taxes = [line["taxes"][0] for line in session["line_items"]]
    assert [(t["taxable_amount"], t["amount"]) for t in taxes] == [(10000, 2100), (8264, 1736)]
    assert session["amount_tax"] == 3836
    assert session["amount_total"] == 22100  # the tax is already inside the prices
    assert session["tax_breakdown"][0]["inclusive"] is True
    assert session["tax_breakdown"][0]["taxable_amount"] == 18264
    assert_invariants(session)


def test_three_for_ten_euros_with_33_33_percent_off(api):
    third = coupon(api, percent_off=33.33, name="A third off")
    session = session_with(
        api,
        [
            {"product": "a", "unit_amount": 333},
            {"product": "b", "unit_amount": 333},
            {"product": "c", "unit_amount": 334},
        ],
        discounts=[{"coupon": third["id"]}],
    )
    # 33.33 % of 1000 = 333.3 -> 333, allocated by largest remainder: 111 each.
    assert [line["amount_discount"] for line in session["line_items"]] == [111, 111, 111]
    assert session["amount_discount"] == 333
    assert session["discounts"][0]["amount"] == 333
    assert session["discounts"][0]["percent_off"] == 33.33
    assert session["amount_total"] == 667
    assert_invariants(session)


def test_jpy_zero_decimal_with_coupon_tax_and_shipping(api):
    reduced = tax_rate(api, 8, False, display_name="Consumption tax (reduced)")
    ten = coupon(api, percent_off="10")
    session = session_with(
        api,
        [{"product": "onigiri", "unit_amount": 980, "quantity": 3, "tax_rates": [reduced["id"]]}],
        currency="JPY",
        discounts=[{"coupon": ten["id"]}],
        shipping_options=[{"id": "post", "display_name": "Japan Post", "amount": 500}],
        selected_shipping_option="post",
    )
    # 2940 - 294 = 2646; 8 % of 2646 = 211.68 -> 212 yen; + 500 shipping.
    assert (session["amount_subtotal"], session["amount_discount"]) == (2940, 294)
    assert session["amount_tax"] == 212
    assert session["amount_shipping"] == 500
    assert session["amount_total"] == 2646 + 212 + 500
    assert_invariants(session)


def test_kwd_three_decimals_rounds_half_up(api):
    vat = tax_rate(api, 5, False, display_name="VAT")
    session = session_with(
        api,
        [{"product": "a", "unit_amount": 12345}, {"product": "b", "unit_amount": 12330}],
        currency="kwd",
        default_tax_rates=[vat["id"]],
    )
    # 617.25 fils -> 617, and exactly 616.5 fils -> 617 (banker's rounding would say 616).
    assert [line["amount_tax"] for line in session["line_items"]] == [617, 617]
    assert session["amount_total"] == 24675 + 1234
    assert_invariants(session)


def test_amount_off_never_takes_a_total_below_zero(api):
    big = coupon(api, amount_off=5000, currency="usd")
    rate = tax_rate(api, 10, False)
    session = session_with(
        api,
        [
            {"product": "a", "unit_amount": 1000, "quantity": 2},
            {"product": "b", "unit_amount": 500, "tax_rates": [rate["id"]]},
        ],
        currency="usd",
        discounts=[{"coupon": big["id"]}],
        shipping_options=[{"id": "std", "display_name": "Standard", "amount": 499}],
        selected_shipping_option="std",
    )
    assert session["amount_discount"] == session["discounts"][0]["amount"] == 2500
    assert [line["amount_total"] for line in session["line_items"]] == [0, 0]
    assert session["amount_tax"] == 0
    assert session["amount_total"] == 499  # only shipping is left
    assert_invariants(session)


def test_coupons_stack_in_order_and_product_restrictions_hold(api):
    two_off = coupon(api, amount_off=2000, currency="eur")
    half_socks = coupon(api, percent_off=50, applies_to={"products": ["socks"]})
    session = session_with(
        api,
        [{"product": "shirt", "unit_amount": 10000}, {"product": "socks", "unit_amount": 1000}],
        discounts=[{"coupon": two_off["id"]}, {"coupon": half_socks["id"]}],
    )
    # 2000 off 11000 split 10:1 -> 1818/182; then 50 % of the socks' remaining 818 = 409.
    assert [d["amount"] for d in session["discounts"]] == [2000, 409]
    assert [line["amount_discount"] for line in session["line_items"]] == [1818, 591]
    assert_invariants(session)


def test_inclusive_4_percent_on_299_is_11(api):
    rate = tax_rate(api, 4, True, display_name="IGIC")
    session = session_with(api, [{"product": "pen", "unit_amount": 299, "tax_rates": [rate["id"]]}])
    assert session["amount_tax"] == 11
    assert session["amount_total"] == 299
    assert session["tax_breakdown"][0]["taxable_amount"] == 288
    assert_invariants(session)


def test_the_session_cap_is_99_999_999_999_999_minor_units(api):
    """Line subtotals plus shipping up to the cap are accepted; one unit more is not."""
    line = {"product": "gold", "unit_amount": 999_999_999_999, "quantity": 100}

    def shipping(amount: int) -> dict[str, object]:
        return {
            "shipping_options": [{"id": "ship", "display_name": "Ship", "amount": amount}],
            "selected_shipping_option": "ship",
        }

    at_cap = session_with(api, [line], **shipping(99))
    assert at_cap["amount_total"] == 99_999_999_999_999
    response = api.post(
        "/v1/checkouts", json={"currency": "eur", "line_items": [line], **shipping(100)}
    )
    assert_error(response, 422, code="amount_too_large", param="line_items")


def test_total_too_large_after_tax_is_refused(api):
    rate = tax_rate(api, 100, False)
    response = api.post(
        "/v1/checkouts",
        json={
            "currency": "eur",
            "line_items": [
                {
                    "product": "gold",
                    "unit_amount": 999_999_999_999,
                    "quantity": 60,
                    "tax_rates": [rate["id"]],
                }
            ],
        },
    )
    assert_error(response, 422, code="amount_too_large", param="line_items")


# --------------------------------------------------------------------------- #
# Properties, through the API
# --------------------------------------------------------------------------- #

CURRENCIES = ["eur", "usd", "jpy", "krw", "kwd", "bhd", "jod", "omr", "tnd", "clp"]
SKUS = ["sku-a", "sku-b", "sku-c"]


@st.composite
def carts(draw: st.DrawFn) -> dict:
    rates = draw(
        st.lists(
            st.tuples(
                st.integers(0, 30 * 10**4).map(lambda n: Decimal(n).scaleb(-4)), st.booleans()
            ),
            max_size=3,
        )
    )
    coupons = draw(
        st.lists(
            st.one_of(
                st.integers(1, 100 * 10**2).map(lambda n: ("percent", Decimal(n).scaleb(-2))),
                st.integers(1, 10**6).map(lambda n: ("amount", n)),
            ),
            max_size=2,
        )
    )
    restrictions = draw(
        st.lists(
            st.none() | st.lists(st.sampled_from(SKUS), min_size=1, unique=True),
            min_size=2,
            max_size=2,
        )
    )
    lines = draw(
        st.lists(
            st.tuples(
                st.sampled_from(SKUS),
                st.integers(0, 10**6),
                st.integers(1, 50),
                st.lists(st.integers(0, 2), max_size=2, unique=True),
            ),
            min_size=1,
            max_size=6,
        )
    )
    return {
        "currency": draw(st.sampled_from(CURRENCIES)),
        "rates": rates,
        "coupons": coupons,
        "restrictions": restrictions,
        "lines": lines,
        "defaults": draw(st.lists(st.integers(0, 2), max_size=2, unique=True)),
        "shipping": draw(st.none() | st.integers(0, 10**5)),
    }


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(cart=carts())
def test_random_carts_keep_every_invariant(api, cart):
    currency = cart["currency"]
    rate_ids, domain_rates = [], []
    for percentage, inclusive in cart["rates"]:
        made = tax_rate(api, str(percentage), inclusive)
        rate_ids.append(made["id"])
        domain_rates.append(TaxRate(made["id"], "Tax", percentage, inclusive))

    def pick(indexes: list[int]) -> list[int]:
        return [i for i in indexes if i < len(rate_ids)]

    applied, domain_coupons = [], []
    restrictions = cart["restrictions"][: len(cart["coupons"])]
    for (kind, value), products in zip(cart["coupons"], restrictions, strict=True):
        fields: dict = (
            {"percent_off": str(value)}
            if kind == "percent"
            else {"amount_off": value, "currency": currency}
        )
        if products is not None:
            fields["applies_to"] = {"products": products}
        made = coupon(api, **fields)
        applied.append({"coupon": made["id"]})
        domain_coupons.append(
            Coupon(
                made["id"],
                value if kind == "percent" else None,
                value if kind == "amount" else None,
                frozenset(products) if products is not None else None,
            )
        )
    body = {
        "currency": currency,
        "line_items": [
            {
                "product": sku,
                "unit_amount": unit,
                "quantity": quantity,
                **({"tax_rates": [rate_ids[i] for i in pick(own)]} if pick(own) else {}),
            }
            for sku, unit, quantity, own in cart["lines"]
        ],
        "default_tax_rates": [rate_ids[i] for i in pick(cart["defaults"])],
        "discounts": applied,
        "customer": {"email": "buyer@example.com"},
        "billing_details_collection": "auto",
    }
    if cart["shipping"] is not None:
        body["shipping_options"] = [
            {"id": "ship", "display_name": "Ship", "amount": cart["shipping"]}
        ]
        body["selected_shipping_option"] = "ship"
    response = api.post("/v1/checkouts", json=body)
    assert response.status_code == 201, response.text
    session = response.json()
    assert_invariants(session)

    expected = price_session(
        [
            PricedLine(sku, unit, quantity, tuple(domain_rates[i] for i in pick(own)))
            for sku, unit, quantity, own in cart["lines"]
        ],
        currency=currency,
        coupons=domain_coupons,
        default_tax_rates=[domain_rates[i] for i in pick(cart["defaults"])],
        amount_shipping=cart["shipping"] or 0,
    )
    assert session["amount_total"] == expected.amount_total
    assert session["amount_tax"] == expected.amount_tax
    assert session["amount_discount"] == expected.amount_discount
    assert [line["amount_total"] for line in session["line_items"]] == [
        line.amount_total for line in expected.lines
    ]
    # Reading it back gives the same numbers: nothing is recomputed differently on read.
    assert api.get(f"/v1/checkouts/{session['id']}").json() == session


# --------------------------------------------------------------------------- #
# Text the database cannot store
# --------------------------------------------------------------------------- #

LINE = {"product": "a", "unit_amount": 1}


@pytest.mark.parametrize(
    ("method", "url", "body", "status", "param"),
    [
        ("GET", "/v1/coupons/a%00b", None, 404, "id"),
        ("GET", "/v1/products/a%00b", None, 404, "id"),
        ("PATCH", "/v1/tax_rates/a%00b", {}, 404, "id"),
        ("GET", "/v1/checkouts/a%00b", None, 404, "id"),
        ("GET", "/v1/products?starting_after=a%00b", None, 422, "starting_after"),
        ("POST", "/v1/coupons", {"percent_off": 5, "name": "a\u0000b"}, 422, "name"),
        ("POST", "/v1/coupons", {"percent_off": 5, "metadata": {"k": "\u0000"}}, 422, "metadata"),
        (
            "POST",
            "/v1/tax_rates",
            {"display_name": "\u0000", "percentage": 1, "inclusive": True},
            422,
            "display_name",
        ),
        (
            "POST",
            "/v1/checkouts",
            {"currency": "eur", "line_items": [{"product": "a\u0000b"}]},
            422,
            "line_items[0].product",
        ),
        (
            "POST",
            "/v1/checkouts",
            {"currency": "eur", "line_items": [LINE], "discounts": [{"code": "\u0000"}]},
            422,
            "discounts[0].code",
        ),
        (
            "POST",
            "/v1/checkouts",
            {"currency": "eur", "line_items": [LINE], "customer": {"first_name": "\u0000"}},
            422,
            "customer.first_name",
        ),
        (
            "POST",
            "/v1/checkouts",
            {"currency": "eur", "line_items": [LINE], "custom": {"x": ["\u0000"]}},
            422,
            "custom",
        ),
    ],
)
def test_nul_characters_are_refused_not_a_database_error(api, method, url, body, status, param):
    # PostgreSQL text and JSONB cannot hold U+0000; it must be a 4xx, never a 500.
    assert_error(api.request(method, url, json=body), status, param=param)

"""Exact amounts at every processor: the per-currency table from ISO 4217 minor units,
and what the API does with a total a processor cannot charge exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from opencheckout.domain.currency import EXPONENTS, exponent
from opencheckout.domain.processor_amounts import (
    STRIPE_CURRENCIES,
    STRIPE_MINIMUMS,
    convert,
    from_processor,
    stripe_exponent,
)
from tests.factories import GOOD_CARD, assert_error, create_session

# Stripe's published decimals where they differ from ISO 4217, and the rule they carry.
STRIPE_DIFFERS_FROM_ISO = {"MGA": (2, 0), "ISK": (0, 2), "UGX": (0, 2)}
STRIPE_THREE_DECIMAL_LAST_ZERO = {"BHD", "JOD", "KWD", "OMR", "TND"}
NOT_AT_STRIPE = {"IQD", "LYD", "CLF", "UYW", "CUP", "SYP", "IRR", "KPW", "SDG", "VES"}


def _amount_of(code: str, major: str) -> int:
    return int(Decimal(major).scaleb(exponent(code)))


@pytest.mark.parametrize("code", sorted(EXPONENTS))
def test_every_iso_currency_at_stripe(code):
    """Each ISO currency: refused, or converted exactly and back, with Stripe's decimals."""
    iso = exponent(code)
    if code not in STRIPE_CURRENCIES:
        result = convert("stripe", code, 10**iso * 1000)
        assert not result.chargeable and code in (result.reason or "")
        assert code not in {"EUR", "USD", "JPY", "GBP"}
        return
    digits = stripe_exponent(code)
    assert digits is not None
    if code in STRIPE_DIFFERS_FROM_ISO:
        assert (iso, digits) == STRIPE_DIFFERS_FROM_ISO[code]
    elif code in STRIPE_THREE_DECIMAL_LAST_ZERO:
        assert (iso, digits) == (3, 3)
    else:
        assert digits == iso, code
    # A round amount well above any minimum: 1000 major units.
    amount = 1000 * 10**iso
    written = convert("stripe", code, amount)
    assert written.amount == 1000 * 10**digits, code
    assert from_processor("stripe", code, written.amount) == amount
    # The smallest ISO step: chargeable only if Stripe can write it exactly.
    odd = amount + 1
    result = convert("stripe", code, odd)
    if digits < iso or code in STRIPE_THREE_DECIMAL_LAST_ZERO:
        assert not result.chargeable and result.reason
    else:
        assert result.amount == odd * 10 ** (digits - iso)
    # The test processor charges every ISO currency in ISO units.
    assert convert("test", code, odd).amount == odd


def test_stripe_table_names_only_iso_currencies():
    assert set(STRIPE_MINIMUMS) <= STRIPE_CURRENCIES
    assert not convert("stripe", "bgn", 1000).chargeable  # no longer ISO 4217 (euro since 2026)


def test_stripe_examples_from_its_documentation():
    assert convert("stripe", "usd", 1000).amount == 1000  # 10 USD
    assert convert("stripe", "jpy", 500).amount == 500  # 500 JPY
    assert convert("stripe", "isk", 5).amount == 500  # 5 ISK is 500
    assert convert("stripe", "ugx", 5000).amount == 500000
    assert convert("stripe", "mga", 150000).amount == 1500  # 1500.00 MGA -> 1500
    assert not convert("stripe", "mga", 150050).chargeable  # 1500.50 MGA
    assert convert("stripe", "kwd", 5120).amount == 5120
    assert not convert("stripe", "kwd", 5124).chargeable  # 5.124 KWD
    assert convert("stripe", "huf", 17550).amount == 17550  # HUF charges keep decimals
    assert not convert("stripe", "iqd", 5000).chargeable


def test_stripe_minimum_and_maximum():
    for code, minimum in STRIPE_MINIMUMS.items():
        least = _amount_of(code, str(minimum))
        assert convert("stripe", code, least).chargeable, code
        below = convert("stripe", code, least - 1)
        assert not below.chargeable and "minimum" in (below.reason or ""), code
        # A refund below the minimum charge is still fine.
        assert convert("stripe", code, least - 1, charge=False).chargeable
    assert convert("stripe", "usd", 99_999_999).chargeable
    too_big = convert("stripe", "usd", 100_000_000)
    assert not too_big.chargeable and "999999.99" in (too_big.reason or "")
    assert convert("stripe", "idr", 100_000_000).chargeable
    assert not convert("stripe", "isk", 1_000_000).chargeable  # 100000000 written
    assert not convert("stripe", "usd", 0).chargeable


def test_not_chargeable_total_is_not_ready_and_complete_is_422(api, server):
    """The server's test processor writes every ISO amount; Stripe's rules are shown
    through the same readiness fields (see test_stripe.py for the live path)."""
    session = create_session(
        api,
        currency="usd",
        line_items=[{"product": "sku-1", "name": "Gum", "unit_amount": 10, "quantity": 1}],
    )
    # The test processor can charge 0.10 USD.
    assert session["ready_for_payment"] is True and session["messages"] == []
    done = api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": GOOD_CARD})
    assert done.status_code == 200, done.text


def test_expected_amount_mismatch_charges_nothing(api):
    session = create_session(api)
    url = f"/v1/checkouts/{session['id']}/complete"
    error = assert_error(
        api.post(url, json={"payment": GOOD_CARD, "expected_amount": session["amount_total"] - 1}),
        409,
        code="amount_changed",
        param="expected_amount",
    )
    assert error["amount_total"] == session["amount_total"]
    assert error["currency"] == "eur"
    after = api.get(f"/v1/checkouts/{session['id']}").json()
    assert after["status"] == "pending" and after["processor_id"] is None
    assert_error(api.post(url, json={"payment": GOOD_CARD, "expected_amount": -1}), 422)
    assert_error(api.post(url, json={"payment": GOOD_CARD, "expected_amount": "1"}), 422)
    paid = api.post(url, json={"payment": GOOD_CARD, "expected_amount": session["amount_total"]})
    assert paid.status_code == 200 and paid.json()["status"] == "completed"


def test_zero_total_completes_without_a_processor(api):
    made = api.post("/v1/coupons", json={"percent_off": 100})
    assert made.status_code == 201, made.text
    session = create_session(api, discounts=[{"coupon": made.json()["id"]}])
    assert session["amount_total"] == 0 and session["ready_for_payment"] is True
    url = f"/v1/checkouts/{session['id']}/complete"
    assert_error(api.post(url, json={"expected_amount": 100}), 409, code="amount_changed")
    done = api.post(url, json={"expected_amount": 0})
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "completed"
    assert body["payment_status"] == "no_payment_required"
    assert body["processor"] is None and body["processor_id"] is None
    assert api.get("/v1/coupons/" + made.json()["id"]).json()["times_redeemed"] == 1
    listed = api.get("/v1/checkouts", params={"payment_status": "no_payment_required"}).json()
    assert session["id"] in [row["id"] for row in listed["data"]]
    types = [
        e["type"]
        for e in api.get("/v1/events", params={"limit": 100}).json()["data"]
        if e["data"]["object"].get("id") == session["id"]
    ]
    assert "checkout.completed" in types and "checkout.processing" not in types


def test_positive_total_needs_a_payment(api):
    session = create_session(api)
    assert_error(
        api.post(f"/v1/checkouts/{session['id']}/complete", json={}),
        422,
        code="parameter_missing",
        param="payment",
    )

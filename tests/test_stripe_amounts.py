"""Stripe's own amount rules, end to end against localstripe."""

from __future__ import annotations

import httpx

from tests.factories import assert_error, create_session
from tests.test_stripe import (
    STRIPE_KEY,
    _card,
    _intent,
    localstripe,
    stripe_api,
    stripe_server,
)

__all__ = ["localstripe", "stripe_api", "stripe_server"]  # fixtures used by name

VISA = "4242424242424242"


def _one(amount: int) -> list[dict]:
    return [{"product": "sku-1", "name": "Thing", "unit_amount": amount, "quantity": 1}]


def test_isk_is_written_with_two_decimals(stripe_api, localstripe):
    session = create_session(stripe_api, currency="isk", line_items=_one(5000))
    assert session["ready_for_payment"] is True
    done = stripe_api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": _card(VISA)})
    assert done.status_code == 200, done.text
    intent = _intent(localstripe, done.json()["processor_id"])
    assert (intent["amount"], intent["currency"]) == (500000, "isk")


def test_total_stripe_cannot_charge_is_not_ready_and_refused_before_any_call(stripe_api):
    for currency, amount in (("usd", 10), ("kwd", 5125), ("mga", 150050), ("iqd", 5000)):
        session = create_session(stripe_api, currency=currency, line_items=_one(amount))
        assert session["ready_for_payment"] is False, currency
        assert session["missing_fields"] == ["amount_total"]
        (message,) = session["messages"]
        assert message["code"] == "amount_not_chargeable" and message["param"] == "amount_total"
        error = assert_error(
            stripe_api.post(
                f"/v1/checkouts/{session['id']}/complete", json={"payment": _card(VISA)}
            ),
            422,
            code="amount_not_chargeable",
            param="amount_total",
        )
        assert currency.upper() in error["message"]
        after = stripe_api.get(f"/v1/checkouts/{session['id']}").json()
        assert after["status"] == "pending" and after["processor_id"] is None
    fixed = create_session(stripe_api, currency="kwd", line_items=_one(5120))
    assert fixed["ready_for_payment"] is True and fixed["messages"] == []


def test_refunds_through_stripe(stripe_api, localstripe):
    session = create_session(stripe_api)
    done = stripe_api.post(
        f"/v1/checkouts/{session['id']}/complete", json={"payment": _card(VISA)}
    ).json()
    url = f"/v1/checkouts/{session['id']}/refunds"
    partial = stripe_api.post(url, json={"amount": 1000})
    assert partial.status_code == 201, partial.text
    assert partial.json()["status"] == "succeeded"
    rest = stripe_api.post(url, json={})
    assert rest.status_code == 201 and rest.json()["amount"] == done["amount_total"] - 1000
    final = stripe_api.get(f"/v1/checkouts/{session['id']}").json()
    assert final["payment_status"] == "refunded"
    assert final["amount_refunded"] == done["amount_total"]
    order = stripe_api.get("/v1/orders", params={"checkout": session["id"]}).json()["data"][0]
    assert order["amount_refunded"] == done["amount_total"]
    assert [(a["refund"], a["status"]) for a in order["adjustments"]] == [
        (partial.json()["id"], "succeeded"),
        (rest.json()["id"], "succeeded"),
    ]
    refunds = httpx.get(
        f"{localstripe}/v1/refunds", params={"limit": 100}, auth=(STRIPE_KEY, "")
    ).json()["data"]
    mine = sorted(r["amount"] for r in refunds if r.get("payment_intent") == done["processor_id"])
    assert mine == sorted([1000, done["amount_total"] - 1000])

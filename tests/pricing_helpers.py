"""Helpers for the pricing tests: create catalog objects and check session invariants."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.factories import GOOD_CARD, create_session


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def tax_rate(api: httpx.Client, percentage: Any, inclusive: bool, **extra: Any) -> dict[str, Any]:
    body = {"display_name": extra.pop("display_name", "Tax"), "percentage": percentage}
    return created(api.post("/v1/tax_rates", json={**body, "inclusive": inclusive, **extra}))


def coupon(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    return created(api.post("/v1/coupons", json=fields))


def product(api: httpx.Client, **fields: Any) -> dict[str, Any]:
    body = {"id": f"sku-{uuid.uuid4().hex[:8]}", "name": "Thing", "currency": "eur", **fields}
    return created(api.post("/v1/products", json=body))


def unique_code(prefix: str = "CODE") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8].upper()}"


def session_with(api: httpx.Client, lines: list[dict[str, Any]], **fields: Any) -> dict[str, Any]:
    """A ready-to-pay session (email and billing address present) with these lines."""
    return create_session(api, line_items=lines, **fields)


def complete(api: httpx.Client, checkout_id: str, payment: dict[str, Any] | None = None):
    return api.post(f"/v1/checkouts/{checkout_id}/complete", json={"payment": payment or GOOD_CARD})


def assert_invariants(session: dict[str, Any]) -> None:
    """What must hold for every session, whatever its cart, rates and coupons."""
    lines = session["line_items"]
    assert session["amount_subtotal"] == sum(line["amount_subtotal"] for line in lines)
    assert session["amount_discount"] == sum(line["amount_discount"] for line in lines)
    assert session["amount_tax"] == sum(line["amount_tax"] for line in lines)
    assert session["amount_total"] - session["amount_shipping"] == sum(
        line["amount_total"] for line in lines
    )
    exclusive = sum(e["amount"] for e in session["tax_breakdown"] if not e["inclusive"])
    assert session["amount_total"] == (
        session["amount_subtotal"]
        - session["amount_discount"]
        + exclusive
        + session["amount_shipping"]
    )
    assert sum(e["amount"] for e in session["tax_breakdown"]) == session["amount_tax"]
    assert sum(d["amount"] for d in session["discounts"]) == session["amount_discount"]
    totals = {entry["type"]: entry["amount"] for entry in session["totals"]}
    assert totals == {
        "items_base_amount": session["amount_subtotal"],
        "discount": session["amount_discount"],
        "subtotal": session["amount_subtotal"] - session["amount_discount"],
        "fulfillment": session["amount_shipping"],
        "tax": session["amount_tax"],
        "total": session["amount_total"],
    }
    for line in lines:
        assert line["amount_subtotal"] == line["unit_amount"] * line["quantity"]
        assert 0 <= line["amount_discount"] <= line["amount_subtotal"]
        assert line["amount_tax"] == sum(tax["amount"] for tax in line["taxes"])
        line_exclusive = sum(tax["amount"] for tax in line["taxes"] if not tax["inclusive"])
        assert line["amount_total"] == (
            line["amount_subtotal"] - line["amount_discount"] + line_exclusive
        )
        assert min(line["amount_tax"], line["amount_total"]) >= 0
        assert all(min(tax["amount"], tax["taxable_amount"]) >= 0 for tax in line["taxes"])
    amounts = [session[f"amount_{name}"] for name in ("subtotal", "discount", "tax", "total")]
    assert min(amounts) >= 0 and session["amount_shipping"] >= 0
    assert all(entry["amount"] >= 0 for entry in session["totals"] if entry["type"] != "total")

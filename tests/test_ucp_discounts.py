"""UCP discounts: every applied discount carries its own ``allocations`` (what it took
off each line, as the native pricing split it), also when several apply, on both
engines and versions, responses validated against the version's JSON Schemas."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.test_ucp import V1, V2, Schemas, agent_headers, client_for_shop, line, shop, ucp

__all__ = ["shop", "ucp"]


@pytest.mark.parametrize("version", [V1, V2])
def test_each_coupon_has_its_allocations(shop: Any, ucp: httpx.Client, version: str) -> None:
    code = f"POTHALF{uuid.uuid4().hex[:8].upper()}"
    with client_for_shop(shop) as native:
        coupon = native.post(
            "/v1/coupons",
            json={"percent_off": 50, "code": code, "applies_to": {"products": ["pot_ceramic"]}},
        )
        assert coupon.status_code in (200, 201), coupon.text
    headers = agent_headers(version)
    body = {
        "line_items": [line("bouquet_roses", 2), line("pot_ceramic")],
        "currency": "USD",
        "discounts": {"codes": [code, "FIXED500"]},
    }
    created = ucp.post("/checkout-sessions", json=body, headers=headers)
    assert created.status_code == 201, created.text
    Schemas.of(version).checkout(created.json())
    applied = created.json()["discounts"]["applied"]
    assert [a.get("code") for a in applied] == [code, "FIXED500"]
    for entry in applied:
        assert sum(a["amount"] for a in entry["allocations"]) == entry["amount"], entry
    # The pot-only coupon went to the pot alone; the fixed one across what was left.
    assert applied[0]["allocations"] == [{"path": "$.line_items[1]", "amount": 750}]
    fixed = {a["path"]: a["amount"] for a in applied[1]["allocations"]}
    assert fixed == {"$.line_items[0]": 452, "$.line_items[1]": 48}
    with client_for_shop(shop) as native:
        session = native.get(f"/v1/checkouts/{created.json()['id']}").json()
    per_line = [line["amount_discount"] for line in session["line_items"]]
    assert per_line == [452, 750 + 48]
    # One coupon: its allocations are each line's discount.
    single = ucp.put(
        f"/checkout-sessions/{created.json()['id']}",
        json={**body, "discounts": {"codes": ["10OFF"]}},
        headers=headers,
    )
    Schemas.of(version).checkout(single.json())
    (only,) = single.json()["discounts"]["applied"]
    assert only["allocations"] == [
        {"path": "$.line_items[0]", "amount": 700},
        {"path": "$.line_items[1]", "amount": 150},
    ]

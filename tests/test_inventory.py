"""Inventory: product stock, insufficient_stock on carts and at payment, the stock
route and the 50-buyer race for the last unit, over HTTP on both engines."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.factories import DECLINED_CARD, GOOD_CARD, assert_error, create_session

LATER_DECLINE = {"method": "card", "card_number": "4000008400001629"}


def product(api: httpx.Client, sku: str, **fields: Any) -> dict[str, Any]:
    body = {"id": sku, "name": sku.title(), "unit_amount": 1000, "currency": "eur", **fields}
    response = api.post("/v1/products", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def lines(*pairs: tuple[str, int]) -> list[dict[str, Any]]:
    return [{"product": sku, "quantity": quantity} for sku, quantity in pairs]


def stock_of(api: httpx.Client, sku: str) -> int | None:
    value: int | None = api.get(f"/v1/products/{sku}").json()["stock"]
    return value


def test_stock_is_optional_and_bounded(api):
    assert product(api, "untracked")["stock"] is None
    tracked = product(api, "tracked", stock=5)
    assert tracked["stock"] == 5
    assert api.patch("/v1/products/tracked", json={"stock": 2}).json()["stock"] == 2
    assert api.patch("/v1/products/tracked", json={"stock": None}).json()["stock"] is None
    assert_error(
        api.post(
            "/v1/products",
            json={"id": "neg", "name": "n", "unit_amount": 1, "currency": "eur", "stock": -1},
        ),
        422,
        param="stock",
    )
    assert_error(api.patch("/v1/products/tracked", json={"stock": 1.5}), 422, param="stock")


def test_carts_asking_for_more_than_is_left_are_refused(api):
    product(api, "vase", stock=3)
    error = assert_error(
        api.post("/v1/checkouts", json={"currency": "eur", "line_items": lines(("vase", 4))}),
        422,
        code="insufficient_stock",
        param="line_items[0].quantity",
    )
    assert "vase" in error["message"] and "3" in error["message"]
    # Lines of one SKU add up; a line with its own price still takes the SKU's stock.
    assert_error(
        api.post(
            "/v1/checkouts",
            json={
                "currency": "eur",
                "line_items": [
                    {"product": "vase", "quantity": 2},
                    {"product": "vase", "quantity": 2, "unit_amount": 5, "name": "Vase (gift)"},
                ],
            },
        ),
        422,
        code="insufficient_stock",
        param="line_items[1].quantity",
    )
    session = create_session(
        api,
        line_items=[*lines(("vase", 3)), {"product": "adhoc", "unit_amount": 5, "quantity": 99}],
    )
    assert_error(
        api.patch(f"/v1/checkouts/{session['id']}", json={"line_items": lines(("vase", 9))}),
        422,
        code="insufficient_stock",
        param="line_items[0].quantity",
    )


def test_stock_is_taken_at_payment_and_given_back_on_decline(api):
    product(api, "rose", stock=2)
    declined = create_session(api, line_items=lines(("rose", 2)))
    refused = api.post(f"/v1/checkouts/{declined['id']}/complete", json={"payment": DECLINED_CARD})
    assert refused.status_code == 402
    assert stock_of(api, "rose") == 2
    paid = api.post(f"/v1/checkouts/{declined['id']}/complete", json={"payment": GOOD_CARD})
    assert paid.status_code == 200, paid.text
    assert stock_of(api, "rose") == 0
    # Now sold out: a new cart is refused, and so is paying one made before.
    assert_error(
        api.post("/v1/checkouts", json={"currency": "eur", "line_items": lines(("rose", 1))}),
        422,
        code="insufficient_stock",
    )


def test_an_asynchronous_decline_gives_the_stock_back(api):
    product(api, "tulip", stock=1)
    session = create_session(api, line_items=lines(("tulip", 1)))
    started = api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": LATER_DECLINE})
    assert started.status_code == 200 and started.json()["status"] == "processing", started.text
    assert stock_of(api, "tulip") == 0
    deadline = time.monotonic() + 60  # the embedded worker settles it (a bound, not a timing check)
    while api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "processing":
        assert time.monotonic() < deadline, "the delayed decline never settled"
        time.sleep(0.2)
    assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "failed"
    assert stock_of(api, "tulip") == 1


def test_stock_route_adjusts_and_sets_with_an_event(api):
    product(api, "pot", stock=1)
    assert api.post("/v1/products/pot/stock", json={"adjust": 4}).json()["stock"] == 5
    assert api.post("/v1/products/pot/stock", json={"adjust": -2}).json()["stock"] == 3
    assert api.post("/v1/products/pot/stock", json={"set": 10}).json()["stock"] == 10
    assert_error(
        api.post("/v1/products/pot/stock", json={"adjust": -11}),
        409,
        code="insufficient_stock",
        param="adjust",
    )
    assert_error(api.post("/v1/products/pot/stock", json={"adjust": 1, "set": 1}), 422)
    assert_error(api.post("/v1/products/pot/stock", json={}), 422)
    assert_error(api.post("/v1/products/pot/stock", json={"set": -1}), 422, param="set")
    assert_error(api.post("/v1/products/nope/stock", json={"set": 1}), 404)
    product(api, "soil")
    assert api.post("/v1/products/soil/stock", json={"adjust": 7}).json()["stock"] == 7
    events = [
        e
        for e in api.get("/v1/events", params={"limit": 100}).json()["data"]
        if e["type"] == "product.updated"
    ]
    assert [e["data"]["object"]["stock"] for e in events] == [7, 10, 3, 5]
    assert stock_of(api, "pot") == 10


async def _complete_all(server, key: str, checkout_ids: list[str]) -> list[httpx.Response]:
    async with httpx.AsyncClient(
        base_url=server.url,
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
        limits=httpx.Limits(max_connections=len(checkout_ids)),
    ) as client:
        return await asyncio.gather(
            *(
                client.post(f"/v1/checkouts/{cid}/complete", json={"payment": GOOD_CARD})
                for cid in checkout_ids
            )
        )


def test_fifty_buyers_racing_for_the_last_unit(server, account, api):
    product(api, "last-one", stock=1)
    ids = [create_session(api, line_items=lines(("last-one", 1)))["id"] for _ in range(50)]
    responses = asyncio.run(_complete_all(server, account.secret_key, ids))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1 and statuses.count(409) == 49, statuses
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "insufficient_stock"
    }
    assert stock_of(api, "last-one") == 0
    states = [api.get(f"/v1/checkouts/{cid}").json()["status"] for cid in ids]
    assert states.count("completed") == 1 and states.count("pending") == 49

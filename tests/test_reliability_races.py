"""Races at 50 concurrent requests, over real HTTP, on SQLite and PostgreSQL.

Fifty requests arrive together (one connection each): the guards that decide
them (a conditional UPDATE for payment, the idempotency key's primary key, a
row lock or SQLite's write lock for edits) must leave exactly one winner, one
session, and a final state that is wholly one writer's.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx

from tests.factories import GOOD_CARD, create_session, session_body

RACERS = 50


async def _together(
    server, key: str, requests: list[tuple[str, str, dict[str, Any], dict[str, str]]]
) -> list[httpx.Response]:
    """Open every connection first, then release all the requests at once."""
    limits = httpx.Limits(max_connections=RACERS + 10, max_keepalive_connections=RACERS + 10)
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=120, limits=limits
    ) as client:
        await asyncio.gather(*(client.get("/healthz") for _ in requests))
        start = asyncio.Event()

        async def one(method: str, url: str, body: dict[str, Any], headers: dict[str, str]):
            await start.wait()
            return await client.request(method, url, json=body, headers=headers)

        tasks = [asyncio.create_task(one(*request)) for request in requests]
        await asyncio.sleep(0.05)
        start.set()
        return await asyncio.gather(*tasks)


def test_50_completes_of_one_session_charge_once(server, account, api):
    session = create_session(api)
    url = f"/v1/checkouts/{session['id']}/complete"
    responses = asyncio.run(
        _together(server, account.secret_key, [("POST", url, {"payment": GOOD_CARD}, {})] * RACERS)
    )
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1, statuses
    assert statuses.count(409) == RACERS - 1, statuses
    winner = next(r for r in responses if r.status_code == 200).json()
    final = api.get(f"/v1/checkouts/{session['id']}").json()
    assert final["status"] == "completed"
    assert final["processor_id"] == winner["processor_id"]
    # One payment means one checkout.completed event.
    completed = api.get("/v1/events", params={"type": "checkout.completed"}).json()["data"]
    assert [e["data"]["object"]["id"] for e in completed] == [session["id"]]


def test_50_creates_with_one_idempotency_key_make_one_session(server, account, api):
    key = str(uuid.uuid4())
    body = session_body()
    responses = asyncio.run(
        _together(
            server,
            account.secret_key,
            [("POST", "/v1/checkouts", body, {"Idempotency-Key": key})] * RACERS,
        )
    )
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {201, 409}, statuses
    assert all(
        r.json()["error"]["code"] == "idempotency_in_flight"
        for r in responses
        if r.status_code == 409
    )
    created = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created) == 1
    listed = api.get("/v1/checkouts", params={"limit": 100}).json()["data"]
    assert [s["id"] for s in listed] == list(created)
    # A retry after the race replays the one response.
    replay = api.post("/v1/checkouts", json=body, headers={"Idempotency-Key": key})
    assert replay.status_code == 201 and replay.json()["id"] in created


def test_50_updates_leave_exactly_one_writers_state(server, account, api):
    session = create_session(api)
    url = f"/v1/checkouts/{session['id']}"

    def edit(n: int) -> dict[str, Any]:
        # Every field this writer replaces carries its number.
        return {
            "line_items": [
                {"product": f"w{n}-a", "name": f"A{n}", "unit_amount": 100 + n, "quantity": 1},
                {"product": f"w{n}-b", "name": f"B{n}", "unit_amount": 200 + n, "quantity": 2},
            ],
            "client_reference_id": f"writer-{n}",
            "customer": {"email": f"writer{n}@example.com", "first_name": f"W{n}"},
            "locale": "es" if n % 2 else "fr",
        }

    responses = asyncio.run(
        _together(server, account.secret_key, [("PATCH", url, edit(n), {}) for n in range(RACERS)])
    )
    assert [r.status_code for r in responses] == [200] * RACERS, [
        r.text for r in responses if r.status_code != 200
    ]
    final = api.get(url).json()
    n = int(final["client_reference_id"].removeprefix("writer-"))
    expected = edit(n)
    assert [(i["product"], i["unit_amount"], i["quantity"]) for i in final["line_items"]] == [
        (i["product"], i["unit_amount"], i["quantity"]) for i in expected["line_items"]
    ]
    assert final["customer"]["email"] == expected["customer"]["email"]
    assert final["customer"]["first_name"] == expected["customer"]["first_name"]
    assert final["locale"] == expected["locale"]
    assert final["amount_subtotal"] == (100 + n) + 2 * (200 + n)
    # The final state is the response one writer received: the last to commit.
    assert any(r.json()["client_reference_id"] == f"writer-{n}" for r in responses)
    by_product = api.get("/v1/checkouts", params={"product": f"w{n}-a"}).json()["data"]
    assert [s["id"] for s in by_product] == [session["id"]]

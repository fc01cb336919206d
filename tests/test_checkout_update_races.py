"""Edits (``PATCH /v1/checkouts/{id}``) racing a payment and each other, and what an edit
writes besides the session (its event, SKU rows, the overview's rollup), over real HTTP
on SQLite and PostgreSQL.

The edit reads the session locked (``FOR UPDATE`` on PostgreSQL, the write lock on
SQLite) and writes it back with its ``checkout.updated`` event in the same transaction,
so a payment racing edits is either before all of them or after the ones it let in,
never between an edit's read and its write.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sqlalchemy import text

from opencheckout.store.db import Database
from tests.factories import GOOD_CARD, create_session

EDITORS = 12


def _edit(n: int) -> dict[str, Any]:
    return {
        "line_items": [
            {"product": f"e{n}-a", "name": f"A{n}", "unit_amount": 1000 + n, "quantity": 1},
        ],
        "client_reference_id": f"editor-{n}",
    }


async def _race(
    server: Any, key: str, session_id: str
) -> tuple[list[httpx.Response], httpx.Response]:
    """Every edit and one complete released together."""
    limits = httpx.Limits(max_connections=EDITORS + 5, max_keepalive_connections=EDITORS + 5)
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=120, limits=limits
    ) as client:
        await asyncio.gather(*(client.get("/healthz") for _ in range(EDITORS + 1)))
        start = asyncio.Event()
        url = f"/v1/checkouts/{session_id}"

        async def one(method: str, path: str, body: dict[str, Any]) -> httpx.Response:
            await start.wait()
            return await client.request(method, path, json=body)

        edits = [asyncio.create_task(one("PATCH", url, _edit(n))) for n in range(EDITORS)]
        half = EDITORS // 2
        pay = asyncio.create_task(one("POST", f"{url}/complete", {"payment": GOOD_CARD}))
        await asyncio.sleep(0.05)
        start.set()
        done = await asyncio.gather(*edits[:half], pay, *edits[half:])
        return [*done[:half], *done[half + 1 :]], done[half]


def _events(api: httpx.Client, type: str, session_id: str) -> list[dict[str, Any]]:
    found = api.get("/v1/events", params={"type": type, "limit": 100}).json()["data"]
    return [e["data"]["object"] for e in found if e["data"]["object"]["id"] == session_id]


def test_edits_racing_a_payment_end_consistent(server, account, api):
    session = create_session(api)
    edits, paid = asyncio.run(_race(server, account.secret_key, session["id"]))
    assert paid.status_code == 200, paid.text
    statuses = [r.status_code for r in edits]
    assert set(statuses) <= {200, 409}, [r.text for r in edits]
    for refused in (r for r in edits if r.status_code == 409):
        assert refused.json()["error"]["code"] == "checkout_not_editable"
    final = api.get(f"/v1/checkouts/{session['id']}").json()
    assert final["status"] == "completed"
    # What was paid is what the session says, and it is wholly one state: an edit let
    # in before the payment (or the original session when none was).
    assert paid.json()["amount_total"] == final["amount_total"]
    accepted = [r.json() for r in edits if r.status_code == 200]
    if accepted:
        # The last edit to commit before the payment (commit order, not request time).
        n = int(final["client_reference_id"].removeprefix("editor-"))
        assert f"editor-{n}" in {body["client_reference_id"] for body in accepted}
        assert [(i["product"], i["unit_amount"]) for i in final["line_items"]] == [
            (f"e{n}-a", 1000 + n)
        ]
        assert final["amount_subtotal"] == 1000 + n
    else:
        assert final["line_items"] == session["line_items"]
    # One checkout.updated event per edit let in, written with it; the payment's
    # snapshot is the paid state.
    assert len(_events(api, "checkout.updated", session["id"])) == len(accepted)
    [completed] = _events(api, "checkout.completed", session["id"])
    assert completed["amount_total"] == final["amount_total"]
    assert completed["line_items"] == final["line_items"]
    # The SKU rows follow the last edit: the session is found by its products only.
    products = {i["product"] for i in final["line_items"]}
    for n in range(EDITORS):
        listed = api.get("/v1/checkouts", params={"product": f"e{n}-a"}).json()["data"]
        assert ([s["id"] for s in listed] == [session["id"]]) == (f"e{n}-a" in products)


def test_concurrent_edits_each_announce_their_own_state(server, account, api):
    session = create_session(api)
    url = f"/v1/checkouts/{session['id']}"

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(
            base_url=server.url,
            headers={"Authorization": f"Bearer {account.secret_key}"},
            timeout=120,
        ) as client:
            return await asyncio.gather(*(client.patch(url, json=_edit(n)) for n in range(8)))

    responses = asyncio.run(run())
    assert [r.status_code for r in responses] == [200] * 8, [r.text for r in responses]
    announced = _events(api, "checkout.updated", session["id"])
    # Each event is the snapshot its own edit answered with (written in its transaction).
    assert sorted((e["client_reference_id"], e["amount_total"]) for e in announced) == sorted(
        (r.json()["client_reference_id"], r.json()["amount_total"]) for r in responses
    )


async def _created_by_currency(url: str, checkout_id: str) -> tuple[dict[str, int], dict[str, int]]:
    """The rollup's ``created`` per currency, and the sessions' own count per currency,
    for the account of ``checkout_id``."""
    db = Database(url)
    try:
        async with db.read() as session:
            account = await session.scalar(
                text("SELECT account_id FROM checkouts WHERE id = :id"), {"id": checkout_id}
            )
            rolled = await session.execute(
                text(
                    "SELECT currency, sum(created) FROM overview_days "
                    "WHERE account_id = :a GROUP BY currency"
                ),
                {"a": account},
            )
            direct = await session.execute(
                text(
                    "SELECT currency, count(*) FROM checkouts "
                    "WHERE account_id = :a GROUP BY currency"
                ),
                {"a": account},
            )
            return (
                {c: int(n) for c, n in rolled if int(n)},
                {c: int(n) for c, n in direct},
            )
    finally:
        await db.dispose()


def test_a_currency_change_moves_the_creation_in_the_rollup(server, account, api):
    kept = create_session(api, currency="eur")
    moved = create_session(api, currency="eur")
    changed = api.patch(f"/v1/checkouts/{moved['id']}", json={"currency": "usd"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["currency"] == "usd"
    same = api.patch(f"/v1/checkouts/{kept['id']}", json={"currency": "eur"})
    assert same.status_code == 200, same.text
    rolled, direct = asyncio.run(_created_by_currency(server.database_url, kept["id"]))
    assert direct == {"eur": 1, "usd": 1}
    assert rolled == direct

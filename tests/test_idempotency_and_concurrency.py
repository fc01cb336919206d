"""Idempotent POSTs and concurrent writers, through real concurrent HTTP requests."""

from __future__ import annotations

import asyncio
import uuid

import httpx

from tests.factories import GOOD_CARD, assert_error, create_session, session_body


def test_same_key_replays_the_first_response(api):
    key = str(uuid.uuid4())
    first = api.post("/v1/checkouts", json=session_body(), headers={"Idempotency-Key": key})
    assert first.status_code == 201
    assert first.headers["idempotent-replayed"] == "false"
    again = api.post("/v1/checkouts", json=session_body(), headers={"Idempotency-Key": key})
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert len(api.get("/v1/checkouts").json()["data"]) == 1


def test_same_key_other_body_is_a_conflict(api):
    key = str(uuid.uuid4())
    assert (
        api.post("/v1/checkouts", json=session_body(), headers={"Idempotency-Key": key}).status_code
        == 201
    )
    other = api.post(
        "/v1/checkouts", json=session_body(locale="es"), headers={"Idempotency-Key": key}
    )
    assert_error(other, 422, code="idempotency_conflict")
    assert len(api.get("/v1/checkouts").json()["data"]) == 1


def test_errors_are_replayed_too_and_keys_are_per_account(server, api, other_account):
    key = str(uuid.uuid4())
    bad = api.post(
        "/v1/checkouts", json=session_body(currency="zzz"), headers={"Idempotency-Key": key}
    )
    assert_error(bad, 422, code="currency_invalid")
    replay = api.post(
        "/v1/checkouts", json=session_body(currency="zzz"), headers={"Idempotency-Key": key}
    )
    assert replay.status_code == 422 and replay.headers["idempotent-replayed"] == "true"

    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {other_account.secret_key}"}
    ) as other:
        theirs = other.post("/v1/checkouts", json=session_body(), headers={"Idempotency-Key": key})
        assert theirs.status_code == 201
        assert theirs.headers["idempotent-replayed"] == "false"


def test_replayed_complete_does_not_charge_twice(api):
    session = create_session(api)
    key = str(uuid.uuid4())
    url = f"/v1/checkouts/{session['id']}/complete"
    first = api.post(url, json={"payment": GOOD_CARD}, headers={"Idempotency-Key": key})
    second = api.post(url, json={"payment": GOOD_CARD}, headers={"Idempotency-Key": key})
    assert first.status_code == second.status_code == 200
    assert second.headers["idempotent-replayed"] == "true"
    assert first.json()["processor_id"] == second.json()["processor_id"]


def test_overlong_idempotency_key_is_refused(api):
    response = api.post(
        "/v1/checkouts", json=session_body(), headers={"Idempotency-Key": "k" * 256}
    )
    assert_error(response, 422, code="idempotency_key_invalid", param="Idempotency-Key")


async def _burst(
    server, key: str, requests: list[tuple[str, str, dict | None, dict]]
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=60)
    async with httpx.AsyncClient(
        base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=60, limits=limits
    ) as client:
        return await asyncio.gather(
            *(
                client.request(method, url, json=body, headers=headers)
                for method, url, body, headers in requests
            )
        )


def test_concurrent_creates_with_one_key_make_one_session(server, account, api):
    key = str(uuid.uuid4())
    body = session_body()
    responses = asyncio.run(
        _burst(
            server,
            account.secret_key,
            [("POST", "/v1/checkouts", body, {"Idempotency-Key": key})] * 30,
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert set(statuses) <= {201, 409}, statuses
    created_ids = {r.json()["id"] for r in responses if r.status_code == 201}
    assert len(created_ids) == 1
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "idempotency_in_flight"
    listed = api.get("/v1/checkouts").json()["data"]
    assert [s["id"] for s in listed] == list(created_ids)


def test_concurrent_completes_give_exactly_one_success(server, account, api):
    session = create_session(api)
    url = f"/v1/checkouts/{session['id']}/complete"
    responses = asyncio.run(
        _burst(server, account.secret_key, [("POST", url, {"payment": GOOD_CARD}, {})] * 20)
    )
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1, statuses
    assert statuses.count(409) == 19, statuses
    final = api.get(f"/v1/checkouts/{session['id']}").json()
    assert final["status"] == "completed"
    winner = next(r for r in responses if r.status_code == 200).json()
    assert final["processor_id"] == winner["processor_id"]


def test_concurrent_updates_lose_nothing_and_never_mix(server, account, api):
    session = create_session(api)
    url = f"/v1/checkouts/{session['id']}"
    # Each request sets its own metadata key and a whole line-item list.
    requests = [
        (
            "PATCH",
            url,
            {
                "metadata": {f"writer_{n}": str(n)},
                "line_items": [{"product": f"p{n}", "unit_amount": n + 1, "quantity": n + 1}] * 2,
                "client_reference_id": f"writer-{n}",
            },
            {},
        )
        for n in range(20)
    ]
    responses = asyncio.run(_burst(server, account.secret_key, requests))
    assert all(r.status_code == 200 for r in responses), [
        r.text for r in responses if r.status_code != 200
    ]
    final = api.get(url).json()
    # every metadata key survived: no lost update
    assert {f"writer_{n}" for n in range(20)} <= set(final["metadata"])
    # the replaced fields all come from one writer
    writer = int(final["client_reference_id"].split("-")[1])
    assert {i["product"] for i in final["line_items"]} == {f"p{writer}"}
    assert final["amount_total"] == 2 * (writer + 1) * (writer + 1)
    assert (
        api.get("/v1/checkouts", params={"product": f"p{writer}"}).json()["data"][0]["id"]
        == session["id"]
    )

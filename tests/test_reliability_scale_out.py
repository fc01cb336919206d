"""Scaling out on PostgreSQL: two ``serve`` processes and two ``worker`` processes
under load lose and duplicate nothing.

Clients spread over both API processes create (with idempotency keys, one
retried on the *other* process), update and pay sessions while both workers
deliver the events to a loopback receiver. Afterwards: every acknowledged
session exists exactly once, every change has exactly one event, and every
event reached the endpoint exactly once (by ``webhook-id``).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from pathlib import Path

import asyncpg
import httpx

from opencheckout.service import auth, webhooks
from opencheckout.service.auth import Principal, Scope
from opencheckout.service.context import Context
from opencheckout.store.db import Database
from tests.conftest import _make_account, fresh_database, server_settings
from tests.factories import GOOD_CARD, session_body
from tests.processes import Serve, start_serve, start_worker
from tests.receiver import run_receiver

#: Sessions each client takes through create -> update -> complete.
SESSIONS_PER_CLIENT = 15
CLIENTS_PER_SERVER = 4
EVENTS_PER_SESSION = ("checkout.created", "checkout.updated", "checkout.processing")


async def _endpoint(url: str, account_secret: str, receiver_url: str) -> None:
    db = Database(url)
    try:
        principal = await auth.authenticate(db, account_secret)
        assert isinstance(principal, Principal) and principal.scope is Scope.WRITE
        ctx = Context(db=db, settings=server_settings(url))
        await webhooks.create_endpoint(
            ctx, principal, {"url": f"{receiver_url}/hook", "enabled_events": ["*"]}
        )
    finally:
        await db.dispose()


async def _drive(servers: list[Serve], key: str) -> tuple[set[str], int]:
    """Every client on its server; returns acknowledged session ids and replays seen."""
    acknowledged: set[str] = set()
    replays = 0

    async def client(index: int) -> None:
        nonlocal replays
        home = servers[index % len(servers)]
        other = servers[(index + 1) % len(servers)]
        auth = {"Authorization": f"Bearer {key}"}
        async with (
            httpx.AsyncClient(base_url=home.url, headers=auth, timeout=60) as http,
            httpx.AsyncClient(base_url=other.url, headers=auth, timeout=60) as elsewhere,
        ):
            for n in range(SESSIONS_PER_CLIENT):
                idem = {"Idempotency-Key": str(uuid.uuid4())}
                created = await http.post("/v1/checkouts", json=session_body(), headers=idem)
                assert created.status_code == 201, created.text
                checkout_id = created.json()["id"]
                acknowledged.add(checkout_id)
                if n % 5 == 0:
                    # The client "timed out" and retries on the other process.
                    again = await elsewhere.post("/v1/checkouts", json=session_body(), headers=idem)
                    assert again.status_code == 201 and again.json()["id"] == checkout_id
                    assert again.headers["idempotent-replayed"] == "true"
                    replays += 1
                updated = await elsewhere.patch(
                    f"/v1/checkouts/{checkout_id}", json={"metadata": {"n": str(n)}}
                )
                assert updated.status_code == 200, updated.text
                paid = await http.post(
                    f"/v1/checkouts/{checkout_id}/complete", json={"payment": GOOD_CARD}
                )
                assert paid.status_code == 200, paid.text

    await asyncio.gather(*(client(i) for i in range(CLIENTS_PER_SERVER * len(servers))))
    return acknowledged, replays


async def _stored(url: str, account_name: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Session ids and (session id, event type) pairs as stored, duplicates included."""
    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn)
    try:
        account_id = await conn.fetchval("SELECT id FROM accounts WHERE name = $1", account_name)
        sessions = [
            r["id"]
            for r in await conn.fetch("SELECT id FROM checkouts WHERE account_id = $1", account_id)
        ]
        events = [
            (r["checkout_id"], r["type"])
            for r in await conn.fetch(
                "SELECT data->'object'->>'id' AS checkout_id, type FROM events "
                "WHERE account_id = $1 AND type LIKE 'checkout.%'",
                account_id,
            )
        ]
        event_ids = [r["id"] for r in await conn.fetch("SELECT id FROM events")]
    finally:
        await conn.close()
    return sessions, events + [("*", event_id) for event_id in event_ids]


def test_two_servers_and_two_workers_lose_and_duplicate_nothing(tmp_path: Path):
    with fresh_database("postgresql", tmp_path) as url, run_receiver() as receiver:
        account = asyncio.run(_make_account(url, "scale-out"))
        asyncio.run(_endpoint(url, account.secret_key, receiver.url))
        processes: list[Serve] = []
        try:
            servers = [
                start_serve(url, tmp_path, OPENCHECKOUT_EMBEDDED_WORKER="0") for _ in range(2)
            ]
            processes += servers
            processes += [start_worker(url, tmp_path) for _ in range(2)]
            acknowledged, replays = asyncio.run(_drive(servers, account.secret_key))

            sessions, stored = asyncio.run(_stored(url, account.name))
            event_ids = {value for key, value in stored if key == "*"}
            receiver.wait_for(
                lambda: {r.headers["webhook-id"] for r in receiver.on("/hook")} >= event_ids,
                timeout=90,
            )
            time.sleep(1.0)  # any duplicate delivery would arrive now
        finally:
            for process in processes:
                process.stop()
        for process in processes:
            # Workers exit 0 on SIGTERM; uvicorn re-raises it after a clean shutdown.
            clean = process.popen.returncode == 0 or "Finished server process" in process.output()
            assert clean, process.output()[-3000:]
            assert "Traceback" not in process.output(), process.output()[-3000:]

    expected = CLIENTS_PER_SERVER * 2 * SESSIONS_PER_CLIENT
    assert len(acknowledged) == expected and replays > 0
    # Sessions: every acknowledged one, once; nothing else.
    assert sorted(sessions) == sorted(acknowledged)
    # Events: exactly one of each kind per session.
    per_session = Counter((sid, kind) for sid, kind in stored if sid != "*")
    for checkout_id in acknowledged:
        for kind in (*EVENTS_PER_SESSION, "checkout.completed"):
            assert per_session[(checkout_id, kind)] == 1, (checkout_id, kind)
    assert len(per_session) == expected * 4
    # Deliveries: every event exactly once.
    deliveries = Counter(r.headers["webhook-id"] for r in receiver.on("/hook"))
    assert set(deliveries) == event_ids
    assert {event: n for event, n in deliveries.items() if n > 1} == {}

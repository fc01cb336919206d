"""The benchmark's same-SQL baseline (bench/): capture and replay, end to end.

Through real processes over real HTTP on both engines: a traced ``opencheckout
serve`` records each operation's statements, and the baseline app replays them
on other sessions, changing the database as opencheckout would (a completed
session is completed, a created one exists).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from bench import same_sql, seed
from bench.__main__ import COMPLETE_BYTES, SESSION_BYTES, UPDATE_BODY, create_one, make_key
from bench.capture import Step
from bench.procs import Process, start_baseline, start_opencheckout
from bench.replay import Plan

from tests.conftest import fresh_database


@pytest.fixture(scope="module")
def servers(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Both processes on a database of their own.

    The baseline creates its ``bench_baseline`` table, which is not part of the
    schema, so it must not land in the shared test database (the migration test
    compares that database with the models).
    """
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    tmp = tmp_path_factory.mktemp("bench")
    with fresh_database(kind, tmp) as own_url:
        yield from _serve(own_url, tmp)


def _serve(database_url: str, tmp: Path) -> Iterator[dict]:
    key, account_id = asyncio.run(make_key(database_url, "bench-same-sql"))
    oc = start_opencheckout(database_url, tmp)
    base = start_baseline(database_url, tmp)
    try:
        template = create_one(oc, key)
        plans, warnings = asyncio.run(
            same_sql.capture_plans(
                database_url,
                key,
                account_id,
                template,
                tmp,
                (SESSION_BYTES, COMPLETE_BYTES),
                warmup=3,
            )
        )
        same_sql.hand_over(base, "__plans", plans)
        yield {
            "oc": oc,
            "base": base,
            "url": database_url,
            "account_id": account_id,
            "template": template,
            "plans": plans,
            "warnings": warnings,
        }
    finally:
        oc.stop()
        base.stop()


def _targets(servers: dict, tag: str, count: int) -> list[str]:
    clones = seed.Clones(tag, 1, count)
    url = servers["url"]
    asyncio.run(seed.clone(url, servers["template"], servers["account_id"], clones))
    ids = [clones.id(n) for n in range(1, count + 1)]
    same_sql.hand_over(servers["base"], "__targets", asyncio.run(same_sql.targets_of(url, ids)))
    return ids


def _status(servers: dict, checkout_id: str) -> str:
    rows = asyncio.run(
        seed.fetch_rows(servers["url"], "SELECT status FROM checkouts WHERE id = $1", checkout_id)
    )
    return str(rows[0][0])


def test_every_operation_is_captured_with_its_transactions(servers: dict) -> None:
    plans = servers["plans"]
    assert set(plans) == {"create", "retrieve", "update", "list", "complete"}
    assert len(plans["retrieve"].steps) >= 1
    complete_sql = [s.sql.strip().upper() for s in plans["complete"].steps]
    assert any(sql.startswith("BEGIN") for sql in complete_sql)
    assert any(sql.startswith("COMMIT") for sql in complete_sql)
    assert any("INSERT INTO EVENTS" in sql for sql in complete_sql)
    # The target and the per-request ids are bound, not replayed as captured.
    assert plans["complete"].target is not None
    assert any(value.startswith("evt_") for value in plans["complete"].fresh)
    assert any(value.startswith("cs_") for value in plans["create"].fresh)


def test_replayed_complete_completes_the_target_session(servers: dict) -> None:
    base: Process = servers["base"]
    ids = _targets(servers, "tcomp", 2)
    for checkout_id in ids:
        response = httpx.post(f"{base.url}/same/complete/{checkout_id}", content=COMPLETE_BYTES)
        assert response.status_code == 200, response.text
        assert _status(servers, checkout_id) == "completed"


def test_replayed_create_inserts_a_new_session_each_time(servers: dict) -> None:
    base: Process = servers["base"]
    count = "SELECT count(*) FROM checkouts WHERE account_id = $1"
    before = asyncio.run(seed.fetch_rows(servers["url"], count, servers["account_id"]))[0][0]
    for _ in range(3):
        response = httpx.post(f"{base.url}/same/create", content=SESSION_BYTES)
        assert response.status_code == 201, response.text
    after = asyncio.run(seed.fetch_rows(servers["url"], count, servers["account_id"]))[0][0]
    assert after == before + 3


def test_replayed_reads_and_update_answer(servers: dict) -> None:
    base: Process = servers["base"]
    first, second = _targets(servers, "tread", 2)
    retrieved = httpx.get(f"{base.url}/same/retrieve/{first}")
    assert retrieved.status_code == 200
    assert first in retrieved.text
    assert httpx.patch(f"{base.url}/same/update/{second}", content=UPDATE_BODY).status_code == 200
    assert httpx.get(f"{base.url}/same/list").status_code == 200
    assert httpx.get(f"{base.url}/same/retrieve/cs_unknown").status_code == 404
    assert httpx.get(f"{base.url}/same/nothing").status_code == 404


def test_peak_connections_counts_overlapping_captured_connections() -> None:
    def step(conn: int) -> Step:
        return Step(conn=conn, kind="fetch", sql="SELECT 1", args=())

    one = Plan([step(0), step(0)], None, frozenset())
    nested = Plan([step(0), step(1), step(1), step(0)], None, frozenset())
    serial = Plan([step(0), step(1), step(2)], None, frozenset())
    assert (one.peak_connections, nested.peak_connections, serial.peak_connections) == (1, 2, 1)


def test_32_concurrent_replays_of_every_operation_all_finish(servers: dict) -> None:
    """More replays at once than the baseline's pool has connections: a plan that
    holds two connections must not wait for its second while every connection is
    held by such waiters (the benchmark hung at 32 clients on PostgreSQL)."""
    base: Process = servers["base"]
    completes = _targets(servers, "tconc", 32)
    updates = _targets(servers, "tconu", 32)

    async def burst() -> list[int]:
        limits = httpx.Limits(max_connections=128)
        async with httpx.AsyncClient(base_url=base.url, timeout=60, limits=limits) as client:
            calls = [client.post(f"/same/complete/{c}", content=COMPLETE_BYTES) for c in completes]
            calls += [client.patch(f"/same/update/{u}", content=UPDATE_BODY) for u in updates]
            calls += [client.post("/same/create", content=SESSION_BYTES) for _ in range(32)]
            calls += [client.get(f"/same/retrieve/{u}") for u in updates]
            calls += [client.get("/same/list") for _ in range(32)]
            return [response.status_code for response in await asyncio.gather(*calls)]

    statuses = asyncio.run(burst())
    assert statuses.count(200) == 32 * 4 and statuses.count(201) == 32, statuses
    assert {_status(servers, c) for c in completes} == {"completed"}

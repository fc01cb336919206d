"""The capture run behind the same-SQL baseline, and handing its plans over.

A separate, traced ``opencheckout serve`` (:mod:`bench.capture`) on the
benchmark's database gets warm-up requests of every operation (so caches,
prepared statements and primary keys look as they do under load), then two
recorded requests per operation on two different sessions; :mod:`bench.replay`
turns each pair into a plan, which the baseline app replays at ``/same/...``.
"""

from __future__ import annotations

import pickle
from pathlib import Path
from typing import Any

import httpx

from bench import seed
from bench.capture import Recording
from bench.procs import Process, start_capture
from bench.replay import Plan, Target, build_plan

WARMUP = 40
#: Recorded requests per operation (each on its own session).
RECORDED = 3
UPDATE_BODY = b'{"metadata": {"order": "A-1001"}, "client_reference_id": "ref-1"}'


async def targets_of(url: str, ids: list[str]) -> dict[str, Target]:
    """Each session's id, primary key and token (what a plan binds)."""
    rows = await seed.fetch_rows(url, "SELECT id, pk, token FROM checkouts")
    wanted = set(ids)
    return {r[0]: Target(r[0], int(r[1]), r[2]) for r in rows if r[0] in wanted}


def _requests(
    client: httpx.Client, session: bytes, complete: bytes, ids: list[str], pay: list[str]
) -> list[tuple[str, str | None]]:
    """One request of each operation; returns (operation, target id) in order."""
    client.post("/v1/checkouts", content=session).raise_for_status()
    client.get(f"/v1/checkouts/{ids[0]}").raise_for_status()
    client.patch(f"/v1/checkouts/{ids[1]}", content=UPDATE_BODY).raise_for_status()
    client.get("/v1/checkouts", params={"status": "pending", "limit": 20}).raise_for_status()
    client.post(f"/v1/checkouts/{pay[0]}/complete", content=complete).raise_for_status()
    return [
        ("create", None),
        ("retrieve", ids[0]),
        ("update", ids[1]),
        ("list", None),
        ("complete", pay[0]),
    ]


async def capture_plans(
    url: str,
    key: str,
    account_id: str,
    template_id: str,
    tmp: Path,
    bodies: tuple[bytes, bytes],
    *,
    warmup: int = WARMUP,
) -> tuple[dict[str, Plan], list[str]]:
    """Plans for the five operations, and any warnings about them."""
    clones = seed.Clones("cap", 1, 3 * (warmup + RECORDED))
    await seed.clone(url, template_id, account_id, clones)
    ids = [clones.id(n) for n in range(clones.start, clones.end + 1)]
    proc = start_capture(url, tmp)
    try:
        recorded = _capture(proc, key, ids, bodies, warmup)
    finally:
        proc.stop()
    targets = await targets_of(url, [t for runs in recorded.values() for _, t in runs if t])
    plans: dict[str, Plan] = {}
    warnings: list[str] = []
    for op, captured in recorded.items():
        plan, notes = build_plan([(r, targets.get(t or "")) for r, t in captured])
        plans[op] = plan
        warnings += notes
    return plans, warnings


def _capture(
    proc: Process, key: str, ids: list[str], bodies: tuple[bytes, bytes], warmup: int
) -> dict[str, list[tuple[Recording, str | None]]]:
    session, complete = bodies
    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    recorded: dict[str, list[tuple[Recording, str | None]]] = {}
    with httpx.Client(base_url=proc.url, headers=headers, timeout=30) as client:
        for n in range(warmup):
            # Retrieve and update one set of sessions, complete another.
            _requests(client, session, complete, ids[2 * n : 2 * n + 2], [ids[-1 - n]])
        client.get("/__capture")
        for n in range(warmup, warmup + RECORDED):
            done = _requests(client, session, complete, ids[2 * n : 2 * n + 2], [ids[-1 - n]])
            recordings: list[Recording] = pickle.loads(client.get("/__capture").content)
            if len(recordings) != len(done):
                raise RuntimeError(f"capture: {len(recordings)} recordings for {len(done)}")
            for (op, target), recording in zip(done, recordings, strict=True):
                recorded.setdefault(op, []).append((recording, target))
    return recorded


def hand_over(base: Process, route: str, payload: dict[str, Any]) -> None:
    """``POST /__plans`` or ``/__targets`` to the baseline app."""
    response = httpx.post(f"{base.url}/{route}", content=pickle.dumps(payload), timeout=60)
    response.raise_for_status()

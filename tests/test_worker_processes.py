"""The worker as real processes: crash safety and sharing work on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from opencheckout.service import auth, checkouts, webhooks
from opencheckout.service.auth import Principal, Scope
from opencheckout.service.context import Context
from opencheckout.store.db import Database
from tests.conftest import fresh_database, server_settings
from tests.factories import session_body
from tests.receiver import run_receiver


def worker_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "OPENCHECKOUT_DATABASE_URL": database_url,
        "OPENCHECKOUT_WEBHOOKS_ALLOW_PRIVATE": "1",
        "OPENCHECKOUT_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
        "OPENCHECKOUT_WORKER_POLL_SECONDS": "0.05",
        **extra,
    }


#: Each worker's log, by pid. A file, not a pipe: the worker logs every delivery
#: attempt, and a pipe nobody reads fills up and blocks it mid-run.
WORKER_LOGS: dict[int, tempfile._TemporaryFileWrapper[bytes]] = {}


def start_worker(database_url: str, **extra: str) -> subprocess.Popen[bytes]:
    log = tempfile.NamedTemporaryFile(prefix="oc-worker-", suffix=".log")  # noqa: SIM115 (kept open until the worker ends)
    worker = subprocess.Popen(
        [sys.executable, "-m", "opencheckout", "worker"],
        env=worker_env(database_url, **extra),
        stdout=subprocess.DEVNULL,
        stderr=log,
    )
    WORKER_LOGS[worker.pid] = log
    return worker


def worker_log(worker: subprocess.Popen[bytes]) -> str:
    log = WORKER_LOGS[worker.pid]
    log.seek(0)
    return log.read().decode(errors="replace")[-3000:]


async def seed(database_url: str, endpoint_url: str, sessions: int) -> None:
    """An account with one endpoint for every event, then ``sessions`` created sessions."""
    db = Database(database_url)
    try:
        ctx = Context(db=db, settings=server_settings(database_url))
        created = await auth.create_key(db, "workers", livemode=False, scope=Scope.WRITE)
        principal = Principal(created.key.account_id, False, Scope.WRITE, created.key.id)
        await webhooks.create_endpoint(
            ctx, principal, {"url": endpoint_url, "enabled_events": ["*"]}
        )
        for _ in range(sessions):
            await checkouts.create(ctx, principal, session_body())
    finally:
        await db.dispose()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_worker_killed_mid_delivery_loses_nothing(engine: str, tmp_path: Path):
    with fresh_database(engine, tmp_path) as url, run_receiver() as receiver:
        receiver.hang_seconds["/hook"] = 30  # the first request hangs until the kill
        asyncio.run(seed(url, f"{receiver.url}/hook", 3))
        worker = start_worker(url, OPENCHECKOUT_WEBHOOK_TIMEOUT_SECONDS="1")
        try:
            assert receiver.arrived.wait(20), "the worker never delivered"
            worker.send_signal(signal.SIGKILL)
            worker.wait(timeout=10)
            worker = start_worker(url, OPENCHECKOUT_WEBHOOK_TIMEOUT_SECONDS="1")
            # 3 events; the interrupted one comes again once its lease (~7 s) runs out
            receiver.wait_for(
                lambda: len({r.headers["webhook-id"] for r in receiver.on("/hook")}) == 3,
                timeout=40,
            )
            time.sleep(0.5)
            counts = Counter(r.headers["webhook-id"] for r in receiver.on("/hook"))
            assert len(counts) == 3
            assert sorted(counts.values()) == [1, 1, 2]  # at-least-once: only the cut one twice
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=20)


def test_two_workers_on_postgresql_deliver_each_event_once(tmp_path: Path):
    with fresh_database("postgresql", tmp_path) as url, run_receiver() as receiver:
        asyncio.run(seed(url, f"{receiver.url}/hook", 500))
        workers = [start_worker(url), start_worker(url)]
        try:
            receiver.wait_for(lambda: len(receiver.on("/hook")) >= 500, timeout=120)
            time.sleep(1.0)
            counts = Counter(r.headers["webhook-id"] for r in receiver.on("/hook"))
            assert len(counts) == 500
            duplicates = {event: n for event, n in counts.items() if n > 1}
            assert duplicates == {}
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                assert worker.wait(timeout=30) == 0, worker_log(worker)

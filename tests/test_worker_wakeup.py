"""The delivery worker is woken by the commit that owes a delivery, not only by its
poll: in its own process on both engines, and from another process on PostgreSQL
(LISTEN/NOTIFY). The poll interval is set far above what the tests allow."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import httpx
import pytest

from tests.conftest import _make_account, fresh_database, server_settings, start_server
from tests.factories import session_body
from tests.processes import start_worker
from tests.receiver import Receiver, run_receiver

SLOW_POLL = 30.0
#: The issue's bound: a new delivery is attempted within 1 s of its commit.
WITHIN_SECONDS = 1.0


def _endpoint(api: httpx.Client, receiver: Receiver) -> None:
    made = api.post(
        "/v1/webhook_endpoints",
        json={"url": f"{receiver.url}/hook", "enabled_events": ["checkout.created"]},
    )
    assert made.status_code == 201, made.text


def _create_and_time(api: httpx.Client, receiver: Receiver) -> float:
    before = len(receiver.on("/hook"))
    created = api.post("/v1/checkouts", json=session_body())
    assert created.status_code == 201, created.text
    committed = time.monotonic()
    receiver.wait_for(lambda: len(receiver.on("/hook")) > before, timeout=SLOW_POLL / 2)
    return time.monotonic() - committed


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_embedded_worker_is_woken_by_the_commit(engine: str, tmp_path: Path) -> None:
    with fresh_database(engine, tmp_path) as url, run_receiver() as receiver:
        account = asyncio.run(_make_account(url, f"wake-{uuid.uuid4().hex[:8]}"))
        uv_server, thread, base = start_server(server_settings(url, worker_poll_seconds=SLOW_POLL))
        try:
            with httpx.Client(
                base_url=base,
                headers={"Authorization": f"Bearer {account.secret_key}"},
                timeout=30,
            ) as api:
                _endpoint(api, receiver)
                time.sleep(0.5)  # the worker's first pass is over: it sleeps now
                for _ in range(3):
                    assert _create_and_time(api, receiver) < WITHIN_SECONDS
                    time.sleep(0.2)
        finally:
            uv_server.should_exit = True
            thread.join(timeout=10)


def test_worker_process_is_woken_by_postgresql_notify(tmp_path: Path) -> None:
    with fresh_database("postgresql", tmp_path) as url, run_receiver() as receiver:
        account = asyncio.run(_make_account(url, f"notify-{uuid.uuid4().hex[:8]}"))
        uv_server, thread, base = start_server(server_settings(url, embedded_worker=False))
        worker = start_worker(url, tmp_path, OPENCHECKOUT_WORKER_POLL_SECONDS=str(SLOW_POLL))
        try:
            with httpx.Client(
                base_url=base,
                headers={"Authorization": f"Bearer {account.secret_key}"},
                timeout=30,
            ) as api:
                _endpoint(api, receiver)
                # The first one may wait for the worker to start (and deliver it in its
                # first pass); afterwards the worker sleeps its 30 s poll.
                _create_and_time(api, receiver)
                time.sleep(0.5)
                for _ in range(3):
                    assert _create_and_time(api, receiver) < WITHIN_SECONDS, worker.output()
                    time.sleep(0.2)
        finally:
            worker.stop()
            uv_server.should_exit = True
            thread.join(timeout=10)

"""The worker's long-horizon rules, driven with a controllable clock:
giving up and disabling an endpoint after 3 days, and event retention."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from opencheckout.service import auth, checkouts, events, webhooks
from opencheckout.service.auth import Principal, Scope
from opencheckout.service.context import Context
from opencheckout.service.paging import Cursor
from opencheckout.service.worker import Worker
from opencheckout.store.db import Database
from tests.conftest import fresh_database, server_settings
from tests.factories import session_body
from tests.receiver import run_receiver


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_endpoint_failing_for_three_days_is_disabled_with_an_event(engine: str, tmp_path: Path):
    async def scenario(url: str, receiver_url: str) -> None:
        db = Database(url)
        clock = Clock()
        ctx = Context(db=db, settings=server_settings(url), clock=clock)
        try:
            key = await auth.create_key(db, "failing", livemode=False, scope=Scope.WRITE)
            principal = Principal(key.key.account_id, False, Scope.WRITE, key.key.id)
            endpoint = await webhooks.create_endpoint(
                ctx, principal, {"url": receiver_url, "enabled_events": ["checkout.created"]}
            )
            watcher = await webhooks.create_endpoint(
                ctx,
                principal,
                {"url": receiver_url + "-ok", "enabled_events": ["webhook_endpoint.disabled"]},
            )
            await checkouts.create(ctx, principal, session_body())
            worker = Worker(ctx)
            assert await worker.deliver_due() == 1  # first attempt fails
            clock.now += timedelta(days=1)
            assert await worker.deliver_due() == 1  # still failing, still enabled
            current = await webhooks.retrieve_endpoint(ctx, principal, endpoint.id)
            assert current.status == "enabled"
            clock.now += timedelta(days=2, seconds=1)
            assert await worker.deliver_due() == 1  # past 3 days: give up, disable
            current = await webhooks.retrieve_endpoint(ctx, principal, endpoint.id)
            assert current.status == "disabled"
            clock.now += timedelta(days=1)
            assert await worker.deliver_due() == 1  # only the watcher's notice
            assert await worker.deliver_due() == 0
            rows, _ = await events.list_events(
                ctx,
                principal,
                types=["webhook_endpoint.disabled"],
                created=(None, None, None, None),
                cursor=Cursor(limit=10),
            )
            assert [r.data["object"]["id"] for r in rows] == [endpoint.id]
            attempts = await webhooks.list_attempts(ctx, principal, endpoint.id, Cursor(limit=10))
            assert [a.attempt for a in attempts.rows] == [3, 2, 1]
            assert watcher.status == "enabled"
            await worker.close()
        finally:
            await db.dispose()

    with fresh_database(engine, tmp_path) as url, run_receiver() as receiver:
        receiver.behaviours["/down"] = lambda _n: 503
        asyncio.run(scenario(url, f"{receiver.url}/down"))
        notices = receiver.on("/down-ok")
        assert [r.json["type"] for r in notices] == ["webhook_endpoint.disabled"]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_events_are_kept_thirty_days(engine: str, tmp_path: Path):
    async def scenario(url: str) -> None:
        db = Database(url)
        clock = Clock()
        ctx = Context(db=db, settings=server_settings(url), clock=clock)
        try:
            key = await auth.create_key(db, "retention", livemode=False, scope=Scope.WRITE)
            principal = Principal(key.key.account_id, False, Scope.WRITE, key.key.id)
            old = await checkouts.create(ctx, principal, session_body())
            clock.now += timedelta(days=29)
            recent = await checkouts.create(ctx, principal, session_body())
            clock.now += timedelta(days=1, seconds=1)
            await Worker(ctx).housekeeping()
            rows, _ = await events.list_events(
                ctx,
                principal,
                types=["checkout.created"],
                created=(None, None, None, None),
                cursor=Cursor(limit=10),
            )
            assert [r.data["object"]["id"] for r in rows] == [recent.id]
            assert old.id != recent.id
        finally:
            await db.dispose()

    with fresh_database(engine, tmp_path) as url:
        asyncio.run(scenario(url))

"""The store's compare-and-set (store/lifecycle.py) on both engines: a move applies
only from its source state, expiry and payment status, and of racing moves one wins."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from sqlalchemy import event

from opencheckout.domain.lifecycle import Event, Status, move_of, refund_move
from opencheckout.store import lifecycle as lifecycle_store
from opencheckout.store import payments as payment_store
from opencheckout.store.db import Database
from opencheckout.store.lifecycle import Changes
from tests.factories import create_session


async def _status(db: Database, checkout_id: str) -> tuple[str, str] | None:
    async with db.read() as session:
        row = await payment_store.get_by_id(session, checkout_id)
        return None if row is None else (row.status, row.payment_status)


async def _apply(db: Database, checkout_id: str, event: Event, now: datetime) -> bool:
    async with db.write() as session:
        row = await payment_store.get_by_id(session, checkout_id)
        assert row is not None
        moved = await lifecycle_store.apply(session, row.pk, move_of(event), now)
        if moved is not None:
            # The loaded row is the row as written: no second read.
            assert moved is row and moved.status == move_of(event).target
            assert moved.updated_at == now
        return moved is not None


def test_a_move_applies_only_from_its_source_state(api, server):
    checkout_id = create_session(api)["id"]

    async def run() -> None:
        db = Database(server.database_url)
        now = datetime.now(UTC)
        try:
            # Not processing: settling changes nothing.
            assert not await _apply(db, checkout_id, Event.SUCCEED, now)
            assert not await _apply(db, checkout_id, Event.FAIL, now)
            assert await _status(db, checkout_id) == ("pending", "unpaid")
            # Not expired: the sweep leaves it.
            assert not await _apply(db, checkout_id, Event.EXPIRE, now)
            assert await _apply(db, checkout_id, Event.CLAIM, now)
            assert not await _apply(db, checkout_id, Event.CLAIM, now)  # claimed once
            assert not await _apply(db, checkout_id, Event.CANCEL, now)
            assert await _apply(db, checkout_id, Event.SUCCEED, now)
            assert await _status(db, checkout_id) == ("completed", "paid")
            assert not await _apply(db, checkout_id, Event.FAIL, now)
        finally:
            await db.dispose()

    asyncio.run(run())


def test_expiry_is_checked_by_the_statement(api, server):
    checkout_id = create_session(api)["id"]

    async def run() -> None:
        db = Database(server.database_url)
        later = datetime.now(UTC) + timedelta(days=1)
        try:
            # Past its expiry, an open session cannot be claimed or cancelled...
            assert not await _apply(db, checkout_id, Event.CLAIM, later)
            assert not await _apply(db, checkout_id, Event.CANCEL, later)
            async with db.write() as session:
                row = await payment_store.get_by_id(session, checkout_id)
                assert row is not None
                move = move_of(Event.DELETE)
                assert await lifecycle_store.apply_many(session, [row.pk], move, later) == 0
            # ... only swept, once.
            assert await _apply(db, checkout_id, Event.EXPIRE, later)
            assert not await _apply(db, checkout_id, Event.EXPIRE, later)
            assert await _status(db, checkout_id) == ("abandoned", "unpaid")
        finally:
            await db.dispose()

    asyncio.run(run())


def test_a_refund_move_needs_a_paid_session(api, server):
    checkout_id = create_session(api)["id"]

    async def run() -> None:
        db = Database(server.database_url)
        now = datetime.now(UTC)
        try:
            async with db.write() as session:
                row = await payment_store.get_by_id(session, checkout_id)
                assert row is not None
                move = refund_move(row.amount_total, 1)
                changes = Changes(data={**row.data, "amount_refunded": 1})
                assert await lifecycle_store.apply(session, row.pk, move, now, changes) is None
            assert await _status(db, checkout_id) == ("pending", "unpaid")
        finally:
            await db.dispose()

    asyncio.run(run())


def test_of_racing_claims_exactly_one_wins(api, server):
    checkout_ids = [create_session(api)["id"] for _ in range(3)]

    async def run() -> None:
        db = Database(server.database_url)
        now = datetime.now(UTC)
        try:
            for checkout_id in checkout_ids:
                claims = [_apply(db, checkout_id, Event.CLAIM, now) for _ in range(8)]
                won = await asyncio.gather(*claims)
                assert sum(won) == 1
                assert await _status(db, checkout_id) == (Status.PROCESSING.value, "unpaid")
        finally:
            await db.dispose()

    asyncio.run(run())


def test_a_delete_removes_only_a_pending_session(api, server):
    pending, claimed = create_session(api)["id"], create_session(api)["id"]

    async def run() -> None:
        db = Database(server.database_url)
        now = datetime.now(UTC)
        try:
            assert await _apply(db, claimed, Event.CLAIM, now)
            for checkout_id, removed in ((claimed, 0), (pending, 1)):
                async with db.write() as session:
                    row = await payment_store.get_by_id(session, checkout_id)
                    assert row is not None
                    move = move_of(Event.DELETE)
                    assert await lifecycle_store.apply_many(session, [row.pk], move, now) == removed
            assert await _status(db, pending) is None
            assert await _status(db, claimed) == ("processing", "unpaid")
        finally:
            await db.dispose()

    asyncio.run(run())


def test_a_move_returns_the_row_as_written_in_one_statement(api, server):
    """A session not loaded yet comes back from the move's own ``UPDATE ... RETURNING``
    (no second read), with what was written; a move that does not apply returns None."""
    checkout_id = create_session(api)["id"]

    async def run() -> None:
        db = Database(server.database_url)
        now = datetime.now(UTC)
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
            statements.append(statement)

        try:
            async with db.read() as session:
                found = await payment_store.get_by_id(session, checkout_id)
                assert found is not None
                pk = found.pk
            event.listen(db.write_engine.sync_engine, "before_cursor_execute", count)
            async with db.write() as session:
                claimed = await lifecycle_store.apply(
                    session, pk, move_of(Event.CLAIM), now, Changes(processor_id="pay_1")
                )
                assert [s.split()[0] for s in statements if s.split()[0] != "BEGIN"] == ["UPDATE"]
                assert claimed is not None and claimed.id == checkout_id
                assert (claimed.status, claimed.processor_id) == ("processing", "pay_1")
                assert claimed.updated_at == now
                again = await lifecycle_store.apply(session, pk, move_of(Event.CLAIM), now)
                assert again is None
            assert await _status(db, checkout_id) == ("processing", "unpaid")
        finally:
            await db.dispose()

    asyncio.run(run())

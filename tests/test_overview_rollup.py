"""The overview's rollup (``overview_days``, ``overview_products``) says what a direct
aggregation over the sessions and refunds says, after a realistic mix of writes
through the real server, on both engines, for every tenant (account and mode)."""

from __future__ import annotations

import asyncio
import importlib.util
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import ColumnElement, and_, case, func, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from opencheckout.config import Settings
from opencheckout.domain.errors import ProcessorUnavailable
from opencheckout.domain.lifecycle import EXPIRING_STATUSES, Status
from opencheckout.processors import test as test_processor
from opencheckout.processors.base import RefundResult
from opencheckout.service import auth as auth_service
from opencheckout.service import refunds as refund_service
from opencheckout.service.context import Context
from opencheckout.service.tenancy import tenant_of
from opencheckout.store import overview, rollup
from opencheckout.store.db import Database
from opencheckout.store.models import Checkout, CheckoutProduct, Refund
from opencheckout.store.tenant import Tenant
from tests.conftest import REPO_ROOT, Account, Server, client_for
from tests.factories import GOOD_CARD, create_session, paid_session, recovered_and_paid

# -- the direct aggregation (what the overview read before the rollup) ---------------------


def _day(session: AsyncSession, column: InstrumentedAttribute[Any]) -> ColumnElement[str]:
    if session.get_bind().dialect.name == "sqlite":
        return func.substr(column, 1, 10)
    return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")


def _mine(tenant: Tenant) -> list[ColumnElement[bool]]:
    return [Checkout.account_id == tenant.account_id, Checkout.livemode == tenant.livemode]


async def _direct(
    session: AsyncSession, tenant: Tenant, start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    created_day = _day(session, Checkout.created_at)
    created = select(created_day, func.count()).where(
        *_mine(tenant), Checkout.created_at >= start, Checkout.created_at < end
    )
    done_day = _day(session, Checkout.completed_at)
    in_period = [
        *_mine(tenant),
        Checkout.completed_at.is_not(None),
        Checkout.completed_at >= start,
        Checkout.completed_at < end,
    ]
    recovered = func.sum(
        case((Checkout.recovered_from.is_not(None), Checkout.amount_total), else_=0)
    )
    completed = select(
        done_day, Checkout.currency, func.count(), func.sum(Checkout.amount_total), recovered
    ).where(*in_period)
    expiring = [s.value for s in EXPIRING_STATUSES]
    abandoned = select(func.count()).where(
        *_mine(tenant),
        Checkout.created_at >= start,
        Checkout.created_at < end,
        or_(
            Checkout.status == Status.ABANDONED.value,
            and_(Checkout.status.in_(expiring), Checkout.expires_at <= now),
        ),
    )
    refund_day = _day(session, Refund.created_at)
    refunds = select(refund_day, Refund.currency, func.count(), func.sum(Refund.amount)).where(
        Refund.account_id == tenant.account_id,
        Refund.livemode == tenant.livemode,
        Refund.created_at >= start,
        Refund.created_at < end,
        Refund.status != "failed",
    )
    count = func.count()
    top = (
        select(CheckoutProduct.product, count)
        .join(Checkout, Checkout.pk == CheckoutProduct.checkout_pk)
        .where(*in_period)
        .group_by(CheckoutProduct.product)
        .order_by(count.desc(), CheckoutProduct.product)
        .limit(5)
    )
    return {
        "created": sorted(
            (str(d), int(n)) for d, n in await session.execute(created.group_by(created_day))
        ),
        "completed": sorted(
            (str(d), str(c), int(n), int(t), int(r))
            for d, c, n, t, r in await session.execute(
                completed.group_by(done_day, Checkout.currency)
            )
        ),
        "abandoned": int((await session.execute(abandoned)).scalar_one()),
        "refunds": sorted(
            (str(d), str(c), int(n), int(a))
            for d, c, n, a in await session.execute(refunds.group_by(refund_day, Refund.currency))
        ),
        "top": [(str(p), int(n)) for p, n in await session.execute(top)],
    }


async def _rolled_up(
    session: AsyncSession, tenant: Tenant, start: datetime, end: datetime, now: datetime
) -> dict[str, Any]:
    return {
        "created": sorted(await overview.created_per_day(session, tenant, start, end)),
        "completed": sorted(await overview.completed_per_day(session, tenant, start, end)),
        "abandoned": await overview.abandoned_count(session, tenant, start, end, now),
        "refunds": sorted(await overview.refunds_per_day(session, tenant, start, end)),
        "top": list(await overview.top_products(session, tenant, start, end)),
    }


async def direct_and_rolled_up(
    url: str, key: str, now: datetime
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The direct aggregation and the rollup's figures for ``key``'s tenant, the direct
    one read again until it did not change meanwhile (the server's sweep runs)."""
    db = Database(url)
    try:
        principal = await auth_service.authenticate(db, key)
        assert principal is not None
        tenant = tenant_of(principal)
        today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        start, end = today - timedelta(days=2), today + timedelta(days=2)
        for _ in range(10):
            async with db.read() as session:
                before = await _direct(session, tenant, start, end, now)
            async with db.read() as session:
                rolled = await _rolled_up(session, tenant, start, end, now)
            async with db.read() as session:
                after = await _direct(session, tenant, start, end, now)
            if before == after:
                return before, rolled
            await asyncio.sleep(0.2)
        raise AssertionError("the figures kept changing")
    finally:
        await db.dispose()


# -- the writes --------------------------------------------------------------------------


class _UnreachableRefunds(test_processor.TestProcessor):
    """The test processor, but refunds never reach it (a network failure)."""

    async def refund(
        self, processor_id: str, amount: int | None = None, *, currency: str | None = None
    ) -> RefundResult:
        raise ConnectionError("refunds are down")


async def _failed_refund(url: str, key: str, checkout_id: str, amount: int) -> None:
    db = Database(url)
    try:
        principal = await auth_service.authenticate(db, key)
        assert principal is not None
        ctx = Context(
            db=db,
            settings=Settings(database_url=url),
            processors={"test": _UnreachableRefunds()},
        )
        params = refund_service.RefundParams(amount=amount, reason=None, metadata={})
        with pytest.raises(ProcessorUnavailable):
            await refund_service.create(ctx, principal, checkout_id, params)
    finally:
        await db.dispose()


def _mix(
    api: httpx.Client, url: str, key: str, *, currency: str, extra: int, pays: bool = True
) -> None:
    """Create, complete, recover, cancel, expire (swept or not), delete and refund
    (live mode has no processor here: its sessions are only created and left)."""
    if not pays:
        gone = create_session(api, currency=currency)
        assert api.post(f"/v1/checkouts/{gone['id']}/cancel").status_code == 200
        create_session(api, currency=currency, abandon_after_seconds=1)
        create_session(api, currency=currency)
        return
    paid = paid_session(api, currency=currency)
    for _ in range(extra):
        paid_session(
            api,
            currency=currency,
            line_items=[{"product": "sku-hat", "name": "Hat", "unit_amount": 1500, "quantity": 1}],
        )
    recovered_and_paid(api, currency=currency)
    create_session(api, currency=currency)  # still pending
    create_session(api, currency=currency, abandon_after_seconds=1)  # expires soon
    doomed = create_session(api, currency=currency)
    assert api.delete(f"/v1/checkouts/{doomed['id']}").status_code in (200, 204)
    refund = api.post(f"/v1/checkouts/{paid['id']}/refunds", json={"amount": 1000})
    assert refund.status_code == 201, refund.text
    asyncio.run(_failed_refund(url, key, paid["id"], 500))


def test_the_rollup_equals_a_direct_aggregation_for_every_tenant(
    server: Server, account: Account, other_account: Account
) -> None:
    url = server.database_url
    with (
        client_for(server, account.secret_key) as test_api,
        client_for(server, account.live_key) as live_api,
        client_for(server, other_account.secret_key) as their_api,
    ):
        _mix(test_api, url, account.secret_key, currency="eur", extra=2)
        _mix(test_api, url, account.secret_key, currency="usd", extra=0)
        _mix(live_api, url, account.live_key, currency="eur", extra=0, pays=False)
        _mix(their_api, url, other_account.secret_key, currency="gbp", extra=3)
    keys = (account.secret_key, account.live_key, other_account.secret_key)
    figures: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {}
    # Right away (the soon-expiring sessions may not be swept yet), a day later
    # (every open session counts as expired: read, not written), and once the
    # server's sweep wrote the expired ones down.
    moments = (datetime.now(UTC), datetime.now(UTC) + timedelta(days=1))
    for now in moments:
        for key in keys:
            direct, rolled = asyncio.run(direct_and_rolled_up(url, key, now))
            assert rolled == direct, key
            figures[key] = (direct, rolled)
    time.sleep(2.5)
    for key in keys:
        direct, rolled = asyncio.run(direct_and_rolled_up(url, key, datetime.now(UTC)))
        assert rolled == direct, key
    test_eur = figures[account.secret_key][0]
    currencies = {row[1] for row in test_eur["completed"]}
    assert currencies == {"eur", "usd"}  # two currencies, kept apart
    assert sum(row[2] for row in test_eur["completed"]) == 6  # 3 + 1 paid, 1 + 1 recovered
    assert sum(row[2] for row in test_eur["refunds"]) == 2  # the failed ones do not count
    their = figures[other_account.secret_key][0]
    assert {row[1] for row in their["completed"]} == {"gbp"}  # tenant isolation
    assert their["top"][0] == ("sku-hat", 3)


def _backfill_statements(dialect: str) -> tuple[str, ...]:
    path = REPO_ROOT / "src/opencheckout/store/migrations/versions/0011_overview_rollup.py"
    spec = importlib.util.spec_from_file_location("migration_0011", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    statements: tuple[str, ...] = module._BACKFILL[dialect]
    return statements


async def _rebuild(url: str) -> None:
    """Empty the rollup and fill it again with the migration's backfill."""
    db = Database(url)
    try:
        async with db.write() as session:
            dialect = session.get_bind().dialect.name
            await session.execute(text("DELETE FROM overview_products"))
            await session.execute(text("DELETE FROM overview_days"))
            for statement in _backfill_statements(dialect):
                await session.execute(text(statement))
    finally:
        await db.dispose()


def test_the_migrations_backfill_equals_a_direct_aggregation(
    server: Server, account: Account, other_account: Account
) -> None:
    url = server.database_url
    with (
        client_for(server, account.secret_key) as test_api,
        client_for(server, other_account.secret_key) as their_api,
    ):
        _mix(test_api, url, account.secret_key, currency="eur", extra=1)
        _mix(their_api, url, other_account.secret_key, currency="usd", extra=2)
    now = datetime.now(UTC) + timedelta(days=1)
    kept = {key: asyncio.run(direct_and_rolled_up(url, key, now)) for key in (account.secret_key,)}
    asyncio.run(_rebuild(url))
    for key in (account.secret_key, other_account.secret_key):
        direct, rolled = asyncio.run(direct_and_rolled_up(url, key, now))
        assert rolled == direct, key
    assert kept[account.secret_key][1]["completed"]  # the mix completed some


def test_concurrent_writes_of_one_tenant_all_succeed_and_add_up(
    server: Server, account: Account
) -> None:
    """One tenant's completions, refunds and creations at once all touch the same
    rollup rows (today, one currency; the same two products in both orders): none
    may fail on a lock (deadlock, busy database), and the figures still add up."""
    url = server.database_url
    lines = [
        {"product": "sku-left", "name": "Left", "unit_amount": 700, "quantity": 1},
        {"product": "sku-right", "name": "Right", "unit_amount": 900, "quantity": 2},
    ]
    with client_for(server, account.secret_key) as api:
        refundable = [paid_session(api, line_items=lines) for _ in range(8)]
        carts = [create_session(api, line_items=lines if n % 2 else lines[::-1]) for n in range(16)]

        def complete(session: dict[str, Any]) -> int:
            path = f"/v1/checkouts/{session['id']}/complete"
            return api.post(path, json={"payment": GOOD_CARD}).status_code

        def refund(session: dict[str, Any]) -> int:
            path = f"/v1/checkouts/{session['id']}/refunds"
            return api.post(path, json={"amount": 300}).status_code

        def create(_: int) -> int:
            body = {"currency": "eur", "line_items": lines}
            return api.post("/v1/checkouts", json=body).status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            futures = [pool.submit(complete, s) for s in carts]
            futures += [pool.submit(refund, s) for s in refundable]
            futures += [pool.submit(create, n) for n in range(8)]
            statuses = sorted(f.result() for f in futures)
    assert statuses == [200] * 16 + [201] * 16, statuses
    direct, rolled = asyncio.run(direct_and_rolled_up(url, account.secret_key, datetime.now(UTC)))
    assert rolled == direct
    assert sum(row[2] for row in direct["completed"]) == 8 + 16
    assert sum(row[2] for row in direct["refunds"]) == 8
    assert dict(direct["top"])["sku-right"] == 24


def test_the_rollup_is_written_when_the_transaction_commits(server: Server) -> None:
    """A write's rollup change waits for its commit (the day's row is not locked while
    the rest of the transaction runs: another transaction adds to it meanwhile), and
    a transaction that rolls back adds nothing."""
    day = datetime(2031, 5, 4, 12, tzinfo=UTC)
    key = ("acct_rollup_commit", False, rollup.day_of(day), "eur")

    async def created(db: Database) -> int:
        async with db.read() as session:
            found = await session.execute(
                text(
                    "SELECT created FROM overview_days WHERE account_id = :a AND livemode = :m "
                    "AND day = :d AND currency = :c"
                ),
                {"a": key[0], "m": key[1], "d": key[2], "c": key[3]},
            )
            value = found.scalar_one_or_none()
        return 0 if value is None else int(value)

    async def run() -> None:
        db = Database(server.database_url)
        other = Database(server.database_url)
        try:
            with pytest.raises(RuntimeError):
                async with db.write() as session:
                    await rollup.created(session, *key[:2], day, key[3], count=5)
                    raise RuntimeError("rolled back")
            assert await created(db) == 0
            if db.sqlite is None:  # SQLite has one writer at a time anyway
                async with db.write() as session:
                    await rollup.created(session, *key[:2], day, key[3], count=2)
                    # Not written yet: another writer adds to the same row meanwhile.
                    async with asyncio.timeout(10), other.write() as meanwhile:
                        await rollup.created(meanwhile, *key[:2], day, key[3], count=3)
                    assert await created(db) == 3
            else:
                async with db.write() as session:
                    await rollup.created(session, *key[:2], day, key[3], count=2)
                async with db.write() as session:
                    await rollup.created(session, *key[:2], day, key[3], count=3)
            assert await created(db) == 5
        finally:
            await db.dispose()
            await other.dispose()

    asyncio.run(run())

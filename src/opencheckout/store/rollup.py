"""Keeping the overview's rollup (``overview_days``, ``overview_products``) in step.

Every write that changes a figure adds its change here, in its own transaction:
creations, completions, abandonments, deletions and refunds. The changes are
collected on the session and written when its transaction commits, with one
``INSERT ... ON CONFLICT DO UPDATE`` per table (per day for the products), adding
to the day's row or making it, so the day's row, which every write of a tenant's day updates, is
locked only for the commit and not for the rest of the transaction (it was the
queue every concurrent completion of a tenant waited in). A rollback writes
nothing. The engine's own insert construct is picked here, the one place that knows.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Boolean, Date, String, Table, bindparam, event, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from opencheckout.store.models import CheckoutProduct, OverviewDay, OverviewProduct

FIGURES = ("created", "completed", "revenue", "recovered", "abandoned", "refunds", "refunded")
_KEYS = ("account_id", "livemode", "day", "currency")

#: (account_id, livemode, day, currency)
Key = tuple[str, bool, date, str]


def day_of(moment: datetime) -> date:
    """The UTC day of a timestamp (naive ones are UTC already)."""
    if moment.tzinfo is None:
        return moment.date()
    return moment.astimezone(UTC).date()


_PENDING = "opencheckout.rollup"


@dataclass(slots=True)
class _Pending:
    """What the transaction has changed so far, written when it commits."""

    days: dict[Key, dict[str, int]] = field(default_factory=lambda: defaultdict(dict))
    #: Sessions completed: pk -> (account, livemode, day), for their SKUs' counts.
    completed: dict[int, tuple[str, bool, date]] = field(default_factory=dict)


def _pending(session: AsyncSession) -> _Pending:
    pending: _Pending = session.sync_session.info.setdefault(_PENDING, _Pending())
    return pending


async def add(session: AsyncSession, changes: dict[Key, dict[str, int]]) -> None:
    """Add ``changes`` (figure deltas per day row) to the rollup when the transaction commits."""
    days = _pending(session).days
    for key, delta in changes.items():
        into = days[key]
        for name, value in delta.items():
            into[name] = into.get(name, 0) + value


_PRODUCT_NAMES = ("account_id", "livemode", "day", "product", "completed")


@functools.cache
def _statements(dialect: str) -> tuple[Any, Any]:
    """The two upserts, built once per engine (their values bound when they run): a
    day row's figure deltas, and a day's completed sessions' SKU counts (``INSERT ...
    SELECT`` from their SKU rows, in SKU order so that two transactions lock the same
    rows in the same order)."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    days_table = cast(Table, OverviewDay.__table__)
    days = insert(days_table).values(
        {name: bindparam(f"v_{name}", type_=days_table.c[name].type) for name in _KEYS + FIGURES}
    )
    days = days.on_conflict_do_update(
        index_elements=list(_KEYS),
        set_={name: days_table.c[name] + days.excluded[name] for name in FIGURES},
    )
    skus = cast(Table, CheckoutProduct.__table__)
    counted = (
        select(
            bindparam("v_account_id", type_=String()),
            bindparam("v_livemode", type_=Boolean()),
            bindparam("v_day", type_=Date()),
            skus.c.product,
            func.count(),
        )
        .where(skus.c.checkout_pk.in_(bindparam("v_pks", expanding=True)))
        .group_by(skus.c.product)
        .order_by(skus.c.product)
    )
    products_table = cast(Table, OverviewProduct.__table__)
    products = insert(products_table).from_select(list(_PRODUCT_NAMES), counted)
    products = products.on_conflict_do_update(
        index_elements=list(_PRODUCT_NAMES[:4]),
        set_={"completed": products_table.c.completed + products.excluded.completed},
    )
    return days, products


def _write_days(session: Session, changes: dict[Key, dict[str, int]]) -> None:
    """Add the figure deltas to their day rows (in key order)."""
    rows = [
        {
            **{f"v_{name}": value for name, value in zip(_KEYS, key, strict=True)},
            **{f"v_{name}": delta.get(name, 0) for name in FIGURES},
        }
        for key, delta in sorted(changes.items())
    ]
    days, _products = _statements(session.get_bind().dialect.name)
    session.execute(days, rows)


def _write_products(session: Session, completed: dict[int, tuple[str, bool, date]]) -> None:
    """Count the completed sessions' SKUs towards their days' top products (one
    statement per day)."""
    days: dict[tuple[str, bool, date], list[int]] = defaultdict(list)
    for pk, key in completed.items():
        days[key].append(pk)
    _days, products = _statements(session.get_bind().dialect.name)
    for (account_id, livemode, day), pks in sorted(days.items()):
        values = {"v_account_id": account_id, "v_livemode": livemode, "v_day": day}
        session.execute(products, {**values, "v_pks": sorted(pks)})


def _write_collected(session: Session) -> None:
    pending: _Pending | None = session.info.pop(_PENDING, None)
    if pending is None:
        return
    if pending.days:
        _write_days(session, pending.days)
    if pending.completed:
        _write_products(session, pending.completed)


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    """Write what the transaction collected, last (savepoints' commits leave it for the
    outer one; the only savepoint, a customer's address, changes no figure)."""
    if not session.in_nested_transaction():
        _write_collected(session)


async def write_now(session: AsyncSession) -> None:
    """Write what the transaction has collected so far, now: before it owes webhook
    deliveries, whose foreign keys lock the endpoints (``KEY SHARE``). A session's
    creation locks its day row first and the endpoints then (in one statement), so
    every transaction takes the two in that order: written at commit, after the
    deliveries, a completion could deadlock with a creation and a worker locking
    the endpoint."""
    if _PENDING in session.sync_session.info:
        await session.run_sync(_write_collected)


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ended without committing (rolled back, closed) wrote nothing."""
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


def _changes(rows: Iterable[Sequence[Any]], figure: str) -> dict[Key, dict[str, int]]:
    """Counts of ``figure`` per day row of ``(account, livemode, day, currency)`` rows."""
    changes: dict[Key, dict[str, int]] = defaultdict(dict)
    for account_id, livemode, moment, currency in rows:
        delta = changes[(account_id, bool(livemode), day_of(moment), currency)]
        delta[figure] = delta.get(figure, 0) + 1
    return changes


async def created(
    session: AsyncSession,
    account_id: str,
    livemode: bool,
    when: datetime,
    currency: str,
    *,
    count: int = 1,
) -> None:
    await add(session, {(account_id, livemode, day_of(when), currency): {"created": count}})


async def deleted(session: AsyncSession, rows: Iterable[Sequence[Any]]) -> None:
    """Sessions removed: ``(account, livemode, created_at, currency)`` rows."""
    changes = _changes(rows, "created")
    await add(session, {k: {"created": -v["created"]} for k, v in changes.items()})


async def abandoned(session: AsyncSession, rows: Iterable[Sequence[Any]]) -> None:
    """Sessions written abandoned: ``(account, livemode, created_at, currency)`` rows."""
    await add(session, _changes(rows, "abandoned"))


async def completed(session: AsyncSession, rows: Sequence[Sequence[Any]]) -> None:
    """Sessions completed: ``(pk, account, livemode, completed_at, currency, amount_total,
    recovered_from)`` rows; their SKUs count towards the day's top products."""
    changes: dict[Key, dict[str, int]] = defaultdict(dict)
    days = _pending(session).completed
    for pk, account_id, livemode, moment, currency, total, recovered_from in rows:
        key = (account_id, bool(livemode), day_of(moment), currency)
        delta = changes[key]
        delta["completed"] = delta.get("completed", 0) + 1
        delta["revenue"] = delta.get("revenue", 0) + int(total)
        if recovered_from is not None:
            delta["recovered"] = delta.get("recovered", 0) + int(total)
        days[int(pk)] = key[:3]
    await add(session, changes)


async def refund(
    session: AsyncSession,
    account_id: str,
    livemode: bool,
    when: datetime,
    currency: str,
    amount: int,
    *,
    sign: int = 1,
) -> None:
    """A refund counted (``sign=1``: made) or no longer (``sign=-1``: it failed)."""
    key = (account_id, livemode, day_of(when), currency)
    await add(session, {key: {"refunds": sign, "refunded": sign * amount}})


# -- whole tables, in SQL (the migration's backfill, the bench's seeder) ------------------


def _day_sql(dialect: str, column: str) -> str:
    if dialect == "postgresql":
        return f"(({column}) AT TIME ZONE 'UTC')::date"
    return f"substr({column}, 1, 10)"


def rebuild_sql(dialect: str, *, checkouts: str = "TRUE", refunds: str = "TRUE") -> list[str]:
    """Statements adding the figures of the checkouts and refunds matching the two
    ``WHERE`` conditions to the rollup (all rows: the backfill)."""
    true = "TRUE" if dialect == "postgresql" else "1"
    checkouts = checkouts.replace("TRUE", true)
    refunds = refunds.replace("TRUE", true)
    created_day = _day_sql(dialect, "created_at")
    completed_day = _day_sql(dialect, "completed_at")
    refund_day = _day_sql(dialect, "created_at")
    names = ", ".join(FIGURES)
    sums = ", ".join(f"sum({name})" for name in FIGURES)
    updates = ", ".join(f"{name} = overview_days.{name} + excluded.{name}" for name in FIGURES)
    parts = (
        f"SELECT account_id, livemode, {created_day} AS day, currency, 1 AS created, "  # noqa: S608 (the model's names and fixed conditions)
        "0 AS completed, 0 AS revenue, 0 AS recovered, "
        "CASE WHEN status = 'abandoned' THEN 1 ELSE 0 END AS abandoned, 0 AS refunds, "
        f"0 AS refunded FROM checkouts WHERE {checkouts}",
        f"SELECT account_id, livemode, {completed_day}, currency, 0, 1, amount_total, "  # noqa: S608 (the model's names and fixed conditions)
        "CASE WHEN recovered_from IS NOT NULL THEN amount_total ELSE 0 END, 0, 0, 0 "
        f"FROM checkouts WHERE completed_at IS NOT NULL AND {checkouts}",
        f"SELECT account_id, livemode, {refund_day}, currency, 0, 0, 0, 0, 0, 1, amount "  # noqa: S608 (the model's names and fixed conditions)
        f"FROM refunds WHERE status != 'failed' AND {refunds}",
    )
    days = (
        f"INSERT INTO overview_days (account_id, livemode, day, currency, {names}) "  # noqa: S608
        f"SELECT account_id, livemode, day, currency, {sums} FROM ("
        + " UNION ALL ".join(parts)
        + f") AS f GROUP BY account_id, livemode, day, currency "
        f"ON CONFLICT (account_id, livemode, day, currency) DO UPDATE SET {updates}"
    )
    products = (
        "INSERT INTO overview_products (account_id, livemode, day, product, completed) "  # noqa: S608
        f"SELECT c.account_id, c.livemode, {_day_sql(dialect, 'c.completed_at')}, p.product, "
        "count(*) FROM checkouts c JOIN checkout_products p ON p.checkout_pk = c.pk "
        f"WHERE c.completed_at IS NOT NULL AND {checkouts} "
        f"GROUP BY c.account_id, c.livemode, {_day_sql(dialect, 'c.completed_at')}, p.product "
        "ON CONFLICT (account_id, livemode, day, product) DO UPDATE SET "
        "completed = overview_products.completed + excluded.completed"
    )
    return [days, products]


#: The creation of one session, for the raw-driver insert of ``store.checkout_records``.
SQLITE_CREATED = (
    f"INSERT INTO overview_days (account_id, livemode, day, currency, {', '.join(FIGURES)}) "  # noqa: S608 (the model's names and fixed conditions)
    "VALUES (?, ?, ?, ?, 1, 0, 0, 0, 0, 0, 0) "
    "ON CONFLICT (account_id, livemode, day, currency) "
    "DO UPDATE SET created = overview_days.created + 1"
)


def postgres_created(account: str, livemode: str, created_at: str, currency: str) -> str:
    """A CTE body for the creation of one session, from the statement's placeholders."""
    return (
        f"INSERT INTO overview_days (account_id, livemode, day, currency, {', '.join(FIGURES)}) "  # noqa: S608 (the model's names and fixed conditions)
        f"VALUES ({account}, {livemode}, ({created_at}::timestamptz AT TIME ZONE 'UTC')::date, "
        f"{currency}, 1, 0, 0, 0, 0, 0, 0) "
        "ON CONFLICT (account_id, livemode, day, currency) "
        "DO UPDATE SET created = overview_days.created + 1 RETURNING 1"
    )


#: A change of one session's ``created`` count on its creation day in a currency (the
#: driver-level edit moves it when the session's currency changes: -1 then +1).
SQLITE_ADD_CREATED = (
    f"INSERT INTO overview_days (account_id, livemode, day, currency, {', '.join(FIGURES)}) "  # noqa: S608 (the model's names and fixed conditions)
    "VALUES (?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 0) "
    "ON CONFLICT (account_id, livemode, day, currency) "
    "DO UPDATE SET created = overview_days.created + excluded.created"
)


def postgres_moved(checkout: str, old_currency: str, new_currency: str) -> str:
    """A CTE body moving one session's creation from ``old_currency`` to ``new_currency``
    (nothing when they are equal); ``checkout`` names a CTE returning the session's
    ``account_id``, ``livemode`` and ``created_at``."""
    return (
        f"INSERT INTO overview_days (account_id, livemode, day, currency, {', '.join(FIGURES)}) "  # noqa: S608 (the model's names and fixed conditions)
        f"SELECT {checkout}.account_id, {checkout}.livemode, "
        f"({checkout}.created_at AT TIME ZONE 'UTC')::date, v.currency, v.created, "
        f"0, 0, 0, 0, 0, 0 FROM {checkout}, "
        f"(VALUES ({old_currency}, -1), ({new_currency}, 1)) AS v (currency, created) "
        f"WHERE {old_currency} <> {new_currency} "
        "ON CONFLICT (account_id, livemode, day, currency) "
        "DO UPDATE SET created = overview_days.created + excluded.created RETURNING 1"
    )

"""The one writer of a session's ``status`` and ``payment_status``.

A move decided by :mod:`opencheckout.domain.lifecycle` is applied here by a
single compare-and-set statement (``UPDATE ... WHERE pk = ? AND status IN
(...)``, or ``DELETE`` for :attr:`Event.DELETE`) whose rowcount says whether
it won: of many racing callers exactly one changes the row, and no other
module writes either column (``tests/test_lifecycle_table.py`` checks it).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, bindparam, delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from opencheckout.domain.lifecycle import Event, Expiry, Move, Status
from opencheckout.store import rollup
from opencheckout.store.models import Checkout, CheckoutProduct


class _Keep:
    """A column the move leaves as it is."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


@dataclass(frozen=True, slots=True)
class Changes:
    """Columns written with the move, besides status, payment status and ``updated_at``."""

    processor: str | _Keep | None = KEEP
    processor_id: str | _Keep | None = KEEP
    expires_at: datetime | _Keep = KEEP
    #: The session document, when the move rewrites it.
    data: dict[str, Any] | _Keep = KEEP


NO_CHANGES = Changes()


#: What the rollup needs of a session counted by its creation day, and by its completion.
_CREATED = (Checkout.account_id, Checkout.livemode, Checkout.created_at, Checkout.currency)
_COMPLETED = (
    Checkout.pk,
    Checkout.account_id,
    Checkout.livemode,
    Checkout.completed_at,
    Checkout.currency,
    Checkout.amount_total,
    Checkout.recovered_from,
)


def _move_conditions(
    move: Move, now: datetime | ColumnElement[datetime]
) -> list[ColumnElement[bool]]:
    """What the row must be for ``move`` to apply: its source status, expiry and payment."""
    conditions: list[ColumnElement[bool]] = [
        Checkout.status.in_(sorted(status.value for status in move.source))
    ]
    if move.expiry is Expiry.LIVE:
        conditions.append(Checkout.expires_at > now)
    elif move.expiry is Expiry.PAST:
        conditions.append(Checkout.expires_at <= now)
    if move.payment_source:
        payments = sorted(status.value for status in move.payment_source)
        conditions.append(Checkout.payment_status.in_(payments))
    return conditions


def _conditions(pks: Sequence[int], move: Move, now: datetime) -> list[ColumnElement[bool]]:
    rows = Checkout.pk.in_(pks) if len(pks) != 1 else Checkout.pk == pks[0]
    return [rows, *_move_conditions(move, now)]


def _values(move: Move, changes: Changes, now: datetime | BindParameter[Any]) -> dict[str, Any]:
    values: dict[str, Any] = {"updated_at": now}
    if move.target is not None:
        values["status"] = move.target.value
    if move.target is Status.COMPLETED:
        values["completed_at"] = now
    if move.payment_status is not None:
        values["payment_status"] = move.payment_status.value
    for name in Changes.__slots__:
        value = getattr(changes, name)
        if value is not KEEP:
            values[name] = value
    return values


async def apply_many(
    session: AsyncSession,
    pks: Sequence[int],
    move: Move,
    now: datetime,
    changes: Changes = NO_CHANGES,
) -> int:
    """Apply ``move`` to every row of ``pks`` still in its source state; how many moved.

    Rows loaded in ``session`` are kept in step with what was written, and so is
    the overview's rollup (:mod:`opencheckout.store.rollup`) for the moves that
    change its figures: the rows that moved come back from the statement itself.
    """
    if not pks:
        return 0
    conditions = _conditions(pks, move, now)
    if move.event is Event.DELETE:
        statement: Any = delete(Checkout).where(*conditions).returning(*_CREATED)
        result = await session.execute(statement.execution_options(synchronize_session=False))
        gone = result.all()
        if gone:  # the foreign key cascades too; explicit for engines without it
            lookup = delete(CheckoutProduct).where(CheckoutProduct.checkout_pk.in_(pks))
            await session.execute(lookup)
            await rollup.deleted(session, gone)
        return len(gone)
    statement = update(Checkout).where(*conditions).values(**_values(move, changes, now))
    if move.target is Status.COMPLETED:
        statement = statement.returning(*_COMPLETED)
    elif move.target is Status.ABANDONED:
        statement = statement.returning(*_CREATED)
    else:
        result = await session.execute(statement.execution_options(synchronize_session="fetch"))
        return int(result.rowcount)  # type: ignore[attr-defined]
    result = await session.execute(statement.execution_options(synchronize_session="fetch"))
    moved = result.all()
    if move.target is Status.COMPLETED:
        await rollup.completed(session, moved)
    else:
        await rollup.abandoned(session, moved)
    return len(moved)


def _completed_row(row: Checkout) -> tuple[Any, ...]:
    return tuple(getattr(row, column.key) for column in _COMPLETED)


def _created_row(row: Checkout) -> tuple[Any, ...]:
    return tuple(getattr(row, column.key) for column in _CREATED)


@functools.cache
def _one_row_statement(move: Move, changed: tuple[str, ...]) -> Any:
    """:func:`apply`'s statement for ``move`` writing the ``changed`` columns too, built
    once: the conditions and values of :func:`_conditions` and :func:`_values`, with
    the row's pk, the time and the changes bound when it runs (``m_<name>``)."""
    now = bindparam("m_now", type_=Checkout.__table__.c.updated_at.type)
    conditions = [Checkout.pk == bindparam("m_pk"), *_move_conditions(move, now)]
    values = _values(move, NO_CHANGES, now)
    for name in changed:
        values[name] = bindparam(f"m_{name}", type_=Checkout.__table__.c[name].type)
    return (
        update(Checkout)
        .where(*conditions)
        .values(**values)
        .returning(Checkout)
        # The returned row, not the bound values, is what the loaded row becomes.
        .execution_options(synchronize_session=False, populate_existing=True)
    )


async def apply(
    session: AsyncSession,
    checkout_pk: int,
    move: Move,
    now: datetime,
    changes: Changes = NO_CHANGES,
) -> Checkout | None:
    """Apply the update ``move`` to one session: the row as written, or None if it
    was not in the move's source state any more (deletes use :func:`apply_many`).

    The statement returns the whole row (``UPDATE ... RETURNING``), which becomes
    the session's loaded row (or refreshes it): no second read.
    """
    assert move.event is not Event.DELETE
    changed = {
        name: getattr(changes, name)
        for name in Changes.__slots__
        if getattr(changes, name) is not KEEP
    }
    statement = _one_row_statement(move, tuple(changed))
    params = {"m_pk": checkout_pk, "m_now": now, **{f"m_{k}": v for k, v in changed.items()}}
    row: Checkout | None = (await session.execute(statement, params)).scalars().one_or_none()
    if row is None:
        return None
    if move.target is Status.COMPLETED:
        await rollup.completed(session, [_completed_row(row)])
    elif move.target is Status.ABANDONED:
        await rollup.abandoned(session, [_created_row(row)])
    return row

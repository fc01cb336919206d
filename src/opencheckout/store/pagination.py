"""Keyset pagination over a table's monotonically increasing ``pk``, newest first.

Cursor pages never COUNT and never OFFSET, so page N costs the same as page 1
however many rows the tenant has.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Row, Select, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute


def created_range(
    column: InstrumentedAttribute[datetime],
    *,
    gte: datetime | None,
    gt: datetime | None,
    lte: datetime | None,
    lt: datetime | None,
) -> list[ColumnElement[bool]]:
    """The ``created[gte|gt|lte|lt]`` list filters every resource takes, on ``column``."""
    bounds: list[ColumnElement[bool]] = []
    if gte is not None:
        bounds.append(column >= gte)
    if gt is not None:
        bounds.append(column > gt)
    if lte is not None:
        bounds.append(column <= lte)
    if lt is not None:
        bounds.append(column < lt)
    return bounds


class HasPk(Protocol):
    pk: Any


RowT = TypeVar("RowT", bound=HasPk)


def _keyset(
    query: Select[Any],
    pk: ColumnElement[int] | InstrumentedAttribute[int],
    conditions: list[Any],
    *,
    limit: int,
    after_pk: int | None,
    before_pk: int | None,
) -> Select[Any]:
    if before_pk is not None:
        query = query.where(*conditions, pk > before_pk).order_by(pk.asc())
    elif after_pk is not None:
        query = query.where(*conditions, pk < after_pk).order_by(pk.desc())
    else:
        query = query.where(*conditions).order_by(pk.desc())
    return query.limit(limit + 1)


def page_of(rows: list[Any], limit: int) -> tuple[list[Any], bool]:
    """A newest-first page of the ``limit + 1`` rows fetched, and whether more lie beyond."""
    return _page(rows, limit, backwards=False)


def _page(rows: list[Any], limit: int, *, backwards: bool) -> tuple[list[Any], bool]:
    has_more = len(rows) > limit
    rows = rows[:limit]
    if backwards:
        rows.reverse()
    return rows, has_more


async def keyset_page(
    session: AsyncSession,
    model: type[RowT],
    conditions: list[Any],
    *,
    limit: int,
    after_pk: int | None = None,
    before_pk: int | None = None,
) -> tuple[list[RowT], bool]:
    """One page and whether more rows lie beyond it in the paging direction.

    ``after_pk`` pages towards older rows (``starting_after``); ``before_pk``
    towards newer ones (``ending_before``). Either way rows come back newest first.
    """
    pk: InstrumentedAttribute[int] = model.pk
    query = _keyset(
        select(model), pk, conditions, limit=limit, after_pk=after_pk, before_pk=before_pk
    )
    rows = list((await session.execute(query)).scalars())
    return _page(rows, limit, backwards=before_pk is not None)


async def keyset_rows(
    session: AsyncSession,
    columns: Sequence[ColumnElement[Any]],
    pk: ColumnElement[int] | InstrumentedAttribute[int],
    conditions: list[Any],
    *,
    limit: int,
    after_pk: int | None = None,
    before_pk: int | None = None,
) -> tuple[list[Row[Any]], bool]:
    """:func:`keyset_page` as plain rows of ``columns``: no ORM identity map or
    instance state, which cost more than the query on a 20-session page."""
    query = _keyset(
        select(*columns), pk, conditions, limit=limit, after_pk=after_pk, before_pk=before_pk
    )
    rows = list((await session.execute(query)).all())
    return _page(rows, limit, backwards=before_pk is not None)

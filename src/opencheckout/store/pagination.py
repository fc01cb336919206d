"""Keyset pagination over a table's monotonically increasing ``pk``, newest first.

Cursor pages never COUNT and never OFFSET, so page N costs the same as page 1
however many rows the tenant has.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute


class HasPk(Protocol):
    pk: Any


RowT = TypeVar("RowT", bound=HasPk)


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
    if before_pk is not None:
        query = select(model).where(*conditions, pk > before_pk).order_by(pk.asc())
    elif after_pk is not None:
        query = select(model).where(*conditions, pk < after_pk).order_by(pk.desc())
    else:
        query = select(model).where(*conditions).order_by(pk.desc())
    rows = list((await session.execute(query.limit(limit + 1))).scalars())
    has_more = len(rows) > limit
    rows = rows[:limit]
    if before_pk is not None:
        rows.reverse()
    return rows, has_more

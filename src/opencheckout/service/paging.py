"""Cursor pagination shared by the catalog resources (products, coupons, tax rates)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from opencheckout.domain.errors import NotFound


@dataclass(frozen=True, slots=True)
class Cursor:
    """``limit`` plus at most one of ``starting_after`` / ``ending_before`` (public ids)."""

    limit: int
    starting_after: str | None = None
    ending_before: str | None = None


async def cursor_pks(
    cursor: Cursor, pk_of: Callable[[str], Awaitable[int | None]], noun: str
) -> tuple[int | None, int | None]:
    """The surrogate keys behind the cursor ids; an unknown id is a 404 on its parameter."""
    pks: list[int | None] = []
    for param, value in (
        ("starting_after", cursor.starting_after),
        ("ending_before", cursor.ending_before),
    ):
        pk = None
        if value is not None:
            pk = await pk_of(value)
            if pk is None:
                raise NotFound(f"No such {noun}: '{value}'.", param=param)
        pks.append(pk)
    return pks[0], pks[1]

"""Stock arithmetic (pure): what a cart needs of each tracked SKU."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Shortfall:
    index: int
    sku: str
    left: int


def needed(lines: Iterable[tuple[str, int]]) -> dict[str, int]:
    """Units per SKU over the cart's lines ``(sku, quantity)``."""
    totals: dict[str, int] = {}
    for sku, quantity in lines:
        totals[sku] = totals.get(sku, 0) + quantity
    return totals


def first_shortfall(
    lines: Iterable[tuple[str, int]], stock: Mapping[str, int | None]
) -> Shortfall | None:
    """The first line at which the cart asks for more of a tracked SKU than is left
    (lines of the same SKU add up); untracked SKUs (``None`` or absent) never fall short."""
    running: dict[str, int] = {}
    for index, (sku, quantity) in enumerate(lines):
        left = stock.get(sku)
        if left is None:
            continue
        running[sku] = running.get(sku, 0) + quantity
        if running[sku] > left:
            return Shortfall(index, sku, left)
    return None


def shortfall_message(sku: str, left: int) -> str:
    units = "unit" if left == 1 else "units"
    return f"Not enough stock of '{sku}': {left} {units} left."

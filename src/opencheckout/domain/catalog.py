"""A catalog entry as pricing reads it, whichever way the store read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CatalogProduct:
    """The fields of a product a line item takes its defaults from."""

    sku: str
    name: str
    description: str | None
    unit_amount: int
    currency: str
    tax_rates: tuple[str, ...]
    active: bool
    stock: int | None = None

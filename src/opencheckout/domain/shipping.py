"""Which shipping rates a cart is offered, and what promotions take off (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rate:
    id: str
    display_name: str
    amount: int
    countries: tuple[str, ...]
    service_level: str
    delivery_estimate: dict[str, object] | None


@dataclass(frozen=True, slots=True)
class Promotion:
    service_levels: tuple[str, ...]
    min_subtotal: int | None
    currency: str | None
    products: tuple[str, ...]


def matching(rates: Sequence[Rate], country: str | None) -> list[Rate]:
    """Per service level, the rates naming ``country`` beat the catch-all ones
    (``countries`` empty); the most specific come first."""
    specific = [r for r in rates if country and country in r.countries]
    levels = {r.service_level for r in specific}
    fallback = [r for r in rates if not r.countries and r.service_level not in levels]
    return specific + fallback


def is_free(
    rate: Rate, promotions: Sequence[Promotion], *, subtotal: int, currency: str, skus: set[str]
) -> bool:
    for promo in promotions:
        if promo.service_levels and rate.service_level not in promo.service_levels:
            continue
        reaches = (
            promo.min_subtotal is not None
            and (promo.currency is None or promo.currency == currency)
            and subtotal >= promo.min_subtotal
        )
        if reaches or skus & set(promo.products):
            return True
    return False

"""An order's status from its fulfillment events (pure)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any


class OrderStatus(StrEnum):
    CONFIRMED = "confirmed"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    CANCELED = "canceled"


#: Event types that mean the items left the merchant (count towards fulfillment).
FULFILLING = frozenset({"shipped", "in_transit", "out_for_delivery", "delivered"})
CANCELING = "canceled"


def _covered(event: Mapping[str, Any], quantities: Mapping[str, int]) -> dict[str, int]:
    """What one event covers, per line id; no ``line_items`` means every line in full."""
    lines = event.get("line_items") or []
    if not lines:
        return dict(quantities)
    return {line["id"]: int(line["quantity"]) for line in lines}


def status_of(quantities: Mapping[str, int], events: Sequence[Mapping[str, Any]]) -> OrderStatus:
    """``quantities``: line id -> quantity paid.

    A line is fulfilled once the largest count any one fulfilling type reports
    for it (shipped, then delivered, for the same parcel count once) reaches
    its quantity. A ``canceled`` event without ``line_items`` cancels the order.
    """
    if any(e["type"] == CANCELING and not e.get("line_items") for e in events):
        return OrderStatus.CANCELED
    per_type: dict[str, dict[str, int]] = {}
    for event in events:
        if event["type"] in FULFILLING:
            counts = per_type.setdefault(event["type"], {})
            for line_id, quantity in _covered(event, quantities).items():
                counts[line_id] = counts.get(line_id, 0) + quantity
    done = {
        line_id: max((counts.get(line_id, 0) for counts in per_type.values()), default=0)
        for line_id in quantities
    }
    if quantities and all(done[line_id] >= quantities[line_id] for line_id in quantities):
        return OrderStatus.FULFILLED
    if any(done.values()):
        return OrderStatus.PARTIALLY_FULFILLED
    return OrderStatus.CONFIRMED

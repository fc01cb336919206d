"""Exact totals in integer minor units.

Every amount is an ``int`` in the currency's minor unit; nothing here touches
floats. Discounts, tax and shipping are computed by the pricing rules and are
zero until those are configured on a session; the shape of the result is final.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Refuse sessions whose total could not be charged by any processor
#: (and would overflow 64-bit columns long before that).
MAX_AMOUNT = 999_999_999_999_99


@dataclass(frozen=True, slots=True)
class LineAmounts:
    amount_subtotal: int
    amount_discount: int = 0
    amount_tax: int = 0
    amount_total: int = 0


@dataclass(frozen=True, slots=True)
class SessionTotals:
    amount_subtotal: int
    amount_discount: int
    amount_tax: int
    amount_shipping: int
    amount_total: int
    lines: tuple[LineAmounts, ...] = field(default=())

    def breakdown(self) -> list[dict[str, object]]:
        """The ``totals[]`` array, with the Agentic Commerce Protocol's types."""
        return [
            {
                "type": "items_base_amount",
                "display_text": "Items",
                "amount": self.amount_subtotal,
            },
            {
                "type": "discount",
                "display_text": "Discount",
                "amount": self.amount_discount,
            },
            {
                "type": "subtotal",
                "display_text": "Subtotal",
                "amount": self.amount_subtotal - self.amount_discount,
            },
            {
                "type": "fulfillment",
                "display_text": "Shipping",
                "amount": self.amount_shipping,
            },
            {"type": "tax", "display_text": "Tax", "amount": self.amount_tax},
            {"type": "total", "display_text": "Total", "amount": self.amount_total},
        ]


@dataclass(frozen=True, slots=True)
class LineInput:
    unit_amount: int
    quantity: int


def compute_totals(lines: list[LineInput], *, amount_shipping: int = 0) -> SessionTotals:
    """Sum line items into session totals."""
    computed = tuple(
        LineAmounts(
            amount_subtotal=line.unit_amount * line.quantity,
            amount_total=line.unit_amount * line.quantity,
        )
        for line in lines
    )
    subtotal = sum(line.amount_subtotal for line in computed)
    discount = sum(line.amount_discount for line in computed)
    tax = sum(line.amount_tax for line in computed)
    total = sum(line.amount_total for line in computed) + amount_shipping
    return SessionTotals(
        amount_subtotal=subtotal,
        amount_discount=discount,
        amount_tax=tax,
        amount_shipping=amount_shipping,
        amount_total=total,
        lines=computed,
    )

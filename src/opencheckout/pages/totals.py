"""The order summary's figures as the buyer sees them, from the server's own pricing.

One function feeds both the rendered page and the JSON the page's script
fetches after each choice (``POST /c/{token}/totals``), so the total shown,
the pay button and the amount sent back as ``expected_amount`` always agree
with what :func:`opencheckout.service.checkouts.complete` will charge.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from opencheckout.domain.totals import SessionTotals


def _(message: str) -> str:
    return message


PAY = _("Pay %(amount)s")
PLACE_ORDER = _("Place order")
AMOUNT_CHANGED = _(
    "The total changed to %(amount)s. Nothing was charged: please check your order and "
    "confirm again."
)
_UNITS = {
    "hour": (_("hour"), _("hours")),
    "day": (_("day"), _("days")),
    "business_day": (_("business day"), _("business days")),
    "week": (_("week"), _("weeks")),
    "month": (_("month"), _("months")),
}


def delivery_estimate(estimate: Mapping[str, Any] | None, gettext: Callable[[str], str]) -> str:
    """``{"minimum": 3, "maximum": 5, "unit": "business_day"}`` -> "3-5 business days"."""
    if not estimate:
        return ""
    low, high = estimate.get("minimum"), estimate.get("maximum")
    one, many = _UNITS.get(str(estimate.get("unit")), (str(estimate.get("unit")),) * 2)
    if low is not None and high is not None and low != high:
        return f"{low}\u2013{high} {gettext(many)}"
    value = low if low is not None else high
    if value is None:
        return ""
    label = gettext(one if value == 1 else many)
    if low is None:
        return gettext(_("Up to %(value)s")).replace("%(value)s", f"{value} {label}")
    if high is None:
        return gettext(_("%(value)s or more")).replace("%(value)s", f"{value} {label}")
    return f"{value} {label}"


@dataclass(frozen=True, slots=True)
class Summary:
    subtotal: str
    discount: str | None
    shipping: str | None
    tax: str | None
    total: str
    #: The total in minor units: the page sends it back as ``expected_amount``.
    amount_total: int
    pay_label: str
    #: The selected shipping option's delivery estimate, as text ("" if none).
    delivery_estimate: str
    #: A zero total asks for no payment details ("Place order").
    free: bool
    #: Each line's ``{id, quantity, amount}`` (the buyer may change quantities).
    lines: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def summary(
    amounts: SessionTotals,
    data: Mapping[str, Any],
    money: Callable[[int], str],
    gettext: Callable[[str], str],
) -> Summary:
    """The figures of a session: its amounts, and its document for the lines and shipping."""
    selected = data.get("selected_shipping_option")
    option = next((o for o in data.get("shipping_options") or [] if o["id"] == selected), None)
    total = money(amounts.amount_total)
    free = amounts.amount_total == 0
    return Summary(
        subtotal=money(amounts.amount_subtotal),
        discount=money(-amounts.amount_discount) if amounts.amount_discount else None,
        shipping=money(amounts.amount_shipping) if option is not None else None,
        tax=money(amounts.amount_tax) if amounts.amount_tax else None,
        total=total,
        amount_total=amounts.amount_total,
        pay_label=gettext(PLACE_ORDER) if free else gettext(PAY).replace("%(amount)s", total),
        delivery_estimate=delivery_estimate(option.get("delivery_estimate"), gettext)
        if option
        else "",
        free=free,
        lines=[
            {
                "id": line["id"],
                "quantity": line["quantity"],
                "amount": money(line.get("amount_subtotal", 0)),
            }
            for line in data["line_items"]
        ],
    )

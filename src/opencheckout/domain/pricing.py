"""Exact session pricing: line items, coupons, tax rates and shipping.

Pure functions, no I/O. Every amount is an ``int`` in the currency's minor unit
and every percentage a :class:`~decimal.Decimal`; floats never appear, because a
checkout that is off by one cent against the merchant's own books is a bug.

Order of operations, which is what the numbers mean to a buyer:

1. ``amount_subtotal`` of a line is ``unit_amount * quantity``.
2. Coupons apply in the order given, each on what earlier coupons left. A
   coupon's session discount is computed once on the eligible lines' remaining
   amounts and then allocated across those lines with the largest-remainder
   method, so line discounts always add up to the session discount exactly.
3. Tax is computed per line, on the discounted line amount (the line's *gross*),
   then summed over lines:

   - Inclusive rates are extracted together, from the gross:
     ``inclusive tax = gross - half_up(gross·100/(100+Σ inclusive rates))``,
     and that amount is split over the line's inclusive rates in proportion to
     their percentages by the largest-remainder method. Two inclusive rates thus
     cost exactly what one rate of their sum would. Worked example:
     ``unit_amount`` 299 with a 4 % inclusive rate: 299·100/104 = 287.5, half-up
     288, so the tax is 299 - 288 = 11 (not half_up(299·4/104) = half_up(11.5) = 12).
   - Exclusive rates apply one by one to the net (``gross - inclusive tax``):
     ``half_up(net·rate/100)`` each, added on top of the price.
4. Shipping is added to the total last and is **not taxed**: jurisdictions
   disagree on whether shipping is taxable, so a merchant that needs taxed
   shipping must sell it as a line item carrying the right tax rates.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import (
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import TypeGuard

from opencheckout.domain.currency import exponent
from opencheckout.domain.errors import InvalidValue
from opencheckout.domain.totals import MAX_AMOUNT, LineAmounts, SessionTotals

#: Amounts are capped at MAX_AMOUNT (14 digits) and percentages at 4 decimals,
#: so 60 significant digits keep every product exact and every quotient precise
#: far beyond what deciding a half-up rounding to an integer needs.
_CONTEXT = Context(
    prec=60,
    rounding=ROUND_HALF_UP,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)
_ZERO = Decimal(0)
_HUNDRED = Decimal(100)
#: Decimal places allowed in a tax rate (8.875 %) and in a percent-off coupon.
_TAX_PLACES = 4
_COUPON_PLACES = 2


# --------------------------------------------------------------------------- #
# Validation helpers
# --------------------------------------------------------------------------- #


def _is_int(value: object) -> TypeGuard[int]:
    """``bool`` is an ``int`` subclass; ``True`` is not an amount."""
    return isinstance(value, int) and not isinstance(value, bool)


def _check_amount(value: object, param: str) -> None:
    """Minor-unit amounts are non-negative integers: no floats, no negatives."""
    if not _is_int(value) or value < 0:
        raise InvalidValue(f"'{param}' must be a non-negative integer in minor units.", param=param)


def _check_percentage(value: object, param: str, *, places: int, allow_zero: bool) -> None:
    """A percentage is an exact Decimal within 0..100 with at most ``places`` decimals."""
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidValue(f"'{param}' must be a finite Decimal.", param=param)
    low_ok = value >= 0 if allow_zero else value > 0
    if not low_ok or value > _HUNDRED:
        bound = "0 <= p" if allow_zero else "0 < p"
        raise InvalidValue(f"'{param}' must satisfy {bound} <= 100.", param=param)
    scaled = value.scaleb(places, context=_CONTEXT)
    if scaled != scaled.to_integral_value(context=_CONTEXT):
        raise InvalidValue(f"'{param}' may have at most {places} decimal places.", param=param)


# --------------------------------------------------------------------------- #
# Value objects
# --------------------------------------------------------------------------- #


@dataclass(frozen=True, slots=True)
class TaxRate:
    """A tax rate as configured by the merchant (21 % VAT, 8.875 % NYC sales tax)."""

    id: str
    display_name: str
    percentage: Decimal
    inclusive: bool

    def __post_init__(self) -> None:
        _check_percentage(self.percentage, "percentage", places=_TAX_PLACES, allow_zero=True)

    @property
    def weight(self) -> int:
        """The percentage in units of 0.0001 %, exact, to split inclusive tax by."""
        return int(self.percentage.scaleb(_TAX_PLACES, context=_CONTEXT))


@dataclass(frozen=True, slots=True)
class Coupon:
    """Either a percentage off or a fixed amount off, optionally for some products only."""

    id: str
    percent_off: Decimal | None
    amount_off: int | None
    applies_to_products: frozenset[str] | None

    def __post_init__(self) -> None:
        if (self.percent_off is None) == (self.amount_off is None):
            raise InvalidValue(
                "A coupon has exactly one of 'percent_off' and 'amount_off'.",
                param="percent_off",
            )
        if self.percent_off is not None:
            _check_percentage(
                self.percent_off,
                "percent_off",
                places=_COUPON_PLACES,
                allow_zero=False,
            )
        if self.amount_off is not None:
            _check_amount(self.amount_off, "amount_off")

    def applies_to(self, product: str) -> bool:
        """``None`` means every line; an empty set means none."""
        return self.applies_to_products is None or product in self.applies_to_products

    def discount_on(self, eligible_base: int) -> int:
        """Session discount on what the eligible lines still cost; never above it."""
        if self.percent_off is not None:
            return percent_of(eligible_base, self.percent_off)
        assert self.amount_off is not None  # guaranteed by __post_init__
        return min(self.amount_off, eligible_base)


@dataclass(frozen=True, slots=True)
class PricedLine:
    """One line item as priced; empty ``tax_rates`` means the session's defaults."""

    product: str
    unit_amount: int
    quantity: int
    tax_rates: tuple[TaxRate, ...] = ()

    def __post_init__(self) -> None:
        _check_amount(self.unit_amount, "unit_amount")
        if not _is_int(self.quantity) or self.quantity < 1:
            raise InvalidValue("'quantity' must be an integer >= 1.", param="quantity")

    @property
    def amount_subtotal(self) -> int:
        return self.unit_amount * self.quantity


@dataclass(frozen=True, slots=True)
class TaxLine:
    """One rate on one line; ``taxable_amount`` is the base the rate applied to."""

    tax_rate: TaxRate
    taxable_amount: int
    amount: int


@dataclass(frozen=True, slots=True)
class LineResult:
    amount_subtotal: int
    amount_discount: int
    amount_tax: int
    amount_total: int
    taxes: tuple[TaxLine, ...]

    @property
    def amount_tax_exclusive(self) -> int:
        return sum(t.amount for t in self.taxes if not t.tax_rate.inclusive)


@dataclass(frozen=True, slots=True)
class TaxBreakdown:
    """One rate summed over the session, for the receipt's tax table."""

    tax_rate: TaxRate
    taxable_amount: int
    amount: int
    inclusive: bool


@dataclass(frozen=True, slots=True)
class DiscountBreakdown:
    coupon: Coupon
    amount: int
    #: What this coupon took off each line, in line order (they add up to ``amount``).
    allocations: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class PricingResult:
    lines: tuple[LineResult, ...]
    amount_subtotal: int
    amount_discount: int
    amount_tax: int
    amount_tax_exclusive: int
    amount_shipping: int
    amount_total: int
    tax_breakdown: tuple[TaxBreakdown, ...]
    discounts: tuple[DiscountBreakdown, ...]

    def to_session_totals(self) -> SessionTotals:
        """The shape the session stores and the API renders as ``totals[]``."""
        return SessionTotals(
            amount_subtotal=self.amount_subtotal,
            amount_discount=self.amount_discount,
            amount_tax=self.amount_tax,
            amount_shipping=self.amount_shipping,
            amount_total=self.amount_total,
            lines=tuple(
                LineAmounts(
                    amount_subtotal=line.amount_subtotal,
                    amount_discount=line.amount_discount,
                    amount_tax=line.amount_tax,
                    amount_total=line.amount_total,
                )
                for line in self.lines
            ),
        )


# --------------------------------------------------------------------------- #
# Arithmetic
# --------------------------------------------------------------------------- #


def round_half_up(value: Decimal) -> int:
    """Round to the nearest integer, halves away from zero (2.5 -> 3, -2.5 -> -3).

    This is the commercial rounding buyers and tax authorities expect, unlike
    Python's default banker's rounding (``round(2.5) == 2``).
    """
    if not isinstance(value, Decimal) or not value.is_finite():
        raise InvalidValue("Only finite Decimals can be rounded.", param="value")
    return int(value.to_integral_value(rounding=ROUND_HALF_UP, context=_CONTEXT))


def percent_of(amount: int, percent: Decimal) -> int:
    """``round_half_up(amount * percent / 100)``, exactly."""
    product = _CONTEXT.multiply(Decimal(amount), percent)
    return round_half_up(_CONTEXT.divide(product, _HUNDRED))


def net_of_inclusive(gross: int, percent: Decimal) -> int:
    """The net inside a tax-inclusive ``gross``: ``round_half_up(gross * 100 / (100 + p))``."""
    scaled = _CONTEXT.multiply(Decimal(gross), _HUNDRED)
    return round_half_up(_CONTEXT.divide(scaled, _CONTEXT.add(_HUNDRED, percent)))


def allocate(total: int, weights: Sequence[int]) -> list[int]:
    """Split ``total`` proportionally to ``weights`` so the parts sum to it exactly.

    Largest-remainder method: every part first gets the floor of its exact
    share, then the units left over go one each to the largest fractional
    remainders, ties to the earliest position. Each part is therefore within
    one unit of its exact share, never above ``ceil(share)``, and a zero weight
    always gets zero. Integer arithmetic only.
    """
    _check_amount(total, "total")
    for weight in weights:
        _check_amount(weight, "weights")
    weight_sum = sum(weights)
    if weight_sum == 0:
        if total:
            raise InvalidValue("Cannot allocate a non-zero total over zero weights.")
        return [0] * len(weights)
    shares = [divmod(total * weight, weight_sum) for weight in weights]
    parts = [quotient for quotient, _ in shares]
    leftover = total - sum(parts)
    by_remainder = sorted(range(len(shares)), key=lambda i: (-shares[i][1], i))
    for index in by_remainder[:leftover]:
        parts[index] += 1
    return parts


# --------------------------------------------------------------------------- #
# Session pricing
# --------------------------------------------------------------------------- #


def _check_currency(currency: str) -> None:
    try:
        exponent(currency)
    except (KeyError, AttributeError):
        raise InvalidValue(
            f"'{currency}' is not a supported ISO 4217 currency code.",
            code="currency_invalid",
            param="currency",
        ) from None


def _check_size(lines: Sequence[PricedLine], amount_shipping: int) -> None:
    """Beyond MAX_AMOUNT no processor could charge it and exactness is not guaranteed."""
    if sum(line.amount_subtotal for line in lines) + amount_shipping > MAX_AMOUNT:
        raise InvalidValue(
            f"The session may not exceed {MAX_AMOUNT} minor units.",
            code="amount_too_large",
            param="line_items",
        )


def _check_coupons(coupons: Sequence[Coupon]) -> None:
    """The same coupon twice is a caller bug, not a double discount."""
    ids = [coupon.id for coupon in coupons]
    if len(ids) != len(set(ids)):
        raise InvalidValue("A coupon may be applied only once.", param="coupons")


def _check_tax_rates(rate_sets: Iterable[Sequence[TaxRate]]) -> None:
    """Rates are summed per id, so an id must mean one rate and appear once per line."""
    known: dict[str, TaxRate] = {}
    for rates in rate_sets:
        ids = [rate.id for rate in rates]
        if len(ids) != len(set(ids)):
            raise InvalidValue("A tax rate may be listed once per line.", param="tax_rates")
        for rate in rates:
            if known.setdefault(rate.id, rate) != rate:
                raise InvalidValue(
                    f"Tax rate '{rate.id}' is given with two different definitions.",
                    param="tax_rates",
                )


def _apply_coupons(
    lines: Sequence[PricedLine], coupons: Sequence[Coupon]
) -> tuple[list[int], tuple[DiscountBreakdown, ...]]:
    """Per-line discounts and per-coupon amounts, each coupon on what is left."""
    remaining = [line.amount_subtotal for line in lines]
    line_discounts = [0] * len(lines)
    breakdown: list[DiscountBreakdown] = []
    for coupon in coupons:
        eligible = [i for i, line in enumerate(lines) if coupon.applies_to(line.product)]
        weights = [remaining[i] for i in eligible]
        amount = coupon.discount_on(sum(weights))
        parts = [0] * len(lines)
        for index, part in zip(eligible, allocate(amount, weights), strict=True):
            remaining[index] -= part
            line_discounts[index] += part
            parts[index] = part
        breakdown.append(DiscountBreakdown(coupon=coupon, amount=amount, allocations=tuple(parts)))
    return line_discounts, tuple(breakdown)


def _line_taxes(taxable: int, rates: Sequence[TaxRate]) -> tuple[TaxLine, ...]:
    """Per-rate tax on one discounted line, in the order the rates were given.

    Inclusive rates are extracted together (so two inclusive rates on one line
    cost exactly what their sum would) and the extracted total is split across
    them by percentage; exclusive rates then apply to the net base.
    """
    inclusive = [rate for rate in rates if rate.inclusive]
    inclusive_percent = sum((rate.percentage for rate in inclusive), _ZERO)
    inclusive_tax = taxable - net_of_inclusive(taxable, inclusive_percent) if inclusive else 0
    net = taxable - inclusive_tax
    inclusive_parts = iter(allocate(inclusive_tax, [rate.weight for rate in inclusive]))
    return tuple(
        TaxLine(
            tax_rate=rate,
            taxable_amount=net,
            amount=next(inclusive_parts) if rate.inclusive else percent_of(net, rate.percentage),
        )
        for rate in rates
    )


def _price_line(line: PricedLine, discount: int, rates: Sequence[TaxRate]) -> LineResult:
    discounted = line.amount_subtotal - discount
    taxes = _line_taxes(discounted, rates)
    exclusive = sum(tax.amount for tax in taxes if not tax.tax_rate.inclusive)
    return LineResult(
        amount_subtotal=line.amount_subtotal,
        amount_discount=discount,
        amount_tax=sum(tax.amount for tax in taxes),
        amount_total=discounted + exclusive,
        taxes=taxes,
    )


def _tax_breakdown(lines: Sequence[LineResult]) -> tuple[TaxBreakdown, ...]:
    """Sum each rate over all lines, in order of first appearance."""
    sums: dict[str, tuple[TaxRate, int, int]] = {}
    for line in lines:
        for tax in line.taxes:
            _, taxable, amount = sums.get(tax.tax_rate.id, (tax.tax_rate, 0, 0))
            sums[tax.tax_rate.id] = (
                tax.tax_rate,
                taxable + tax.taxable_amount,
                amount + tax.amount,
            )
    return tuple(
        TaxBreakdown(tax_rate=rate, taxable_amount=taxable, amount=amount, inclusive=rate.inclusive)
        for rate, taxable, amount in sums.values()
    )


def price_session(
    lines: Sequence[PricedLine],
    *,
    currency: str,
    coupons: Sequence[Coupon] = (),
    default_tax_rates: Sequence[TaxRate] = (),
    amount_shipping: int = 0,
) -> PricingResult:
    """Exact totals for a checkout session.

    Every session amount is the sum of the line amounts (plus shipping for the
    total), so line items and totals shown to the buyer always reconcile.
    Shipping is not taxed (see the module docstring). The currency's exponent
    changes no formula, since amounts are already minor units, but an unknown
    currency is refused so a typo cannot be priced.
    """
    _check_currency(currency)
    _check_amount(amount_shipping, "amount_shipping")
    _check_size(lines, amount_shipping)
    _check_coupons(coupons)
    rate_sets = [line.tax_rates or tuple(default_tax_rates) for line in lines]
    _check_tax_rates([default_tax_rates, *rate_sets])

    line_discounts, discounts = _apply_coupons(lines, coupons)
    results = tuple(
        _price_line(line, discount, rates)
        for line, discount, rates in zip(lines, line_discounts, rate_sets, strict=True)
    )
    return PricingResult(
        lines=results,
        amount_subtotal=sum(line.amount_subtotal for line in results),
        amount_discount=sum(line.amount_discount for line in results),
        amount_tax=sum(line.amount_tax for line in results),
        amount_tax_exclusive=sum(line.amount_tax_exclusive for line in results),
        amount_shipping=amount_shipping,
        amount_total=sum(line.amount_total for line in results) + amount_shipping,
        tax_breakdown=_tax_breakdown(results),
        discounts=discounts,
    )

"""Percentages as exact values: parsed from JSON, stored as integers.

A percentage is not money, but it multiplies money, so it must be exact: a
tax rate of 8.875 % read back as the float 8.87499999 would round a different
cent. Percentages are therefore parsed straight into :class:`~decimal.Decimal`
(never through arithmetic on floats) and stored as integers in a fixed number
of decimal places: basis points for coupons (33.33 % -> 3333) and millionths
for tax rates (8.875 % -> 88750).
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, Decimal

from opencheckout.domain.errors import InvalidValue
from opencheckout.domain.inputs import number_problem

#: Decimal places a percent-off coupon may have (33.33 %).
COUPON_PLACES = 2
#: Decimal places a tax rate may have (8.875 %, 7.6875 %).
TAX_PLACES = 4

_HUNDRED = Decimal(100)


def parse_percentage(
    value: object, *, places: int, allow_zero: bool, param: str = "percentage"
) -> Decimal:
    """An exact percentage within (0 or 0<) .. 100 with at most ``places`` decimals.

    Accepts an int, a float or a numeric string. A float is read through its
    shortest representation (``33.33`` -> ``Decimal("33.33")``), which is the
    decimal literal the client wrote in its JSON.
    """
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidValue(f"'{param}' must be a number or a numeric string.", param=param)
    text = str(value).strip()
    if isinstance(value, float) and not math.isfinite(value):
        raise InvalidValue(f"'{param}' must be a finite number.", param=param)
    # Bounded by its text before any arithmetic: "1e-999999" must not reach quantize.
    problem = number_problem(text)
    if problem is not None:
        raise InvalidValue(f"'{param}' must be a number, not {text[:40]!r}. {problem}", param=param)
    number = Decimal(text)
    if (number < 0 if allow_zero else number <= 0) or number > _HUNDRED:
        bound = "between 0 and 100" if allow_zero else "greater than 0 and at most 100"
        raise InvalidValue(f"'{param}' must be {bound}.", param=param)
    if number != number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_DOWN):
        raise InvalidValue(f"'{param}' may have at most {places} decimal places.", param=param)
    return number


def to_units(value: Decimal, places: int) -> int:
    """``Decimal("8.875")`` at 4 places -> ``88750``; exact or an error."""
    scaled = value.scaleb(places)
    if scaled != scaled.to_integral_value():
        raise InvalidValue(f"{value} has more than {places} decimal places.")
    return int(scaled)


def from_units(units: int, places: int) -> Decimal:
    """``88750`` at 4 places -> ``Decimal("8.875")`` (normalized, no trailing zeros)."""
    value = Decimal(units).scaleb(-places)
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()

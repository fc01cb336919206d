"""Field types shared by the pricing resources (products, coupons, tax rates) and
the checkout fields that refer to them."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from opencheckout.api.schemas.common import invalid, no_nul
from opencheckout.domain.errors import InvalidValue
from opencheckout.domain.percent import COUPON_PLACES, TAX_PLACES, parse_percentage

T = TypeVar("T", bound=Hashable)


def _percentage(places: int, *, allow_zero: bool, name: str) -> Callable[[Any], Decimal]:
    def validate(value: Any) -> Decimal:
        try:
            return parse_percentage(value, places=places, allow_zero=allow_zero, param=name)
        except InvalidValue as exc:
            raise invalid("percentage_invalid", exc.message) from None

    return validate


def _timestamp(value: Any) -> datetime:
    """Unix seconds or ISO 8601 (a naive time is taken as UTC), like the list filters."""
    try:
        if isinstance(value, int) and not isinstance(value, bool):
            return datetime.fromtimestamp(value, UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise invalid("timestamp_invalid", f"{value!r} is neither unix seconds nor an ISO 8601 time.")


def unique(items: Sequence[T]) -> Sequence[T]:
    """Refuse repeats: a tax rate listed twice would be charged twice."""
    for index, item in enumerate(items):
        if item in items[:index]:
            raise invalid("parameter_invalid", f"{item!r} is listed twice.")
    return items


PercentOff = Annotated[
    Decimal,
    BeforeValidator(_percentage(COUPON_PLACES, allow_zero=False, name="percent_off")),
    Field(
        description="0 < percent_off <= 100, at most 2 decimals. A JSON number or string.",
        examples=[33.33],
    ),
]
TaxPercentage = Annotated[
    Decimal,
    BeforeValidator(_percentage(TAX_PLACES, allow_zero=True, name="percentage")),
    Field(
        description="0 <= percentage <= 100, at most 4 decimals. A JSON number or string.",
        examples=[21, 8.875],
    ),
]
Timestamp = Annotated[
    datetime,
    BeforeValidator(_timestamp),
    Field(description="Unix seconds or ISO 8601.", examples=["2030-01-01T00:00:00Z"]),
]
#: A catalog SKU, used in URLs: no ``/`` and no control characters.
ProductId = Annotated[
    str,
    StringConstraints(min_length=1, max_length=200, pattern=r"^[^/\x00-\x1f\x7f]+$"),
    Field(description="The merchant's SKU (no '/').", examples=["sku-shirt"]),
]
TaxRateId = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(no_nul)]
CouponId = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(no_nul)]
#: What a buyer types; compared case-insensitively.
CouponCode = Annotated[
    str,
    StringConstraints(min_length=1, max_length=50, pattern=r"^[A-Za-z0-9_-]+$"),
    Field(description="Letters, digits, '-' and '_'; case-insensitive.", examples=["SUMMER"]),
]
#: A code as looked up: any text, so an unknown code is 'coupon_invalid', not a format error.
CouponCodeLookup = Annotated[
    str, StringConstraints(min_length=1, max_length=50), AfterValidator(no_nul)
]
TaxRateIds = Annotated[list[TaxRateId], Field(max_length=5), AfterValidator(unique)]

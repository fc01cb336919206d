"""Coupon request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictBool, StrictInt, StringConstraints

from opencheckout.api.schemas.common import (
    Amount,
    Currency,
    Metadata,
    MetadataUpdate,
    Model,
    StrictModel,
    no_nul,
)
from opencheckout.api.schemas.pricing import CouponCode, PercentOff, Timestamp

CouponName = Annotated[str, StringConstraints(max_length=250), AfterValidator(no_nul)]
Sku = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(no_nul)]


class AppliesTo(StrictModel):
    products: Annotated[list[Sku], Field(min_length=1, max_length=100)] = Field(
        description="SKUs the coupon discounts; other line items are not discounted."
    )


class CouponCreate(StrictModel):
    """Exactly one of ``percent_off`` and ``amount_off`` (which needs ``currency``)."""

    name: CouponName | None = None
    """The name shown to buyers beside the discount (up to 250 characters)."""
    percent_off: PercentOff | None = None
    """The percentage taken off: 0 < percent_off <= 100, at most 2 decimals (a JSON number or
    string). Give this or `amount_off`."""
    amount_off: Annotated[Amount, Field(ge=1)] | None = None
    """The fixed amount taken off, in `currency`'s minor unit (at least 1). Give this or
    `percent_off`."""
    currency: Currency | None = None
    """ISO 4217 currency code of `amount_off`; required with it, not allowed with `percent_off`."""
    code: CouponCode | None = Field(
        None, description="What buyers type; unique per account and mode, case-insensitive."
    )
    max_redemptions: Annotated[StrictInt, Field(ge=1, le=2_000_000_000)] | None = None
    """How many completed payments may use the coupon (1 to 2000000000); default no limit."""
    redeem_by: Timestamp | None = None
    """Unix seconds or ISO 8601 time after which the coupon can no longer be applied; default
    never."""
    applies_to: AppliesTo | None = None
    """Limit the discount to some SKUs; default every line."""
    active: StrictBool = True
    """Whether the coupon may be applied (default true)."""
    metadata: Metadata = Field(default_factory=dict)


class CouponUpdate(StrictModel):
    """A coupon's arithmetic never changes; only these fields do."""

    name: CouponName | None = None
    """The name shown to buyers beside the discount (up to 250 characters)."""
    active: StrictBool | None = None
    """False stops new uses (sessions that already have it keep it); true allows them again."""
    metadata: MetadataUpdate | None = None
    """Keys to set on the coupon's metadata; an empty string or null removes a key."""


class AppliesToOut(Model):
    products: list[str]
    """SKUs the coupon discounts; other line items are not discounted."""


class Coupon(Model):
    id: str = Field(examples=["coupon_8dHwq2LkdIwHu7ixVwXyZ123"])
    """The coupon's id (`coupon_…`); apply it to a session by id."""
    object: Literal["coupon"] = "coupon"
    """Always `coupon`."""
    name: str | None
    """The name shown to buyers beside the discount, or null."""
    percent_off: float | None = Field(examples=[33.33])
    """The percentage taken off (0 to 100, up to 2 decimals), or null for an amount coupon."""
    amount_off: int | None
    """The fixed amount taken off, in `currency`'s minor unit, or null for a percentage coupon."""
    currency: str | None
    """ISO 4217 currency (lowercase) of `amount_off`; such a coupon applies only to sessions in it.
    Null for a percentage coupon."""
    code: str | None
    """The promotion code buyers type (case-insensitive), or null when applied by id only."""
    max_redemptions: int | None
    """How many completed payments may use the coupon, or null for no limit."""
    redeem_by: str | None
    """After this time (ISO 8601, UTC) the coupon can no longer be applied, or null for never."""
    applies_to: AppliesToOut | None
    """The SKUs the coupon is limited to, or null for every line."""
    times_redeemed: int = Field(description="Completed payments that used the coupon.")
    active: bool
    """Whether the coupon may be applied; an inactive one is refused with 422 `coupon_inactive`."""
    valid: bool = Field(description="Whether it can be applied now (active, unexpired, left).")
    metadata: dict[str, str]
    """Your key-value pairs, as sent."""
    livemode: bool
    """True for a live-mode object (made with a live key), false for test mode."""
    created_at: str
    """When it was created (ISO 8601, UTC)."""
    updated_at: str
    """When it last changed (ISO 8601, UTC)."""


class CouponList(Model):
    object: Literal["list"] = "list"
    """Always `list`."""
    url: str
    """The path this list was read from."""
    data: list[Coupon]
    """The objects on this page, newest first."""
    has_more: bool
    """Whether more objects follow this page (pass the last `id` as `starting_after`)."""

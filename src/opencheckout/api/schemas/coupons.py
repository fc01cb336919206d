"""Coupon request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictBool, StrictInt, StringConstraints

from opencheckout.api.schemas.common import (
    Amount,
    Currency,
    Metadata,
    MetadataUpdate,
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
    percent_off: PercentOff | None = None
    amount_off: Annotated[Amount, Field(ge=1)] | None = None
    currency: Currency | None = None
    code: CouponCode | None = Field(
        None, description="What buyers type; unique per account and mode, case-insensitive."
    )
    max_redemptions: Annotated[StrictInt, Field(ge=1, le=2_000_000_000)] | None = None
    redeem_by: Timestamp | None = None
    applies_to: AppliesTo | None = None
    active: StrictBool = True
    metadata: Metadata = Field(default_factory=dict)


class CouponUpdate(StrictModel):
    """A coupon's arithmetic never changes; only these fields do."""

    name: CouponName | None = None
    active: StrictBool | None = None
    metadata: MetadataUpdate | None = None


class AppliesToOut(BaseModel):
    products: list[str]


class Coupon(BaseModel):
    id: str = Field(examples=["coupon_8dHwq2LkdIwHu7ixVwXyZ123"])
    object: Literal["coupon"] = "coupon"
    name: str | None
    percent_off: float | None = Field(examples=[33.33])
    amount_off: int | None
    currency: str | None
    code: str | None
    max_redemptions: int | None
    redeem_by: str | None
    applies_to: AppliesToOut | None
    times_redeemed: int = Field(description="Completed payments that used the coupon.")
    active: bool
    valid: bool = Field(description="Whether it can be applied now (active, unexpired, left).")
    metadata: dict[str, str]
    livemode: bool
    created_at: str
    updated_at: str


class CouponList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[Coupon]
    has_more: bool

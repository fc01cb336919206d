"""Shipping rate and promotion request and response models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, StrictBool, StringConstraints

from opencheckout.api.schemas.checkouts import DeliveryEstimate, Sku
from opencheckout.api.schemas.common import (
    Amount,
    Country,
    Currency,
    Metadata,
    MetadataUpdate,
    StrictModel,
    no_nul,
)

DisplayName = Annotated[
    str, StringConstraints(min_length=1, max_length=100), AfterValidator(no_nul)
]
ServiceLevel = Annotated[
    str,
    StringConstraints(min_length=1, max_length=50, pattern=r"^[a-z][a-z0-9_]*$"),
    Field(examples=["standard", "express"]),
]


class ShippingRateCreate(StrictModel):
    display_name: DisplayName
    amount: Amount
    currency: Currency
    countries: list[Country] = Field(
        default_factory=list,
        max_length=250,
        description="ISO 3166-1 alpha-2; empty: every country without a more specific rate.",
    )
    service_level: ServiceLevel = "standard"
    delivery_estimate: DeliveryEstimate | None = None
    active: StrictBool = True
    metadata: Metadata = Field(default_factory=dict)


class ShippingRateUpdate(StrictModel):
    display_name: DisplayName | None = None
    amount: Amount | None = None
    countries: list[Country] | None = Field(None, max_length=250)
    service_level: ServiceLevel | None = None
    delivery_estimate: DeliveryEstimate | None = None
    active: StrictBool | None = None
    metadata: MetadataUpdate | None = None


class ShippingRate(BaseModel):
    id: str = Field(examples=["shr_1Mr3b8LkdIwHu7ixVwXyZ123"])
    object: Literal["shipping_rate"] = "shipping_rate"
    display_name: str
    amount: int
    currency: str
    countries: list[str]
    service_level: str
    delivery_estimate: dict[str, Any] | None
    active: bool
    metadata: dict[str, str]
    livemode: bool
    created_at: str
    updated_at: str


class ShippingRateList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[ShippingRate]
    has_more: bool


class ShippingPromotionCreate(StrictModel):
    display_name: (
        Annotated[str, StringConstraints(max_length=250), AfterValidator(no_nul)] | None
    ) = None
    service_levels: list[ServiceLevel] = Field(
        default_factory=list, max_length=20, description="Empty: every service level."
    )
    min_subtotal: Amount | None = Field(None, description="The discounted subtotal that earns it.")
    currency: Currency | None = Field(None, description="The currency of `min_subtotal`.")
    products: list[Sku] = Field(
        default_factory=list, max_length=100, description="SKUs any of which earns it."
    )
    active: StrictBool = True
    metadata: Metadata = Field(default_factory=dict)


class ShippingPromotionUpdate(StrictModel):
    display_name: (
        Annotated[str, StringConstraints(max_length=250), AfterValidator(no_nul)] | None
    ) = None
    service_levels: list[ServiceLevel] | None = Field(None, max_length=20)
    min_subtotal: Amount | None = None
    currency: Currency | None = None
    products: list[Sku] | None = Field(None, max_length=100)
    active: StrictBool | None = None
    metadata: MetadataUpdate | None = None


class ShippingPromotion(BaseModel):
    id: str = Field(examples=["shp_1Mr3b8LkdIwHu7ixVwXyZ123"])
    object: Literal["shipping_promotion"] = "shipping_promotion"
    display_name: str | None
    service_levels: list[str]
    min_subtotal: int | None
    currency: str | None
    products: list[str]
    active: bool
    metadata: dict[str, str]
    livemode: bool
    created_at: str
    updated_at: str


class ShippingPromotionList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[ShippingPromotion]
    has_more: bool

"""Shipping rate and promotion request and response models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, StrictBool, StringConstraints

from opencheckout.api.schemas.checkouts import DeliveryEstimate, Sku
from opencheckout.api.schemas.common import (
    Amount,
    Country,
    Currency,
    Metadata,
    MetadataUpdate,
    Model,
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
    """The rate's name shown to buyers, e.g. "Standard" (1 to 100 characters)."""
    amount: Amount
    """What shipping costs, in `currency`'s minor unit; not taxed."""
    currency: Currency
    countries: list[Country] = Field(
        default_factory=list,
        max_length=250,
        description="ISO 3166-1 alpha-2; empty: every country without a more specific rate.",
    )
    service_level: ServiceLevel = "standard"
    """A lowercase word naming the speed, e.g. `standard` (default) or `express`; shipping
    promotions select by it."""
    delivery_estimate: DeliveryEstimate | None = None
    """How long delivery takes, shown beside the rate."""
    active: StrictBool = True
    """Whether sessions offer the rate (default true)."""
    metadata: Metadata = Field(default_factory=dict)


class ShippingRateUpdate(StrictModel):
    display_name: DisplayName | None = None
    """The rate's name shown to buyers (1 to 100 characters)."""
    amount: Amount | None = None
    """What shipping costs, in the rate currency's minor unit."""
    countries: list[Country] | None = Field(None, max_length=250)
    """Replaces the ISO 3166-1 alpha-2 countries; empty: every country without a more specific
    rate."""
    service_level: ServiceLevel | None = None
    """A lowercase word naming the speed, e.g. `standard` or `express`."""
    delivery_estimate: DeliveryEstimate | None = None
    """How long delivery takes; null removes the estimate."""
    active: StrictBool | None = None
    """Whether sessions offer the rate."""
    metadata: MetadataUpdate | None = None
    """Keys to set on the rate's metadata; an empty string or null removes a key."""


class ShippingRate(Model):
    id: str = Field(examples=["shr_1Mr3b8LkdIwHu7ixVwXyZ123"])
    """The rate's id (`shr_…`)."""
    object: Literal["shipping_rate"] = "shipping_rate"
    """Always `shipping_rate`."""
    display_name: str
    """The rate's name shown to buyers."""
    amount: int
    """What shipping costs, in `currency`'s minor unit."""
    currency: str
    """ISO 4217 currency code (lowercase)."""
    countries: list[str]
    """The ISO 3166-1 alpha-2 countries it ships to; empty: every country without a more specific
    rate."""
    service_level: str
    """The speed, e.g. `standard` or `express`."""
    delivery_estimate: dict[str, Any] | None
    """How long delivery takes (`minimum`, `maximum`, `unit`), or null."""
    active: bool
    """Whether sessions offer the rate."""
    metadata: dict[str, str]
    """Your key-value pairs, as sent."""
    livemode: bool
    """True for a live-mode object (made with a live key), false for test mode."""
    created_at: str
    """When it was created (ISO 8601, UTC)."""
    updated_at: str
    """When it last changed (ISO 8601, UTC)."""


class ShippingRateList(Model):
    object: Literal["list"] = "list"
    """Always `list`."""
    url: str
    """The path this list was read from."""
    data: list[ShippingRate]
    """The objects on this page, newest first."""
    has_more: bool
    """Whether more objects follow this page (pass the last `id` as `starting_after`)."""


class ShippingPromotionCreate(StrictModel):
    display_name: (
        Annotated[str, StringConstraints(max_length=250), AfterValidator(no_nul)] | None
    ) = None
    """The promotion's name shown to buyers, e.g. "Free shipping over 50 €" (up to 250
    characters)."""
    service_levels: list[ServiceLevel] = Field(
        default_factory=list, max_length=20, description="Empty: every service level."
    )
    min_subtotal: Amount | None = Field(None, description="The discounted subtotal that earns it.")
    currency: Currency | None = Field(None, description="The currency of `min_subtotal`.")
    products: list[Sku] = Field(
        default_factory=list, max_length=100, description="SKUs any of which earns it."
    )
    active: StrictBool = True
    """Whether the promotion applies (default true)."""
    metadata: Metadata = Field(default_factory=dict)


class ShippingPromotionUpdate(StrictModel):
    display_name: (
        Annotated[str, StringConstraints(max_length=250), AfterValidator(no_nul)] | None
    ) = None
    """The promotion's name shown to buyers (up to 250 characters)."""
    service_levels: list[ServiceLevel] | None = Field(None, max_length=20)
    """Replaces the service levels made free; empty: every service level."""
    min_subtotal: Amount | None = None
    """The discounted subtotal, in minor units, that earns free shipping; null removes the
    threshold."""
    currency: Currency | None = None
    """ISO 4217 currency code of `min_subtotal`."""
    products: list[Sku] | None = Field(None, max_length=100)
    """Replaces the SKUs any of which earns free shipping."""
    active: StrictBool | None = None
    """Whether the promotion applies."""
    metadata: MetadataUpdate | None = None
    """Keys to set on the promotion's metadata; an empty string or null removes a key."""


class ShippingPromotion(Model):
    id: str = Field(examples=["shp_1Mr3b8LkdIwHu7ixVwXyZ123"])
    """The promotion's id (`shp_…`)."""
    object: Literal["shipping_promotion"] = "shipping_promotion"
    """Always `shipping_promotion`."""
    display_name: str | None
    """The promotion's name shown to buyers, or null."""
    service_levels: list[str]
    """The service levels it makes free; empty: every service level."""
    min_subtotal: int | None
    """The discounted subtotal, in `currency`'s minor unit, that earns free shipping, or null."""
    currency: str | None
    """ISO 4217 currency code (lowercase) of `min_subtotal`, or null."""
    products: list[str]
    """SKUs any of which earns free shipping; empty: no product condition."""
    active: bool
    """Whether the promotion applies."""
    metadata: dict[str, str]
    """Your key-value pairs, as sent."""
    livemode: bool
    """True for a live-mode object (made with a live key), false for test mode."""
    created_at: str
    """When it was created (ISO 8601, UTC)."""
    updated_at: str
    """When it last changed (ISO 8601, UTC)."""


class ShippingPromotionList(Model):
    object: Literal["list"] = "list"
    """Always `list`."""
    url: str
    """The path this list was read from."""
    data: list[ShippingPromotion]
    """The objects on this page, newest first."""
    has_more: bool
    """Whether more objects follow this page (pass the last `id` as `starting_after`)."""

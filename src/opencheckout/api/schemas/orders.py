"""Order and fulfillment event request and response models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, Field, StrictInt, StringConstraints

from opencheckout.api.schemas.common import HttpUrl, Model, ShortText, StrictModel, no_nul

OrderStatus = Literal["confirmed", "partially_fulfilled", "fulfilled", "canceled"]
EventType = Annotated[
    str,
    StringConstraints(min_length=1, max_length=40, pattern=r"^[a-z][a-z_]*$"),
    Field(
        description="`processing`, `shipped`, `in_transit`, `out_for_delivery`, `delivered`, "
        "`failed_attempt`, `canceled`, `undeliverable`, `returned_to_sender`, or your own "
        "lowercase word. Shipped and delivery events fulfil lines; `canceled` without "
        "`line_items` cancels the order.",
        examples=["shipped"],
    ),
]
Tracking = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(no_nul)]


class LineQuantityIn(StrictModel):
    id: Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(no_nul)]
    """The order line's id (the session line's `id`)."""
    quantity: Annotated[StrictInt, Field(ge=1, le=999_999)]
    """How many units of that line the event concerns (1 to 999999)."""


class FulfillmentEventIn(StrictModel):
    type: EventType
    line_items: list[LineQuantityIn] = Field(
        default_factory=list, max_length=100, description="Omitted: every line in full."
    )
    tracking_number: Tracking | None = None
    """The carrier's tracking number (up to 200 characters)."""
    tracking_url: HttpUrl | None = None
    """A URL where the buyer can follow the parcel."""
    carrier: Tracking | None = None
    """The carrier's name, e.g. `DHL` (up to 200 characters)."""
    description: ShortText | None = None
    """A note about the event (up to 500 characters)."""
    occurred_at: AwareDatetime | None = Field(None, description="Defaults to now.")


class FulfillmentEvent(Model):
    id: str
    """The event's id (`fe_…`)."""
    object: Literal["fulfillment_event"] = "fulfillment_event"
    """Always `fulfillment_event`."""
    type: str
    """What happened, e.g. `shipped` or `delivered` (see the request's `type`)."""
    occurred_at: str
    """When it happened (ISO 8601, UTC)."""
    line_items: list[dict[str, Any]]
    """The lines and quantities it concerns: `{id, quantity}` each."""
    tracking_number: str | None
    """The carrier's tracking number, or null."""
    tracking_url: str | None
    """Where the buyer can follow the parcel, or null."""
    carrier: str | None
    """The carrier's name, or null."""
    description: str | None
    """A note about the event, or null."""
    created_at: str
    """When it was recorded (ISO 8601, UTC)."""


class Adjustment(Model):
    """A post-order money movement. A refund's entry follows the refund's status."""

    id: str = Field(examples=["adj_1Mr3b8LkdIwHu7ixVwXyZ123"])
    """The adjustment's id (`adj_…`)."""
    object: Literal["adjustment"] = "adjustment"
    """Always `adjustment`."""
    type: Literal["refund"]
    """What kind of money movement: `refund`."""
    refund: str = Field(description="The refund (`re_…`).")
    amount: int
    """The amount given back, in the order currency's minor unit."""
    currency: str
    """ISO 4217 currency code (lowercase)."""
    status: Literal["pending", "succeeded", "failed"]
    """The refund's status: `pending`, `succeeded` or `failed`."""
    reason: str | None
    """Why, as given with the refund, or null."""
    created_at: str
    """When it was created (ISO 8601, UTC)."""
    updated_at: str
    """When it last changed (ISO 8601, UTC)."""


class Order(Model):
    id: str = Field(examples=["ord_1Mr3b8LkdIwHu7ixVwXyZ123"])
    """The order's id (`ord_…`)."""
    object: Literal["order"] = "order"
    """Always `order`."""
    checkout: str
    """The paid session (`cs_…`) the order comes from."""
    customer: str | None
    """The customer (`cus_…`) the session was linked to, or null."""
    email: str | None
    """The buyer's email address, or null."""
    status: OrderStatus
    """`confirmed` (paid, nothing shipped), `partially_fulfilled`, `fulfilled` (every line shipped
    or delivered) or `canceled`."""
    currency: str
    """ISO 4217 currency code (lowercase) of every amount."""
    line_items: list[dict[str, Any]] = Field(description="As paid.")
    amount_subtotal: int
    """Sum of the lines before discounts, in minor units."""
    amount_discount: int
    """What the coupons took off, in minor units."""
    amount_tax: int
    """All tax, inclusive and exclusive, in minor units."""
    amount_shipping: int
    """What shipping cost, in minor units."""
    amount_total: int
    """What the buyer paid, in minor units."""
    shipping_address: dict[str, Any] | None
    """Where to ship (`name`, `line1`, `line2`, `city`, `state`, `postal_code`, `country`), or
    null."""
    shipping_option: dict[str, Any] | None
    """The chosen shipping option (`id`, `display_name`, `amount`, `delivery_estimate`), or null."""
    fulfillment_events: list[FulfillmentEvent]
    """What happened to the order since payment, oldest first."""
    adjustments: list[Adjustment] = Field(description="Refunds and other post-order changes.")
    amount_refunded: int = Field(
        description="What the order's pending and succeeded refunds give back "
        "(the session's `amount_refunded`)."
    )
    livemode: bool
    """True for a live-mode object (made with a live key), false for test mode."""
    created_at: str
    """When it was created (ISO 8601, UTC)."""
    updated_at: str
    """When it last changed (ISO 8601, UTC)."""


class OrderList(Model):
    object: Literal["list"] = "list"
    """Always `list`."""
    url: str
    """The path this list was read from."""
    data: list[Order]
    """The objects on this page, newest first."""
    has_more: bool
    """Whether more objects follow this page (pass the last `id` as `starting_after`)."""

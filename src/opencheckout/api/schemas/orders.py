"""Order and fulfillment event request and response models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, Field, StrictInt, StringConstraints

from opencheckout.api.schemas.common import HttpUrl, ShortText, StrictModel, no_nul

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
    quantity: Annotated[StrictInt, Field(ge=1, le=999_999)]


class FulfillmentEventIn(StrictModel):
    type: EventType
    line_items: list[LineQuantityIn] = Field(
        default_factory=list, max_length=100, description="Omitted: every line in full."
    )
    tracking_number: Tracking | None = None
    tracking_url: HttpUrl | None = None
    carrier: Tracking | None = None
    description: ShortText | None = None
    occurred_at: AwareDatetime | None = Field(None, description="Defaults to now.")


class FulfillmentEvent(BaseModel):
    id: str
    object: Literal["fulfillment_event"] = "fulfillment_event"
    type: str
    occurred_at: str
    line_items: list[dict[str, Any]]
    tracking_number: str | None
    tracking_url: str | None
    carrier: str | None
    description: str | None
    created_at: str


class Adjustment(BaseModel):
    """A post-order money movement. A refund's entry follows the refund's status."""

    id: str = Field(examples=["adj_1Mr3b8LkdIwHu7ixVwXyZ123"])
    object: Literal["adjustment"] = "adjustment"
    type: Literal["refund"]
    refund: str = Field(description="The refund (`re_…`).")
    amount: int
    currency: str
    status: Literal["pending", "succeeded", "failed"]
    reason: str | None
    created_at: str
    updated_at: str


class Order(BaseModel):
    id: str = Field(examples=["ord_1Mr3b8LkdIwHu7ixVwXyZ123"])
    object: Literal["order"] = "order"
    checkout: str
    customer: str | None
    email: str | None
    status: OrderStatus
    currency: str
    line_items: list[dict[str, Any]] = Field(description="As paid.")
    amount_subtotal: int
    amount_discount: int
    amount_tax: int
    amount_shipping: int
    amount_total: int
    shipping_address: dict[str, Any] | None
    shipping_option: dict[str, Any] | None
    fulfillment_events: list[FulfillmentEvent]
    adjustments: list[Adjustment] = Field(description="Refunds and other post-order changes.")
    amount_refunded: int = Field(
        description="What the order's pending and succeeded refunds give back "
        "(the session's `amount_refunded`)."
    )
    livemode: bool
    created_at: str
    updated_at: str


class OrderList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[Order]
    has_more: bool

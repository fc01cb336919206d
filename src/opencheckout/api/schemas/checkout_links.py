"""Checkout link request and response models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt

from opencheckout.api.schemas.checkouts import (
    BillingDetailsCollection,
    CustomField,
    CustomFieldIn,
    LineItemIn,
    Locale,
    PaymentMethod,
    ShippingOption,
    ShippingOptionIn,
)
from opencheckout.api.schemas.common import (
    Currency,
    HttpUrl,
    Metadata,
    MetadataUpdate,
    StrictModel,
)
from opencheckout.api.schemas.pricing import TaxRateIds, Timestamp

MaxCompletions = Annotated[StrictInt, Field(ge=1, le=1_000_000_000)]


def _all_payment_methods() -> list[PaymentMethod]:
    return ["card", "paypal"]


class CheckoutLinkCreate(StrictModel):
    """A reusable link: every visit to its `url` makes a new session with these line
    items and settings (the session create's own fields and rules)."""

    line_items: list[LineItemIn] = Field(
        min_length=1,
        max_length=100,
        description="Catalog SKUs (`product` and `quantity`) or ad-hoc lines, each possibly "
        "with `adjustable_quantity`; catalog prices are read when each session is made.",
    )
    currency: Currency
    billing_details_collection: BillingDetailsCollection = "required"
    coupon_collection: StrictBool = False
    locale: Locale = "auto"
    payment_methods: list[PaymentMethod] = Field(
        default_factory=_all_payment_methods, min_length=1, max_length=2
    )
    success_url: HttpUrl | None = None
    cancel_url: HttpUrl | None = None
    shipping_options: list[ShippingOptionIn] = Field(
        default_factory=list,
        max_length=5,
        description="The sessions' own options; empty: the account's shipping rates apply.",
    )
    default_tax_rates: TaxRateIds = Field(
        default_factory=list, description="Tax rate ids for lines without their own."
    )
    custom_fields: list[CustomFieldIn] = Field(
        default_factory=list, max_length=3, description="Up to 3 fields the buyer fills in."
    )
    metadata: Metadata = Field(
        default_factory=dict, description="The link's metadata, also stamped on its sessions."
    )
    active: StrictBool = True
    expires_at: Timestamp | None = Field(
        None, description="After this the link answers 410 (sessions it made stay payable)."
    )
    max_completions: MaxCompletions | None = Field(
        None,
        description="Paid sessions the link allows; enforced at payment (409 "
        "`checkout_link_exhausted`), after which the link answers 410.",
    )


class CheckoutLinkUpdate(StrictModel):
    line_items: list[LineItemIn] | None = Field(None, min_length=1, max_length=100)
    currency: Currency | None = None
    billing_details_collection: BillingDetailsCollection | None = None
    coupon_collection: StrictBool | None = None
    locale: Locale | None = None
    payment_methods: list[PaymentMethod] | None = Field(None, min_length=1, max_length=2)
    success_url: HttpUrl | None = None
    cancel_url: HttpUrl | None = None
    shipping_options: list[ShippingOptionIn] | None = Field(None, max_length=5)
    default_tax_rates: TaxRateIds | None = None
    custom_fields: list[CustomFieldIn] | None = Field(None, max_length=3)
    metadata: MetadataUpdate | None = None
    active: StrictBool | None = None
    expires_at: Timestamp | None = None
    max_completions: MaxCompletions | None = None


class CheckoutLink(BaseModel):
    id: str = Field(examples=["cl_1Mr3b8LkdIwHu7ixVwXyZ123"])
    object: Literal["checkout_link"] = "checkout_link"
    url: str = Field(
        description="The public address (`{OPENCHECKOUT_PUBLIC_URL}/l/{slug}`) to share.",
        examples=["https://pay.example.com/l/3vQ8bX1kPz7TqR2m"],
    )
    active: bool
    currency: str
    line_items: list[dict[str, Any]] = Field(description="As given (see the create request).")
    billing_details_collection: str
    coupon_collection: bool
    locale: str
    payment_methods: list[str]
    success_url: str | None
    cancel_url: str | None
    shipping_options: list[ShippingOption]
    default_tax_rates: list[str]
    custom_fields: list[CustomField]
    metadata: dict[str, str]
    expires_at: str | None
    max_completions: int | None
    sessions_created: int = Field(description="Sessions the link has made.")
    completed_count: int = Field(description="Its sessions that were paid (or completed free).")
    amount_completed: int = Field(description="Their `amount_total`s, in the link's currency.")
    livemode: bool
    created_at: str
    updated_at: str


class CheckoutLinkList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[CheckoutLink]
    has_more: bool

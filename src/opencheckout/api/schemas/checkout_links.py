"""Checkout link request and response models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictBool, StrictInt

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
    Model,
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
    """`required` (default): buyers must give a billing address before paying; `auto`: only what the
    processor needs."""
    coupon_collection: StrictBool = False
    """Whether the hosted page offers a promotion code field (default false)."""
    locale: Locale = "auto"
    """The hosted page's language; `auto` (default) follows the buyer's browser."""
    payment_methods: list[PaymentMethod] = Field(
        default_factory=_all_payment_methods, min_length=1, max_length=2
    )
    """Which payment methods buyers may use, from `card` and `paypal` (default both); only
    configured processors are offered."""
    success_url: HttpUrl | None = None
    """Where buyers go after paying; `{CHECKOUT_ID}` is replaced with the session id."""
    cancel_url: HttpUrl | None = None
    """Where buyers go on "back to the shop"; `{CHECKOUT_ID}` is replaced with the session id."""
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
    """Whether the link makes sessions (default true); an inactive link answers 410."""
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
    """Replaces the line items (1 to 100) of the sessions made from now on."""
    currency: Currency | None = None
    """ISO 4217 currency code of the sessions made from now on."""
    billing_details_collection: BillingDetailsCollection | None = None
    """`required`: buyers must give a billing address before paying; `auto`: only what the processor
    needs."""
    coupon_collection: StrictBool | None = None
    """Whether the hosted page offers a promotion code field."""
    locale: Locale | None = None
    """The hosted page's language; `auto` follows the buyer's browser."""
    payment_methods: list[PaymentMethod] | None = Field(None, min_length=1, max_length=2)
    """Which payment methods buyers may use, from `card` and `paypal`."""
    success_url: HttpUrl | None = None
    """Where buyers go after paying; `{CHECKOUT_ID}` is replaced with the session id."""
    cancel_url: HttpUrl | None = None
    """Where buyers go on "back to the shop"; `{CHECKOUT_ID}` is replaced with the session id."""
    shipping_options: list[ShippingOptionIn] | None = Field(None, max_length=5)
    """Replaces the sessions' own shipping options (up to 5); empty: the account's shipping rates
    apply."""
    default_tax_rates: TaxRateIds | None = None
    """Replaces the tax rate ids (`txr_…`) for lines without their own."""
    custom_fields: list[CustomFieldIn] | None = Field(None, max_length=3)
    """Replaces the fields buyers fill in (up to 3)."""
    metadata: MetadataUpdate | None = None
    """Keys to set on the link's metadata; an empty string or null removes a key."""
    active: StrictBool | None = None
    """False stops the link (it answers 410); true starts it again."""
    expires_at: Timestamp | None = None
    """Unix seconds or ISO 8601 time after which the link answers 410; null removes the expiry."""
    max_completions: MaxCompletions | None = None
    """How many paid sessions the link allows; null removes the limit."""


class CheckoutLink(Model):
    id: str = Field(examples=["cl_1Mr3b8LkdIwHu7ixVwXyZ123"])
    """The link's id (`cl_…`)."""
    object: Literal["checkout_link"] = "checkout_link"
    """Always `checkout_link`."""
    url: str = Field(
        description="The public address (`{OPENCHECKOUT_PUBLIC_URL}/l/{slug}`) to share.",
        examples=["https://pay.example.com/l/3vQ8bX1kPz7TqR2m"],
    )
    active: bool
    """Whether the link makes sessions; an inactive one answers 410."""
    currency: str
    """ISO 4217 currency code (lowercase) of the sessions it makes."""
    line_items: list[dict[str, Any]] = Field(description="As given (see the create request).")
    billing_details_collection: str
    """`required` or `auto`, as for a session."""
    coupon_collection: bool
    """Whether the hosted page offers a promotion code field."""
    locale: str
    """The hosted page's language; `auto` follows the buyer's browser."""
    payment_methods: list[str]
    """The payment methods buyers may use."""
    success_url: str | None
    """Where buyers go after paying, or null for the hosted receipt."""
    cancel_url: str | None
    """Where buyers go on "back to the shop", or null."""
    shipping_options: list[ShippingOption]
    """The sessions' own shipping options; empty: the account's shipping rates apply."""
    default_tax_rates: list[str]
    """Tax rate ids (`txr_…`) for lines without their own."""
    custom_fields: list[CustomField]
    """The fields buyers fill in (their `value` is always null here)."""
    metadata: dict[str, str]
    """The link's metadata, also stamped on its sessions."""
    expires_at: str | None
    """When the link stops making sessions (ISO 8601, UTC), or null for never."""
    max_completions: int | None
    """How many paid sessions the link allows, or null for no limit."""
    sessions_created: int = Field(description="Sessions the link has made.")
    completed_count: int = Field(description="Its sessions that were paid (or completed free).")
    amount_completed: int = Field(description="Their `amount_total`s, in the link's currency.")
    livemode: bool
    """True for a live-mode object (made with a live key), false for test mode."""
    created_at: str
    """When it was created (ISO 8601, UTC)."""
    updated_at: str
    """When it last changed (ISO 8601, UTC)."""


class CheckoutLinkList(Model):
    object: Literal["list"] = "list"
    """Always `list`."""
    url: str
    """The path this list was read from."""
    data: list[CheckoutLink]
    """The objects on this page, newest first."""
    has_more: bool
    """Whether more objects follow this page (pass the last `id` as `starting_after`)."""

"""Checkout session request and response models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StrictBool, StrictInt, StringConstraints

from opencheckout.api.schemas.common import (
    Amount,
    Country,
    Currency,
    Custom,
    Email,
    HttpUrl,
    Metadata,
    MetadataUpdate,
    ShortText,
    StrictModel,
)

Locale = Literal["auto", "ca", "de", "en", "es", "fi", "fr", "hu", "it", "nb", "nl", "no", "sv"]
PaymentMethod = Literal["card", "paypal"]
BillingDetailsCollection = Literal["auto", "required"]
Status = Literal["pending", "processing", "completed", "failed", "abandoned"]
Sku = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Name = Annotated[str, StringConstraints(max_length=250)]
Description = Annotated[str, StringConstraints(max_length=1000)]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Quantity = Annotated[StrictInt, Field(ge=1, le=999_999)]
AbandonAfter = Annotated[StrictInt, Field(ge=1, le=604_800)]


def _all_payment_methods() -> list[PaymentMethod]:
    return ["card", "paypal"]


class BillingAddress(StrictModel):
    line1: ShortText | None = None
    line2: ShortText | None = None
    city: ShortText | None = None
    postal_code: Annotated[str, StringConstraints(max_length=32)] | None = None
    state: ShortText | None = None
    country: Country | None = None


class CustomerIn(StrictModel):
    id: Reference | None = Field(None, description="The merchant's own customer reference.")
    email: Email | None = None
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    company: ShortText | None = None
    phone: Annotated[str, StringConstraints(max_length=40)] | None = None
    tax_id: ShortText | None = None
    business_number: ShortText | None = None
    billing_address: BillingAddress | None = None


class LineItemIn(StrictModel):
    product: Sku = Field(description="The merchant's SKU.")
    name: Name | None = None
    description: Description | None = None
    unit_amount: Amount = Field(description="Price of one unit, in the currency's minor unit.")
    quantity: Quantity = 1
    metadata: Metadata | None = None


class CheckoutCreate(StrictModel):
    line_items: list[LineItemIn] = Field(min_length=1, max_length=100)
    currency: Currency
    customer: CustomerIn | None = None
    billing_details_collection: BillingDetailsCollection = "required"
    coupon_collection: StrictBool = False
    locale: Locale = "auto"
    payment_methods: list[PaymentMethod] = Field(
        default_factory=_all_payment_methods, min_length=1, max_length=2
    )
    success_url: HttpUrl | None = None
    cancel_url: HttpUrl | None = None
    client_reference_id: Reference | None = None
    metadata: Metadata = Field(default_factory=dict)
    custom: Custom = Field(default_factory=dict)
    abandon_after_seconds: AbandonAfter = 1800


class CheckoutUpdate(StrictModel):
    """Every field is optional; only the fields sent change."""

    line_items: list[LineItemIn] | None = Field(None, min_length=1, max_length=100)
    currency: Currency | None = None
    customer: CustomerIn | None = None
    billing_details_collection: BillingDetailsCollection | None = None
    coupon_collection: StrictBool | None = None
    locale: Locale | None = None
    payment_methods: list[PaymentMethod] | None = Field(None, min_length=1, max_length=2)
    success_url: HttpUrl | None = None
    cancel_url: HttpUrl | None = None
    client_reference_id: Reference | None = None
    metadata: MetadataUpdate | None = None
    custom: Custom | None = None
    abandon_after_seconds: AbandonAfter | None = None


class PaymentIn(StrictModel):
    method: PaymentMethod
    card_number: Annotated[str, StringConstraints(min_length=12, max_length=23)] | None = None
    exp_month: Annotated[StrictInt, Field(ge=1, le=12)] | None = None
    exp_year: Annotated[StrictInt, Field(ge=2000, le=2200)] | None = None
    cvc: Annotated[str, StringConstraints(pattern=r"^\d{3,4}$")] | None = None


class CheckoutComplete(StrictModel):
    payment: PaymentIn


# Response models: they document the shapes in /openapi.json.


class LineItem(BaseModel):
    id: str
    object: Literal["line_item"] = "line_item"
    product: str
    name: str
    description: str | None
    unit_amount: int
    quantity: int
    metadata: dict[str, str]
    amount_subtotal: int
    amount_discount: int
    amount_tax: int
    amount_total: int


class Total(BaseModel):
    type: Literal["items_base_amount", "subtotal", "discount", "fulfillment", "tax", "total"]
    display_text: str
    amount: int


class Checkout(BaseModel):
    id: str = Field(examples=["cs_4eC39HqLyjWDarjtT1zdp7dc"])
    object: Literal["checkout"] = "checkout"
    status: Status
    payment_status: Literal["unpaid", "paid"]
    livemode: bool
    currency: str
    line_items: list[LineItem]
    amount_subtotal: int
    amount_discount: int
    amount_tax: int
    amount_shipping: int
    amount_total: int
    totals: list[Total]
    customer: dict[str, Any]
    billing_details_collection: BillingDetailsCollection
    coupon_collection: bool
    locale: Locale
    payment_methods: list[PaymentMethod]
    success_url: str | None
    cancel_url: str | None
    client_reference_id: str | None
    metadata: dict[str, str]
    custom: dict[str, Any]
    ready_for_payment: bool
    missing_fields: list[str]
    permalink: str
    processor: str | None
    processor_id: str | None
    abandon_after_seconds: int
    expires_at: str
    created_at: str
    updated_at: str
    completed_at: str | None
    recovered_from: str | None


class CheckoutList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[Checkout]
    has_more: bool
    page: int | None = None
    limit: int | None = None
    total_count: int | None = None
    links: dict[str, str | None] | None = None


class LineItemList(BaseModel):
    object: Literal["list"] = "list"
    url: str
    data: list[LineItem]
    has_more: bool

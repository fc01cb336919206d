"""Checkout session request and response models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

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
    contains_nul,
    invalid,
    no_nul,
)
from opencheckout.api.schemas.pricing import CouponCodeLookup, CouponId, TaxRateIds

Locale = Literal["auto", "ca", "de", "en", "es", "fi", "fr", "hu", "it", "nb", "nl", "no", "sv"]
PaymentMethod = Literal["card", "paypal"]
BillingDetailsCollection = Literal["auto", "required"]
Status = Literal["pending", "processing", "completed", "failed", "abandoned"]
Sku = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(no_nul)]
Name = Annotated[str, StringConstraints(max_length=250), AfterValidator(no_nul)]
Description = Annotated[str, StringConstraints(max_length=1000), AfterValidator(no_nul)]
Reference = Annotated[str, StringConstraints(min_length=1, max_length=200), AfterValidator(no_nul)]
Quantity = Annotated[StrictInt, Field(ge=1, le=999_999)]
AbandonAfter = Annotated[StrictInt, Field(ge=1, le=604_800)]
ShippingOptionId = Annotated[
    str, StringConstraints(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.:-]+$")
]
DeliveryUnit = Literal["hour", "day", "business_day", "week", "month"]
EstimateValue = Annotated[StrictInt, Field(ge=0, le=1000)]


def _all_payment_methods() -> list[PaymentMethod]:
    return ["card", "paypal"]


class BillingAddress(StrictModel):
    line1: ShortText | None = None
    line2: ShortText | None = None
    city: ShortText | None = None
    postal_code: Annotated[str, StringConstraints(max_length=32), AfterValidator(no_nul)] | None = (
        None
    )
    state: ShortText | None = None
    country: Country | None = None


class CustomerIn(StrictModel):
    id: Reference | None = Field(None, description="The merchant's own customer reference.")
    email: Email | None = None
    first_name: ShortText | None = None
    last_name: ShortText | None = None
    company: ShortText | None = None
    phone: Annotated[str, StringConstraints(max_length=40), AfterValidator(no_nul)] | None = None
    tax_id: ShortText | None = None
    business_number: ShortText | None = None
    billing_address: BillingAddress | None = None
    shipping_address: BillingAddress | None = Field(
        None, description="Where to ship; when absent the billing address is used."
    )
    #: Set only when the session names a customer by its id alone (``"cus_…"``):
    #: that customer must then exist. Never accepted from the request itself.
    link_required: SkipJsonSchema[bool] = False

    @model_validator(mode="before")
    @classmethod
    def _no_internal_fields(cls, data: Any) -> Any:
        if isinstance(data, dict) and "link_required" in data:
            raise invalid("parameter_unknown", "Received unknown parameter: link_required.")
        return data


def customer_by_id(value: Any) -> Any:
    """``customer: "cus_…"`` names one of the account's customers to link to."""
    if not isinstance(value, str):
        return value
    if not 1 <= len(value) <= 200 or contains_nul(value):
        raise invalid("parameter_invalid", "A customer id is 1 to 200 characters.")
    return CustomerIn.model_construct(id=value, link_required=True)


class AdjustableQuantityIn(StrictModel):
    """The buyer may change the line's quantity on the hosted page, within these bounds."""

    enabled: StrictBool
    minimum: Annotated[StrictInt, Field(ge=1, le=999_999)] = Field(
        1, description="The least the buyer may choose (default 1)."
    )
    maximum: Annotated[StrictInt, Field(ge=1, le=999_999)] = Field(
        99,
        description="The most the buyer may choose (default 99); lowered to the stock left "
        "when the SKU's stock is tracked.",
    )


class LineItemIn(StrictModel):
    """What the line omits comes from the catalog product with this SKU, if any."""

    product: Sku = Field(description="The merchant's SKU.")
    name: Name | None = Field(None, description="Defaults to the product's name, else the SKU.")
    description: Description | None = None
    unit_amount: Amount | None = Field(
        None,
        description="Price of one unit, in the currency's minor unit. Required unless the "
        "SKU is an active catalog product in the session's currency.",
    )
    quantity: Quantity = 1
    tax_rates: TaxRateIds | None = Field(
        None, description="Overrides the product's tax rates; empty means the session defaults."
    )
    metadata: Metadata | None = None
    adjustable_quantity: AdjustableQuantityIn | None = Field(
        None,
        description="Lets the buyer change the quantity within bounds; `quantity` must lie "
        "within them (else 422 `quantity_out_of_range`).",
    )


LineItemId = Annotated[str, StringConstraints(min_length=1, max_length=40), AfterValidator(no_nul)]


class LineItemUpdateIn(LineItemIn):
    """A line in full (with ``product``) replaces the cart; a line named by ``id`` (an
    existing line's) changes only its ``quantity`` and/or ``adjustable_quantity``."""

    id: LineItemId | None = Field(
        None, description="An existing line's id: change its quantity (within its bounds)."
    )
    product: Sku | None = Field(None, description="The merchant's SKU (a line in full).")  # type: ignore[assignment]


CustomFieldKey = Annotated[
    str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")
]
LabelText = Annotated[str, StringConstraints(min_length=1, max_length=100), AfterValidator(no_nul)]
TranslatedLocale = Literal["ca", "de", "en", "es", "fi", "fr", "hu", "it", "nb", "nl", "no", "sv"]


class CustomFieldLabelIn(StrictModel):
    custom: LabelText = Field(description="The label, shown when no translation applies.")
    translations: dict[TranslatedLocale, LabelText] = Field(
        default_factory=dict,
        description='The label per page locale, e.g. `{"de": "Bestellnummer"}`.',
    )


class CustomFieldOptionIn(StrictModel):
    label: LabelText
    value: CustomFieldKey


def _label_text(value: Any) -> Any:
    """``label: "Order number"`` is ``{"custom": "Order number"}``."""
    return {"custom": value} if isinstance(value, str) else value


class CustomFieldIn(StrictModel):
    """A field the buyer fills in on the hosted page."""

    _label = field_validator("label", mode="before")(_label_text)

    key: CustomFieldKey = Field(description="Unique per session; letters, digits, `_`, `-`.")
    label: CustomFieldLabelIn = Field(
        description="A string, or `{custom, translations: {locale: text}}`."
    )
    type: Literal["text", "numeric", "dropdown"]
    optional: StrictBool = Field(False, description="Required fields block payment until set.")
    options: list[CustomFieldOptionIn] | None = Field(
        None, min_length=1, max_length=50, description="Dropdown only: the choices."
    )
    minimum_length: Annotated[StrictInt, Field(ge=1, le=255)] | None = Field(
        None, description="Text and numeric only."
    )
    maximum_length: Annotated[StrictInt, Field(ge=1, le=255)] | None = Field(
        None, description="Text and numeric only (default 255)."
    )


CustomFieldValue = Annotated[str, StringConstraints(max_length=255), AfterValidator(no_nul)]
CustomFieldValues = Annotated[
    dict[str, CustomFieldValue | None],
    Field(
        description="Values by custom field key, as if the buyer had typed them; null clears "
        "one. Checked like the buyer's input (422 `custom_field_invalid`)."
    ),
]


class DiscountIn(StrictModel):
    """A coupon by id (``{"coupon": ...}``) or by its code (``{"code": ...}``)."""

    coupon: CouponId | None = None
    code: CouponCodeLookup | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> DiscountIn:
        if (self.coupon is None) == (self.code is None):
            raise invalid("parameter_invalid", "Give exactly one of 'coupon' and 'code'.")
        return self


class DeliveryEstimate(StrictModel):
    minimum: EstimateValue | None = None
    maximum: EstimateValue | None = None
    unit: DeliveryUnit

    @model_validator(mode="after")
    def _ordered(self) -> DeliveryEstimate:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise invalid("parameter_invalid", "'minimum' may not exceed 'maximum'.")
        return self


class ShippingOptionIn(StrictModel):
    id: ShippingOptionId = Field(examples=["standard"])
    display_name: Annotated[
        str, StringConstraints(min_length=1, max_length=100), AfterValidator(no_nul)
    ]
    amount: Amount = Field(description="In the session currency's minor unit; not taxed.")
    delivery_estimate: DeliveryEstimate | None = None


class CheckoutCreate(StrictModel):
    _customer_by_id = field_validator("customer", mode="before")(customer_by_id)

    line_items: list[LineItemIn] = Field(min_length=1, max_length=100)
    currency: Currency
    customer: CustomerIn | None = Field(
        None, description="The buyer, or a customer's id (`cus_…`) to link the session to."
    )
    billing_details_collection: BillingDetailsCollection = "required"
    coupon_collection: StrictBool = False
    locale: Locale = "auto"
    payment_methods: list[PaymentMethod] = Field(
        default_factory=_all_payment_methods, min_length=1, max_length=2
    )
    success_url: HttpUrl | None = None
    cancel_url: HttpUrl | None = None
    client_reference_id: Reference | None = None
    group_key: Reference | None = Field(
        None,
        description="Your grouping of sessions (e.g. one cart's attempts); list filter "
        "`group_keys[]`.",
    )
    metadata: Metadata = Field(default_factory=dict)
    custom: Custom = Field(default_factory=dict)
    abandon_after_seconds: AbandonAfter = 1800
    default_tax_rates: TaxRateIds = Field(
        default_factory=list, description="Tax rate ids for lines without their own."
    )
    discounts: list[DiscountIn] = Field(default_factory=list, max_length=5)
    shipping_options: list[ShippingOptionIn] = Field(default_factory=list, max_length=5)
    selected_shipping_option: ShippingOptionId | None = None
    custom_fields: list[CustomFieldIn] = Field(
        default_factory=list, max_length=3, description="Up to 3 fields the buyer fills in."
    )
    custom_field_values: CustomFieldValues | None = None


class CheckoutUpdate(StrictModel):
    """Every field is optional; only the fields sent change."""

    _customer_by_id = field_validator("customer", mode="before")(customer_by_id)

    line_items: list[LineItemUpdateIn] | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="Lines in full replace the cart; lines named by `id` change only their "
        "quantity (within `adjustable_quantity`, else 422 `quantity_out_of_range`).",
    )
    currency: Currency | None = None
    customer: CustomerIn | None = Field(
        None, description="The buyer, or a customer's id (`cus_…`) to link the session to."
    )
    billing_details_collection: BillingDetailsCollection | None = None
    coupon_collection: StrictBool | None = None
    locale: Locale | None = None
    payment_methods: list[PaymentMethod] | None = Field(None, min_length=1, max_length=2)
    success_url: HttpUrl | None = None
    cancel_url: HttpUrl | None = None
    client_reference_id: Reference | None = None
    group_key: Reference | None = None
    metadata: MetadataUpdate | None = None
    custom: Custom | None = None
    abandon_after_seconds: AbandonAfter | None = None
    default_tax_rates: TaxRateIds | None = None
    discounts: list[DiscountIn] | None = Field(
        None, max_length=5, description="Replaces every applied discount; [] removes them."
    )
    shipping_options: list[ShippingOptionIn] | None = Field(None, max_length=5)
    selected_shipping_option: ShippingOptionId | None = None
    custom_fields: list[CustomFieldIn] | None = Field(
        None,
        max_length=3,
        description="Replaces the definitions; a field keeping its key and type keeps its value.",
    )
    custom_field_values: CustomFieldValues | None = None


class ApplyCode(StrictModel):
    code: CouponCodeLookup


class PaymentIn(StrictModel):
    method: PaymentMethod
    card_number: Annotated[str, StringConstraints(min_length=12, max_length=23)] | None = None
    exp_month: Annotated[StrictInt, Field(ge=1, le=12)] | None = None
    exp_year: Annotated[StrictInt, Field(ge=2000, le=2200)] | None = None
    cvc: Annotated[str, StringConstraints(pattern=r"^\d{3,4}$")] | None = None


class CheckoutComplete(StrictModel):
    payment: PaymentIn | None = Field(
        None, description="Required unless the total is 0 (then nothing is charged)."
    )
    expected_amount: Annotated[StrictInt, Field(ge=0, le=10**15)] | None = Field(
        None,
        description="The amount_total the buyer saw. If the session's total differs, "
        "nothing is charged: 409 amount_changed with the current amount_total.",
    )


# Response models: they document the shapes in /openapi.json.


class LineTax(BaseModel):
    tax_rate: str
    taxable_amount: int = Field(description="The net base the rate applied to.")
    amount: int
    inclusive: bool


class AdjustableQuantity(BaseModel):
    enabled: bool
    minimum: int
    maximum: int


class LineItem(BaseModel):
    id: str
    object: Literal["line_item"] = "line_item"
    product: str
    name: str
    description: str | None
    unit_amount: int
    quantity: int
    tax_rates: list[str]
    metadata: dict[str, str]
    amount_subtotal: int
    amount_discount: int
    amount_tax: int
    amount_total: int
    taxes: list[LineTax]
    adjustable_quantity: AdjustableQuantity | None = None


class AppliedDiscount(BaseModel):
    coupon: str
    code: str | None
    name: str | None
    percent_off: float | None
    amount_off: int | None
    currency: str | None
    applied_by: Literal["merchant", "buyer"]
    amount: int = Field(description="What this coupon took off, after the ones before it.")


class TaxBreakdown(BaseModel):
    tax_rate: str
    display_name: str
    percentage: float
    inclusive: bool
    taxable_amount: int
    amount: int


class DeliveryEstimateOut(BaseModel):
    minimum: int | None
    maximum: int | None
    unit: DeliveryUnit


class ShippingOption(BaseModel):
    id: str
    display_name: str
    amount: int
    delivery_estimate: DeliveryEstimateOut | None


class CustomFieldLabel(BaseModel):
    custom: str
    translations: dict[str, str]


class CustomFieldOption(BaseModel):
    label: str
    value: str


class CustomField(BaseModel):
    key: str
    label: CustomFieldLabel
    type: Literal["text", "numeric", "dropdown"]
    optional: bool
    options: list[CustomFieldOption] | None
    minimum_length: int | None
    maximum_length: int | None
    value: str | None = Field(description="The buyer's answer (or the API's), null until given.")


class ClientInfo(BaseModel):
    """The buyer's latest visit to the hosted page (``OPENCHECKOUT_RECORD_CLIENT``)."""

    ip: str | None = Field(
        description="Behind trusted proxies only; a /24 or /48 prefix when anonymized."
    )
    user_agent: str | None
    browser: str | None = Field(examples=["Chrome"])
    os: str | None = Field(examples=["Mac OS X 10.15.7"])
    device: str | None = Field(examples=["Mac"])
    first_seen_at: str
    last_seen_at: str


class Total(BaseModel):
    type: Literal["items_base_amount", "subtotal", "discount", "fulfillment", "tax", "total"]
    display_text: str
    amount: int


class Checkout(BaseModel):
    id: str = Field(examples=["cs_4eC39HqLyjWDarjtT1zdp7dc"])
    object: Literal["checkout"] = "checkout"
    status: Status
    payment_status: Literal[
        "unpaid", "paid", "no_payment_required", "partially_refunded", "refunded"
    ]
    livemode: bool
    currency: str
    line_items: list[LineItem]
    amount_subtotal: int
    amount_discount: int
    amount_tax: int = Field(description="All tax, inclusive and exclusive.")
    amount_shipping: int
    amount_total: int = Field(
        description="amount_subtotal - amount_discount + exclusive tax + amount_shipping "
        "(inclusive tax is already inside the prices)."
    )
    totals: list[Total]
    discounts: list[AppliedDiscount]
    tax_breakdown: list[TaxBreakdown]
    default_tax_rates: list[str]
    shipping_options: list[ShippingOption]
    selected_shipping_option: str | None
    customer: dict[str, Any]
    billing_details_collection: BillingDetailsCollection
    coupon_collection: bool
    locale: Locale
    payment_methods: list[PaymentMethod]
    success_url: str | None
    cancel_url: str | None
    client_reference_id: str | None
    group_key: str | None
    checkout_link: str | None = Field(
        None, description="The checkout link (`cl_…`) that made the session, if one did."
    )
    metadata: dict[str, str]
    custom: dict[str, Any]
    custom_fields: list[CustomField]
    client: ClientInfo | None = Field(
        None, description="Recorded by the hosted page; null until the buyer visits."
    )
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

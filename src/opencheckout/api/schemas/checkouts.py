"""Checkout session request and response models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
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
    Model,
    ShortText,
    StrictModel,
    contains_nul,
    invalid,
    no_nul,
)
from opencheckout.api.schemas.pricing import CouponCodeLookup, CouponId, TaxRateIds
from opencheckout.domain.session import MAX_DISCOUNTS

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
    """Street address, first line."""
    line2: ShortText | None = None
    """Street address, second line (apartment, suite, floor)."""
    city: ShortText | None = None
    """City, town or locality."""
    postal_code: Annotated[str, StringConstraints(max_length=32), AfterValidator(no_nul)] | None = (
        None
    )
    """Postal or ZIP code (up to 32 characters)."""
    state: ShortText | None = None
    """State, province or region."""
    country: Country | None = None
    """ISO 3166-1 alpha-2 country code, e.g. `ES`; accepted in any case, returned uppercase."""


class CustomerIn(StrictModel):
    id: Reference | None = Field(None, description="The merchant's own customer reference.")
    email: Email | None = None
    """The buyer's email address (up to 320 characters); receipts and recovery links go here."""
    first_name: ShortText | None = None
    """The buyer's first (given) name."""
    last_name: ShortText | None = None
    """The buyer's last (family) name."""
    company: ShortText | None = None
    """The buyer's company name, for business purchases."""
    phone: Annotated[str, StringConstraints(max_length=40), AfterValidator(no_nul)] | None = None
    """The buyer's phone number, as typed (up to 40 characters)."""
    tax_id: ShortText | None = None
    """The buyer's tax id (e.g. an EU VAT number), shown on the invoice."""
    business_number: ShortText | None = None
    """The buyer's business registration number, if it differs from the tax id."""
    billing_address: BillingAddress | None = None
    """The buyer's billing address; required before payment when `billing_details_collection` is
    `required`."""
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
    """Whether the buyer may change this line's quantity on the hosted page."""
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
    """A longer text shown under the name on the hosted page (up to 1000 characters); defaults to
    the product's."""
    unit_amount: Amount | None = Field(
        None,
        description="Price of one unit, in the currency's minor unit. Required unless the "
        "SKU is an active catalog product in the session's currency.",
    )
    quantity: Quantity = 1
    """How many units (1 to 999999, default 1)."""
    tax_rates: TaxRateIds | None = Field(
        None, description="Overrides the product's tax rates; empty means the session defaults."
    )
    metadata: Metadata | None = None
    """Your key-value pairs for this line, returned as sent. Up to 50 keys (<= 40 characters) with
    string values (<= 500 characters)."""
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
    """The choice as the buyer sees it (1 to 100 characters)."""
    value: CustomFieldKey
    """The value recorded when the buyer picks this choice (letters, digits, `_`, `-`; up to 40
    characters)."""


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
    """`text` (any characters), `numeric` (digits only) or `dropdown` (one of `options`)."""
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
    """A coupon's id (`co_…`) to apply. Give this or `code`, not both."""
    code: CouponCodeLookup | None = None
    """A promotion code a buyer would type (case-insensitive). Give this or `coupon`, not both."""

    @model_validator(mode="after")
    def _exactly_one(self) -> DiscountIn:
        if (self.coupon is None) == (self.code is None):
            raise invalid("parameter_invalid", "Give exactly one of 'coupon' and 'code'.")
        return self


class DeliveryEstimate(StrictModel):
    minimum: EstimateValue | None = None
    """The soonest delivery, counted in `unit` (0 to 1000); may be omitted for "up to `maximum`"."""
    maximum: EstimateValue | None = None
    """The latest delivery, counted in `unit` (0 to 1000), at least `minimum`; may be omitted for
    "from `minimum`"."""
    unit: DeliveryUnit
    """What `minimum` and `maximum` count: `hour`, `day`, `business_day`, `week` or `month`."""

    @model_validator(mode="after")
    def _ordered(self) -> DeliveryEstimate:
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise invalid("parameter_invalid", "'minimum' may not exceed 'maximum'.")
        return self


class ShippingOptionIn(StrictModel):
    id: ShippingOptionId = Field(examples=["standard"])
    """Your id for the option, unique within the session (letters, digits, `_ . : -`; up to 64
    characters); `selected_shipping_option` names it."""
    display_name: Annotated[
        str, StringConstraints(min_length=1, max_length=100), AfterValidator(no_nul)
    ]
    """The option's name shown to the buyer, e.g. "Standard (3-5 days)" (1 to 100 characters)."""
    amount: Amount = Field(description="In the session currency's minor unit; not taxed.")
    delivery_estimate: DeliveryEstimate | None = None
    """How long delivery takes, shown beside the option; omitted means no estimate."""


class CheckoutCreate(StrictModel):
    _customer_by_id = field_validator("customer", mode="before")(customer_by_id)

    line_items: list[LineItemIn] = Field(min_length=1, max_length=100)
    """What the buyer pays for: 1 to 100 lines, in this order on the page."""
    currency: Currency
    """ISO 4217 currency code of every amount in the session, e.g. `eur`; accepted in any case,
    returned lowercase."""
    customer: CustomerIn | None = Field(
        None, description="The buyer, or a customer's id (`cus_…`) to link the session to."
    )
    billing_details_collection: BillingDetailsCollection = "required"
    """`required` (default): the buyer must give a billing address before paying; `auto`: only what
    the processor needs."""
    coupon_collection: StrictBool = False
    """Whether the hosted page offers a field for the buyer to enter a promotion code (default
    false)."""
    locale: Locale = "auto"
    """The hosted page's language; `auto` (default) follows the buyer's browser."""
    payment_methods: list[PaymentMethod] = Field(
        default_factory=_all_payment_methods, min_length=1, max_length=2
    )
    """Which payment methods the buyer may use, from `card` and `paypal` (default both); only
    configured processors are offered."""
    success_url: HttpUrl | None = None
    """Where the buyer goes after paying; `{CHECKOUT_ID}` is replaced with the session id. Without
    it, the hosted page shows its own receipt."""
    cancel_url: HttpUrl | None = None
    """Where the buyer goes on "back to the shop" or after canceling; `{CHECKOUT_ID}` is replaced
    with the session id."""
    client_reference_id: Reference | None = None
    """Your reference for the session, e.g. a cart or order id (1 to 200 characters); filter lists
    by it."""
    group_key: Reference | None = Field(
        None,
        description="Your grouping of sessions (e.g. one cart's attempts); list filter "
        "`group_keys[]`.",
    )
    metadata: Metadata = Field(default_factory=dict)
    """Your key-value pairs, returned as sent and included in webhooks. Up to 50 keys (<= 40
    characters) with string values (<= 500 characters)."""
    custom: Custom = Field(default_factory=dict)
    """Free-form JSON object you keep on the session (up to 8 KB); handed to the payment
    processor."""
    abandon_after_seconds: AbandonAfter = 1800
    """Seconds without payment after which the session is abandoned (1 to 604800, i.e. 7 days;
    default 1800)."""
    default_tax_rates: TaxRateIds = Field(
        default_factory=list, description="Tax rate ids for lines without their own."
    )
    discounts: list[DiscountIn] = Field(default_factory=list, max_length=MAX_DISCOUNTS)
    """Coupons to apply from the start, by id or code; at most 5, applied in this order."""
    shipping_options: list[ShippingOptionIn] = Field(default_factory=list, max_length=5)
    """Up to 5 shipping choices offered to the buyer; empty means no shipping is charged."""
    selected_shipping_option: ShippingOptionId | None = None
    """The `id` of the shipping option chosen from the start; the buyer may change it."""
    custom_fields: list[CustomFieldIn] = Field(
        default_factory=list, max_length=3, description="Up to 3 fields the buyer fills in."
    )
    custom_field_values: CustomFieldValues | None = None
    """Values by custom field key, as if the buyer had typed them; checked like the buyer's input
    (422 `custom_field_invalid`)."""


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
    """ISO 4217 currency code; changing it reprices every line from the catalog (lines with an
    explicit `unit_amount` keep it)."""
    customer: CustomerIn | None = Field(
        None, description="The buyer, or a customer's id (`cus_…`) to link the session to."
    )
    billing_details_collection: BillingDetailsCollection | None = None
    """`required`: the buyer must give a billing address before paying; `auto`: only what the
    processor needs."""
    coupon_collection: StrictBool | None = None
    """Whether the hosted page offers a field for the buyer to enter a promotion code."""
    locale: Locale | None = None
    """The hosted page's language; `auto` follows the buyer's browser."""
    payment_methods: list[PaymentMethod] | None = Field(None, min_length=1, max_length=2)
    """Which payment methods the buyer may use, from `card` and `paypal`."""
    success_url: HttpUrl | None = None
    """Where the buyer goes after paying; `{CHECKOUT_ID}` is replaced with the session id."""
    cancel_url: HttpUrl | None = None
    """Where the buyer goes on "back to the shop"; `{CHECKOUT_ID}` is replaced with the session
    id."""
    client_reference_id: Reference | None = None
    """Your reference for the session, e.g. a cart or order id (1 to 200 characters)."""
    group_key: Reference | None = None
    """Your grouping of sessions (e.g. one cart's attempts); list filter `group_keys[]`."""
    metadata: MetadataUpdate | None = None
    """Keys to set on the session's metadata; an empty string or null removes a key, keys not sent
    are kept."""
    custom: Custom | None = None
    """Replaces the free-form JSON object (up to 8 KB) handed to the payment processor."""
    abandon_after_seconds: AbandonAfter | None = None
    """Seconds without payment after which the session is abandoned (1 to 604800), counted from its
    creation."""
    default_tax_rates: TaxRateIds | None = None
    """Tax rate ids (`txr_…`) for lines without their own; replaces the list."""
    discounts: list[DiscountIn] | None = Field(
        None,
        max_length=MAX_DISCOUNTS,
        description="Replaces every applied discount; [] removes them.",
    )
    shipping_options: list[ShippingOptionIn] | None = Field(None, max_length=5)
    """Replaces the shipping choices (up to 5); [] removes shipping."""
    selected_shipping_option: ShippingOptionId | None = None
    """The `id` of one of the session's shipping options to select."""
    custom_fields: list[CustomFieldIn] | None = Field(
        None,
        max_length=3,
        description="Replaces the definitions; a field keeping its key and type keeps its value.",
    )
    custom_field_values: CustomFieldValues | None = None
    """Values by custom field key, as if the buyer had typed them; null clears one. Checked like the
    buyer's input (422 `custom_field_invalid`)."""


class ApplyCode(StrictModel):
    code: CouponCodeLookup
    """The promotion code, as the buyer would type it (case-insensitive)."""


class PaymentIn(StrictModel):
    method: PaymentMethod
    """How the buyer pays: `card` or `paypal` (one of the session's `payment_methods`)."""
    card_number: Annotated[str, StringConstraints(min_length=12, max_length=23)] | None = None
    """Card only, and only with the built-in test processor: the card number (12 to 23 characters,
    spaces allowed). Real processors collect cards on the hosted page."""
    exp_month: Annotated[StrictInt, Field(ge=1, le=12)] | None = None
    """Card only: the expiry month, 1 to 12."""
    exp_year: Annotated[StrictInt, Field(ge=2000, le=2200)] | None = None
    """Card only: the expiry year, four digits (2000 to 2200)."""
    cvc: Annotated[str, StringConstraints(pattern=r"^\d{3,4}$")] | None = None
    """Card only: the 3 or 4 digit security code."""


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


class LineTax(Model):
    tax_rate: str
    """The tax rate's id (`txr_…`)."""
    taxable_amount: int = Field(description="The net base the rate applied to.")
    amount: int
    """The tax this rate adds to (or, when inclusive, contains in) the line, in minor units."""
    inclusive: bool
    """Whether the tax is included in the line's prices (true) or added on top (false)."""


class AdjustableQuantity(Model):
    enabled: bool
    """Whether the buyer may change the line's quantity on the hosted page."""
    minimum: int
    """The least quantity the buyer may choose."""
    maximum: int
    """The most the buyer may choose (lowered to the stock left when the SKU's stock is tracked)."""


class LineItem(Model):
    id: str
    """The line's id, unique within the session; `PATCH` names a line by it to change its
    quantity."""
    object: Literal["line_item"] = "line_item"
    """Always `line_item`."""
    product: str
    """The merchant's SKU."""
    name: str
    """The name shown to the buyer."""
    description: str | None
    """The text shown under the name, or null."""
    unit_amount: int
    """Price of one unit, in the currency's minor unit (e.g. cents); tax-inclusive when the line's
    tax rates are inclusive."""
    quantity: int
    """How many units."""
    tax_rates: list[str]
    """The tax rate ids (`txr_…`) applied to this line (its own, else the session's defaults)."""
    metadata: dict[str, str]
    """Your key-value pairs for this line, as sent."""
    amount_subtotal: int
    """unit_amount x quantity, in minor units, before discounts."""
    amount_discount: int
    """The share of the session's discounts taken off this line, in minor units."""
    amount_tax: int
    """The tax on this line (inclusive and exclusive), in minor units."""
    amount_total: int
    """What the line costs: amount_subtotal - amount_discount + exclusive tax, in minor units."""
    taxes: list[LineTax]
    """The tax per rate on this line."""
    adjustable_quantity: AdjustableQuantity | None = None
    """The bounds within which the buyer may change the quantity, or null when they may not."""


class AppliedDiscount(Model):
    coupon: str
    """The coupon's id (`co_…`)."""
    code: str | None
    """The promotion code used, or null when the coupon was applied by id."""
    name: str | None
    """The coupon's name as shown to the buyer, or null."""
    percent_off: float | None
    """The percentage off (0 to 100) for a percentage coupon, else null."""
    amount_off: int | None
    """The fixed amount off in `currency`'s minor unit for an amount coupon, else null."""
    currency: str | None
    """ISO 4217 currency of `amount_off` (lowercase), null for a percentage coupon."""
    applied_by: Literal["merchant", "buyer"]
    """Who applied the coupon: `merchant` (through the API) or `buyer` (a code typed on the hosted
    page)."""
    amount: int = Field(description="What this coupon took off, after the ones before it.")


class TaxBreakdown(Model):
    tax_rate: str
    """The tax rate's id (`txr_…`)."""
    display_name: str
    """The rate's name shown to the buyer, e.g. "VAT"."""
    percentage: float
    """The rate in percent, e.g. 21.0."""
    inclusive: bool
    """Whether the tax is included in the prices (true) or added on top (false)."""
    taxable_amount: int
    """The net base this rate applied to, in minor units, summed over the lines."""
    amount: int
    """The tax at this rate, in minor units, summed over the lines."""


class DeliveryEstimateOut(Model):
    minimum: int | None
    """The soonest delivery, counted in `unit`, or null for "up to `maximum`"."""
    maximum: int | None
    """The latest delivery, counted in `unit`, or null for "from `minimum`"."""
    unit: DeliveryUnit
    """What `minimum` and `maximum` count: `hour`, `day`, `business_day`, `week` or `month`."""


class ShippingOption(Model):
    id: str
    """The option's id within the session; `selected_shipping_option` names it."""
    display_name: str
    """The option's name shown to the buyer."""
    amount: int
    """What shipping costs with this option, in the session currency's minor unit (after shipping
    promotions)."""
    delivery_estimate: DeliveryEstimateOut | None
    """How long delivery takes, or null when not given."""


class CustomFieldLabel(Model):
    custom: str
    """The label shown when no translation applies."""
    translations: dict[str, str]
    """The label per page locale, e.g. `{"de": "Bestellnummer"}`."""


class CustomFieldOption(Model):
    label: str
    """The choice as the buyer sees it."""
    value: str
    """The value recorded when the buyer picks it."""


class CustomField(Model):
    key: str
    """The field's key, unique within the session; `custom_field_values` are keyed by it."""
    label: CustomFieldLabel
    """The label shown to the buyer, with its translations."""
    type: Literal["text", "numeric", "dropdown"]
    """`text`, `numeric` (digits only) or `dropdown` (one of `options`)."""
    optional: bool
    """Whether the buyer may pay without filling it in."""
    options: list[CustomFieldOption] | None
    """The dropdown's choices; null for text and numeric fields."""
    minimum_length: int | None
    """The fewest characters accepted (text and numeric), or null for no minimum."""
    maximum_length: int | None
    """The most characters accepted (text and numeric; 255 when null)."""
    value: str | None = Field(description="The buyer's answer (or the API's), null until given.")


class ClientInfo(Model):
    """The buyer's latest visit to the hosted page (``OPENCHECKOUT_RECORD_CLIENT``)."""

    ip: str | None = Field(
        description="Behind trusted proxies only; a /24 or /48 prefix when anonymized."
    )
    user_agent: str | None
    """The browser's User-Agent header as sent, or null when not recorded."""
    browser: str | None = Field(examples=["Chrome"])
    """The browser family parsed from the User-Agent, or null."""
    os: str | None = Field(examples=["Mac OS X 10.15.7"])
    """The operating system parsed from the User-Agent, or null."""
    device: str | None = Field(examples=["Mac"])
    """The device family parsed from the User-Agent, or null."""
    first_seen_at: str
    """When the buyer first opened the hosted page (ISO 8601, UTC)."""
    last_seen_at: str
    """When the buyer last opened the hosted page (ISO 8601, UTC)."""


class Total(Model):
    type: Literal["items_base_amount", "subtotal", "discount", "fulfillment", "tax", "total"]
    """Which total: `items_base_amount`, `subtotal`, `discount`, `fulfillment` (shipping), `tax` or
    `total`."""
    display_text: str
    """The total's label as shown to the buyer, e.g. "Subtotal"."""
    amount: int
    """The total, in the session currency's minor unit."""


class Checkout(Model):
    id: str = Field(examples=["cs_4eC39HqLyjWDarjtT1zdp7dc"])
    """The session's id (`cs_…`)."""
    object: Literal["checkout"] = "checkout"
    """Always `checkout`."""
    status: Status
    """`pending` (open), `processing` (a payment is being confirmed), `completed` (paid), `failed`
    (the payment failed for good) or `abandoned` (expired or canceled)."""
    payment_status: Literal[
        "unpaid", "paid", "no_payment_required", "partially_refunded", "refunded"
    ]
    """`unpaid`, `paid`, `no_payment_required` (the total was 0), `partially_refunded` or
    `refunded`."""
    livemode: bool
    """True for a live-mode session (live key), false for test mode."""
    currency: str
    """ISO 4217 currency code of every amount (lowercase), e.g. `eur`."""
    line_items: list[LineItem]
    """What the buyer pays for, in order."""
    amount_subtotal: int
    """Sum of the lines' unit_amount x quantity, in minor units, before discounts."""
    amount_discount: int
    """What the coupons took off, in minor units."""
    amount_tax: int = Field(description="All tax, inclusive and exclusive.")
    amount_shipping: int
    """The selected shipping option's amount, in minor units (0 without shipping)."""
    amount_total: int = Field(
        description="amount_subtotal - amount_discount + exclusive tax + amount_shipping "
        "(inclusive tax is already inside the prices)."
    )
    totals: list[Total]
    """The totals as shown to the buyer, in display order."""
    discounts: list[AppliedDiscount]
    """The coupons applied, in the order they apply."""
    tax_breakdown: list[TaxBreakdown]
    """The tax per rate over the whole session."""
    default_tax_rates: list[str]
    """Tax rate ids (`txr_…`) for lines without their own."""
    shipping_options: list[ShippingOption]
    """The shipping choices offered to the buyer."""
    selected_shipping_option: str | None
    """The `id` of the chosen shipping option, or null."""
    customer: dict[str, Any]
    """The buyer as known so far: `id` (your reference or a customer's `cus_…`), `email`, names,
    `company`, `phone`, `tax_id`, `billing_address`, `shipping_address`. Fields not given are absent
    or null."""
    billing_details_collection: BillingDetailsCollection
    """`required`: the buyer must give a billing address before paying; `auto`: only what the
    processor needs."""
    coupon_collection: bool
    """Whether the hosted page offers a promotion code field."""
    locale: Locale
    """The hosted page's language; `auto` follows the buyer's browser."""
    payment_methods: list[PaymentMethod]
    """The payment methods the buyer may use."""
    success_url: str | None
    """Where the buyer goes after paying, or null for the hosted receipt."""
    cancel_url: str | None
    """Where the buyer goes on "back to the shop", or null."""
    client_reference_id: str | None
    """Your reference for the session, or null."""
    group_key: str | None
    """Your grouping of sessions, or null."""
    checkout_link: str | None = Field(
        None, description="The checkout link (`cl_…`) that made the session, if one did."
    )
    metadata: dict[str, str]
    """Your key-value pairs, as sent."""
    custom: dict[str, Any]
    """Your free-form JSON object, as sent."""
    custom_fields: list[CustomField]
    """The fields the buyer fills in, with their values so far."""
    client: ClientInfo | None = Field(
        None, description="Recorded by the hosted page; null until the buyer visits."
    )
    ready_for_payment: bool
    """Whether everything needed to pay is known (see `missing_fields`)."""
    missing_fields: list[str]
    """What the buyer still has to give before paying, as parameter paths (e.g. `customer.email`);
    empty when ready."""
    permalink: str
    """The hosted page's URL to send the buyer to (`{public URL}/c/{token}`)."""
    processor: str | None
    """The payment processor that took the payment (e.g. `stripe`, `paypal`, `test`), or null before
    payment."""
    processor_id: str | None
    """The payment's id at the processor (e.g. a Stripe PaymentIntent id), or null."""
    abandon_after_seconds: int
    """Seconds after creation without payment after which the session is abandoned."""
    expires_at: str
    """When the session is abandoned if still unpaid (ISO 8601, UTC)."""
    created_at: str
    """When the session was created (ISO 8601, UTC)."""
    updated_at: str
    """When the session last changed (ISO 8601, UTC)."""
    completed_at: str | None
    """When the session was paid (ISO 8601, UTC), or null."""
    recovered_from: str | None
    """The abandoned session (`cs_…`) this one was recovered from (`POST …/recover`), or null."""


class CheckoutList(Model):
    object: Literal["list"] = "list"
    """Always `list`."""
    url: str
    """The path this list was read from."""
    data: list[Checkout]
    """The sessions on this page, newest first."""
    has_more: bool
    """Whether more sessions follow this page."""
    page: int | None = None
    """With `page=N`: this page's number (from 1); null with cursor pagination."""
    limit: int | None = None
    """With `page=N`: the page size; null with cursor pagination."""
    total_count: int | None = None
    """With `page=N`: how many sessions match the filters; null with cursor pagination."""
    links: dict[str, str | None] | None = None
    """With `page=N`: URLs of the `first`, `prev`, `next` and `last` pages (null where there is
    none); null with cursor pagination."""


class LineItemList(Model):
    object: Literal["list"] = "list"
    """Always `list`."""
    url: str
    """The path this list was read from."""
    data: list[LineItem]
    """The session's lines, in order."""
    has_more: bool
    """Whether more lines follow this page."""

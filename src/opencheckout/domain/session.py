"""The checkout session as every layer above the store sees it.

One frozen value, whatever read it (a driver read on the hot path, or the ORM
inside a write): the store converts at its boundary (``store.checkout_records``),
and views, dialects, pages and the lifecycle take this type only. A change is a
new value (:func:`dataclasses.replace`), never an assignment, so a session handed
to a renderer cannot change under it.

Field order is the ``checkouts`` table's column order: the store builds sessions
positionally from rows (cheaper than by keyword on every read) and checks the
order at import.
"""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, NotRequired, TypedDict, cast

from opencheckout.domain.totals import SessionTotals

#: At most this many coupons on one session (merchant's and buyer's together).
MAX_DISCOUNTS = 5

# The document's parts, as ``service.checkout_pricing`` writes them. TypedDicts, not
# dataclasses: the document is stored and shown as JSON, so reading it stays free on
# the hot path (no conversion per retrieve) while mypy checks every key read.


class AdjustableQuantity(TypedDict):
    enabled: bool
    minimum: int
    maximum: int


class LineTax(TypedDict):
    tax_rate: str
    taxable_amount: int
    amount: int
    inclusive: bool


class LineItem(TypedDict):
    id: str
    object: str
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
    adjustable_quantity: AdjustableQuantity | None


class DiscountSnapshot(TypedDict):
    """A coupon as it was when applied, so later edits never re-price it silently."""

    coupon: str
    code: str | None
    name: str | None
    percent_off_bps: int | None
    amount_off: int | None
    currency: str | None
    applies_to_products: list[str] | None
    applied_by: str
    amount: int
    #: What it took off each line, in line order (absent on sessions priced before).
    allocations: NotRequired[list[int]]


class TaxRateSnapshot(TypedDict):
    id: str
    display_name: str
    percentage_ppm: int
    inclusive: bool
    country: str | None
    state: str | None
    jurisdiction: str | None


class TaxBreakdownEntry(TypedDict):
    tax_rate: str
    taxable_amount: int
    amount: int
    inclusive: bool


class DeliveryEstimate(TypedDict):
    minimum: int | None
    maximum: int | None
    unit: str


class ShippingOption(TypedDict):
    id: str
    display_name: str
    amount: int
    delivery_estimate: DeliveryEstimate | None


class Address(TypedDict):
    line1: str | None
    line2: str | None
    city: str | None
    postal_code: str | None
    state: str | None
    country: str | None


class Customer(TypedDict):
    id: str | None
    email: str | None
    first_name: str | None
    last_name: str | None
    company: str | None
    phone: str | None
    tax_id: str | None
    business_number: str | None
    billing_address: NotRequired[Address | None]
    shipping_address: NotRequired[Address | None]
    #: The linked customer's saved addresses (see ``service.customer_links``).
    addresses: list[dict[str, Any]]


class SessionDocument(TypedDict):
    """What a session keeps beyond its indexed columns (the ``data`` column)."""

    line_items: list[LineItem]
    customer: Customer
    billing_details_collection: str
    coupon_collection: bool
    locale: str
    payment_methods: list[str]
    success_url: str | None
    cancel_url: str | None
    metadata: dict[str, str]
    custom: dict[str, Any]
    discounts: NotRequired[list[DiscountSnapshot]]
    tax_rates: NotRequired[dict[str, TaxRateSnapshot]]
    tax_breakdown: NotRequired[list[TaxBreakdownEntry]]
    default_tax_rates: NotRequired[list[str]]
    catalog_priced_lines: NotRequired[list[int]]
    shipping_options: NotRequired[list[ShippingOption]]
    selected_shipping_option: NotRequired[str | None]
    #: Options computed from the account's rates (``service.shipping``).
    shipping_source: NotRequired[bool]
    custom_fields: NotRequired[list[dict[str, Any]]]
    client: NotRequired[dict[str, Any] | None]
    amount_refunded: NotRequired[int]
    last_payment_error: NotRequired[dict[str, Any] | None]
    processor_events: NotRequired[list[str]]
    linked_customer: NotRequired[str | None]
    stock_taken: NotRequired[bool]
    checkout_link_claimed: NotRequired[bool]


# (This module keeps its annotations evaluated, so that NotRequired counts here.)
_REQUIRED_KEYS = SessionDocument.__required_keys__


def as_document(document: Mapping[str, Any]) -> SessionDocument:
    """``document`` as a session's, once it holds every key a session always has
    (pricing fills in the parts; a builder that forgot one is a bug, said here)."""
    missing = _REQUIRED_KEYS - document.keys()
    if missing:
        raise ValueError(f"a session document lacks {sorted(missing)}")
    return cast(SessionDocument, document)


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    """One checkout session: its indexed columns and its document (``data``)."""

    pk: int
    id: str
    account_id: str
    livemode: bool
    status: str
    payment_status: str
    currency: str
    customer_ref: str | None
    email: str | None
    client_reference_id: str | None
    processor: str | None
    processor_id: str | None
    token: str
    amount_subtotal: int
    amount_discount: int
    amount_tax: int
    amount_shipping: int
    amount_total: int
    abandon_after_seconds: int
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    completed_at: datetime | None
    recovered_from: str | None
    #: The session document: line items, customer, discounts, tax and shipping
    #: snapshots, URLs, locale, metadata (see ``service.checkout_pricing``).
    data: SessionDocument
    group_key: str | None = None
    checkout_link: str | None = None

    @property
    def totals(self) -> SessionTotals:
        return SessionTotals(
            amount_subtotal=self.amount_subtotal,
            amount_discount=self.amount_discount,
            amount_tax=self.amount_tax,
            amount_shipping=self.amount_shipping,
            amount_total=self.amount_total,
        )

    def with_totals(self, totals: SessionTotals) -> "CheckoutSession":
        return replace(
            self,
            amount_subtotal=totals.amount_subtotal,
            amount_discount=totals.amount_discount,
            amount_tax=totals.amount_tax,
            amount_shipping=totals.amount_shipping,
            amount_total=totals.amount_total,
        )


def customer_columns(data: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The filterable parts of the document's customer: its id and its email,
    lowercased so that ``?email=`` matches however the buyer typed it."""
    customer = data["customer"]
    email = customer.get("email")
    return customer.get("id"), email.lower() if email else None

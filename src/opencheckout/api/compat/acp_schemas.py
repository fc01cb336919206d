"""Request and response shapes of the Agentic Commerce Protocol (ACP), 2026-04-17.

These models check the *shape* of what an agent sends (types, required
fields, unknown top-level keys) and document the surface in ``/openapi.json``.
They carry no business rule: values are translated into the native request and
validated again by the native schemas and services (see ``acp_mapping``).

Where the spec's own files disagree, the JSON Schema bundle is followed, with
two deliberate leniencies that keep real agents working:

* ``line_items[]`` entries accept ``{"id", "quantity"}`` (the bundle's ``Item``
  lacks ``quantity``: a known defect, upstream issue #264 / SEP #272) and the
  ``{"item": {"id"}, "quantity"}`` shape of the proposed fix (PR #270);
  ``quantity`` defaults to 1.
* ``capabilities`` is optional on create (the bundle requires it, yet the
  discount-extension examples omit it); absent means "the agent declares none".
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StrictInt, model_validator

from opencheckout.api.schemas.common import Model

API_VERSION = "2026-04-17"

Text = Annotated[str, Field(max_length=500)]
Json = dict[str, Any]


class AcpModel(Model):
    """The spec marks these objects ``additionalProperties: false``: typos are refused."""

    model_config = ConfigDict(extra="forbid")


class ItemRef(Model):
    """``Item`` as the spec defines it; only ``id`` is read (prices come from the catalog)."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(min_length=1, max_length=200)]
    """The merchant's item id (the catalog SKU); names and prices come from the catalog."""
    #: Where 2025 shapes (and the StateSet client) put the quantity.
    quantity: Annotated[StrictInt, Field(ge=1, le=999_999)] | None = None
    """How many units (1 to 999999), where 2025 shapes put it; the line's own `quantity` wins."""


class LineItemIn(Model):
    """One requested line: ``{"id", "quantity"}`` or ``{"item": {"id"}, "quantity"}``.

    Other keys (a full ``LineItem`` echoed back, an agent's ``name`` or
    ``unit_amount``) are ignored: the merchant's catalog names and prices items.
    """

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    """The merchant's item id (the catalog SKU). Give this or `item`."""
    item: ItemRef | None = None
    """The item as `{id}` (the spec's `Item`). Give this or `id`."""
    quantity: Annotated[StrictInt, Field(ge=1, le=999_999)] = 1
    """How many units (1 to 999999, default 1)."""

    @model_validator(mode="after")
    def _one_reference(self) -> LineItemIn:
        if (self.id is None) == (self.item is None):
            raise ValueError("give the item's 'id' (or 'item': {'id': ...}), exactly once")
        if "quantity" not in self.model_fields_set and self.item and self.item.quantity:
            self.quantity = self.item.quantity
        return self

    @property
    def item_id(self) -> str:
        return self.id if self.id is not None else self.item.id  # type: ignore[union-attr]

    @property
    def id_path(self) -> str:
        """Where the item id sits in this entry, for error paths."""
        return "id" if self.id is not None else "item.id"


class CompanyInfo(Model):
    model_config = ConfigDict(extra="ignore")

    name: Text
    """The buyer's company name."""
    tax_id: Text | None = None
    """The company's tax id (e.g. an EU VAT number)."""


class Buyer(AcpModel):
    first_name: Text | None = None
    """The buyer's first (given) name."""
    last_name: Text | None = None
    """The buyer's last (family) name."""
    full_name: Text | None = None
    """The buyer's full name, when the agent does not split it."""
    email: Annotated[str, Field(max_length=320)]
    """The buyer's email address (up to 320 characters); receipts go here."""
    phone_number: Annotated[str, Field(max_length=40)] | None = None
    """The buyer's phone number, E.164 preferred (up to 40 characters)."""
    customer_id: Annotated[str, Field(max_length=200)] | None = None
    """The agent's or merchant's id for the buyer (up to 200 characters)."""
    account_type: str | None = None
    """The buyer's account type as the agent knows it (e.g. `guest`, `registered`);
    informational."""
    authentication_status: str | None = None
    """Whether the agent authenticated the buyer (e.g. `authenticated`); informational."""
    company: CompanyInfo | None = None
    """The buyer's company, for business purchases."""
    loyalty: Json | None = None
    """The buyer's loyalty programme details as the agent sends them; accepted, not used."""
    tax_exemption: Json | None = None
    """The buyer's tax exemption details as the agent sends them; accepted, not used."""


class Address(AcpModel):
    name: Text
    """The recipient's name."""
    line_one: Text
    """Street address, first line."""
    line_two: Text | None = None
    """Street address, second line (apartment, suite)."""
    city: Text
    """City, town or locality."""
    state: Text
    """State, province or region."""
    country: Annotated[str, Field(max_length=2)]
    """ISO 3166-1 alpha-2 country code, e.g. `US`."""
    postal_code: Annotated[str, Field(max_length=32)]
    """Postal or ZIP code (up to 32 characters)."""
    company: Text | None = None
    """The recipient's company name."""


class FulfillmentDetails(AcpModel):
    name: Text | None = None
    """The recipient's name."""
    phone_number: Annotated[str, Field(max_length=40)] | None = None
    """The recipient's phone number (up to 40 characters)."""
    email: Annotated[str, Field(max_length=320)] | None = None
    """The recipient's email address (up to 320 characters)."""
    address: Address | None = None
    """Where to ship; selects the shipping options offered."""


class SelectedFulfillmentOption(Model):
    """``type`` and ``item_ids`` are required by the spec but not needed: one option
    applies to the whole session, so they are accepted when missing."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["shipping", "digital", "pickup", "local_delivery"] = "shipping"
    """`shipping` (default), `digital`, `pickup` or `local_delivery`."""
    option_id: Annotated[str, Field(min_length=1, max_length=64)]
    """The `id` of one of the session's `fulfillment_options`."""
    item_ids: list[str] = Field(default_factory=list)
    """The line items the option is for; one option applies to the whole session, so this may be
    empty."""


class DiscountsIn(AcpModel):
    codes: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20
    )
    """Promotion codes to apply (up to 20, case-insensitive); unknown codes are answered in
    `messages`."""


class CheckoutSessionCreateRequest(AcpModel):
    line_items: list[LineItemIn] = Field(min_length=1, max_length=100)
    """What the buyer wants: 1 to 100 lines naming catalog items."""
    #: Required from 2026-01-30 on (the adapters check); before, the catalog's.
    currency: Annotated[str, Field(min_length=3, max_length=3)] | None = None
    """ISO 4217 currency code, e.g. `usd`; required from API version 2026-01-30 on, before it the
    catalog's currency."""
    capabilities: Json | None = None
    """What the agent supports (payment handlers, extensions), as the spec defines; absent means
    none declared."""
    buyer: Buyer | None = None
    """The buyer, as the agent knows them."""
    fulfillment_details: FulfillmentDetails | None = None
    """Where and to whom to deliver."""
    fulfillment_groups: list[Json] | None = None
    """The spec's fulfillment groups; accepted, one option applies to the whole session."""
    affiliate_attribution: Json | None = None
    """The spec's affiliate attribution object; accepted, not used."""
    coupons: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        None, max_length=20, description="Deprecated by the spec; use discounts.codes."
    )
    discounts: DiscountsIn | None = None
    """Promotion codes to apply."""
    locale: Annotated[str, Field(max_length=35)] | None = None
    """The buyer's BCP 47 locale, e.g. `en-US` (up to 35 characters)."""
    timezone: Annotated[str, Field(max_length=64)] | None = None
    """The buyer's IANA time zone, e.g. `Europe/Madrid` (up to 64 characters)."""
    quote_id: Annotated[str, Field(max_length=200)] | None = None
    """The agent's quote reference (up to 200 characters); accepted, not used."""
    metadata: Json | None = None
    """The agent's key-value pairs, kept on the session."""
    order_notes: Annotated[str, Field(max_length=5000)] | None = None
    """The buyer's note for the merchant (up to 5000 characters)."""


class CheckoutSessionUpdateRequest(AcpModel):
    buyer: Buyer | None = None
    """The buyer, replacing what was known."""
    line_items: list[LineItemIn] | None = Field(None, min_length=1, max_length=100)
    """Replaces the lines (1 to 100)."""
    fulfillment_details: FulfillmentDetails | None = None
    """Where and to whom to deliver."""
    fulfillment_groups: list[Json] | None = None
    """The spec's fulfillment groups; accepted, one option applies to the whole session."""
    selected_fulfillment_options: list[SelectedFulfillmentOption] | None = Field(
        None, max_length=10
    )
    """The chosen fulfillment option (up to 10 entries; the first applies)."""
    coupons: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        None, max_length=20
    )
    """Deprecated by the spec; use `discounts.codes`."""
    discounts: DiscountsIn | None = None
    """Promotion codes to apply, replacing those applied."""
    order_notes: Annotated[str, Field(max_length=5000)] | None = None
    """The buyer's note for the merchant (up to 5000 characters)."""


class Credential(Model):
    model_config = ConfigDict(extra="ignore")

    type: str
    """The credential's kind, e.g. `spt` (a shared payment token)."""
    token: Annotated[str, Field(min_length=1, max_length=500)]
    """The delegated payment token (1 to 500 characters)."""


class Instrument(Model):
    """``{type, credential: {type, token}}``; the MCP binding's examples send a bare
    ``{token}``, which is read as a card token."""

    model_config = ConfigDict(extra="ignore")

    type: str = "card"
    """The instrument's kind (default `card`)."""
    credential: Credential | None = None
    """The delegated credential: `{type, token}`."""
    token: Annotated[str, Field(min_length=1, max_length=500)] | None = None
    """A bare token, as the MCP binding's examples send; read as a card token."""

    @model_validator(mode="after")
    def _one_token(self) -> Instrument:
        if self.credential is None:
            if self.token is None:
                raise ValueError("give the delegated token in 'credential': {'type', 'token'}")
            self.credential = Credential(type="spt", token=self.token)
        return self


class PaymentData(AcpModel):
    handler_id: Annotated[str, Field(max_length=200)] | None = None
    """The payment handler (from the session's capabilities) the instrument is for."""
    instrument: Instrument | None = None
    """How the buyer pays: a delegated payment credential."""
    billing_address: Address | None = None
    """The buyer's billing address."""
    purchase_order_number: str | None = None
    """The buyer's purchase order number, for business payments."""
    payment_terms: str | None = None
    """The agreed payment terms, e.g. `net_30`; accepted, not used."""
    due_date: str | None = None
    """When payment is due (ISO 8601 date); accepted, not used."""
    approval_required: bool | None = None
    """Whether the buyer's organisation must approve the payment; accepted, not used."""


class CheckoutSessionCompleteRequest(AcpModel):
    buyer: Buyer | None = None
    """The buyer, completing what was known."""
    payment_data: PaymentData
    """How the buyer pays."""
    authentication_result: Json | None = None
    """The result of 3-D Secure or other buyer authentication, as the spec defines."""
    affiliate_attribution: Json | None = None
    """The spec's affiliate attribution object; accepted, not used."""
    risk_signals: Json | None = None
    """The agent's risk signals (e.g. IP, user agent); accepted, not used."""
    marketing_consents: list[Json] | None = None
    """The buyer's marketing consents; accepted, not stored."""
    order_notes: Annotated[str, Field(max_length=5000)] | None = None
    """The buyer's note for the merchant (up to 5000 characters)."""


class CancelSessionRequest(Model):
    """``intent_trace`` says why the agent gave up; it is accepted and not stored."""

    model_config = ConfigDict(extra="allow")

    intent_trace: Json | None = None
    """Why the agent gave up (the spec's intent trace); accepted, not stored."""


# Response models: they document the shapes in /openapi.json (the handlers build
# plain dicts, which the tests validate against the spec's JSON Schema bundle).


class Total(Model):
    type: str
    """Which total, as the spec names it: `items_base_amount`, `items_discount`, `subtotal`,
    `discount`, `fulfillment`, `tax`, `fee`, `total`, among others."""
    display_text: str
    """The total's label as shown to the buyer."""
    amount: int
    """The total, in the currency's minor unit (e.g. cents)."""


class Message(Model):
    type: Literal["info", "warning", "error"]
    """`info`, `warning` or `error` (an error blocks payment)."""
    code: str | None = None
    """A machine-readable reason, e.g. `missing` or `invalid`, or null."""
    param: str | None = None
    """RFC 9535 JSONPath of the field concerned, e.g. `$.buyer.email`, or null."""
    resolution: str | None = None
    """Who resolves it: `recoverable` (the agent, through the API), `requires_buyer_input` or
    `requires_buyer_review`; or null."""
    content_type: Literal["plain", "markdown"]
    """`plain` or `markdown`."""
    content: str
    """The message for the buyer."""


class Order(Model):
    type: Literal["order"] = "order"
    """Always `order`."""
    id: str
    """The order's id."""
    checkout_session_id: str
    """The session (`cs_…`) the order comes from."""
    permalink_url: str
    """Where the buyer can see the order."""
    status: str
    """The order's status, e.g. `confirmed`."""


class CheckoutSession(Model):
    id: str = Field(examples=["cs_4eC39HqLyjWDarjtT1zdp7dc"])
    """The session's id (`cs_…`), the same as in the native API."""
    protocol: dict[str, str]
    """The protocol and version answered, e.g. `{"name": "acp", "version": "2026-04-17"}`."""
    capabilities: Json
    """What the merchant supports (payment handlers, extensions), as the spec defines."""
    status: Literal[
        "not_ready_for_payment", "ready_for_payment", "in_progress", "completed", "canceled"
    ]
    """`not_ready_for_payment` (something is missing, see `messages`), `ready_for_payment`,
    `in_progress`, `completed` or `canceled`."""
    currency: str
    """ISO 4217 currency code (lowercase) of every amount."""
    buyer: Json | None = None
    """The buyer as known so far, or null."""
    line_items: list[Json]
    """The lines with the catalog's names and prices, in minor units."""
    fulfillment_details: Json | None = None
    """Where and to whom to deliver, or null."""
    fulfillment_options: list[Json]
    """The shipping options the buyer may choose."""
    selected_fulfillment_options: list[Json] | None = None
    """The chosen option, or null."""
    totals: list[Total]
    """The totals, in minor units, in display order."""
    messages: list[Message]
    """What the buyer must still give or should know (errors block payment)."""
    links: list[Json]
    """Links for the buyer: terms of use, privacy policy and the like (`{type, url}`)."""
    discounts: Json | None = None
    """The codes applied and rejected, as the discount extension defines, or null."""
    continue_url: str | None = None
    """The hosted page, where the buyer can finish in a browser, or null."""
    created_at: str
    """When it was created (ISO 8601, UTC)."""
    updated_at: str
    """When it last changed (ISO 8601, UTC)."""
    expires_at: str | None = None
    """When the session is abandoned if unpaid (RFC 3339), or null."""
    order: Order | None = None
    """The order, once the session is completed."""


class Error(Model):
    """The spec's flat error: no ``{"error": ...}`` envelope."""

    type: Literal["invalid_request", "processing_error", "service_unavailable"]
    """`invalid_request`, `processing_error` or `service_unavailable`."""
    code: str
    """A machine-readable reason, e.g. `missing` or `invalid`."""
    message: str
    """What went wrong, for a developer."""
    param: str | None = Field(None, description="RFC 9535 JSONPath of the offending field.")
    supported_versions: list[str] | None = None
    """With an unsupported `API-Version`: the versions this server answers."""

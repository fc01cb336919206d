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

from pydantic import BaseModel, ConfigDict, Field, StrictInt, model_validator

API_VERSION = "2026-04-17"

Text = Annotated[str, Field(max_length=500)]
Json = dict[str, Any]


class AcpModel(BaseModel):
    """The spec marks these objects ``additionalProperties: false``: typos are refused."""

    model_config = ConfigDict(extra="forbid")


class ItemRef(BaseModel):
    """``Item`` as the spec defines it; only ``id`` is read (prices come from the catalog)."""

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(min_length=1, max_length=200)]
    #: Where 2025 shapes (and the StateSet client) put the quantity.
    quantity: Annotated[StrictInt, Field(ge=1, le=999_999)] | None = None


class LineItemIn(BaseModel):
    """One requested line: ``{"id", "quantity"}`` or ``{"item": {"id"}, "quantity"}``.

    Other keys (a full ``LineItem`` echoed back, an agent's ``name`` or
    ``unit_amount``) are ignored: the merchant's catalog names and prices items.
    """

    model_config = ConfigDict(extra="ignore")

    id: Annotated[str, Field(min_length=1, max_length=200)] | None = None
    item: ItemRef | None = None
    quantity: Annotated[StrictInt, Field(ge=1, le=999_999)] = 1

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


class CompanyInfo(BaseModel):
    model_config = ConfigDict(extra="ignore")

    name: Text
    tax_id: Text | None = None


class Buyer(AcpModel):
    first_name: Text | None = None
    last_name: Text | None = None
    full_name: Text | None = None
    email: Annotated[str, Field(max_length=320)]
    phone_number: Annotated[str, Field(max_length=40)] | None = None
    customer_id: Annotated[str, Field(max_length=200)] | None = None
    account_type: str | None = None
    authentication_status: str | None = None
    company: CompanyInfo | None = None
    loyalty: Json | None = None
    tax_exemption: Json | None = None


class Address(AcpModel):
    name: Text
    line_one: Text
    line_two: Text | None = None
    city: Text
    state: Text
    country: Annotated[str, Field(max_length=2)]
    postal_code: Annotated[str, Field(max_length=32)]
    company: Text | None = None


class FulfillmentDetails(AcpModel):
    name: Text | None = None
    phone_number: Annotated[str, Field(max_length=40)] | None = None
    email: Annotated[str, Field(max_length=320)] | None = None
    address: Address | None = None


class SelectedFulfillmentOption(BaseModel):
    """``type`` and ``item_ids`` are required by the spec but not needed: one option
    applies to the whole session, so they are accepted when missing."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["shipping", "digital", "pickup", "local_delivery"] = "shipping"
    option_id: Annotated[str, Field(min_length=1, max_length=64)]
    item_ids: list[str] = Field(default_factory=list)


class DiscountsIn(AcpModel):
    codes: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        default_factory=list, max_length=20
    )


class CheckoutSessionCreateRequest(AcpModel):
    line_items: list[LineItemIn] = Field(min_length=1, max_length=100)
    #: Required from 2026-01-30 on (the adapters check); before, the catalog's.
    currency: Annotated[str, Field(min_length=3, max_length=3)] | None = None
    capabilities: Json | None = None
    buyer: Buyer | None = None
    fulfillment_details: FulfillmentDetails | None = None
    fulfillment_groups: list[Json] | None = None
    affiliate_attribution: Json | None = None
    coupons: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        None, max_length=20, description="Deprecated by the spec; use discounts.codes."
    )
    discounts: DiscountsIn | None = None
    locale: Annotated[str, Field(max_length=35)] | None = None
    timezone: Annotated[str, Field(max_length=64)] | None = None
    quote_id: Annotated[str, Field(max_length=200)] | None = None
    metadata: Json | None = None
    order_notes: Annotated[str, Field(max_length=5000)] | None = None


class CheckoutSessionUpdateRequest(AcpModel):
    buyer: Buyer | None = None
    line_items: list[LineItemIn] | None = Field(None, min_length=1, max_length=100)
    fulfillment_details: FulfillmentDetails | None = None
    fulfillment_groups: list[Json] | None = None
    selected_fulfillment_options: list[SelectedFulfillmentOption] | None = Field(
        None, max_length=10
    )
    coupons: list[Annotated[str, Field(min_length=1, max_length=100)]] | None = Field(
        None, max_length=20
    )
    discounts: DiscountsIn | None = None
    order_notes: Annotated[str, Field(max_length=5000)] | None = None


class Credential(BaseModel):
    model_config = ConfigDict(extra="ignore")

    type: str
    token: Annotated[str, Field(min_length=1, max_length=500)]


class Instrument(BaseModel):
    """``{type, credential: {type, token}}``; the MCP binding's examples send a bare
    ``{token}``, which is read as a card token."""

    model_config = ConfigDict(extra="ignore")

    type: str = "card"
    credential: Credential | None = None
    token: Annotated[str, Field(min_length=1, max_length=500)] | None = None

    @model_validator(mode="after")
    def _one_token(self) -> Instrument:
        if self.credential is None:
            if self.token is None:
                raise ValueError("give the delegated token in 'credential': {'type', 'token'}")
            self.credential = Credential(type="spt", token=self.token)
        return self


class PaymentData(AcpModel):
    handler_id: Annotated[str, Field(max_length=200)] | None = None
    instrument: Instrument | None = None
    billing_address: Address | None = None
    purchase_order_number: str | None = None
    payment_terms: str | None = None
    due_date: str | None = None
    approval_required: bool | None = None


class CheckoutSessionCompleteRequest(AcpModel):
    buyer: Buyer | None = None
    payment_data: PaymentData
    authentication_result: Json | None = None
    affiliate_attribution: Json | None = None
    risk_signals: Json | None = None
    marketing_consents: list[Json] | None = None
    order_notes: Annotated[str, Field(max_length=5000)] | None = None


class CancelSessionRequest(BaseModel):
    """``intent_trace`` says why the agent gave up; it is accepted and not stored."""

    model_config = ConfigDict(extra="allow")

    intent_trace: Json | None = None


# Response models: they document the shapes in /openapi.json (the handlers build
# plain dicts, which the tests validate against the spec's JSON Schema bundle).


class Total(BaseModel):
    type: str
    display_text: str
    amount: int


class Message(BaseModel):
    type: Literal["info", "warning", "error"]
    code: str | None = None
    param: str | None = None
    resolution: str | None = None
    content_type: Literal["plain", "markdown"]
    content: str


class Order(BaseModel):
    type: Literal["order"] = "order"
    id: str
    checkout_session_id: str
    permalink_url: str
    status: str


class CheckoutSession(BaseModel):
    id: str = Field(examples=["cs_4eC39HqLyjWDarjtT1zdp7dc"])
    protocol: dict[str, str]
    capabilities: Json
    status: Literal[
        "not_ready_for_payment", "ready_for_payment", "in_progress", "completed", "canceled"
    ]
    currency: str
    buyer: Json | None = None
    line_items: list[Json]
    fulfillment_details: Json | None = None
    fulfillment_options: list[Json]
    selected_fulfillment_options: list[Json] | None = None
    totals: list[Total]
    messages: list[Message]
    links: list[Json]
    discounts: Json | None = None
    continue_url: str | None = None
    created_at: str
    updated_at: str
    expires_at: str | None = None
    order: Order | None = None


class Error(BaseModel):
    """The spec's flat error: no ``{"error": ...}`` envelope."""

    type: Literal["invalid_request", "processing_error", "service_unavailable"]
    code: str
    message: str
    param: str | None = Field(None, description="RFC 9535 JSONPath of the offending field.")
    supported_versions: list[str] | None = None

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

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from opencheckout.domain.totals import SessionTotals


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
    data: Mapping[str, Any]
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

    def with_totals(self, totals: SessionTotals) -> CheckoutSession:
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

"""The public representation of a checkout session (``"object": "checkout"``).

Shared by the API, events and the hosted page so that every surface shows the
same status, totals and readiness.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from opencheckout.domain.lifecycle import Status, effective_status
from opencheckout.domain.readiness import missing_fields
from opencheckout.domain.totals import SessionTotals
from opencheckout.store.models import Checkout


def isoformat(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z`` suffix."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def totals_of(row: Checkout) -> SessionTotals:
    return SessionTotals(
        amount_subtotal=row.amount_subtotal,
        amount_discount=row.amount_discount,
        amount_tax=row.amount_tax,
        amount_shipping=row.amount_shipping,
        amount_total=row.amount_total,
    )


def permalink(public_url: str, token: str) -> str:
    return f"{public_url}/c/{token}"


def checkout_resource(row: Checkout, *, public_url: str, now: datetime) -> dict[str, Any]:
    data = row.data
    status = effective_status(Status(row.status), row.expires_at, now)
    missing = missing_fields(data["customer"], data["billing_details_collection"])
    return {
        "id": row.id,
        "object": "checkout",
        "status": status.value,
        "payment_status": row.payment_status,
        "livemode": row.livemode,
        "currency": row.currency,
        "line_items": data["line_items"],
        "amount_subtotal": row.amount_subtotal,
        "amount_discount": row.amount_discount,
        "amount_tax": row.amount_tax,
        "amount_shipping": row.amount_shipping,
        "amount_total": row.amount_total,
        "totals": totals_of(row).breakdown(),
        "customer": data["customer"],
        "billing_details_collection": data["billing_details_collection"],
        "coupon_collection": data["coupon_collection"],
        "locale": data["locale"],
        "payment_methods": data["payment_methods"],
        "success_url": data["success_url"],
        "cancel_url": data["cancel_url"],
        "client_reference_id": row.client_reference_id,
        "metadata": data["metadata"],
        "custom": data["custom"],
        "ready_for_payment": not missing and status in (Status.PENDING, Status.FAILED),
        "missing_fields": missing,
        "permalink": permalink(public_url, row.token),
        "processor": row.processor,
        "processor_id": row.processor_id,
        "abandon_after_seconds": row.abandon_after_seconds,
        "expires_at": isoformat(row.expires_at),
        "created_at": isoformat(row.created_at),
        "updated_at": isoformat(row.updated_at),
        "completed_at": isoformat(row.completed_at),
        "recovered_from": row.recovered_from,
    }

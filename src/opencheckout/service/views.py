"""The public representation of a checkout session (``"object": "checkout"``).

Shared by the API, events and the hosted page so that every surface shows the
same status, totals and readiness.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from opencheckout.domain.custom_fields import missing_keys
from opencheckout.domain.lifecycle import Status, effective_status
from opencheckout.domain.percent import COUPON_PLACES, TAX_PLACES, from_units
from opencheckout.domain.processor_amounts import convert
from opencheckout.domain.readiness import missing_fields
from opencheckout.domain.session import CheckoutSession
from opencheckout.service.context import Context


def isoformat(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with a ``Z`` suffix."""
    if value is None:
        return None
    return value.isoformat().replace("+00:00", "Z")


def permalink(public_url: str, token: str) -> str:
    return f"{public_url}/c/{token}"


def missing_of(data: Mapping[str, Any]) -> list[str]:
    """What the buyer still has to give; shared by the resource and ``complete``."""
    missing = missing_fields(
        data["customer"],
        data["billing_details_collection"],
        shipping_selection_required=bool(data.get("shipping_options"))
        and data.get("selected_shipping_option") is None,
    )
    fields = data.get("custom_fields")
    if fields:
        missing.extend(missing_keys(fields))
    return missing


def amount_blocker(
    row: CheckoutSession, processor: str | None, method: str | None = None
) -> str | None:
    """Why ``processor`` cannot charge the session's total exactly, else None.

    A zero total needs no processor. ``processor`` None means "not known
    here" (no check), not "none configured": ``complete`` reports that.
    PayPal payments (``method`` paypal, or a session that takes PayPal only)
    follow PayPal's currency rules, simulated or real.
    """
    if processor is None or row.amount_total == 0:
        return None
    if method is None:
        methods = list(row.data.get("payment_methods") or [])
        method = "paypal" if methods == ["paypal"] else "card"
    rules = "paypal" if method == "paypal" else processor
    return convert(rules, row.currency, row.amount_total).reason


def _percent(units: int | None, places: int) -> float | None:
    """Percentages are JSON numbers (they are not money); exact up to ``places``."""
    return None if units is None else float(from_units(units, places))


def discounts_of(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "coupon": discount["coupon"],
            "code": discount["code"],
            "name": discount["name"],
            "percent_off": _percent(discount["percent_off_bps"], COUPON_PLACES),
            "amount_off": discount["amount_off"],
            "currency": discount["currency"],
            "applied_by": discount["applied_by"],
            "amount": discount["amount"],
        }
        for discount in data.get("discounts", [])
    ]


def discount_allocations(row: CheckoutSession) -> list[list[int] | None]:
    """Per applied discount (as in ``discounts``), what it took off each line, in line
    order; None for a session priced before the split was recorded."""
    out: list[list[int] | None] = []
    for discount in row.data.get("discounts", []):
        parts = discount.get("allocations")
        out.append([int(part) for part in parts] if isinstance(parts, list) else None)
    return out


def tax_breakdown_of(data: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per-rate sums, with the rate's name and percentage as snapshotted on the session."""
    rates = data.get("tax_rates", {})
    return [
        {
            "tax_rate": entry["tax_rate"],
            "display_name": rates[entry["tax_rate"]]["display_name"],
            "percentage": _percent(rates[entry["tax_rate"]]["percentage_ppm"], TAX_PLACES),
            "inclusive": entry["inclusive"],
            "taxable_amount": entry["taxable_amount"],
            "amount": entry["amount"],
        }
        for entry in data.get("tax_breakdown", [])
    ]


def _payment_blockers(
    row: CheckoutSession, processor: str | None
) -> tuple[list[str], list[dict[str, str]]]:
    """What stops the session being paid: the missing fields, and a message for a total
    ``processor`` cannot charge exactly (which counts ``amount_total`` as missing)."""
    missing = missing_of(row.data)
    messages: list[dict[str, str]] = []
    blocker = amount_blocker(row, processor)
    if blocker is not None:
        missing.append("amount_total")
        messages.append(
            {
                "type": "error",
                "code": "amount_not_chargeable",
                "param": "amount_total",
                "message": blocker,
            }
        )
    return missing, messages


def checkout_resource(
    row: CheckoutSession, *, public_url: str, now: datetime, processor: str | None = None
) -> dict[str, Any]:
    """The session as every surface shows it; ``processor`` (the one that would
    charge it) makes a total it cannot charge exactly block ``ready_for_payment``."""
    data = row.data
    status = effective_status(Status(row.status), row.expires_at, now)
    missing, messages = _payment_blockers(row, processor)
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
        "amount_refunded": int(data.get("amount_refunded", 0)),
        "totals": row.totals.breakdown(),
        "discounts": discounts_of(data),
        "tax_breakdown": tax_breakdown_of(data),
        "default_tax_rates": data.get("default_tax_rates", []),
        "shipping_options": data.get("shipping_options", []),
        "selected_shipping_option": data.get("selected_shipping_option"),
        "customer": data["customer"],
        "billing_details_collection": data["billing_details_collection"],
        "coupon_collection": data["coupon_collection"],
        "locale": data["locale"],
        "payment_methods": data["payment_methods"],
        "success_url": data["success_url"],
        "cancel_url": data["cancel_url"],
        "client_reference_id": row.client_reference_id,
        "group_key": row.group_key,
        "checkout_link": row.checkout_link,
        "metadata": data["metadata"],
        "custom": data["custom"],
        "custom_fields": data.get("custom_fields", []),
        "client": data.get("client"),
        "ready_for_payment": not missing and status in (Status.PENDING, Status.FAILED),
        "missing_fields": missing,
        "messages": messages,
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


def resource_of(ctx: Context, row: CheckoutSession) -> dict[str, Any]:
    """``checkout_resource`` on this server, now, for the processor of the session's mode."""
    return checkout_resource(
        row,
        public_url=ctx.settings.public_url,
        now=ctx.clock(),
        processor=ctx.processor_name_for(row.livemode),
    )

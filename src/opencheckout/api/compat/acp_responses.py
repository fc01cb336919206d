"""The native ``checkout`` resource -> the ACP ``CheckoutSession`` (2026-04-17 shape).

Responses are built from :func:`opencheckout.service.views.checkout_resource`,
so totals, readiness and status come from one place; older versions' adapters
(:mod:`opencheckout.api.compat.acp_versions`) reshape this one document. What
ACP has and the native model lacks (the fulfillment contact's name, order
notes, the codes an agent sent and why some were rejected) is kept under
``custom.acp``.

* ``fulfillment_options`` <- ``shipping_options`` (type ``shipping``), the
  selected one <- ``selected_shipping_option`` (one per session).
* Statuses: pending/failed -> ``ready_for_payment`` or ``not_ready_for_payment``
  (native readiness), processing -> ``in_progress``, completed -> ``completed``,
  abandoned -> ``canceled``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from opencheckout.api.compat.acp_errors import ADDRESS_FIELDS
from opencheckout.api.compat.acp_schemas import API_VERSION
from opencheckout.domain.pricing import allocate
from opencheckout.service.acp_orders import CUSTOM_KEY, order_of, order_status, session_totals

#: The payment handler this server offers: delegated card tokens.
HANDLER_ID = "card_tokenized"


def acp_state(resource: dict[str, Any]) -> dict[str, Any]:
    custom = resource.get("custom") or {}
    state = custom.get(CUSTOM_KEY)
    return state if isinstance(state, dict) else {}


def acp_status(resource: dict[str, Any]) -> str:
    status = resource["status"]
    if status in ("pending", "failed"):
        return "ready_for_payment" if resource["ready_for_payment"] else "not_ready_for_payment"
    return {"processing": "in_progress", "completed": "completed"}.get(status, "canceled")


def _line_item(line: dict[str, Any]) -> dict[str, Any]:
    item: dict[str, Any] = {
        "id": line["id"],
        "item": {"id": line["product"]},
        "quantity": line["quantity"],
        "name": line["name"],
        "unit_amount": line["unit_amount"],
        "product_id": line["product"],
        "totals": [
            {
                "type": "items_base_amount",
                "display_text": "Base amount",
                "amount": line["amount_subtotal"],
            },
            {"type": "discount", "display_text": "Discount", "amount": line["amount_discount"]},
            {
                "type": "subtotal",
                "display_text": "Subtotal",
                "amount": line["amount_subtotal"] - line["amount_discount"],
            },
            {"type": "tax", "display_text": "Tax", "amount": line["amount_tax"]},
            {"type": "total", "display_text": "Total", "amount": line["amount_total"]},
        ],
    }
    if line.get("description"):
        item["description"] = line["description"]
    return item


_UNITS = {
    "hour": "hour",
    "day": "day",
    "business_day": "business day",
    "week": "week",
    "month": "month",
}


def _estimate_text(estimate: dict[str, Any] | None) -> str | None:
    if not estimate:
        return None
    low, high, unit = estimate.get("minimum"), estimate.get("maximum"), _UNITS[estimate["unit"]]
    if low is not None and high is not None and low != high:
        return f"Arrives in {low}-{high} {unit}s"
    value = high if high is not None else low
    if value is None:
        return None
    return f"Arrives in {value} {unit}{'' if value == 1 else 's'}"


def _fulfillment_option(option: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "shipping",
        "id": option["id"],
        "title": option["display_name"],
        "totals": [
            {
                "type": "fulfillment",
                "display_text": option["display_name"],
                "amount": option["amount"],
            },
            {"type": "total", "display_text": "Total", "amount": option["amount"]},
        ],
    }
    description = _estimate_text(option.get("delivery_estimate"))
    if description:
        out["description"] = description
    return out


def _full_name(customer: dict[str, Any]) -> str | None:
    parts = [customer.get("first_name"), customer.get("last_name")]
    name = " ".join(part for part in parts if part)
    return name or None


def _buyer(customer: dict[str, Any]) -> dict[str, Any] | None:
    if not customer.get("email"):
        return None  # the spec's Buyer requires an email
    buyer: dict[str, Any] = {"email": customer["email"]}
    for native, acp in (
        ("first_name", "first_name"),
        ("last_name", "last_name"),
        ("phone", "phone_number"),
        ("id", "customer_id"),
    ):
        if customer.get(native):
            buyer[acp] = customer[native]
    if customer.get("company"):
        buyer["company"] = {"name": customer["company"]}
        if customer.get("tax_id"):
            buyer["company"]["tax_id"] = customer["tax_id"]
    return buyer


def _fulfillment_details(customer: dict[str, Any], extras: dict[str, Any]) -> dict[str, Any] | None:
    details: dict[str, Any] = {}
    name = extras.get("name") or _full_name(customer)
    if name:
        details["name"] = name
    if customer.get("phone"):
        details["phone_number"] = customer["phone"]
    if customer.get("email"):
        details["email"] = customer["email"]
    address = customer.get("shipping_address") or customer.get("billing_address") or {}
    if all(address.get(field) for field in ("line1", "city", "postal_code", "country")):
        details["address"] = {
            "name": extras.get("address_name") or name or "",
            "line_one": address["line1"],
            "city": address["city"],
            "state": address.get("state") or "",
            "country": address["country"],
            "postal_code": address["postal_code"],
        }
        if address.get("line2"):
            details["address"]["line_two"] = address["line2"]
        if extras.get("address_company"):
            details["address"]["company"] = extras["address_company"]
    return details or None


def allocations(resource: dict[str, Any]) -> list[list[dict[str, Any]]]:
    """Where each applied discount went, per line (the discount extension's ``allocations``).

    The native pricing applies coupons in order, each split over the lines it
    covers by what those lines still cost (largest remainder); this replays
    that split over the lines that received a discount, so the parts of one
    discount always add up to its amount.
    """
    lines = resource["line_items"]
    remaining = [line["amount_subtotal"] for line in lines]
    out: list[list[dict[str, Any]]] = []
    for discount in resource["discounts"]:
        eligible = [i for i, line in enumerate(lines) if line["amount_discount"] > 0]
        weights = [remaining[i] for i in eligible]
        amount = discount["amount"]
        if not eligible or sum(weights) == 0 or amount <= 0:
            out.append([])
            continue
        parts = allocate(min(amount, sum(weights)), weights)
        entries: list[dict[str, Any]] = []
        for index, part in zip(eligible, parts, strict=True):
            remaining[index] -= part
            if part:
                entries.append({"path": f"$.line_items[{index}]", "amount": part})
        out.append(entries)
    return out


def _applied_discount(discount: dict[str, Any], allocated: list[dict[str, Any]]) -> dict[str, Any]:
    coupon: dict[str, Any] = {
        "id": discount["coupon"],
        "name": discount["name"] or discount["code"] or discount["coupon"],
    }
    if discount["percent_off"] is not None:
        coupon["percent_off"] = discount["percent_off"]
    if discount["amount_off"] is not None:
        coupon["amount_off"] = discount["amount_off"]
    if discount["currency"]:
        coupon["currency"] = discount["currency"].lower()
    applied: dict[str, Any] = {
        "id": f"{discount['coupon']}_{discount['applied_by']}",
        "coupon": coupon,
        "amount": discount["amount"],
    }
    if discount["code"]:
        applied["code"] = discount["code"]
    # A percentage applies to each item on its own; a fixed amount is split across them.
    applied["method"] = "each" if discount["percent_off"] is not None else "across"
    applied["allocations"] = allocated
    return applied


def _discounts(resource: dict[str, Any], state: dict[str, Any]) -> dict[str, Any] | None:
    sent = state.get("discounts") or {}
    if not resource["discounts"] and not sent.get("codes"):
        return None
    out: dict[str, Any] = {
        "codes": list(sent.get("codes") or [d["code"] for d in resource["discounts"] if d["code"]]),
        "applied": [
            _applied_discount(discount, allocated)
            for discount, allocated in zip(
                resource["discounts"], allocations(resource), strict=True
            )
        ],
    }
    if sent.get("rejected"):
        out["rejected"] = list(sent["rejected"])
    return out


_MISSING_TEXT = {
    "customer.email": ("$.buyer.email", "The buyer's email address is required."),
    "selected_shipping_option": (
        "$.selected_fulfillment_options",
        "Choose one of the fulfillment options.",
    ),
}


def message(
    kind: str, content: str, *, code: str | None = None, param: str | None = None
) -> dict[str, Any]:
    """One ``messages[]`` entry (``info``, ``warning`` or ``error``), plain text."""
    entry: dict[str, Any] = {"type": kind}
    if code is not None:
        entry["code"] = code
    if param is not None:
        entry["param"] = param
    if kind != "info":
        entry["resolution"] = (
            "requires_buyer_input" if code in ("missing", "payment_declined") else "recoverable"
        )
    entry.update(content_type="plain", content=content)
    return entry


def missing_messages(missing: Sequence[str]) -> list[dict[str, Any]]:
    """Native ``missing_fields`` as ACP ``missing`` errors with JSONPaths."""
    messages: list[dict[str, Any]] = []
    address = [name for name in missing if name.startswith("customer.billing_address.")]
    for name in missing:
        if name in _MISSING_TEXT:
            param, text = _MISSING_TEXT[name]
            messages.append(message("error", text, code="missing", param=param))
    if len(address) == 4:  # nothing of the address yet: ask for it as a whole
        messages.append(
            message(
                "error",
                "A fulfillment address is required.",
                code="missing",
                param="$.fulfillment_details.address",
            )
        )
    else:
        for name in address:
            field = ADDRESS_FIELDS[name.rsplit(".", 1)[1]]
            messages.append(
                message(
                    "error",
                    f"The fulfillment address needs its {field.replace('_', ' ')}.",
                    code="missing",
                    param=f"$.fulfillment_details.address.{field}",
                )
            )
    return messages


def capabilities(psp: str, livemode: bool, merchant_id: str) -> dict[str, Any]:
    """One payment handler: delegated card tokens, charged through ``psp``."""
    return {
        "payment": {
            "handlers": [
                {
                    "id": HANDLER_ID,
                    "name": "dev.acp.tokenized.card",
                    "display_name": "Card",
                    "version": "2026-01-22",
                    "spec": "https://acp.dev/handlers/tokenized.card",
                    "requires_delegate_payment": True,
                    "requires_pci_compliance": False,
                    "psp": psp,
                    "config_schema": "https://acp.dev/schemas/handlers/tokenized.card/config.json",
                    "instrument_schemas": [
                        "https://acp.dev/schemas/handlers/tokenized.card/instrument.json"
                    ],
                    "config": {
                        "accepted_brands": ["visa", "mastercard", "amex"],
                        "environment": "production" if livemode else "test",
                        "merchant_id": merchant_id,
                    },
                }
            ]
        }
    }


def _session_messages(
    resource: dict[str, Any], state: dict[str, Any], extra_messages: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """What the agent is told: missing fields, a declined attempt, a payment being confirmed,
    each rejected discount code (at its index), then ``extra_messages``."""
    messages: list[dict[str, Any]] = []
    if resource["status"] in ("pending", "failed"):
        messages.extend(missing_messages(resource["missing_fields"]))
    if resource["status"] == "failed" and not any(
        m.get("code") == "payment_declined" for m in extra_messages
    ):
        messages.append(
            message(
                "error",
                "The last payment attempt was declined; try another payment method.",
                code="payment_declined",
                param="$.payment_data",
            )
        )
    if resource["status"] == "processing":
        messages.append(message("info", "The payment is being confirmed by the processor."))
    for index, code in enumerate((state.get("discounts") or {}).get("codes") or []):
        for rejected in (state.get("discounts") or {}).get("rejected") or []:
            if rejected["code"] == code:
                messages.append(
                    message(
                        "warning",
                        rejected["message"],
                        code=rejected["reason"],
                        param=f"$.discounts.codes[{index}]",
                    )
                )
    messages.extend(extra_messages)
    return messages


def checkout_session(
    resource: dict[str, Any],
    *,
    psp: str,
    merchant_id: str,
    extra_messages: Sequence[dict[str, Any]] = (),
    order: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The ACP ``CheckoutSession`` (with ``order`` once paid) for a native resource."""
    state = acp_state(resource)
    status = acp_status(resource)
    customer = resource["customer"]
    messages = _session_messages(resource, state, extra_messages)
    session: dict[str, Any] = {
        "id": resource["id"],
        "protocol": {"version": API_VERSION},
        "capabilities": capabilities(psp, resource["livemode"], merchant_id),
        "status": status,
        "currency": resource["currency"],
        "line_items": [_line_item(line) for line in resource["line_items"]],
        "fulfillment_options": [_fulfillment_option(o) for o in resource["shipping_options"]],
        "totals": session_totals(resource),
        "messages": messages,
        "links": [],
        "created_at": resource["created_at"],
        "updated_at": resource["updated_at"],
    }
    buyer = _buyer(customer)
    if buyer is not None:
        session["buyer"] = buyer
    details = _fulfillment_details(customer, state.get("fulfillment") or {})
    if details is not None:
        session["fulfillment_details"] = details
    if resource["selected_shipping_option"] is not None:
        session["selected_fulfillment_options"] = [
            {
                "type": "shipping",
                "option_id": resource["selected_shipping_option"],
                "item_ids": [line["id"] for line in resource["line_items"]],
            }
        ]
    if resource["locale"] != "auto":
        session["locale"] = resource["locale"]
    if resource["metadata"]:
        session["metadata"] = resource["metadata"]
    discounts = _discounts(resource, state)
    if discounts is not None:
        session["discounts"] = discounts
    if resource["status"] in ("pending", "failed"):
        session["continue_url"] = resource["permalink"]
        session["expires_at"] = resource["expires_at"]
    if resource["status"] == "completed":
        session["order"] = order_of(resource, status=order_status(order), order=order)
    return session

"""Native sessions in UCP's shapes, and UCP requests as native params (orders:
:mod:`opencheckout.service.ucp_orders`).

A UCP checkout is a native session (same id, totals, readiness and status
machine). What UCP has and the native model has not (the requested discount
codes, buyer consent, destinations the platform sent, whether fulfillment was
asked for) is kept in the session's ``custom`` under :data:`CUSTOM_KEY`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from opencheckout.service import ucp_versions as v
from opencheckout.service.ucp_orders import (
    ADDRESS_FIELDS,
    CUSTOM_KEY,
    line_totals,
    totals,
    ucp_address,
)
from opencheckout.service.ucp_versions import Version

METHOD_ID = "shipping"
GROUP_ID = "package_1"


def state_of(resource: dict[str, Any]) -> dict[str, Any]:
    state = resource["custom"].get(CUSTOM_KEY)
    return dict(state) if isinstance(state, dict) else {}


# --- requests -------------------------------------------------------------------


def native_address(address: dict[str, Any]) -> dict[str, Any]:
    out = {
        native: address.get(ucp)
        for ucp, native in ADDRESS_FIELDS.items()
        if isinstance(address.get(ucp), str) and address.get(ucp)
    }
    if "country" in out:
        out["country"] = str(out["country"]).upper()
    return out


def destination_id(address: dict[str, Any]) -> str:
    """A stable id for an address the platform sent without one."""
    canonical = "|".join(str(address.get(key) or "") for key in ADDRESS_FIELDS.values())
    return "dest_" + hashlib.sha256(canonical.encode()).hexdigest()[:12]


def native_customer(buyer: dict[str, Any] | None) -> dict[str, Any]:
    """The native customer a PUT or create describes: every field, so absent ones clear."""
    buyer = buyer or {}
    first, last = buyer.get("first_name"), buyer.get("last_name")
    full = buyer.get("full_name")
    if isinstance(full, str) and full.strip() and not first and not last:
        first, _, rest = full.strip().partition(" ")
        last = rest or None
    return {
        "email": buyer.get("email") or None,
        "first_name": first or None,
        "last_name": last or None,
        "phone": buyer.get("phone_number") or None,
    }


def native_lines(line_items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Catalog ids and quantities only: the catalog's title and price are the authority."""
    return [{"product": line["item"]["id"], "quantity": line["quantity"]} for line in line_items]


# --- responses ------------------------------------------------------------------


def line_items(version: Version, resource: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": line["id"],
            "item": {"id": line["product"], "title": line["name"], "price": line["unit_amount"]},
            "quantity": line["quantity"],
            "totals": line_totals(version, line),
        }
        for line in resource["line_items"]
    ]


STATUS = {
    "processing": "complete_in_progress",
    "completed": "completed",
    "abandoned": "canceled",
}


def status_of(resource: dict[str, Any], messages: list[dict[str, Any]]) -> str:
    native = resource["status"]
    if native in STATUS:
        return STATUS[native]
    blocking = [m for m in messages if m["type"] == "error"]
    if resource["ready_for_payment"] and not blocking:
        return "ready_for_complete"
    return "incomplete"


def _missing_message(path: str, content: str) -> dict[str, Any]:
    return {
        "type": "error",
        "code": "missing",
        "path": path,
        "content": content,
        "severity": "recoverable",
    }


def buyer(resource: dict[str, Any], state: dict[str, Any]) -> dict[str, Any] | None:
    customer = resource["customer"]
    out = {
        key: customer.get(native)
        for key, native in (
            ("email", "email"),
            ("first_name", "first_name"),
            ("last_name", "last_name"),
            ("phone_number", "phone"),
        )
        if customer.get(native)
    }
    if isinstance(state.get("consent"), dict):
        out["consent"] = state["consent"]
    return out or None


def fulfillment(
    resource: dict[str, Any], state: dict[str, Any], messages: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """One shipping method for every line, its destinations (the platform's and the
    linked customer's saved addresses) and one group with the offered options."""
    customer = resource["customer"]
    saved = [
        {"id": address["id"], **ucp_address(address)}
        for address in customer.get("addresses") or []
        if isinstance(address, dict) and address.get("id")
    ]
    sent = [d for d in state.get("destinations") or [] if isinstance(d, dict)]
    options = resource["shipping_options"]
    if not (state.get("fulfillment") or sent or options):
        return None
    line_ids = [line["id"] for line in resource["line_items"]]
    destinations = sent + [d for d in saved if d["id"] not in {s["id"] for s in sent}]
    selected_destination = state.get("selected_destination_id")
    method: dict[str, Any] = {
        "id": METHOD_ID,
        "type": "shipping",
        "line_item_ids": line_ids,
        "destinations": destinations,
        "selected_destination_id": selected_destination,
    }
    if selected_destination is None:
        messages.append(
            _missing_message(
                "$.fulfillment.methods[0].selected_destination_id",
                "Choose or send a shipping destination.",
            )
        )
        return {"methods": [method]}
    group = {
        "id": GROUP_ID,
        "line_item_ids": line_ids,
        "options": [
            {
                "id": option["id"],
                "title": option["display_name"],
                "totals": [
                    {"type": "subtotal", "amount": option["amount"]},
                    {"type": "total", "amount": option["amount"]},
                ],
            }
            for option in options
        ],
        "selected_option_id": resource["selected_shipping_option"],
    }
    method["groups"] = [group]
    if options and resource["selected_shipping_option"] is None:
        messages.append(
            _missing_message(
                "$.fulfillment.methods[0].groups[0].selected_option_id",
                "Choose a fulfillment option.",
            )
        )
    return {"methods": [method]}


def discounts(resource: dict[str, Any], state: dict[str, Any]) -> dict[str, Any] | None:
    codes = state.get("codes")
    applied_native = resource["discounts"]
    if not codes and not applied_native:
        return None
    applied = []
    recorded = resource.get("discount_allocations") or []
    for n, discount in enumerate(applied_native):
        entry: dict[str, Any] = {
            "title": discount["name"] or discount["code"] or "Discount",
            "amount": discount["amount"],
            "automatic": discount["applied_by"] == "merchant" and not discount["code"],
            "method": "across",
        }
        if discount["code"]:
            entry["code"] = discount["code"]
        parts = recorded[n] if n < len(recorded) else None
        if parts is None and len(applied_native) == 1:
            # Priced before the split was recorded: one coupon took each line's discount.
            parts = [line["amount_discount"] for line in resource["line_items"]]
        if parts is not None:
            entry["allocations"] = [
                {"path": f"$.line_items[{index}]", "amount": amount}
                for index, amount in enumerate(parts)
                if amount
            ]
        applied.append(entry)
    return {"codes": list(codes or []), "applied": applied}


def _rejected_codes(state: dict[str, Any]) -> list[dict[str, Any]]:
    """A warning for each discount code the session did not apply, with the reason."""
    return [
        {
            "type": "warning",
            "code": "discount_code_invalid",
            "path": "$.discounts.codes",
            "content": f"Code '{rejected['code']}' was not applied: {rejected['reason']}",
        }
        for rejected in state.get("rejected") or []
    ]


def _totals_input(resource: dict[str, Any]) -> dict[str, Any]:
    """The session's amounts the UCP totals are built from, and whether shipping is chosen."""
    amounts = {
        key: resource[key]
        for key in ("amount_subtotal", "amount_discount", "amount_shipping", "amount_total")
    }
    amounts["shipping_selected"] = resource["selected_shipping_option"] is not None
    return amounts


def checkout(
    version: Version,
    resource: dict[str, Any],
    active: frozenset[str],
    *,
    extra_messages: list[dict[str, Any]] | None = None,
    order_url: str | None = None,
) -> dict[str, Any]:
    state = state_of(resource)
    messages: list[dict[str, Any]] = []
    if not resource["customer"].get("email"):
        messages.append(_missing_message("$.buyer.email", "Buyer email is required."))
    shaped_fulfillment = fulfillment(resource, state, messages) if v.FULFILLMENT in active else None
    messages.extend(_rejected_codes(state))
    messages.extend(extra_messages or [])
    status = status_of(resource, messages)
    if status in ("completed", "canceled", "complete_in_progress"):
        messages = [m for m in messages if m.get("code") != "missing"]
    amounts = _totals_input(resource)
    body: dict[str, Any] = {
        "ucp": version.metadata("checkout", active),
        "id": resource["id"],
        "status": status,
        "currency": resource["currency"].upper(),
        "line_items": line_items(version, resource),
        "totals": totals(version, amounts),
        "links": [],
        "expires_at": resource["expires_at"],
        "continue_url": resource["permalink"],
        "payment": {"handlers": version.handlers(), "instruments": []}
        if version.arrays
        else {"instruments": []},
    }
    buyer_ = buyer(resource, state)
    if buyer_ is not None:
        if v.BUYER_CONSENT not in active:
            buyer_.pop("consent", None)
        body["buyer"] = buyer_
    if shaped_fulfillment is not None:
        body["fulfillment"] = shaped_fulfillment
    shaped_discounts = discounts(resource, state) if v.DISCOUNT in active else None
    if shaped_discounts is not None:
        body["discounts"] = shaped_discounts
    if messages:
        body["messages"] = messages
    if resource["status"] == "completed":
        body["order"] = {
            "id": "ord_" + resource["id"].removeprefix("cs_"),
            "permalink_url": order_url or resource["permalink"],
        }
    return body

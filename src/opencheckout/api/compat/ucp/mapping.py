"""Native sessions and orders in UCP's shapes, and UCP requests as native params.

A UCP checkout is a native session (same id, totals, readiness and status
machine). What UCP has and the native model has not (the requested discount
codes, buyer consent, destinations the platform sent, whether fulfillment was
asked for) is kept in the session's ``custom`` under :data:`CUSTOM_KEY`.
"""

from __future__ import annotations

import hashlib
from typing import Any

from opencheckout.api.compat.ucp.versions import Version

CUSTOM_KEY = "ucp"
METHOD_ID = "shipping"
GROUP_ID = "package_1"

_ADDRESS_IN = {
    "street_address": "line1",
    "extended_address": "line2",
    "address_locality": "city",
    "address_region": "state",
    "postal_code": "postal_code",
    "address_country": "country",
}


def state_of(resource: dict[str, Any]) -> dict[str, Any]:
    state = resource["custom"].get(CUSTOM_KEY)
    return dict(state) if isinstance(state, dict) else {}


# --- requests -------------------------------------------------------------------


def native_address(address: dict[str, Any]) -> dict[str, Any]:
    out = {
        native: address.get(ucp)
        for ucp, native in _ADDRESS_IN.items()
        if isinstance(address.get(ucp), str) and address.get(ucp)
    }
    if "country" in out:
        out["country"] = str(out["country"]).upper()
    return out


def ucp_address(address: dict[str, Any]) -> dict[str, Any]:
    out = {
        ucp: address.get(native)
        for ucp, native in _ADDRESS_IN.items()
        if address.get(native) not in (None, "")
    }
    return out


def destination_id(address: dict[str, Any]) -> str:
    """A stable id for an address the platform sent without one."""
    canonical = "|".join(str(address.get(key) or "") for key in _ADDRESS_IN.values())
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


def _discount_amount(version: Version, amount: int) -> int:
    return -amount if version.signed_discounts else amount


def _line_totals(version: Version, line: dict[str, Any]) -> list[dict[str, Any]]:
    totals: list[dict[str, Any]] = [{"type": "subtotal", "amount": line["amount_subtotal"]}]
    if line["amount_discount"]:
        totals.append(
            {"type": "discount", "amount": _discount_amount(version, line["amount_discount"])}
        )
    if line["amount_tax"]:
        totals.append({"type": "tax", "amount": line["amount_tax"]})
    totals.append({"type": "total", "amount": line["amount_total"]})
    return totals


def line_items(version: Version, resource: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": line["id"],
            "item": {"id": line["product"], "title": line["name"], "price": line["unit_amount"]},
            "quantity": line["quantity"],
            "totals": _line_totals(version, line),
        }
        for line in resource["line_items"]
    ]


def totals(version: Version, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Session (or order) totals; ``tax`` is what is added on top of the prices, so the
    entries add up to ``total`` (inclusive tax is already inside the subtotal)."""
    exclusive_tax = (
        data["amount_total"]
        - data["amount_subtotal"]
        + data["amount_discount"]
        - data["amount_shipping"]
    )
    out: list[dict[str, Any]] = [
        {"type": "subtotal", "display_text": "Subtotal", "amount": data["amount_subtotal"]}
    ]
    if data["amount_discount"]:
        out.append(
            {
                "type": "discount",
                "display_text": "Discount",
                "amount": _discount_amount(version, data["amount_discount"]),
            }
        )
    if data.get("shipping_selected", True) and (
        data["amount_shipping"] or data.get("shipping_selected")
    ):
        out.append(
            {"type": "fulfillment", "display_text": "Shipping", "amount": data["amount_shipping"]}
        )
    if exclusive_tax:
        out.append({"type": "tax", "display_text": "Tax", "amount": exclusive_tax})
    out.append({"type": "total", "display_text": "Total", "amount": data["amount_total"]})
    return out


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
    single = len(applied_native) == 1
    for discount in applied_native:
        entry: dict[str, Any] = {
            "title": discount["name"] or discount["code"] or "Discount",
            "amount": discount["amount"],
            "automatic": discount["applied_by"] == "merchant" and not discount["code"],
            "method": "across",
        }
        if discount["code"]:
            entry["code"] = discount["code"]
        if single:
            entry["allocations"] = [
                {"path": f"$.line_items[{n}]", "amount": line["amount_discount"]}
                for n, line in enumerate(resource["line_items"])
                if line["amount_discount"]
            ]
        applied.append(entry)
    return {"codes": list(codes or []), "applied": applied}


def checkout(
    version: Version,
    resource: dict[str, Any],
    active: frozenset[str],
    *,
    extra_messages: list[dict[str, Any]] | None = None,
    order_url: str | None = None,
) -> dict[str, Any]:
    from opencheckout.api.compat.ucp import versions as v

    state = state_of(resource)
    messages: list[dict[str, Any]] = []
    if not resource["customer"].get("email"):
        messages.append(_missing_message("$.buyer.email", "Buyer email is required."))
    shaped_fulfillment = fulfillment(resource, state, messages) if v.FULFILLMENT in active else None
    for rejected in state.get("rejected") or []:
        messages.append(
            {
                "type": "warning",
                "code": "discount_code_invalid",
                "path": "$.discounts.codes",
                "content": f"Code '{rejected['code']}' was not applied: {rejected['reason']}",
            }
        )
    messages.extend(extra_messages or [])
    status = status_of(resource, messages)
    if status in ("completed", "canceled", "complete_in_progress"):
        messages = [m for m in messages if m.get("code") != "missing"]
    amounts = {
        key: resource[key]
        for key in (
            "amount_subtotal",
            "amount_discount",
            "amount_shipping",
            "amount_total",
        )
    }
    amounts["shipping_selected"] = resource["selected_shipping_option"] is not None
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


def order(
    version: Version, resource: dict[str, Any], active: frozenset[str], permalink: str
) -> dict[str, Any]:
    """A native order (``service.orders.order_resource``) as a UCP order."""
    events = resource["fulfillment_events"]
    done: dict[str, int] = {}
    for event in events:
        if event["type"] in ("shipped", "delivered"):
            for line in event["line_items"] or [
                {"id": li["id"], "quantity": li["quantity"]} for li in resource["line_items"]
            ]:
                done[line["id"]] = max(done.get(line["id"], 0), 0) + int(line["quantity"])
    lines = []
    for line in resource["line_items"]:
        fulfilled = min(done.get(line["id"], 0), line["quantity"])
        lines.append(
            {
                "id": line["id"],
                "item": {
                    "id": line["product"],
                    "title": line["name"],
                    "price": line["unit_amount"],
                },
                "quantity": {"total": line["quantity"], "fulfilled": fulfilled},
                "totals": _line_totals(version, line),
                "status": "fulfilled"
                if fulfilled >= line["quantity"]
                else ("partial" if fulfilled else "processing"),
            }
        )
    fulfillment_: dict[str, Any] = {
        "events": [
            {
                key: value
                for key, value in {
                    "id": event["id"],
                    "occurred_at": event["occurred_at"],
                    "type": event["type"],
                    "line_items": event["line_items"]
                    or [
                        {"id": li["id"], "quantity": li["quantity"]}
                        for li in resource["line_items"]
                    ],
                    "tracking_number": event.get("tracking_number"),
                    "tracking_url": event.get("tracking_url"),
                    "carrier": event.get("carrier"),
                }.items()
                if value is not None
            }
            for event in events
        ]
    }
    address = resource.get("shipping_address")
    if address:
        fulfillment_["expectations"] = [
            {
                "id": "exp_1",
                "line_items": [
                    {"id": li["id"], "quantity": li["quantity"]} for li in resource["line_items"]
                ],
                "method_type": "shipping",
                "destination": ucp_address(address),
            }
        ]
    amounts = {
        key: resource[key]
        for key in ("amount_subtotal", "amount_discount", "amount_shipping", "amount_total")
    }
    amounts["shipping_selected"] = resource.get("shipping_option") is not None
    body: dict[str, Any] = {
        "ucp": version.metadata("order", active),
        "id": resource["id"],
        "checkout_id": resource["checkout"],
        "permalink_url": permalink,
        "line_items": lines,
        "fulfillment": fulfillment_,
        "adjustments": [_adjustment(version, entry) for entry in resource["adjustments"]],
        "currency": resource["currency"].upper(),
        "totals": totals(version, amounts),
    }
    if version.arrays:
        body.pop("currency")
    return body


def _adjustment(version: Version, entry: dict[str, Any]) -> dict[str, Any]:
    status = {"succeeded": "completed", "pending": "pending"}.get(entry.get("status", ""), "failed")
    out: dict[str, Any] = {
        "id": entry["id"],
        "type": entry.get("type", "refund"),
        "occurred_at": entry.get("occurred_at") or entry.get("created_at"),
        "status": status,
    }
    amount = int(entry.get("amount") or 0)
    if version.arrays:
        out["amount"] = amount
    else:
        out["totals"] = [{"type": "total", "amount": amount}]
    return out

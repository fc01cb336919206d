"""ACP 2025-12-12: ``items``, nested selected options, ``payment_provider`` and flat amounts.

Requests: ``items: [{id, quantity}]`` become ``line_items``; a selected option
``{type, shipping: {option_id, item_ids}}`` becomes ``{type, option_id,
item_ids}``; ``payment_data: {token, provider}`` becomes the delegated-token
handler. There is no ``currency`` (the catalog's is used) and no discounts.
Answers carry ``payment_provider`` instead of capabilities, line items with
flat ``base_amount``/``discount``/``subtotal``/``tax``/``total``, options with
flat amounts, and no discounts, timestamps or continue URL.
"""

from __future__ import annotations

from collections.abc import Callable

from opencheckout.api.compat.acp_versions.base import (
    LEGACY_ERROR_CODES,
    Adapter,
    Json,
    Operation,
    flat_line,
    legacy_buyer,
    legacy_items,
    legacy_links,
    legacy_messages,
    legacy_payment,
    nested_options,
    option_amount,
    order_ref,
    pick,
    plain_address,
)

NAME = "2025-12-12"
TOTAL_TYPES = frozenset(
    {
        "items_base_amount",
        "items_discount",
        "subtotal",
        "discount",
        "fulfillment",
        "tax",
        "fee",
        "total",
    }
)
LINK_TYPES = frozenset({"terms_of_use", "privacy_policy", "return_policy"})
PATHS = (
    (r"^\$\.line_items", "$.items"),
    (
        r"^\$\.selected_fulfillment_options\[(\d+)\]\.(option_id|item_ids)",
        r"$.selected_fulfillment_options[\1].shipping.\2",
    ),
    (r"^\$\.payment_data\.instrument.*", "$.payment_data.token"),
    (r"^\$\.payment_data\.handler_id", "$.payment_data.provider"),
)


def upgrade(operation: Operation, body: Json) -> Json:
    out = dict(body)
    out.pop("agent_capabilities", None)  # 2026-01-16's negotiation draft: nothing to negotiate
    if "items" in out:
        out["line_items"] = legacy_items(out.pop("items"))
    if "selected_fulfillment_options" in out:
        out["selected_fulfillment_options"] = nested_options(out["selected_fulfillment_options"])
    if operation == "complete" and "payment_data" in out:
        out["payment_data"] = legacy_payment(out["payment_data"])
    return out


def payment_provider(_session: Json) -> Json:
    return {
        "provider": "stripe",
        "supported_payment_methods": [
            {"type": "card", "supported_card_networks": ["amex", "mastercard", "visa"]}
        ],
    }


def shipping_option(option: Json) -> Json:
    """A fulfillment option with the flat ``subtotal``/``tax``/``total`` of 2025."""
    out = pick(option, ("type", "id", "title"))
    if option.get("description"):
        out["subtitle"] = option["description"]
    amount = option_amount(option)
    out.update(subtotal=amount, tax=0, total=amount)
    return out


def line_item(line: Json) -> Json:
    out = flat_line(line)
    out.update(pick(line, ("name", "description", "unit_amount")))
    return out


def legacy_session(
    session: Json,
    *,
    paths: Callable[[str | None], str | None],
    provider: Callable[[Json], Json],
    option: Callable[[Json], Json],
) -> Json:
    """The session of 2025-12-12 and 2026-01-16 (they differ in the two callables)."""
    out: Json = {"id": session["id"]}
    buyer = legacy_buyer(session.get("buyer"))
    if buyer is not None:
        out["buyer"] = buyer
    out["payment_provider"] = provider(session)
    out["status"] = session["status"]
    out["currency"] = session["currency"]
    out["line_items"] = [line_item(line) for line in session["line_items"]]
    details = session.get("fulfillment_details")
    if details:
        out["fulfillment_details"] = dict(details)
        if "address" in details:
            out["fulfillment_details"]["address"] = plain_address(details["address"])
    out["fulfillment_options"] = [option(o) for o in session["fulfillment_options"]]
    if session.get("selected_fulfillment_options"):
        out["selected_fulfillment_options"] = [
            {"type": s["type"], s["type"]: {"option_id": s["option_id"], "item_ids": s["item_ids"]}}
            for s in session["selected_fulfillment_options"]
        ]
    out["totals"] = [
        pick(t, ("type", "display_text", "amount", "description"))
        for t in session["totals"]
        if t["type"] in TOTAL_TYPES
    ]
    out["messages"] = legacy_messages(session["messages"], paths, LEGACY_ERROR_CODES)
    out["links"] = legacy_links(session["links"], LINK_TYPES)
    if "order" in session:
        out["order"] = order_ref(session["order"])
    return out


def _session(session: Json) -> Json:
    return legacy_session(
        session, paths=ADAPTER.path, provider=payment_provider, option=shipping_option
    )


ADAPTER = Adapter(
    name=NAME,
    key_required=False,
    upgrade=upgrade,
    session=_session,
    paths=PATHS,
    error_drops=frozenset({"supported_versions"}),
)

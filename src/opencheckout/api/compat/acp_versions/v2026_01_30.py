"""ACP 2026-01-30: the 2026-04-17 shape without what 2026-04-17 added.

Requests are a subset of 2026-04-17's. Answers lose ``marketing_consent_options``,
messages' ``resolution``, handlers' ``display_name``/``display_order``, the
address ``company``, the order's line items, totals and fulfillments (its
``status`` is one of confirmed/processing/shipped/delivered), totals of types
2026-01-30 lacks, and errors' ``supported_versions``.
"""

from __future__ import annotations

from opencheckout.api.compat.acp_versions import v2026_04_17
from opencheckout.api.compat.acp_versions.base import Adapter, Json, pick, plain_address

NAME = "2026-01-30"
_TOTAL_TYPES = frozenset(
    {
        "items_base_amount",
        "items_discount",
        "subtotal",
        "discount",
        "fulfillment",
        "tax",
        "fee",
        "gift_wrap",
        "tip",
        "store_credit",
        "total",
    }
)
_ORDER_KEYS = (
    "id",
    "checkout_session_id",
    "order_number",
    "permalink_url",
    "status",
    "estimated_delivery",
    "confirmation",
    "support",
)
_ORDER_STATUSES = {"created": "confirmed", "confirmed": "confirmed", "shipped": "shipped"}


def order(source: Json) -> Json:
    out = pick(source, _ORDER_KEYS)
    status = _ORDER_STATUSES.get(str(out.pop("status", "")))
    if status is not None:
        out["status"] = status
    return out


def totals(entries: list[Json]) -> list[Json]:
    return [entry for entry in entries if entry["type"] in _TOTAL_TYPES]


def _handlers(capabilities: Json) -> Json:
    payment = capabilities.get("payment")
    if not isinstance(payment, dict):
        return capabilities
    handlers = [
        {k: v for k, v in handler.items() if k not in ("display_name", "display_order")}
        for handler in payment.get("handlers", [])
    ]
    return {**capabilities, "payment": {**payment, "handlers": handlers}}


def _session(session: Json) -> Json:
    out = {k: v for k, v in session.items() if k != "marketing_consent_options"}
    out["protocol"] = {"version": NAME}
    out["capabilities"] = _handlers(session.get("capabilities") or {})
    out["messages"] = [
        {k: v for k, v in m.items() if k != "resolution"} for m in session["messages"]
    ]
    out["totals"] = totals(session["totals"])
    details = session.get("fulfillment_details")
    if details and "address" in details:
        out["fulfillment_details"] = {**details, "address": plain_address(details["address"])}
    if "order" in session:
        out["order"] = order(session["order"])
    return out


ADAPTER = Adapter(
    name=NAME,
    key_required=False,
    upgrade=v2026_04_17.ADAPTER.upgrade,
    session=_session,
    error_drops=frozenset({"supported_versions"}),
)

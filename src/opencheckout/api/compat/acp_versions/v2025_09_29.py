"""ACP 2025-09-29, the first version (and what a request without ``API-Version`` gets).

Requests: ``items``, ``fulfillment_address`` (-> ``fulfillment_details.address``),
``fulfillment_option_id`` (-> one selected option) and ``payment_data: {token,
provider}``. Answers: ``fulfillment_address`` and ``fulfillment_option_id``,
line items with only flat amounts, options with flat amounts, a bare
``payment_provider``, and no ``order`` (the version's ``CheckoutSessionBase``
forbids it; the status says ``completed``).
"""

from __future__ import annotations

from opencheckout.api.compat.acp_versions import v2025_12_12
from opencheckout.api.compat.acp_versions.base import (
    LEGACY_ERROR_CODES,
    Adapter,
    Json,
    Operation,
    flat_line,
    legacy_buyer,
    legacy_links,
    legacy_messages,
    pick,
    plain_address,
)

NAME = "2025-09-29"
_LINK_TYPES = frozenset({"terms_of_use", "privacy_policy", "seller_shop_policies"})
PATHS = (
    (r"^\$\.line_items", "$.items"),
    (r"^\$\.fulfillment_details(\.address)?", "$.fulfillment_address"),
    (r"^\$\.selected_fulfillment_options.*", "$.fulfillment_option_id"),
    (r"^\$\.payment_data\.instrument.*", "$.payment_data.token"),
    (r"^\$\.payment_data\.handler_id", "$.payment_data.provider"),
)


def _upgrade(operation: Operation, body: Json) -> Json:
    out = dict(body)
    if "fulfillment_address" in out:
        out["fulfillment_details"] = {"address": out.pop("fulfillment_address")}
    if "fulfillment_option_id" in out:
        option = out.pop("fulfillment_option_id")
        out["selected_fulfillment_options"] = [
            {"type": "shipping", "option_id": option, "item_ids": []}
        ]
    if operation == "cancel":
        return {}  # no body is defined; StateSet sends {reason, message}: accepted, not stored
    return v2025_12_12.upgrade(operation, out)


def _session(session: Json) -> Json:
    out: Json = {"id": session["id"]}
    buyer = legacy_buyer(session.get("buyer"))
    if buyer is not None:
        out["buyer"] = buyer
    out["payment_provider"] = {"provider": "stripe", "supported_payment_methods": ["card"]}
    out["status"] = session["status"]
    out["currency"] = session["currency"]
    out["line_items"] = [flat_line(line) for line in session["line_items"]]
    address = (session.get("fulfillment_details") or {}).get("address")
    if address:
        out["fulfillment_address"] = plain_address(address)
    out["fulfillment_options"] = [
        v2025_12_12.shipping_option(option) for option in session["fulfillment_options"]
    ]
    selected = session.get("selected_fulfillment_options") or []
    if selected:
        out["fulfillment_option_id"] = selected[0]["option_id"]
    out["totals"] = [
        pick(t, ("type", "display_text", "amount"))
        for t in session["totals"]
        if t["type"] in v2025_12_12.TOTAL_TYPES
    ]
    out["messages"] = legacy_messages(session["messages"], ADAPTER.path, LEGACY_ERROR_CODES)
    out["links"] = legacy_links(session["links"], _LINK_TYPES)
    return out


ADAPTER = Adapter(
    name=NAME,
    key_required=False,
    upgrade=_upgrade,
    session=_session,
    paths=PATHS,
    error_drops=frozenset({"supported_versions"}),
)

"""ACP 2026-04-17: the internal shape itself (the routes speak it)."""

from __future__ import annotations

from opencheckout.api.compat.acp_versions.base import (
    Adapter,
    Json,
    Operation,
    nested_options,
    require_keys,
)


def _upgrade(operation: Operation, body: Json) -> Json:
    if operation == "create":
        require_keys(body, ("line_items", "currency"))
    options = body.get("selected_fulfillment_options")
    if (
        operation == "update"
        and isinstance(options, list)
        and any(isinstance(o, dict) and "option_id" not in o for o in options)
    ):
        # The MCP binding's own examples still send 2025-12-12's nested form.
        return {**body, "selected_fulfillment_options": nested_options(options)}
    return body


ADAPTER = Adapter(name="2026-04-17", key_required=True, upgrade=_upgrade)

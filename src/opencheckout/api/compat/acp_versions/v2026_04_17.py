"""ACP 2026-04-17: the internal shape itself (the routes speak it)."""

from __future__ import annotations

from opencheckout.api.compat.acp_versions.base import Adapter, Json, Operation, require_keys


def _upgrade(operation: Operation, body: Json) -> Json:
    if operation == "create":
        require_keys(body, ("line_items", "currency"))
    return body


ADAPTER = Adapter(name="2026-04-17", key_required=True, upgrade=_upgrade)

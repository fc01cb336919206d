"""ACP 2026-01-16: 2025-12-12 with ``merchant_id`` on the payment provider and
fulfillment options priced by ``totals[]`` (as in later versions)."""

from __future__ import annotations

from opencheckout.api.compat.acp_versions import v2025_12_12
from opencheckout.api.compat.acp_versions.base import Adapter, Json, pick

NAME = "2026-01-16"


def _provider(session: Json) -> Json:
    provider = v2025_12_12.payment_provider(session)
    handlers = (session.get("capabilities") or {}).get("payment", {}).get("handlers", [])
    config = handlers[0].get("config", {}) if handlers else {}
    return {
        "provider": provider["provider"],
        "merchant_id": str(config.get("merchant_id", "")),
        "supported_payment_methods": provider["supported_payment_methods"],
    }


def _option(option: Json) -> Json:
    return pick(option, ("type", "id", "title", "description", "totals"))


def _session(session: Json) -> Json:
    return v2025_12_12.legacy_session(
        session, paths=ADAPTER.path, provider=_provider, option=_option
    )


ADAPTER = Adapter(
    name=NAME,
    key_required=False,
    upgrade=v2025_12_12.upgrade,
    session=_session,
    paths=v2025_12_12.PATHS,
    error_drops=frozenset({"supported_versions"}),
)

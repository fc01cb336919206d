"""Every published ACP version, served by one internal model.

The routes, the native services and the response builder speak one shape:
ACP 2026-04-17. Each older version is a small adapter module that upgrades an
agent's request body to that shape before it is validated, and reshapes every
answer (sessions, lists, errors) back into the agent's version, field paths in
error ``param``\\s and message ``param``\\s included. A new version is one new
module here and one entry in :data:`VERSIONS`.

``API-Version`` picks the adapter. A request without the header is answered in
the first version (2025-09-29): clients written before the header existed,
like the StateSet client, speak that shape.
"""

from __future__ import annotations

from contextvars import ContextVar

from opencheckout.api.compat.acp_versions import (
    v2025_09_29,
    v2025_12_12,
    v2026_01_16,
    v2026_01_30,
    v2026_04_17,
)
from opencheckout.api.compat.acp_versions.base import Adapter, Operation

VERSIONS: dict[str, Adapter] = {
    adapter.name: adapter
    for adapter in (
        v2025_09_29.ADAPTER,
        v2025_12_12.ADAPTER,
        v2026_01_16.ADAPTER,
        v2026_01_30.ADAPTER,
        v2026_04_17.ADAPTER,
    )
}
SUPPORTED_VERSIONS = tuple(VERSIONS)
LATEST = v2026_04_17.ADAPTER
#: What a request without ``API-Version`` is answered in.
DEFAULT = v2025_09_29.ADAPTER

#: The version of the request being served (set by the route class; the MCP
#: binding speaks the latest). A session records the version it was created in.
CURRENT: ContextVar[str] = ContextVar("acp_version", default=LATEST.name)

__all__ = ["CURRENT", "DEFAULT", "LATEST", "SUPPORTED_VERSIONS", "VERSIONS", "Adapter", "Operation"]

"""The UCP MCP tools' arguments, checked against each version's OpenRPC ``params``.

``services/shopping/mcp.openrpc.json`` (2026-04-08) and ``openrpc.json``
(2026-01-11) name each method's parameters (``paramStructure`` by name, so
``arguments`` is the params object). What they require is :data:`PARAMS`; the
test suite holds the table to the files. The payload objects themselves
(``checkout``, ``payment``) are the REST binding's request bodies and are
validated there, with the same structured outcomes.

* 2026-04-08: ``meta`` (with ``ucp-agent``) on every method, and
  ``meta.idempotency-key`` (a UUID) on ``complete_checkout`` and
  ``cancel_checkout``; ``checkout`` on create, update and complete.
* 2026-01-11: no ``meta``; ``idempotency_key`` (a UUID) on ``complete_checkout``
  and ``cancel_checkout``; ``checkout`` on create and update, an optional
  ``payment`` on complete.

The agent may also be named by the HTTP request's ``UCP-Agent`` header (the
REST binding's), which stands in for ``meta.ucp-agent``. A refusal is JSON-RPC
``-32602`` (invalid params) with ``data.path`` (JSONPath into ``arguments``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from opencheckout.service import ucp_versions as versions

Kind = Literal["meta", "string", "object", "uuid"]
_UUID = re.compile(r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}")


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    kind: Kind
    required: bool = True


_META, _ID = Param("meta", "meta"), Param("id", "string")
_CHECKOUT = Param("checkout", "object")
_KEYED_META = Param("meta.idempotency-key", "uuid")
_KEY = Param("idempotency_key", "uuid")

#: Version -> tool -> its parameters.
PARAMS: dict[str, dict[str, tuple[Param, ...]]] = {
    versions.V2026_04_08: {
        "create_checkout": (_META, _CHECKOUT),
        "get_checkout": (_META, _ID),
        "update_checkout": (_META, _ID, _CHECKOUT),
        "complete_checkout": (_META, _KEYED_META, _ID, _CHECKOUT),
        "cancel_checkout": (_META, _KEYED_META, _ID),
        "get_order": (_META, _ID),
    },
    versions.V2026_01_11: {
        "create_checkout": (_CHECKOUT,),
        "get_checkout": (_ID,),
        "update_checkout": (_ID, _CHECKOUT),
        "complete_checkout": (_ID, Param("payment", "object", required=False), _KEY),
        "cancel_checkout": (_ID, _KEY),
        # 2026-01-11's OpenRPC has no order method; the binding serves it as in 2026-04-08.
        "get_order": (_ID,),
    },
}


class InvalidParams(ValueError):
    def __init__(self, path: str, message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _uri(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 2048:
        return False
    parts = urlsplit(value)
    return bool(parts.scheme) and bool(parts.netloc)


def check_meta(meta: Any) -> None:
    """The shape of ``meta`` wherever it is sent (every version)."""
    if meta is None:
        return
    if not isinstance(meta, dict):
        raise InvalidParams("$.meta", "meta must be an object.")
    agent = meta.get("ucp-agent")
    if agent is not None:
        if not isinstance(agent, dict) or not _uri(agent.get("profile")):
            raise InvalidParams("$.meta.ucp-agent.profile", "meta.ucp-agent needs profile, a URI.")
        if "version" in agent and not isinstance(agent["version"], str):
            raise InvalidParams("$.meta.ucp-agent.version", "meta.ucp-agent.version is a string.")
    key = meta.get("idempotency-key")
    if key is not None and not _is_uuid(key):
        raise InvalidParams("$.meta.idempotency-key", "meta.idempotency-key must be a UUID.")


def _is_uuid(value: Any) -> bool:
    """JSON Schema's ``format: uuid``: RFC 9562's hyphenated hex form."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


def _value(arguments: dict[str, Any], name: str) -> Any:
    if name.startswith("meta."):
        meta = arguments.get("meta")
        return meta.get(name.removeprefix("meta.")) if isinstance(meta, dict) else None
    return arguments.get(name)


def check(version: str, tool: str, arguments: dict[str, Any], *, agent_header: bool) -> None:
    """``arguments`` against ``tool``'s params at ``version``, or :class:`InvalidParams`."""
    check_meta(arguments.get("meta"))
    for param in PARAMS[version][tool]:
        value = _value(arguments, param.name)
        path = "$." + param.name
        if value is None:
            if param.name == "meta" and agent_header:
                continue  # the UCP-Agent header stands in for it
            if param.required:
                raise InvalidParams(path, f"Missing required parameter: {param.name}.")
            continue
        if param.kind == "meta":
            if not isinstance(value.get("ucp-agent"), dict) and not agent_header:
                raise InvalidParams(
                    "$.meta.ucp-agent", "Missing required parameter: meta.ucp-agent."
                )
        elif param.kind == "string":
            if not isinstance(value, str) or not value or len(value) > 255 or "/" in value:
                raise InvalidParams(path, f"{param.name} must be a non-empty string id.")
        elif param.kind == "object":
            if not isinstance(value, dict):
                raise InvalidParams(path, f"{param.name} must be an object.")
        elif not _is_uuid(value):
            raise InvalidParams(path, f"{param.name} must be a UUID.")

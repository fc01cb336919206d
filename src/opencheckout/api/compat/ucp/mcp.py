"""UCP's MCP binding at ``POST /ucp/mcp``: JSON-RPC 2.0 over Streamable HTTP.

The tools are the shopping service's operations (``create_checkout``,
``get_checkout``, ``update_checkout``, ``complete_checkout``,
``cancel_checkout``, ``get_order``). Each call is run by the REST binding's own
route, in process (the same negotiation, account, idempotency, native services
and totals); the binding only translates the envelope:

* ``arguments.meta`` carries what REST puts in headers: ``ucp-agent``
  (``{"profile": ..., "version": ...}``; without it the HTTP request's
  ``UCP-Agent`` header is used) and ``idempotency-key`` (2026-01-11's
  ``idempotency_key`` argument too). Authentication is the REST binding's: an API
  key sent on the HTTP request is checked the same way.
* A result is the UCP payload in ``structuredContent`` and, serialized, in
  ``content[]``; a resource outcome (no such checkout, a declined payment) is the
  ``error_response`` envelope with ``isError: true``. Negotiation failures are
  JSON-RPC error ``-32001``, other protocol errors ``-32000`` (``-32603`` for 500),
  with the REST body as ``data`` and the REST status as the HTTP status.
* The arguments are checked against the negotiated version's OpenRPC params
  (:mod:`.mcp_params`): a missing or mistyped one is ``-32602`` with
  ``data.path``, before anything runs.
* ``initialize``, ``ping``, ``tools/list``; notifications (no ``id``) get 202.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from fastapi import APIRouter, Request, Response

from opencheckout import __version__
from opencheckout.api.auth import app_context
from opencheckout.api.compat.ucp import mcp_params as params_
from opencheckout.api.compat.ucp import negotiation
from opencheckout.api.compat.ucp.errors import UcpError
from opencheckout.api.compat.ucp.rest import ERROR_SCHEMA
from opencheckout.api.compat.ucp.route import account_id
from opencheckout.service import ucp_versions as versions

MCP_VERSIONS = ("2025-06-18", "2025-03-26", "2024-11-05")
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS = -32700, -32600, -32601, -32602
PROTOCOL_ERROR, DISCOVERY_ERROR, INTERNAL_ERROR = -32000, -32001, -32603
NEGOTIATION_CODES = frozenset(
    {"invalid_profile_url", "profile_unreachable", "profile_malformed", "version_unsupported"}
)
FORWARDED_HEADERS = ("authorization", "x-api-key", "request-id", "signature", "signature-input")

router = APIRouter(prefix="/ucp", tags=["UCP (universal commerce)"])
#: A JSON-RPC error object, or (before any JSON-RPC: UCP not configured) UCP's own.
RPC_OR_UCP_ERROR: dict[str, Any] = {
    "anyOf": [
        {
            "type": "object",
            "required": ["jsonrpc", "error"],
            "properties": {
                "jsonrpc": {"const": "2.0", "description": "Always `2.0`."},
                "error": {"type": "object", "description": "JSON-RPC `{code, message, data}`."},
            },
        },
        ERROR_SCHEMA,
    ]
}


class RpcError(Exception):
    def __init__(
        self, code: int, message: str, data: Any = None, *, status_code: int = 200
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data
        self.status_code = status_code


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str
    method: str
    path: str
    needs_id: bool
    body: str | None  # the argument carrying the body


TOOLS = {
    tool.name: tool
    for tool in (
        Tool(
            "create_checkout",
            "Create a checkout session from catalog items.",
            "POST",
            "/checkout-sessions",
            False,
            "checkout",
        ),
        Tool(
            "get_checkout", "Get a checkout session.", "GET", "/checkout-sessions/{id}", True, None
        ),
        Tool(
            "update_checkout",
            "Update (replace) a checkout session.",
            "PUT",
            "/checkout-sessions/{id}",
            True,
            "checkout",
        ),
        Tool(
            "complete_checkout",
            "Pay and place the order (mock handler tokens in test mode).",
            "POST",
            "/checkout-sessions/{id}/complete",
            True,
            "checkout",
        ),
        Tool(
            "cancel_checkout",
            "Cancel a checkout session.",
            "POST",
            "/checkout-sessions/{id}/cancel",
            True,
            None,
        ),
        Tool("get_order", "Get an order.", "GET", "/orders/{id}", True, None),
    )
}


def _input_schema(tool: Tool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "meta": {
            "type": "object",
            "properties": {
                "ucp-agent": {
                    "type": "object",
                    "required": ["profile"],
                    "properties": {
                        "profile": {"type": "string", "format": "uri"},
                        "version": {"type": "string"},
                    },
                },
                "idempotency-key": {"type": "string"},
            },
        }
    }
    required = []
    if tool.needs_id:
        properties["id"] = {"type": "string"}
        required.append("id")
    if tool.body is not None:
        properties[tool.body] = {"type": "object"}
        if tool.name != "complete_checkout":
            required.append(tool.body)
    return {"type": "object", "properties": properties, "required": required}


def tool_list() -> list[dict[str, Any]]:
    return [
        {"name": tool.name, "description": tool.description, "inputSchema": _input_schema(tool)}
        for tool in TOOLS.values()
    ]


def _agent_header(meta: dict[str, Any], request: Request) -> str | None:
    agent = meta.get("ucp-agent")
    if isinstance(agent, dict) and isinstance(agent.get("profile"), str):
        header = f'profile="{_quoted(agent["profile"])}"'
        if isinstance(agent.get("version"), str):
            header += f', version="{_quoted(agent["version"])}"'
        return header
    return request.headers.get("ucp-agent")


def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


async def _version(request: Request, agent: str | None) -> str:
    """The version the call is served at (the arguments are checked against its
    params); a negotiation refusal is the JSON-RPC error REST's would become."""
    try:
        negotiated = await negotiation.negotiate(app_context(request), agent)
    except UcpError as exc:
        rpc_code = DISCOVERY_ERROR if exc.code in NEGOTIATION_CODES else PROTOCOL_ERROR
        body = {"code": exc.code, "content": exc.content}
        raise RpcError(rpc_code, exc.content, body, status_code=exc.status_code) from exc
    return negotiated.version.name


def _body(tool: Tool, arguments: dict[str, Any]) -> Any:
    if tool.body is None:
        return None
    body = arguments.get(tool.body)
    if tool.name == "complete_checkout" and body is None:
        # 2026-01-11's complete_checkout takes `payment` (or `payment_data`) itself.
        body = {key: arguments[key] for key in ("payment", "payment_data") if key in arguments}
    if not isinstance(body, dict):
        raise RpcError(INVALID_PARAMS, f"'{tool.body}' must be an object.")
    return body


async def _checked(
    request: Request, tool: Tool, arguments: dict[str, Any]
) -> tuple[dict[str, Any], str | None, str]:
    """``meta``, the agent header and the negotiated version, once the arguments hold
    to that version's params."""
    try:
        params_.check_meta(arguments.get("meta"))
        meta: dict[str, Any] = arguments.get("meta") or {}
        agent = _agent_header(meta, request)
        version = await _version(request, agent)
        params_.check(
            version,
            tool.name,
            arguments,
            agent_header=request.headers.get(negotiation.HEADER) is not None,
        )
    except params_.InvalidParams as exc:
        raise RpcError(INVALID_PARAMS, exc.message, {"path": exc.path}) from exc
    return meta, agent, version


async def _call(request: Request, params: Any) -> dict[str, Any]:
    if not isinstance(params, dict) or not isinstance(params.get("name"), str):
        raise RpcError(INVALID_PARAMS, "tools/call needs params.name.")
    tool = TOOLS.get(params["name"])
    if tool is None:
        raise RpcError(INVALID_PARAMS, f"Unknown tool: {params['name'][:64]}")
    arguments = params.get("arguments") or {}
    if not isinstance(arguments, dict):
        raise RpcError(INVALID_PARAMS, "arguments must be an object.")
    meta, agent, version = await _checked(request, tool, arguments)
    path = tool.path.replace("{id}", str(arguments.get("id")))
    headers = {
        name: value
        for name in FORWARDED_HEADERS
        if (value := request.headers.get(name)) is not None
    }
    if agent is not None:
        headers["ucp-agent"] = agent
    key = meta.get("idempotency-key") if version == versions.V2026_04_08 else None
    key = key or arguments.get("idempotency_key") or meta.get("idempotency-key")
    if isinstance(key, str):
        headers["idempotency-key"] = key
    body = _body(tool, arguments)
    if body is not None:
        headers["content-type"] = "application/json"
    transport = httpx.ASGITransport(app=request.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ucp.internal") as client:
        response = await client.request(
            tool.method,
            "/ucp" + path,
            headers=headers,
            content=orjson.dumps(body) if body is not None else None,
        )
    answer = response.json()
    is_envelope = isinstance(answer, dict) and "messages" in answer and "ucp" in answer
    if response.status_code >= 400 and not is_envelope:
        code = answer.get("code") if isinstance(answer, dict) else None
        rpc_code = (
            DISCOVERY_ERROR
            if code in NEGOTIATION_CODES
            else INTERNAL_ERROR
            if response.status_code >= 500
            else PROTOCOL_ERROR
        )
        message = (answer.get("content") if isinstance(answer, dict) else None) or "Refused."
        raise RpcError(rpc_code, str(message), answer, status_code=response.status_code)
    result: dict[str, Any] = {
        "structuredContent": answer,
        "content": [{"type": "text", "text": response.text}],
    }
    if response.status_code >= 400 or (is_envelope and answer["ucp"].get("status") == "error"):
        result["isError"] = True
    return result


def _initialize(params: Any) -> dict[str, Any]:
    asked = params.get("protocolVersion") if isinstance(params, dict) else None
    return {
        "protocolVersion": asked if asked in MCP_VERSIONS else MCP_VERSIONS[0],
        "capabilities": {"tools": {"listChanged": False}},
        "serverInfo": {"name": "opencheckout-ucp", "version": __version__},
        "instructions": "UCP shopping tools ("
        + ", ".join(versions.SUPPORTED)
        + "); name the platform in arguments.meta['ucp-agent'].",
    }


def _rpc(body: dict[str, Any], status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def _rpc_error(rpc_id: Any, error: RpcError, status_code: int | None = None) -> Response:
    payload: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.data is not None:
        payload["data"] = error.data
    return _rpc(
        {"jsonrpc": "2.0", "id": rpc_id, "error": payload},
        status_code if status_code is not None else error.status_code,
    )


@router.post(
    "/mcp",
    summary="UCP over MCP (JSON-RPC 2.0, Streamable HTTP)",
    responses={
        202: {"description": "A notification (no id): accepted, no body."},
        **{
            status: {
                "description": description,
                "content": {"application/json": {"schema": RPC_OR_UCP_ERROR}},
            }
            for status, description in (
                (400, "Not a JSON-RPC 2.0 request object, or a refused negotiation."),
                (401, "An API key was sent and is not valid."),
                (402, "Not used: a declined payment is a tool result with isError."),
                (403, "A key of another account or mode."),
                (404, "UCP is not configured here."),
                (409, "Idempotency key reused with other arguments."),
                (422, "version_unsupported or profile_malformed."),
                (424, "The platform profile could not be fetched."),
                (500, "Unexpected error."),
                (503, "Temporarily unavailable; retry."),
            )
        },
    },
)
async def mcp(request: Request) -> Response:
    """`initialize`, `tools/list` and `tools/call` for the shopping tools."""
    try:
        await account_id(app_context(request), request.app.state)
    except UcpError as exc:
        return exc.response()
    try:
        message = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return _rpc_error(None, RpcError(PARSE_ERROR, "Parse error: the body is not JSON."), 400)
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        return _rpc_error(None, RpcError(INVALID_REQUEST, "Send one JSON-RPC 2.0 object."), 400)
    rpc_id = message.get("id")
    method = message.get("method")
    if not isinstance(method, str):
        return _rpc_error(rpc_id, RpcError(INVALID_REQUEST, "A method name is required."), 400)
    if "id" not in message:
        return Response(status_code=202)
    if not isinstance(rpc_id, str | int) or isinstance(rpc_id, bool):
        return _rpc_error(None, RpcError(INVALID_REQUEST, "The id is a string or a number."), 400)
    params = message.get("params")
    try:
        if method == "initialize":
            result: Any = _initialize(params)
        elif method == "ping":
            result = {}
        elif method == "tools/list":
            result = {"tools": tool_list()}
        elif method == "tools/call":
            result = await _call(request, params)
        else:
            raise RpcError(METHOD_NOT_FOUND, f"Method not found: {method[:64]}")
    except RpcError as exc:
        return _rpc_error(rpc_id, exc)
    return _rpc({"jsonrpc": "2.0", "id": rpc_id, "result": result})

"""ACP's MCP binding (2026-04-17) at ``POST /acp/mcp``: JSON-RPC 2.0 over Streamable HTTP.

Five tools map one to one onto the REST operations, and run the very same
route functions of :mod:`opencheckout.api.compat.acp` (so the same native
services, totals and rules); the binding only translates the envelope:

* ``initialize``, ``ping``, ``tools/list`` and ``tools/call``; notifications
  (no ``id``) are accepted with 202 and no body. Answers are
  ``application/json`` (the transport's SSE stream is optional and not offered;
  ``GET`` is 405). The server keeps no MCP session.
* Authentication is the REST binding's: ``Authorization: Bearer <API key>`` on
  the HTTP request (401/403 as flat ACP errors); reading tools need a read
  key, the others a secret key.
* ``arguments.meta`` carries what REST puts in headers: ``api_version``
  (``2026-04-17``, the only version with an MCP binding) and an optional
  ``idempotency_key`` with REST's semantics (same key and arguments: the same
  answer; other arguments: ``idempotency_conflict``).
* A tool's result is the ACP ``CheckoutSession`` itself, as the binding's
  OpenRPC document defines it; a refusal is a JSON-RPC error ``-32000`` whose
  ``data`` is the flat ACP ``Error`` with ``param`` under ``$.payload``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ValidationError

from opencheckout import __version__
from opencheckout.api.auth import app_context, authenticate
from opencheckout.api.compat import acp, acp_errors
from opencheckout.api.compat.acp_errors import AcpError
from opencheckout.api.compat.acp_schemas import (
    CancelSessionRequest,
    CheckoutSessionCompleteRequest,
    CheckoutSessionCreateRequest,
    CheckoutSessionUpdateRequest,
    Error,
)
from opencheckout.api.compat.acp_versions import LATEST, Operation
from opencheckout.api.errors import APIError
from opencheckout.service import idempotency
from opencheckout.service.auth import Principal
from opencheckout.service.context import Context

MCP_VERSIONS = ("2025-06-18", "2025-03-26", "2024-11-05")
#: JSON-RPC error codes.
PARSE_ERROR, INVALID_REQUEST, METHOD_NOT_FOUND, INVALID_PARAMS, ACP_ERROR = (
    -32700,
    -32600,
    -32601,
    -32602,
    -32000,
)
MAX_ID_LENGTH = 200

router = APIRouter(prefix="/acp", tags=["ACP (agentic commerce)"])

#: The JSON-RPC 2.0 envelopes, as the OpenAPI document describes them.
_RPC_ID: dict[str, Any] = {"type": ["string", "integer"]}
_JSONRPC: dict[str, Any] = {"const": "2.0", "description": "Always `2.0`."}
_RESPONSE_ID: dict[str, Any] = {
    "type": ["string", "integer", "null"],
    "description": "The request's `id` (null when it could not be read).",
}
RPC_REQUEST_SCHEMA: dict[str, Any] = {
    "title": "JsonRpcRequest",
    "type": "object",
    "required": ["jsonrpc", "method"],
    "properties": {
        "jsonrpc": _JSONRPC,
        "id": {**_RPC_ID, "description": "Absent in a notification (answered 202)."},
        "method": {
            "type": "string",
            "enum": ["initialize", "ping", "tools/list", "tools/call"],
            "description": "The MCP method; `tools/call` runs one of the ACP tools.",
        },
        "params": {
            "type": "object",
            "description": "The method's parameters; for `tools/call`: `{name, arguments}`.",
        },
    },
    "example": {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}},
}
_RPC_ERROR_OBJECT: dict[str, Any] = {
    "type": "object",
    "required": ["code", "message"],
    "properties": {
        "code": {"type": "integer", "description": "JSON-RPC error code, e.g. -32600."},
        "message": {"type": "string", "description": "What went wrong, in words."},
        "data": {"description": "The flat ACP Error for -32000."},
    },
}
RPC_ERROR_SCHEMA: dict[str, Any] = {
    "title": "JsonRpcErrorResponse",
    "type": "object",
    "required": ["jsonrpc", "id", "error"],
    "properties": {
        "jsonrpc": _JSONRPC,
        "id": _RESPONSE_ID,
        "error": {**_RPC_ERROR_OBJECT, "description": "Why the call failed."},
    },
    "example": {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32600, "message": "A method name is required."},
    },
}
RPC_RESPONSE_SCHEMA: dict[str, Any] = {
    "title": "JsonRpcResponse",
    "type": "object",
    "required": ["jsonrpc", "id"],
    "properties": {
        "jsonrpc": _JSONRPC,
        "id": _RESPONSE_ID,
        "result": {"description": "The method's result (a tool's: the ACP CheckoutSession)."},
        "error": {**_RPC_ERROR_OBJECT, "description": "Why the call failed."},
    },
    "oneOf": [{"required": ["result"]}, {"required": ["error"]}],
    "example": {"jsonrpc": "2.0", "id": 1, "result": {}},
}


class RpcError(Exception):
    def __init__(self, code: int, message: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data


Handler = Callable[[Request, Principal, Context, dict[str, Any]], Awaitable[Response]]


@dataclass(frozen=True, slots=True)
class Tool:
    name: str
    description: str
    writes: bool
    payload: type[BaseModel] | None
    takes_id: bool
    run: Handler


def _session_id(arguments: dict[str, Any]) -> str:
    value = arguments.get("id")
    if not isinstance(value, str) or not value or len(value) > MAX_ID_LENGTH or "\x00" in value:
        raise AcpError(400, "invalid", "A checkout session id is required.", param="$.id")
    return value


def _payload(model: type[BaseModel], arguments: dict[str, Any], *, required: bool = True) -> Any:
    raw = arguments.get("payload")
    if raw is None and not required:
        return None
    if not isinstance(raw, dict):
        raise AcpError(400, "missing", "The tool needs a payload object.", param="$.payload")
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise acp_errors.validation_error(exc, in_body=False) from exc


def _upgraded(operation: Operation, args: dict[str, Any]) -> dict[str, Any]:
    """The REST binding's leniencies and checks (2026-04-17's adapter) apply here too."""
    raw = args.get("payload")
    return {**args, "payload": LATEST.upgrade(operation, raw)} if isinstance(raw, dict) else args


async def _create(request: Request, principal: Principal, ctx: Context, args: Any) -> Response:
    body = _payload(CheckoutSessionCreateRequest, _upgraded("create", args))
    return await acp.create_checkout_session(body, principal, ctx)


async def _get(request: Request, principal: Principal, ctx: Context, args: Any) -> Response:
    return await acp.retrieve_checkout_session(_session_id(args), principal, ctx)


async def _update(request: Request, principal: Principal, ctx: Context, args: Any) -> Response:
    body = _payload(CheckoutSessionUpdateRequest, _upgraded("update", args))
    return await acp.update_checkout_session(_session_id(args), body, principal, ctx)


async def _complete(request: Request, principal: Principal, ctx: Context, args: Any) -> Response:
    body = _payload(CheckoutSessionCompleteRequest, args)
    return await acp.complete_checkout_session(_session_id(args), body, principal, ctx)


async def _cancel(request: Request, principal: Principal, ctx: Context, args: Any) -> Response:
    body = _payload(CancelSessionRequest, args, required=False)
    return await acp.cancel_checkout_session(_session_id(args), body, principal, ctx)


TOOLS = {
    tool.name: tool
    for tool in (
        Tool(
            "create_checkout_session",
            "Create a checkout session from catalog line items, currency and capabilities. "
            "Maps to POST /checkout_sessions.",
            True,
            CheckoutSessionCreateRequest,
            False,
            _create,
        ),
        Tool(
            "get_checkout_session",
            "Retrieve a checkout session. Maps to GET /checkout_sessions/{id}.",
            False,
            None,
            True,
            _get,
        ),
        Tool(
            "update_checkout_session",
            "Update buyer, items, fulfillment details and options, or discount codes. "
            "Maps to POST /checkout_sessions/{id}.",
            True,
            CheckoutSessionUpdateRequest,
            True,
            _update,
        ),
        Tool(
            "complete_checkout_session",
            "Pay with a delegated token and place the order. "
            "Maps to POST /checkout_sessions/{id}/complete.",
            True,
            CheckoutSessionCompleteRequest,
            True,
            _complete,
        ),
        Tool(
            "cancel_checkout_session",
            "Cancel a session that is not completed. Maps to POST /checkout_sessions/{id}/cancel.",
            True,
            CancelSessionRequest,
            True,
            _cancel,
        ),
    )
}

_META_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["api_version"],
    "additionalProperties": True,
    "properties": {
        "api_version": {"type": "string", "enum": [LATEST.name]},
        "idempotency_key": {"type": "string", "minLength": 1, "maxLength": 255},
        "request_id": {"type": "string"},
        "user_agent": {"type": "string"},
        "accept_language": {"type": "string"},
        "signature": {"type": "string"},
        "timestamp": {"type": "string", "format": "date-time"},
    },
}


def _input_schema(tool: Tool) -> dict[str, Any]:
    properties: dict[str, Any] = {"meta": _META_SCHEMA}
    required = ["meta"]
    if tool.takes_id:
        properties["id"] = {"type": "string", "description": "The checkout session id."}
        required.append("id")
    if tool.payload is not None:
        properties["payload"] = tool.payload.model_json_schema()
        if tool.name != "cancel_checkout_session":
            required.append("payload")
    return {"type": "object", "properties": properties, "required": required}


def tool_list() -> list[dict[str, Any]]:
    return [
        {"name": tool.name, "description": tool.description, "inputSchema": _input_schema(tool)}
        for tool in TOOLS.values()
    ]


def _payload_param(param: str | None) -> str | None:
    """``$.line_items[0]`` -> ``$.payload.line_items[0]``: where it is in the arguments."""
    if (
        param is None
        or not param.startswith("$.")
        or param.startswith(("$.payload", "$.id", "$.meta"))
    ):
        return param
    return "$.payload." + param[2:]


def _acp_error(response: Response) -> RpcError:
    data = orjson.loads(bytes(response.body))
    if "param" in data:
        data["param"] = _payload_param(data["param"])
    return RpcError(ACP_ERROR, str(data.get("message", "The request was refused.")), data)


def _meta(arguments: dict[str, Any]) -> dict[str, Any]:
    meta = arguments.get("meta")
    if not isinstance(meta, dict):
        raise AcpError(
            400, "missing", "arguments.meta with api_version is required.", param="$.meta"
        )
    version = meta.get("api_version")
    if version != LATEST.name:
        raise AcpError(
            400,
            "unsupported_api_version",
            f"The MCP binding speaks API version {LATEST.name}.",
            param="$.meta.api_version",
            supported_versions=(LATEST.name,),
        )
    key = meta.get("idempotency_key")
    if key is not None and (not isinstance(key, str) or not 1 <= len(key) <= 255):
        raise AcpError(
            400, "invalid", "meta.idempotency_key must be 1-255 characters.", param="$.meta"
        )
    return meta


def _fingerprint(principal: Principal, tool: str, arguments: dict[str, Any]) -> str:
    body = {key: value for key, value in arguments.items() if key != "meta"}
    digest = hashlib.sha256(f"mcp\0{principal.livemode}\0{tool}\0".encode())
    digest.update(orjson.dumps(body, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()


async def _call(request: Request, params: Any) -> Any:
    if not isinstance(params, dict) or not isinstance(params.get("name"), str):
        raise RpcError(INVALID_PARAMS, "tools/call needs params.name and params.arguments.")
    tool = TOOLS.get(params["name"])
    if tool is None:
        raise RpcError(INVALID_PARAMS, f"Unknown tool: {str(params['name'])[:64]}")
    arguments = params.get("arguments")
    if not isinstance(arguments, dict):
        raise RpcError(INVALID_PARAMS, "params.arguments must be an object.")
    principal = await authenticate(request)
    if tool.writes and not principal.can_write:
        raise APIError(
            403,
            "insufficient_scope",
            "This restricted key can only read (scope checkouts:read); use a secret key.",
            type="permission_error",
        )
    ctx = app_context(request)
    try:
        meta = _meta(arguments)
        key = meta.get("idempotency_key") if tool.writes else None
        if key is None:
            return await _run(tool, request, principal, ctx, arguments)
        fingerprint = _fingerprint(principal, tool.name, arguments)
        owner = idempotency.Owner(principal.account_id, principal.key_id)
        replay = await idempotency.claim(ctx, owner, key, fingerprint)
        if replay is not None:
            return _answer(replay.status_code, replay.body)
        try:
            status, body = await _outcome(tool, request, principal, ctx, arguments)
        except Exception:
            await idempotency.record(ctx, owner, key, 500, b"", {})  # releases it
            raise
        await idempotency.record(ctx, owner, key, status, body, {})
        return _answer(status, body)
    except RpcError:
        raise
    except Exception as exc:
        rendered = acp_errors.render_error(exc)
        if rendered is None:
            raise
        raise _acp_error(rendered) from exc


async def _outcome(
    tool: Tool, request: Request, principal: Principal, ctx: Context, arguments: dict[str, Any]
) -> tuple[int, bytes]:
    """What the tool answered, errors included, as stored for an idempotent replay."""
    try:
        response = await tool.run(request, principal, ctx, arguments)
    except Exception as exc:
        rendered = acp_errors.render_error(exc)
        if rendered is None:
            raise
        response = rendered
    return response.status_code, bytes(response.body)


def _answer(status: int, body: bytes) -> Any:
    if status >= 400:
        raise _acp_error(Response(body, status_code=status))
    return orjson.loads(body)


async def _run(
    tool: Tool, request: Request, principal: Principal, ctx: Context, arguments: dict[str, Any]
) -> Any:
    response = await tool.run(request, principal, ctx, arguments)
    return _answer(response.status_code, bytes(response.body))


def _initialize(params: Any) -> dict[str, Any]:
    asked = params.get("protocolVersion") if isinstance(params, dict) else None
    return {
        "protocolVersion": asked if asked in MCP_VERSIONS else MCP_VERSIONS[0],
        "capabilities": {"tools": {"listChanged": False}},
        "serverInfo": {"name": "opencheckout-acp", "version": __version__},
        "instructions": f"ACP {LATEST.name} checkout tools. Authenticate with a Bearer API key.",
    }


async def _dispatch(request: Request, method: str, params: Any) -> Any:
    if method == "initialize":
        return _initialize(params)
    if method == "ping":
        return {}
    if method == "tools/list":
        return {"tools": tool_list()}
    if method == "tools/call":
        return await _call(request, params)
    raise RpcError(METHOD_NOT_FOUND, f"Method not found: {method[:64]}")


def _rpc(body: dict[str, Any], status_code: int = 200) -> Response:
    return Response(orjson.dumps(body), status_code=status_code, media_type="application/json")


def _rpc_error(rpc_id: Any, error: RpcError, status_code: int = 200) -> Response:
    payload: dict[str, Any] = {"code": error.code, "message": error.message}
    if error.data is not None:
        payload["data"] = error.data
    return _rpc({"jsonrpc": "2.0", "id": rpc_id, "error": payload}, status_code)


@router.post(
    "/mcp",
    summary="ACP over MCP (JSON-RPC 2.0, Streamable HTTP)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": RPC_REQUEST_SCHEMA}},
        }
    },
    responses={
        200: {
            "description": "A JSON-RPC response: the result, or a JSON-RPC error (an ACP "
            "refusal is -32000 with the flat ACP Error as data).",
            "content": {"application/json": {"schema": RPC_RESPONSE_SCHEMA}},
        },
        202: {"description": "A notification (no id): accepted, no body."},
        400: {
            "description": "Not a JSON-RPC 2.0 request object (a JSON-RPC error), or a body "
            "the shared input rules refuse before it is read as JSON-RPC (a flat ACP error).",
            "content": {
                "application/json": {
                    "schema": {"anyOf": [RPC_ERROR_SCHEMA, {"$ref": "#/components/schemas/Error"}]},
                    "example": RPC_ERROR_SCHEMA["example"],
                }
            },
        },
        401: {"model": Error, "description": "Missing or invalid API key (flat ACP error)."},
        403: {"model": Error, "description": "A read-only key called a writing tool."},
        413: {"model": Error, "description": "The body is too large (flat ACP error)."},
        415: {"model": Error, "description": "The body is not application/json."},
    },
)
async def mcp(request: Request) -> Response:
    """`initialize`, `tools/list` and `tools/call` for the five checkout tools."""
    try:
        message = orjson.loads(await request.body())
    except orjson.JSONDecodeError:
        return _rpc_error(None, RpcError(PARSE_ERROR, "Parse error: the body is not JSON."), 400)
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        error = RpcError(INVALID_REQUEST, "Send one JSON-RPC 2.0 request object.")
        return _rpc_error(None, error, 400)
    rpc_id = message.get("id")
    method = message.get("method")
    if not isinstance(method, str):
        return _rpc_error(rpc_id, RpcError(INVALID_REQUEST, "A method name is required."), 400)
    if "id" not in message:
        return Response(status_code=202)  # a notification: nothing to answer
    if not isinstance(rpc_id, str | int) or isinstance(rpc_id, bool):
        return _rpc_error(None, RpcError(INVALID_REQUEST, "The id is a string or a number."), 400)
    try:
        result = await _dispatch(request, method, message.get("params"))
    except RpcError as exc:
        return _rpc_error(rpc_id, exc)
    except APIError as exc:  # authentication: answered as the REST binding does
        rendered = acp_errors.render_error(exc)
        assert rendered is not None
        return rendered
    except Exception as exc:
        rendered = acp_errors.render_error(exc)
        if rendered is None:
            raise
        return _rpc_error(rpc_id, _acp_error(rendered))
    return _rpc({"jsonrpc": "2.0", "id": rpc_id, "result": result})

"""The shared input rule (:mod:`opencheckout.domain.inputs`) applied to every request.

A pure ASGI middleware, in front of the routes, the hot path and the hosted
page, so no dialect can forget it:

* NUL in the path: 404 (no object has such an id; the hosted page shows its own
  "not found" page). NUL in the query string: 422 naming the parameter.
* A JSON body with a NUL string or a number the rule refuses (an exponent, too
  many digits, NaN/Infinity): 422 naming the parameter, in the dialect's error
  shape (ACP: its flat 400).

Clean bodies pay one regular-expression scan; only a body that might break the
rule is parsed (with number hooks that never build a number) to name the field.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Receive, Scope, Send

from opencheckout.api.compat.acp_schemas import API_VERSION
from opencheckout.api.middleware import media_type, read_body, replaying
from opencheckout.domain.inputs import has_nul, nul_message, number_problem

#: Cheap pre-check: a body without any of these cannot break the rule.
_SUSPECT = re.compile(rb"\\u0000|[0-9]{20}|[0-9][eE]|NaN|Infinity|[0-9]\.[0-9]{21}")
#: Objects whose keys are the merchant's: a problem inside names the field itself.
_FREE_FORM = frozenset({"metadata", "custom"})
_ID = "id"
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PAGE_PREFIX = "/c/"
ACP_PREFIX = "/acp"
QUADERNO_PREFIX = "/api/"
#: Where a page path with NUL is sent: a token that cannot exist, so the page
#: answers with its own localized 404.
_NO_SUCH_TOKEN = "/c/~"  # noqa: S105 (a path, not a secret)


@dataclass(frozen=True, slots=True)
class Refusal:
    status: int
    code: str
    message: str
    param: str | None


class _Refused:
    """What the locating parse puts in place of a number the rule refuses."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


def _number(text: str) -> object:
    problem = number_problem(text)
    return _Refused(problem) if problem else 0


def _constant(text: str) -> object:
    return _Refused(f"{text} is not a number JSON allows.")


def _join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _first_problem(value: Any, path: str) -> tuple[str, str | None] | None:
    """(param, number problem or None for NUL) of the first refused value in ``value``."""
    if isinstance(value, _Refused):
        return path, value.problem
    if isinstance(value, str):
        return (path, None) if has_nul(value) else None
    children: list[tuple[str, Any]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            child = _join(path, key.replace("\x00", ""))
            if has_nul(key):
                return child, None
            children.append((child, item))
    elif isinstance(value, list):
        children = [(_join(path, index), item) for index, item in enumerate(value)]
    for child, item in children:
        found = _first_problem(item, child)
        if found is not None:
            if child.rsplit(".", 1)[-1] in _FREE_FORM:
                return child, found[1]
            return found
    return None


def json_refusal(body: bytes) -> Refusal | None:
    """The rule's refusal of a JSON body, or None (also for bodies that are not JSON)."""
    if not _SUSPECT.search(body):
        return None
    try:
        parsed = json.loads(body, parse_float=_number, parse_int=_number, parse_constant=_constant)
    except (ValueError, RecursionError):
        return None  # the route answers "not valid JSON"
    found = _first_problem(parsed, "")
    if found is None:
        return None
    param, problem = found
    message = nul_message(param or None) if problem is None else f"Invalid {param}: {problem}"
    return Refusal(422, "parameter_invalid", message, param or None)


def query_refusal(query_string: bytes) -> Refusal | None:
    if b"%00" not in query_string and b"\x00" not in query_string:
        return None
    for name, value in parse_qsl(query_string.decode("latin-1"), keep_blank_values=True):
        if has_nul(name) or has_nul(value):
            param = name.replace("\x00", "") or None
            return Refusal(422, "parameter_invalid", nul_message(param), param)
    return None


def _acp_param(param: str | None) -> str | None:
    if param is None:
        return None
    return "$." + param if not param.startswith("[") else "$" + param


def render(path: str, refusal: Refusal) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    """Status, headers and body of ``refusal`` in the error shape of ``path``'s dialect."""
    headers = [(b"content-type", b"application/json")]
    if path == ACP_PREFIX or path.startswith(ACP_PREFIX + "/"):
        param = refusal.param if refusal.status == 404 else _acp_param(refusal.param)
        message = refusal.message
        if param and refusal.param and refusal.status != 404:
            message = message.replace(refusal.param, param, 1)
        flat: dict[str, Any] = {
            "type": "invalid_request",
            "code": "not_found" if refusal.status == 404 else "invalid",
            "message": message,
        }
        if param is not None:
            flat["param"] = param
        headers.append((b"api-version", API_VERSION.encode()))
        return (404 if refusal.status == 404 else 400), headers, orjson.dumps(flat)
    error = {
        "type": "invalid_request_error",
        "code": refusal.code,
        "message": refusal.message,
        "param": refusal.param,
    }
    body: dict[str, Any] = {"error": error}
    if path.startswith(QUADERNO_PREFIX):
        body["errors"] = {refusal.param or "base": [refusal.message]}
    return refusal.status, headers, orjson.dumps(body)


def _may_be_json(scope: Scope) -> bool:
    """JSON, or no content type at all (the Quaderno routes parse such bodies too)."""
    content_type = media_type(dict(scope.get("headers", [])).get(b"content-type", b""))
    return not content_type or content_type.endswith(b"json")


def _url_refusal(scope: Scope) -> Refusal | None:
    if has_nul(scope["path"]):
        return Refusal(404, "resource_missing", "No such object: ids never contain NUL.", _ID)
    return query_refusal(scope.get("query_string", b""))


class InputGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        refusal = _url_refusal(scope)
        body: bytes | None = None
        if refusal is None and scope["method"] in _BODY_METHODS:
            messages, body = await read_body(receive)
            receive = replaying(messages, receive)
        if path.startswith(PAGE_PREFIX):
            # The buyer's page: a link or a form with NUL is one no session has.
            form_nul = body is not None and (b"%00" in body or b"\x00" in body)
            if refusal is not None or form_nul:
                scope = {**scope, "path": _NO_SUCH_TOKEN, "query_string": b""}
            await self.app(scope, receive, send)
            return
        if refusal is None and body is not None and _may_be_json(scope):
            refusal = json_refusal(body)
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, headers, content = render(path, refusal)
        headers.append((b"content-length", str(len(content)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": content})

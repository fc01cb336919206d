"""UCP's MCP binding: tool arguments checked against each version's OpenRPC params,
and a fuzz of ``POST /ucp/mcp`` with UCP configured (never a 500, never an answer that
is not JSON-RPC), over real HTTP on both engines."""

from __future__ import annotations

import json
import uuid
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from opencheckout.api.compat.ucp.mcp import TOOLS
from opencheckout.api.compat.ucp.mcp_params import PARAMS
from tests.conftest import require_shared
from tests.test_ucp import UCP, V1, V2, complete_body, line, shop

__all__ = ["shop"]

INVALID_PARAMS = -32602
OPENRPC = {V1: "openrpc.json", V2: "mcp.openrpc.json"}


def _openrpc(version: str) -> dict[str, Any]:
    path = UCP / f"v{version}" / "source" / "services" / "shopping" / OPENRPC[version]
    document: dict[str, Any] = json.loads(require_shared(path).read_text())
    return document


def _required(param: dict[str, Any]) -> set[str]:
    """A param's name, and ``meta.<key>`` for what an allOf adds to meta's required."""
    names = {param["name"]} if param.get("required") else set()
    for part in param["schema"].get("allOf", []):
        for key in part.get("required", []):
            if key != "ucp-agent":
                names.add(f"{param['name']}.{key}")
    return names


@pytest.mark.parametrize("version", [V1, V2])
def test_param_table_is_the_openrpc_files(version: str) -> None:
    methods = {m["name"]: m for m in _openrpc(version)["methods"]}
    for tool, params in PARAMS[version].items():
        assert tool in TOOLS
        if tool not in methods:
            assert version == V1 and tool == "get_order"
            continue
        spec = methods[tool]["params"]
        assert {p.name for p in params if p.required} == set().union(*map(_required, spec))
        assert {p.name for p in params if "." not in p.name} == {p["name"] for p in spec}
        for param in spec:
            if param["schema"].get("format") == "uuid":
                assert next(p for p in params if p.name == param["name"]).kind == "uuid"


def rpc(client: httpx.Client, name: str, arguments: Any, headers: Any = None) -> httpx.Response:
    return client.post(
        "/ucp/mcp",
        json={
            "jsonrpc": "2.0",
            "id": 7,
            "method": "tools/call",
            "params": {"name": name, "arguments": arguments},
        },
        headers=headers,
    )


def invalid(response: httpx.Response, path: str) -> None:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["jsonrpc"] == "2.0" and body["id"] == 7
    assert body["error"]["code"] == INVALID_PARAMS, body
    assert body["error"]["data"]["path"] == path, body


def agent(version: str) -> dict[str, Any]:
    return {"ucp-agent": {"profile": "https://agent.example/.well-known/ucp", "version": version}}


def test_arguments_follow_each_versions_params(shop: Any) -> None:
    checkout = {"line_items": [line("bouquet_tulips")], "buyer": {"email": "p@example.com"}}
    with httpx.Client(base_url=shop.url, timeout=30) as client:
        meta2, meta1 = agent(V2), agent(V1)
        created = rpc(client, "create_checkout", {"meta": meta2, "checkout": checkout})
        checkout_id = created.json()["result"]["structuredContent"]["id"]
        # 2026-04-08: cancel and complete need meta.idempotency-key, a UUID.
        invalid(
            rpc(client, "cancel_checkout", {"meta": meta2, "id": checkout_id}),
            ("$.meta.idempotency-key"),
        )
        bad_key = {**meta2, "idempotency-key": "not-a-uuid"}
        invalid(
            rpc(client, "cancel_checkout", {"meta": bad_key, "id": checkout_id}),
            ("$.meta.idempotency-key"),
        )
        pay = complete_body(V2, "success_token")
        invalid(
            rpc(client, "complete_checkout", {"meta": meta2, "id": checkout_id, "checkout": pay}),
            ("$.meta.idempotency-key"),
        )
        keyed = {**meta2, "idempotency-key": str(uuid.uuid4())}
        invalid(rpc(client, "complete_checkout", {"meta": keyed, "id": checkout_id}), "$.checkout")
        invalid(rpc(client, "create_checkout", {"meta": meta2}), "$.checkout")
        invalid(rpc(client, "create_checkout", {"meta": meta2, "checkout": [1]}), "$.checkout")
        invalid(rpc(client, "get_checkout", {"meta": meta2}), "$.id")
        invalid(rpc(client, "get_checkout", {"meta": meta2, "id": 5}), "$.id")
        invalid(rpc(client, "get_checkout", {"meta": "x", "id": checkout_id}), "$.meta")
        invalid(
            rpc(client, "get_checkout", {"meta": {"ucp-agent": {"profile": 3}}, "id": "x"}),
            "$.meta.ucp-agent.profile",
        )
        # meta is required, unless the HTTP request names the agent in UCP-Agent.
        missing_meta = rpc(client, "get_checkout", {"id": checkout_id})
        assert missing_meta.json()["error"]["code"] == -32001  # invalid_profile_url
        header = {"UCP-Agent": f'profile="https://agent.example/.well-known/ucp", version="{V2}"'}
        by_header = rpc(client, "get_checkout", {"id": checkout_id}, headers=header)
        assert by_header.json()["result"]["structuredContent"]["id"] == checkout_id
        canceled = rpc(
            client,
            "cancel_checkout",
            {"meta": {**meta2, "idempotency-key": str(uuid.uuid4())}, "id": checkout_id},
        )
        assert canceled.json()["result"]["structuredContent"]["status"] == "canceled"

        # 2026-01-11: idempotency_key, a UUID, on complete and cancel; no meta needed.
        old = rpc(client, "create_checkout", {"meta": meta1, "checkout": checkout})
        old_id = old.json()["result"]["structuredContent"]["id"]
        invalid(rpc(client, "cancel_checkout", {"meta": meta1, "id": old_id}), "$.idempotency_key")
        invalid(
            rpc(client, "cancel_checkout", {"meta": meta1, "id": old_id, "idempotency_key": "1"}),
            "$.idempotency_key",
        )
        # The 2026-04-08 key does not stand in for 2026-01-11's.
        invalid(
            rpc(
                client,
                "complete_checkout",
                {
                    "meta": {**meta1, "idempotency-key": str(uuid.uuid4())},
                    "id": old_id,
                    **complete_body(V1, "success_token"),
                },
            ),
            "$.idempotency_key",
        )
        invalid(
            rpc(
                client,
                "complete_checkout",
                {"meta": meta1, "id": old_id, "payment": 1, "idempotency_key": str(uuid.uuid4())},
            ),
            "$.payment",
        )
        header1 = {"UCP-Agent": f'profile="https://agent.example/.well-known/ucp", version="{V1}"'}
        done = rpc(
            client,
            "cancel_checkout",
            {"id": old_id, "idempotency_key": str(uuid.uuid4())},
            headers=header1,
        )
        assert done.json()["result"]["structuredContent"]["status"] == "canceled"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
NAMES = st.sampled_from([*TOOLS, "search_catalog", "", "x" * 100]) | st.text(max_size=20)
META = st.fixed_dictionaries(
    {},
    optional={
        "ucp-agent": st.fixed_dictionaries(
            {
                "profile": st.sampled_from(["https://agent.example/.well-known/ucp", "", "nope"])
                | JSON
            },
            optional={"version": st.sampled_from([V1, V2, "2099-01-01", "x"]) | JSON},
        )
        | JSON,
        "idempotency-key": st.uuids().map(str) | JSON,
    },
)
ARGUMENTS = st.fixed_dictionaries(
    {},
    optional={
        "meta": META | JSON,
        "id": st.sampled_from(["cs_nope", "", "a/b", "ord_x"]) | JSON,
        "checkout": st.fixed_dictionaries(
            {},
            optional={
                "line_items": st.lists(
                    st.fixed_dictionaries(
                        {
                            "item": st.fixed_dictionaries(
                                {"id": st.sampled_from(["bouquet_roses", "nope"]) | JSON}
                            )
                        },
                        optional={"quantity": JSON},
                    ),
                    max_size=2,
                )
                | JSON,
                "buyer": JSON,
                "discounts": JSON,
                "fulfillment": JSON,
                "payment": JSON,
                "ap2": JSON,
            },
        )
        | JSON,
        "payment": JSON,
        "idempotency_key": st.uuids().map(str) | JSON,
    },
)
MESSAGES = st.one_of(
    st.fixed_dictionaries(
        {"jsonrpc": st.just("2.0"), "method": st.just("tools/call"), "id": st.integers(0, 9)},
        optional={
            "params": st.fixed_dictionaries(
                {"name": NAMES}, optional={"arguments": ARGUMENTS | JSON}
            )
            | JSON
        },
    ),
    st.fixed_dictionaries(
        {"jsonrpc": st.sampled_from(["2.0", "1.0"]) | JSON},
        optional={
            "method": st.sampled_from(["initialize", "tools/list", "ping", "nope"]) | JSON,
            "id": JSON,
            "params": JSON,
        },
    ),
    JSON,
)


def test_fuzz_mcp_answers_json_rpc_and_never_500(shop: Any) -> None:
    with httpx.Client(base_url=shop.url, timeout=30) as client:

        @seed(20261202)
        @settings(
            max_examples=150,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(message=MESSAGES)
        def fuzz(message: Any) -> None:
            try:
                content = json.dumps(message, allow_nan=False).encode()
            except (ValueError, OverflowError):
                content = repr(message).encode()
            response = client.post(
                "/ucp/mcp", content=content, headers={"Content-Type": "application/json"}
            )
            assert response.status_code < 500, (message, response.text)
            if response.status_code == 202:
                assert response.content == b""
                return
            body = response.json()
            assert body["jsonrpc"] == "2.0", (message, body)
            assert ("result" in body) != ("error" in body), (message, body)
            if "error" in body:
                assert isinstance(body["error"]["code"], int)
                assert isinstance(body["error"]["message"], str)

        fuzz()


def test_refusals_before_the_binding_are_json_rpc(shop: Any) -> None:
    """The shared input rules and the router answer /ucp/mcp in JSON-RPC too (the one
    middleware, with UCP's renderer), keeping their HTTP status."""
    with httpx.Client(base_url=shop.url, timeout=30) as client:
        cases = [
            client.post(
                "/ucp/mcp",
                content=b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"n":1e400}}',
                headers={"Content-Type": "application/json"},
            ),
            client.post("/ucp/mcp", content=b"{}", headers={"Content-Type": "text/plain"}),
            client.post(
                "/ucp/mcp",
                content=b'{"a":"' + b"x" * 2_000_000 + b'"}',
                headers={"Content-Type": "application/json"},
            ),
            client.get("/ucp/mcp"),
        ]
        for response in cases:
            assert 400 <= response.status_code < 500, response.text
            body = response.json()
            assert body["jsonrpc"] == "2.0" and body["id"] is None, body
            assert body["error"]["code"] in (-32600, -32700, -32000), body
            assert isinstance(body["error"]["data"]["code"], str)
        # Elsewhere under /ucp the protocol shape stays {code, content}.
        other = client.get("/ucp/nowhere")
        assert other.status_code == 404 and set(other.json()) == {"code", "content"}

"""Fuzzing: schemathesis generates requests from the service's own ``/openapi.json``
and sends them to the live test server over HTTP, on SQLite and PostgreSQL.

Valid requests and deliberately invalid ones (schemathesis' negative mode) are
mixed. Every response must be a non-5xx whose status, content type and body match
what the schema documents for it. The run is bounded (examples per operation,
a fixed seed, no shrinking past a deadline) so it stays within CI's budget and
fails the same way every time.
"""

from __future__ import annotations

import uuid
from urllib.parse import quote

import httpx
import orjson
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

#: Generated cases per operation and engine: enough to cross every parameter's
#: edge cases, few enough that both engines fuzz in about a minute.
EXAMPLES_PER_OPERATION = 25
#: Findings in code outside this change, reported to its owners rather than
#: hidden: these operations are not fuzzed until they are fixed.
KNOWN_ISSUES: dict[str, str] = {}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def _operations(server):
    document = httpx.get(f"{server.url}/openapi.json", timeout=30).json()
    schema = schemathesis.openapi.from_dict(document)
    for result in schema.get_all_operations():
        yield result.ok()


def test_no_operation_answers_5xx_or_breaks_its_schema(server, account):
    failures: list[str] = []
    headers = {"Authorization": f"Bearer {account.secret_key}"}
    operations = list(_operations(server))
    assert len(operations) > 10

    for operation in operations:
        if operation.label in KNOWN_ISSUES:
            continue

        @seed(20261123)
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(
            case=st.one_of(
                operation.as_strategy(GenerationMode.POSITIVE),
                operation.as_strategy(GenerationMode.NEGATIVE),
            )
        )
        def fuzz(case: schemathesis.Case) -> None:
            response = case.call(base_url=server.url, headers=headers, timeout=30)
            case.validate_response(response, checks=CHECKS, headers=headers)

        try:
            fuzz()
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis raises a group
            failures.append(f"{operation.label}: {exc}")
    assert not failures, "\n\n".join(failures)


@pytest.fixture(autouse=True)
def _quiet_schemathesis_warnings(recwarn):
    """Schemathesis warns about schema features it skips; they are not our failures."""
    yield


# --------------------------------------------------------------------------- #
# Hostile values in every dialect and on the hosted page (issue 11)
# --------------------------------------------------------------------------- #

#: Values that once froze the server or reached the database as a 500: NUL,
#: huge exponents and digit runs, 64-bit overflow, hosts outside Latin-1 and
#: malformed punycode. Drawn into paths, queries, JSON leaves and form fields.
HOSTILE_TEXT = st.sampled_from(
    [
        "\x00",
        "a\x00b",
        "1E+999999",
        "1e-999999",
        "9" * 5000,
        "9223372036854775808",
        "-9223372036854775809",
        "NaN",
        "https://магазин.example/thanks",
        "https://例え.jp/",
        "http://xn--:8151/hook",
        "https://xn--/",
        "https://☃.example/",
    ]
)
#: JSON number tokens written raw into bodies (json.dumps cannot write them).
HOSTILE_NUMBERS = st.sampled_from(
    ["1E+999999", "-1e999999", "1e-999999", "9" * 5000, "9223372036854775808", "NaN", "Infinity"]
)
HOSTILE_RUNS = 60

_LINE = {"product": "fz", "name": "Fuzz", "unit_amount": 100, "quantity": 1}
#: A valid body per write route; one leaf at a time is replaced by a hostile value.
BODIES: list[tuple[str, str, dict[str, object]]] = [
    (
        "POST",
        "/v1/checkouts",
        {
            "currency": "eur",
            "line_items": [_LINE],
            "success_url": "https://shop.example/ok",
            "cancel_url": "https://shop.example/cart",
            "customer": {"email": "a@example.com", "first_name": "A"},
            "metadata": {"k": "v"},
            "custom": {"n": 1},
        },
    ),
    ("POST", "/v1/tax_rates", {"display_name": "VAT", "percentage": 21, "inclusive": False}),
    ("POST", "/v1/coupons", {"percent_off": 10, "name": "ten"}),
    ("POST", "/v1/products", {"id": "fz", "name": "Fuzz", "unit_amount": 1, "currency": "eur"}),
    (
        "POST",
        "/v1/webhook_endpoints",
        {"url": "https://example.com/h", "enabled_events": ["*"], "description": "d"},
    ),
    (
        "POST",
        "/api/checkout/sessions.json",
        {
            "items": [{"product": "fz", "amount": "19.99", "currency": "EUR", "quantity": 1}],
            "customer": {"first_name": "A", "billing_country": "ES"},
            "success_url": "https://shop.example/ok",
        },
    ),
    (
        "POST",
        "/acp/checkout_sessions",
        {"line_items": [{"id": "fz", "quantity": 1}], "buyer": {"first_name": "A"}},
    ),
]
PATHS = [
    "/v1/checkouts/{}",
    "/v1/checkouts/{}/line_items",
    "/v1/products/{}",
    "/v1/events/{}",
    "/api/checkout/sessions/{}.json",
    "/api/checkout/session/{}.json",
    "/acp/checkout_sessions/{}",
    "/c/{}",
    "/c/{}/return",
]
QUERIES = [
    ("/v1/checkouts", ["limit", "page", "created[gte]", "customer", "starting_after", "status"]),
    ("/api/checkout/sessions.json", ["created_before", "limit", "status"]),
    ("/v1/events", ["limit", "type", "created[lt]"]),
]


def _leaves(value: object, path: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    if isinstance(value, dict):
        return [leaf for key, item in value.items() for leaf in _leaves(item, (*path, key))]
    if isinstance(value, list):
        return [leaf for i, item in enumerate(value) for leaf in _leaves(item, (*path, i))]
    return [path]


def _replaced(body: object, path: tuple[object, ...], marker: object) -> object:
    if not path:
        return marker
    head, *rest = path
    if isinstance(body, dict):
        return {k: (_replaced(v, tuple(rest), marker) if k == head else v) for k, v in body.items()}
    assert isinstance(body, list)
    return [_replaced(v, tuple(rest), marker) if i == head else v for i, v in enumerate(body)]


def _hostile_body(draw: st.DrawFn) -> tuple[str, str, bytes]:
    method, path, body = draw(st.sampled_from(BODIES))
    leaf = draw(st.sampled_from(_leaves(body)))
    marker = "__HOSTILE__"
    text = orjson.dumps(_replaced(body, leaf, marker)).decode()
    if draw(st.booleans()):
        raw = orjson.dumps(draw(HOSTILE_TEXT)).decode()
    else:
        raw = draw(HOSTILE_NUMBERS)
    return method, path, text.replace(f'"{marker}"', raw).encode()


@st.composite
def hostile_requests(draw: st.DrawFn) -> tuple[str, str, bytes | None, dict[str, str]]:
    kind = draw(st.sampled_from(["body", "path", "query"]))
    if kind == "body":
        method, path, body = _hostile_body(draw)
        return method, path, body, {"content-type": "application/json"}
    value = quote(draw(HOSTILE_TEXT), safe="")
    if kind == "path":
        method = draw(st.sampled_from(["GET", "DELETE", "PUT", "POST"]))
        path = draw(st.sampled_from(PATHS)).format(value)
        body = b"{}" if method in ("PUT", "POST") and not path.startswith("/c/") else None
        return method, path, body, {"content-type": "application/json"} if body else {}
    route, names = draw(st.sampled_from(QUERIES))
    return "GET", f"{route}?{draw(st.sampled_from(names))}={value}", None, {}


def test_hostile_values_never_5xx_in_any_dialect(server, account):
    """Every dialect and the page answer hostile input with a 4xx (or a success), never a
    5xx, and at once: the timeout is far below the ~33 s the old exponent bug took."""
    headers = {"Authorization": f"Bearer {account.secret_key}", "API-Version": "2026-04-17"}
    failures: list[str] = []
    with httpx.Client(base_url=server.url, headers=headers, timeout=15) as client:

        @seed(20261202)
        @settings(
            max_examples=HOSTILE_RUNS,
            deadline=None,
            database=None,
            derandomize=True,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        @given(request=hostile_requests())
        def fuzz(request: tuple[str, str, bytes | None, dict[str, str]]) -> None:
            method, path, body, extra = request
            response = client.request(
                method,
                path,
                content=body,
                headers={**extra, "Idempotency-Key": uuid.uuid4().hex},
            )
            if response.status_code >= 500:
                failures.append(f"{method} {path} {body!r:.200} -> {response.status_code}")

        fuzz()
    assert not failures, "\n".join(failures)


def test_fuzzing_covers_the_quaderno_and_acp_dialects(server):
    labels = {operation.label for operation in _operations(server)}
    assert any(" /api/" in label for label in labels), labels
    assert any(" /acp/" in label for label in labels), labels

"""The served OpenAPI document, walked operation by operation."""

from __future__ import annotations

import httpx
import pytest
from jsonschema import Draft202012Validator


@pytest.fixture(scope="module")
def document(server) -> dict:
    response = httpx.get(server.url + "/openapi.json", timeout=120)
    assert response.status_code == 200
    return response.json()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield method, path, operation


def test_every_operation_documents_429_with_its_code(document):
    for method, path, operation in _operations(document):
        assert "429" in operation["responses"], (method, path)
        assert operation["x-error-codes"]["429"] == ["rate_limited"], (method, path)
        assert "`rate_limited`" in operation["responses"]["429"]["description"]


def test_every_error_response_lists_its_codes(document):
    for method, path, operation in _operations(document):
        codes = operation["x-error-codes"]
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert codes[status], (method, path, status)
                for code in codes[status]:
                    assert f"`{code}`" in response["description"], (method, path, status)
    complete = document["paths"]["/v1/checkouts/{checkout_id}/complete"]["post"]
    assert "checkout_not_payable" in complete["x-error-codes"]["409"]
    assert complete["x-error-codes"]["401"] == ["api_key_missing", "api_key_invalid"]


def test_idempotency_key_is_documented_wherever_it_is_honoured(document, server, api):
    documented = set()
    for method, path, operation in _operations(document):
        names = {p["name"].lower() for p in operation.get("parameters", []) if p["in"] == "header"}
        if "idempotency-key" in names:
            documented.add((method, path))
    assert ("post", "/v1/checkouts") in documented
    assert ("post", "/v1/checkouts/{checkout_id}/complete") in documented
    assert ("post", "/v1/webhook_endpoints") in documented
    assert all(method == "post" for method, _path in documented)
    # And it is really honoured there: the same key replays the first answer.
    from tests.factories import session_body

    headers = {"Idempotency-Key": "openapi-doc-check-" + server.engine}
    first = api.post("/v1/checkouts", json=session_body(), headers=headers)
    again = api.post("/v1/checkouts", json=session_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]


def _undescribed(schema, where: str):
    """Every property below ``schema`` (nested objects, items, unions) without a description."""
    if not isinstance(schema, dict):
        return
    for name, sub in schema.get("properties", {}).items():
        if not sub.get("description"):
            yield f"{where}.{name}"
        yield from _undescribed(sub, f"{where}.{name}")
    for key in ("items", "additionalProperties"):
        yield from _undescribed(schema.get(key), f"{where}[]")
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            yield from _undescribed(option, where)


def test_every_property_and_parameter_is_described(document):
    missing = [
        found
        for name, schema in document["components"]["schemas"].items()
        for found in _undescribed(schema, name)
    ]
    for method, path, operation in _operations(document):
        missing += [
            f"{method} {path} {parameter['in']} {parameter['name']}"
            for parameter in operation.get("parameters", [])
            if not parameter.get("description")
        ]
        for content in operation.get("requestBody", {}).get("content", {}).values():
            missing += list(_undescribed(content.get("schema"), f"{method} {path} body"))
        for status, response in operation["responses"].items():
            for content in response.get("content", {}).values():
                missing += list(_undescribed(content.get("schema"), f"{method} {path} {status}"))
    assert not missing, f"{len(missing)} undescribed: {missing[:20]}"
    # Descriptions say units and ids, not just the name again.
    checkout = document["components"]["schemas"]["Checkout"]["properties"]
    assert "minor unit" in checkout["amount_subtotal"]["description"]
    assert "`cs_" in checkout["id"]["description"]
    assert "ISO 4217" in checkout["currency"]["description"]
    parameters = document["paths"]["/v1/products"]["get"]["parameters"]
    limit = next(p for p in parameters if p["name"] == "limit")
    assert limit["description"] == "How many objects per page: 1 to 100, default 20."


def test_every_operation_has_examples_that_match_their_schemas(document):
    components = document["components"]["schemas"]
    for method, path, operation in _operations(document):
        examples = 0
        bodies = [
            content
            for response in operation["responses"].values()
            for media, content in response.get("content", {}).items()
            if "json" in media
        ]
        bodies += [
            content
            for media, content in operation.get("requestBody", {}).get("content", {}).items()
            if "json" in media
        ]
        for content in bodies:
            assert "example" in content or "examples" in content, (method, path)
            examples += 1
            if "example" in content and "schema" in content:
                schema = {**content["schema"], "$defs": components}
                schema = _rebase_refs(schema)
                errors = list(Draft202012Validator(schema).iter_errors(content["example"]))
                assert not errors, (method, path, errors[0].message)
        assert examples, (method, path)


def _rebase_refs(value):
    if isinstance(value, dict):
        return {
            key: (
                item.replace("#/components/schemas/", "#/$defs/")
                if key == "$ref" and isinstance(item, str)
                else _rebase_refs(item)
            )
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_rebase_refs(item) for item in value]
    return value


#: (method, path, body or query, status, code) the test provokes; ``{cs}`` is a fresh session.
_PROVOKED = [
    (
        "post",
        "/v1/checkouts",
        {"line_items": [{"product": "a", "unit_amount": 1}], "currency": "eur", "typo": 1},
        422,
        "parameter_unknown",
    ),
    (
        "post",
        "/v1/checkouts",
        {"line_items": [{"product": "nope"}], "currency": "eur"},
        422,
        "product_not_found",
    ),
    (
        "post",
        "/v1/checkouts",
        {"line_items": [{"product": "a", "unit_amount": 1}], "currency": "xxx"},
        422,
        "currency_invalid",
    ),
    ("get", "/v1/checkouts", {"created[gte]": "yesterday"}, 422, "timestamp_invalid"),
    ("post", "/v1/checkouts/{cs}/refunds", {}, 409, "checkout_not_refundable"),
    ("post", "/v1/checkouts/{cs}/recover", {}, 409, "checkout_not_recoverable"),
    ("post", "/v1/checkouts/{cs}/discounts", {"code": "NOPE"}, 409, "coupon_collection_disabled"),
    (
        "post",
        "/v1/products",
        {"id": "dup", "name": "A", "unit_amount": 1, "currency": "eur"},
        409,
        "product_exists",
    ),
    ("post", "/v1/products/dup/stock", {"adjust": -5}, 409, "insufficient_stock"),
    ("post", "/v1/coupons", {"percent_off": 200}, 422, "percentage_invalid"),
    ("post", "/v1/coupons", {"percent_off": 10, "code": "DUPE"}, 409, "coupon_code_exists"),
    ("post", "/v1/customers", {"email": "dup@example.com"}, 409, "customer_email_exists"),
    (
        "post",
        "/v1/shipping_rates",
        {"display_name": "S", "amount": 1, "currency": "eur", "countries": ["XX"]},
        422,
        "country_invalid",
    ),
    (
        "post",
        "/v1/webhook_endpoints",
        {"url": "ftp://example.com", "enabled_events": ["*"]},
        422,
        "url_invalid",
    ),
    ("get", "/v1/tax_rates/txr_missing", None, 404, "resource_missing"),
    ("get", "/v1/orders/ord_missing", None, 404, "resource_missing"),
]


def _template(document: dict, path: str) -> str:
    """The document's path template a concrete path (or one with ``{cs}``) falls under."""
    parts = path.split("/")
    for template in document["paths"]:
        pattern = template.split("/")
        if len(pattern) == len(parts) and all(
            want == got or want.startswith("{") for want, got in zip(pattern, parts, strict=True)
        ):
            return template
    raise AssertionError(f"no route for {path}")


def test_each_error_a_route_answers_is_listed_for_it(document, api):
    """Provoke errors across the resources; every code the server answers (recorded by
    tests/error_codes.py, as in every HTTP test) must be in that operation's list."""
    from tests.error_codes import OBSERVED, Observation, undocumented
    from tests.factories import create_session

    session = create_session(api)["id"]
    api.post(
        "/v1/products",
        json={"id": "dup", "name": "A", "unit_amount": 1, "currency": "eur", "stock": 1},
    )
    api.post("/v1/coupons", json={"percent_off": 10, "code": "DUPE"})
    api.post("/v1/customers", json={"email": "dup@example.com"})
    for method, path, payload, status, code in _PROVOKED:
        url = path.replace("{cs}", session)
        if method == "get":
            response = api.get(url, params=payload)
        else:
            response = api.request(method, url, json=payload)
        assert response.status_code == status, (method, path, response.text)
        if code:
            assert response.json()["error"]["code"] == code, (method, path, response.text)
    provoked = {
        Observation(method, _template(document, path), str(status), code)
        for method, path, _payload, status, code in _PROVOKED
    }
    assert provoked <= OBSERVED, sorted(map(str, provoked - OBSERVED))  # the recorder saw them
    assert not undocumented(document, provoked)
    # And the check has teeth: a code the document does not list is reported.
    made_up = Observation("get", "/v1/products", "404", "made_up_code")
    assert undocumented(document, [made_up]) == ["GET /v1/products 404 made_up_code"]

"""HTTP behaviour: error shapes for bad requests, limits, headers, docs, probes."""

from __future__ import annotations

import json

import httpx

from tests.factories import assert_error, create_session, session_body


def test_malformed_json_is_400(api):
    response = api.post(
        "/v1/checkouts",
        content=b'{"currency": "eur",',
        headers={"Content-Type": "application/json"},
    )
    assert_error(response, 400, code="invalid_json")
    assert_error(
        api.post("/v1/checkouts", content=b"", headers={"Content-Type": "application/json"}), 400
    )
    assert_error(api.post("/v1/checkouts", json=[1, 2]), 422)


def test_body_that_is_not_utf8_is_invalid_json(api):
    latin1 = '{"currency": "eur", "metadata": {"k": "é"}}'.encode("latin-1")
    for method, path in (("POST", "/v1/checkouts"), ("POST", "/v1/webhook_endpoints")):
        response = api.request(
            method, path, content=latin1, headers={"Content-Type": "application/json"}
        )
        error = assert_error(response, 400, code="invalid_json")
        assert "UTF-8" in error["message"]


def test_body_over_one_mebibyte_is_413(api):
    body = session_body(metadata={"k": "v"})
    padding = "x" * (1024 * 1024)
    raw = json.dumps({**body, "custom": {"pad": padding}}).encode()
    assert_error(
        api.post("/v1/checkouts", content=raw, headers={"Content-Type": "application/json"}),
        413,
        code="body_too_large",
    )

    def chunks():
        yield raw[: len(raw) // 2]
        yield raw[len(raw) // 2 :]

    streamed = api.post(
        "/v1/checkouts", content=chunks(), headers={"Content-Type": "application/json"}
    )
    assert streamed.status_code == 413
    assert api.get("/v1/checkouts").json()["data"] == []


def test_non_json_body_is_415(api):
    response = api.post(
        "/v1/checkouts",
        content=b"currency=eur",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert_error(response, 415, code="unsupported_media_type")


def test_unknown_route_and_wrong_method(api):
    assert_error(api.get("/v1/nothing-here"), 404, code="route_not_found")
    assert_error(api.put("/v1/checkouts", json={}), 405, code="method_not_allowed")
    assert_error(api.get("/v1/checkouts/cs_doesnotexist"), 404, code="resource_missing", param="id")


def test_every_response_has_a_request_id(server, api):
    ids = set()
    for response in (
        api.get("/v1/checkouts"),
        api.get("/v1/missing"),
        httpx.get(f"{server.url}/healthz"),
        api.post("/v1/checkouts", json=session_body()),
    ):
        assert response.headers["request-id"].startswith("req_")
        ids.add(response.headers["request-id"])
    assert len(ids) == 4


def test_health_and_readiness(server):
    assert httpx.get(f"{server.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{server.url}/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok"}


def test_openapi_documents_every_route_and_error(server):
    # Generating the document takes seconds on a loaded machine: no 5 s default timeout.
    document = httpx.get(f"{server.url}/openapi.json", timeout=120).json()
    paths = document["paths"]
    expected = {
        ("/v1/checkouts", "post"),
        ("/v1/checkouts", "get"),
        ("/v1/checkouts/{checkout_id}", "get"),
        ("/v1/checkouts/{checkout_id}", "patch"),
        ("/v1/checkouts/{checkout_id}", "delete"),
        ("/v1/checkouts/{checkout_id}/cancel", "post"),
        ("/v1/checkouts/{checkout_id}/complete", "post"),
        ("/v1/checkouts/{checkout_id}/recover", "post"),
        ("/v1/checkouts/{checkout_id}/line_items", "get"),
        ("/healthz", "get"),
        ("/readyz", "get"),
    }
    documented = {(path, method) for path, methods in paths.items() for method in methods}
    assert expected <= documented
    listing = {p["name"] for p in paths["/v1/checkouts"]["get"]["parameters"]}
    assert {
        "status",
        "status[]",
        "customer",
        "email",
        "ids[]",
        "product",
        "payment_status",
        "client_reference_id",
        "processor_id",
        "created[gte]",
        "created[gt]",
        "created[lte]",
        "created[lt]",
        "limit",
        "starting_after",
        "ending_before",
        "page",
    } <= listing
    for status in ("401", "404", "409", "422"):
        assert status in paths["/v1/checkouts/{checkout_id}"]["patch"]["responses"]
    assert "Checkout" in document["components"]["schemas"]
    docs = httpx.get(f"{server.url}/docs")
    assert docs.status_code == 200 and "swagger" in docs.text.lower()


def test_money_is_never_a_float(api):
    session = create_session(api)

    def walk(value):
        if isinstance(value, float):
            raise AssertionError(f"float in response: {value}")
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        if isinstance(value, list):
            for item in value:
                walk(item)

    walk(session)

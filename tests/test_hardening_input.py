"""Issue 11, "Denial of service and 500s": every input is bounded by its text.

Each case failed on the old main (a 500, a 33-second freeze, a dead hosted page
or a NUL stored); all run on SQLite and PostgreSQL through the real server.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from opencheckout.domain.inputs import number_problem
from opencheckout.domain.urls import HostInvalid, idna_url
from tests.factories import assert_error, create_session, session_body
from tests.hosted import buyer, csrf_of, filled_form, page_path

ACP = {"API-Version": "2026-04-17"}
BIG = "9223372036854775808"  # 2**63: one past the largest 64-bit integer
LINE = {"product": "q", "unit_amount": 100, "name": "Q"}


def _raw(api: httpx.Client, method: str, path: str, body: str, **headers: str) -> httpx.Response:
    return api.request(
        method,
        path,
        content=body.encode(),
        headers={"content-type": "application/json", **headers},
        timeout=10,  # the old main took ~33 s here: a hang fails, not just a slow pass
    )


def _acp_headers(key: str) -> dict[str, str]:
    return {**ACP, "Idempotency-Key": key}


# --------------------------------------------------------------------------- #
# Numbers: too many digits or an exponent is a 422 at once, in every dialect
# --------------------------------------------------------------------------- #

HUGE_INT = "9" * 5000


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        (
            "/api/checkout/sessions.json",
            '{"items":[{"product":"q","amount":"1E+999999","currency":"JPY"}]}',
            "items[0].amount",
        ),
        (
            "/api/checkout/sessions.json",
            '{"items":[{"product":"q","amount":"1E+999999","currency":"EUR"}]}',
            "items[0].amount",
        ),
        (
            "/api/checkout/sessions.json",
            '{"items":[{"product":"q","amount":1E+999999,"currency":"EUR"}]}',
            "items[0].amount",
        ),
        (
            "/api/checkout/sessions.json",
            '{"items":[{"product":"q","amount":' + HUGE_INT + "}]}",
            "items[0].amount",
        ),
        (
            "/api/checkout/sessions.json",
            '{"items":[{"product":"q","amount":1,"quantity":' + HUGE_INT + "}]}",
            "items[0].quantity",
        ),
        (
            "/v1/checkouts",
            '{"currency":"eur","line_items":[{"product":"q","unit_amount":' + HUGE_INT + "}]}",
            "line_items[0].unit_amount",
        ),
        (
            "/v1/checkouts",
            '{"currency":"eur","line_items":[{"product":"q","unit_amount":1E+999999}]}',
            "line_items[0].unit_amount",
        ),
        (
            "/v1/checkouts",
            '{"currency":"eur","line_items":[{"product":"q","unit_amount":1,"quantity":1e2}]}',
            "line_items[0].quantity",
        ),
        (
            "/v1/checkouts",
            '{"currency":"eur","line_items":[{"product":"q","unit_amount":1}],'
            '"custom":{"n":' + HUGE_INT + "}}",
            "custom",
        ),
        (
            "/v1/tax_rates",
            '{"display_name":"x","percentage":' + HUGE_INT + ',"inclusive":true}',
            "percentage",
        ),
        ("/v1/tax_rates", '{"display_name":"x","percentage":NaN,"inclusive":true}', "percentage"),
        ("/v1/coupons", '{"percent_off":1E-999999}', "percent_off"),
        ("/v1/coupons", '{"amount_off":' + HUGE_INT + ',"currency":"eur"}', "amount_off"),
    ],
)
def test_numbers_are_bounded_by_their_text(api, path, body, param):
    assert_error(_raw(api, "POST", path, body), 422, param=param)


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ('{"display_name":"x","percentage":"1e999999","inclusive":true}', "percentage"),
        ('{"display_name":"x","percentage":"' + HUGE_INT + '","inclusive":true}', "percentage"),
        ('{"percent_off":"1E-999999"}', "percent_off"),
    ],
)
def test_percentages_written_as_text_are_bounded_too(api, body, param):
    path = "/v1/coupons" if "percent_off" in body else "/v1/tax_rates"
    assert_error(_raw(api, "POST", path, body), 422, param=param)


def test_acp_numbers_are_bounded_with_its_flat_error(api):
    for quantity in ("1E+999999", HUGE_INT):
        response = _raw(
            api,
            "POST",
            "/acp/checkout_sessions",
            '{"line_items":[{"id":"q","quantity":' + quantity + "}]}",
            **_acp_headers(f"n-{len(quantity)}"),
        )
        assert response.status_code == 400, response.text
        assert response.json()["param"] == "$.line_items[0].quantity"
        assert response.json()["type"] == "invalid_request"


def test_quaderno_small_exact_amounts_still_work(api):
    response = _raw(
        api,
        "POST",
        "/api/checkout/sessions.json",
        '{"items":[{"product":"q","amount":"19.99","currency":"EUR","quantity":2}]}',
    )
    assert response.status_code == 201, response.text
    assert response.json()["items"][0]["amount"] == 19.99


def test_number_rule_units():
    assert number_problem("19.99") is None
    assert number_problem("-9223372036854775808") is None
    assert number_problem("9223372036854775807") is None
    for refused in ("9223372036854775808", "1e5", "1E+999999", "NaN", "1" * 30, "0." + "1" * 21):
        assert number_problem(refused) is not None, refused


# --------------------------------------------------------------------------- #
# 64-bit overflow: out-of-range ids are 404, out-of-range filters 422
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("number", [BIG, "9" * 40, "0", "-1"])
def test_quaderno_ids_out_of_64_bit_range_are_404(api, method, number):
    body: dict[str, Any] | None = {} if method == "PUT" else None
    response = api.request(method, f"/api/checkout/sessions/{number}.json", json=body)
    assert_error(response, 404)


def test_quaderno_filter_out_of_64_bit_range_is_422(api):
    response = api.get("/api/checkout/sessions.json", params={"created_before": BIG})
    assert_error(response, 422, param="created_before")


def test_native_query_numbers_out_of_range_are_422(api):
    assert_error(api.get("/v1/checkouts", params={"created[gte]": HUGE_INT}), 422)
    assert_error(api.get("/v1/checkouts", params={"limit": HUGE_INT}), 422, param="limit")
    assert_error(api.get("/v1/checkouts", params={"page": BIG}), 422, param="page")


# --------------------------------------------------------------------------- #
# NUL: refused everywhere with a 4xx, never stored, never a database error
# --------------------------------------------------------------------------- #


def test_nul_in_the_hosted_page_url_is_its_404(server, api):
    session = create_session(api)
    with buyer(server) as client:
        for method, path in (
            ("GET", "/c/%00"),
            ("GET", page_path(session) + "%00"),
            ("GET", page_path(session) + "?x=%00"),
            ("POST", "/c/%00/cancel"),
            ("POST", page_path(session) + "%00/cancel"),
        ):
            response = client.request(method, path)
            assert response.status_code == 404, (method, path, response.text[:300])
            assert "text/html" in response.headers["content-type"]


@pytest.mark.parametrize("field", ["first_name", "code", "email"])
def test_nul_in_a_hosted_form_field_is_refused(server, api, field):
    session = create_session(api)
    with buyer(server) as client:
        page = client.get(page_path(session))
        form = filled_form(page.text, **{field: "a\x00b"})
        if field == "code":
            form["action"] = "apply_code"
        response = client.post(page_path(session), data=form)
        assert 400 <= response.status_code < 500, response.text[:300]
    stored = api.get(f"/v1/checkouts/{session['id']}").json()
    assert stored["status"] == "pending"
    assert "\x00" not in str(stored)


def test_nul_in_acp_ids_is_404(api):
    response = api.get("/acp/checkout_sessions/%00", headers=ACP)
    assert response.status_code == 404, response.text
    assert response.json()["type"] == "invalid_request"


@pytest.mark.parametrize(
    ("method", "path", "body", "param"),
    [
        (
            "POST",
            "/v1/webhook_endpoints",
            {"url": "https://example.com/h", "enabled_events": ["*"], "description": "a\x00b"},
            "description",
        ),
        (
            "POST",
            "/api/checkout/sessions.json",
            {"items": [{"product": "q", "amount": 1}], "customer": {"first_name": "a\x00"}},
            "customer.first_name",
        ),
        ("POST", "/v1/checkouts", {**session_body(), "client_reference_id": "\x00"}, None),
        ("POST", "/v1/products", {"id": "p", "name": "\x00", "unit_amount": 1}, None),
    ],
)
def test_nul_in_json_bodies_is_422(api, method, path, body, param):
    error = assert_error(api.request(method, path, json=body), 422)
    if param is not None:
        assert error["param"] == param


def test_nul_in_acp_bodies_is_its_flat_400(api):
    response = api.post(
        "/acp/checkout_sessions",
        json={"line_items": [{"id": "q\x00", "quantity": 1}]},
        headers=_acp_headers("nul-1"),
    )
    assert response.status_code == 400, response.text
    assert response.json()["param"] == "$.line_items[0].id"


@pytest.mark.parametrize(
    "path",
    [
        "/v1/checkouts?customer=a%00",
        "/v1/checkouts/cs_x%00",
        "/api/checkout/sessions.json?status=%00",
        "/api/checkout/sessions/1%00.json",
        "/v1/webhook_endpoints/we_%00",
    ],
)
def test_nul_in_urls_is_4xx(api, path):
    response = api.get(path)
    assert response.status_code in (404, 422), response.text


# --------------------------------------------------------------------------- #
# Hosts: IDNA (punycode), so the page's CSP header stays Latin-1
# --------------------------------------------------------------------------- #


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("https://магазин.example/thanks", "xn--80aairftm.example"),
        ("https://例え.jp/", "xn--r8jz45g.jp"),
    ],
)
def test_non_latin_hosts_are_stored_as_idna_and_the_page_works(server, api, url, host):
    session = create_session(api, success_url=url, cancel_url=url)
    assert session["success_url"] == url.replace(url.split("/")[2], host)
    with buyer(server) as client:
        page = client.get(page_path(session))
    assert page.status_code == 200, page.text[:300]
    assert f"https://{host}" in page.headers["content-security-policy"]
    assert csrf_of(page.text)


@pytest.mark.parametrize(
    "url", ["https://xn--/thanks", "https://a.xn--zz/", "https://\u2603.example/"]
)
def test_urls_idna_refuses_are_url_invalid(api, url):
    response = api.post("/v1/checkouts", json=session_body(success_url=url))
    assert_error(response, 422, code="url_invalid", param="success_url")


@pytest.mark.parametrize("url", ["http://xn--:8151/hook", "https://xn--/"])
def test_malformed_idna_webhook_urls_are_422(api, url):
    response = api.post("/v1/webhook_endpoints", json={"url": url, "enabled_events": ["*"]})
    assert_error(response, 422, code="url_invalid", param="url")


def test_idna_url_units():
    assert idna_url("https://u:p@Пример.рф:8443/x?y#z") == (
        "https://u:p@xn--e1afmkfd.xn--p1ai:8443/x?y#z"
    )
    assert idna_url("http://[::1]:80/") == "http://[::1]:80/"
    assert idna_url("https://shop.example.com/a") == "https://shop.example.com/a"
    with pytest.raises(HostInvalid):
        idna_url("https://xn--/")


# --------------------------------------------------------------------------- #
# Error messages are written for the merchant, never in pydantic's words
# --------------------------------------------------------------------------- #

PYDANTIC_PHRASES = (
    "Input should",
    "should have at least",
    "should have at most",
    "after validation",
    "String should",
    "Value error,",
    "Field required",
    "Extra inputs",
    "valid dictionary",
    "pattern '",
    "Unable to parse",
    "exceeded maximum size",
    "validation error",
    "type=",
    "Assertion failed",
)

NATIVE_INVALID: list[tuple[str, str, Any]] = [
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": []}),
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": [{"product": "a/b"}]}),
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": "x"}),
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": [{"product": ""}]}),
    ("POST", "/v1/checkouts", {"currency": 5, "line_items": [LINE]}),
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": [{**LINE, "quantity": 1.5}]}),
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": [{**LINE, "quantity": "x"}]}),
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": [{**LINE, "quantity": 0}]}),
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": [{**LINE, "unit_amount": -1}]}),
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": [{**LINE, "name": "x" * 300}]}),
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": [LINE], "locale": 5}),
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": [LINE], "coupon_collection": "x"}),
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": [LINE], "customer": []}),
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": [LINE], "metadata": {"a": 1}}),
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": [LINE], "payment_methods": []}),
    (
        "POST",
        "/v1/checkouts",
        {"currency": "eur", "line_items": [LINE], "billing_details_collection": "x"},
    ),
    ("POST", "/v1/checkouts", {"currency": "eur", "line_items": [LINE] * 500}),
    ("POST", "/v1/checkouts", {"line_items": [LINE]}),
    ("POST", "/v1/checkouts", [1, 2]),
    ("POST", "/v1/webhook_endpoints", {"url": "https://example.com/h", "enabled_events": []}),
    ("POST", "/v1/webhook_endpoints", {"url": "", "enabled_events": ["*"]}),
    ("POST", "/v1/webhook_endpoints", {"url": "https://example.com/h", "enabled_events": "*"}),
    ("POST", "/v1/products", {"id": "a/b", "name": "x", "unit_amount": 1}),
    ("POST", "/v1/products", {"id": "p", "name": "", "unit_amount": 1}),
    ("POST", "/v1/products", {"id": "p", "name": "x", "unit_amount": "1"}),
    ("POST", "/v1/coupons", {"percent_off": "abc"}),
    ("POST", "/v1/coupons", {"percent_off": 5, "duration": "x"}),
    ("POST", "/v1/tax_rates", {"display_name": "", "percentage": 1, "inclusive": True}),
    ("POST", "/v1/tax_rates", {"display_name": "x", "percentage": 1, "inclusive": "maybe"}),
    ("GET", "/v1/checkouts?limit=abc", None),
    ("GET", "/v1/checkouts?limit=0", None),
    ("GET", "/v1/checkouts?limit=1000", None),
    ("GET", "/v1/checkouts?status=nope", None),
    ("GET", "/v1/checkouts?page=" + HUGE_INT, None),
    ("GET", "/v1/products?limit=1e5", None),
    ("GET", "/v1/events?limit=-1", None),
    ("GET", "/api/checkout/sessions.json?limit=abc", None),
    ("GET", "/api/checkout/sessions.json?status=nope", None),
    ("POST", "/api/checkout/sessions.json", {"items": []}),
    (
        "POST",
        "/api/checkout/sessions.json",
        {"items": [{"product": "q", "amount": 1, "quantity": "x"}]},
    ),
    ("POST", "/api/checkout/sessions.json", {"items": [{"product": "q", "amount": [1]}]}),
    ("POST", "/api/checkout/sessions.json", {"items": [{"product": "", "amount": 1}]}),
    (
        "POST",
        "/api/checkout/sessions.json",
        {"items": [{"product": "q", "amount": 1}], "locale": 1},
    ),
]

ACP_INVALID: list[Any] = [
    {"line_items": []},
    {"line_items": "x"},
    {"line_items": [{"id": "q", "quantity": "x"}]},
    {"line_items": [{"id": "q", "quantity": 1.5}]},
    {"line_items": [{"id": "q", "quantity": 0}]},
    {"line_items": [{"id": "", "quantity": 1}]},
    {"line_items": [{"quantity": 1}]},
    {"line_items": [{"id": "q", "quantity": 1}], "buyer": {"email": 5}},
    {"line_items": [{"id": "q", "quantity": 1}], "buyer": []},
    {"line_items": [{"id": "q", "quantity": 1}], "colour": "red"},
    [1],
]


def _assert_merchant_wording(message: str, context: str) -> None:
    assert message, context
    for phrase in PYDANTIC_PHRASES:
        assert phrase not in message, f"{context}: {message!r} leaks {phrase!r}"


@pytest.mark.parametrize(("method", "path", "body"), NATIVE_INVALID)
def test_native_and_quaderno_errors_are_written_for_the_merchant(api, method, path, body):
    response = api.request(method, path, json=body)
    assert 400 <= response.status_code < 500, response.text
    error = response.json()["error"]
    _assert_merchant_wording(error["message"], f"{method} {path} {body!r}")
    if response.status_code == 422 and error["param"]:
        # The message names the parameter (at least its last part).
        names = [
            part for part in re.split(r"[.\[\]]", error["param"]) if part and not part.isdigit()
        ]
        assert names[-1] in error["message"], error


@pytest.mark.parametrize("body", ACP_INVALID)
def test_acp_errors_are_written_for_the_merchant(api, body):
    response = api.post(
        "/acp/checkout_sessions", json=body, headers=_acp_headers(f"w-{abs(hash(str(body)))}")
    )
    assert 400 <= response.status_code < 500, response.text
    payload = response.json()
    messages = [payload.get("message", "")] + [
        m.get("content", "") for m in payload.get("messages", [])
    ]
    for message in messages:
        if message:
            _assert_merchant_wording(message, repr(body))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("card_exp", "1\u00b2/34"),  # a digit to isdigit(), not to int()
        ("card_exp", "1" * 5000 + "/" + "1" * 5000),
        ("card_number", "424242424242424\u00b2"),
    ],
)
def test_hosted_card_fields_are_bounded_by_their_text(server, api, field, value):
    session = create_session(api)
    with buyer(server) as client:
        page = client.get(page_path(session))
        response = client.post(page_path(session), data=filled_form(page.text, **{field: value}))
    assert response.status_code == 422, response.text[:300]
    assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "pending"

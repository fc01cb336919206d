"""The hot path (``api.hot``) answers exactly as the routes it stands in front of.

A second server on the same database runs with the hot path off, so every
answer can be compared with what the FastAPI routes give for the same request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Account, Server, client_for, server_settings, start_server
from tests.factories import GOOD_CARD, assert_error, create_session, session_body
from tests.receiver import Receiver, run_receiver

# Differ between any two sessions: generated ids, secrets and clock readings.
VOLATILE = {"id", "permalink", "created_at", "updated_at", "expires_at"}


@pytest.fixture(scope="module")
def routes_server(server: Server) -> Iterator[Server]:
    """The same database, served with the hot path off (and no second worker)."""
    settings = server_settings(server.database_url, hot_path=False, embedded_worker=False)
    uv_server, thread, url = start_server(settings)
    yield Server(url=url, database_url=server.database_url, settings=settings)
    uv_server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def routes_api(routes_server: Server, account: Account) -> Iterator[httpx.Client]:
    with client_for(routes_server, account.secret_key) as client:
        yield client


def _stable(resource: dict[str, Any]) -> dict[str, Any]:
    stable = {k: v for k, v in resource.items() if k not in VOLATILE}
    stable["line_items"] = [
        {k: v for k, v in item.items() if k != "id"} for item in resource["line_items"]
    ]
    return stable


def _rich_body() -> dict[str, Any]:
    return session_body(
        metadata={"order": "A-1", "note": "ñandú <b>"},
        client_reference_id="ref-42",
        locale="es",
        abandon_after_seconds=900,
        shipping_options=[
            {"id": "std", "display_name": "Standard", "amount": 500},
            {"id": "exp", "display_name": "Express", "amount": 1500},
        ],
        selected_shipping_option="exp",
    )


def test_retrieve_is_the_same_resource_on_both_paths(api, routes_api):
    for created in (create_session(api, **_rich_body()), create_session(routes_api)):
        hot = api.get(f"/v1/checkouts/{created['id']}")
        routed = routes_api.get(f"/v1/checkouts/{created['id']}")
        assert hot.status_code == routed.status_code == 200
        assert hot.json() == routed.json()
        assert hot.json()["amount_total"] == created["amount_total"]
        assert hot.headers["content-type"] == routed.headers["content-type"]
        assert hot.headers["request-id"].startswith("req_")


def test_create_gives_the_same_session_and_event_on_both_paths(api, routes_api):
    body = _rich_body()
    hot = api.post("/v1/checkouts", json=body)
    routed = routes_api.post("/v1/checkouts", json=body)
    assert hot.status_code == routed.status_code == 201
    assert _stable(hot.json()) == _stable(routed.json())
    assert hot.json()["amount_shipping"] == 1500
    for response in (hot, routed):
        session = response.json()
        # Stored as answered: a retrieve (either path) gives the same resource back.
        assert api.get(f"/v1/checkouts/{session['id']}").json() == session
        # Filterable columns were written: email (lowercased), customer, product.
        for params in (
            {"email": session["customer"]["email"].upper()},
            {"customer": session["customer"]["id"]},
            {"product": session["line_items"][0]["product"]},
            {"status": "pending", "created[gte]": session["created_at"]},
        ):
            listed = api.get("/v1/checkouts", params={**params, "limit": 100}).json()["data"]
            assert session["id"] in [s["id"] for s in listed], params
    events = api.get("/v1/events", params={"type": "checkout.created"}).json()["data"]
    by_session = {e["data"]["object"]["id"]: e["data"]["object"] for e in events}
    assert by_session[hot.json()["id"]] == hot.json()
    assert by_session[routed.json()["id"]] == routed.json()


def test_create_takes_catalog_prices_and_tax_through_the_hot_path(api, routes_api):
    rate = api.post(
        "/v1/tax_rates", json={"display_name": "IVA", "percentage": 21, "inclusive": False}
    ).json()
    sku = f"sku-{time.monotonic_ns()}"
    product = api.post(
        "/v1/products",
        json={
            "id": sku,
            "name": "Lamp",
            "unit_amount": 4000,
            "currency": "eur",
            "tax_rates": [rate["id"]],
        },
    )
    assert product.status_code == 201, product.text
    body = session_body(line_items=[{"product": sku, "quantity": 2}])
    hot = api.post("/v1/checkouts", json=body)
    routed = routes_api.post("/v1/checkouts", json=body)
    assert hot.status_code == routed.status_code == 201, hot.text
    assert _stable(hot.json()) == _stable(routed.json())
    assert hot.json()["line_items"][0]["name"] == "Lamp"
    assert hot.json()["amount_subtotal"] == 8000
    assert hot.json()["amount_tax"] == 1680


@pytest.mark.parametrize(
    ("method", "path", "key", "body", "status", "code"),
    [
        ("GET", "/v1/checkouts/cs_missing", "secret", None, 404, "resource_missing"),
        ("GET", "/v1/checkouts/cs_x", None, None, 401, "api_key_missing"),
        ("GET", "/v1/checkouts/cs_x", "sk_test_" + "x" * 32, None, 401, "api_key_invalid"),
        ("GET", "/v1/checkouts/cs%00x", "secret", None, 404, None),
        ("POST", "/v1/checkouts", None, session_body(), 401, "api_key_missing"),
        ("POST", "/v1/checkouts", "read", session_body(), 403, "insufficient_scope"),
        ("POST", "/v1/checkouts", "secret", b"{not json", 400, "invalid_json"),
        ("POST", "/v1/checkouts", "secret", session_body(currency=None), 422, None),
        ("POST", "/v1/checkouts", "secret", session_body(currency="xyz"), 422, None),
        ("POST", "/v1/checkouts", "secret", {**session_body(), "colour": "red"}, 422, None),
        (
            "POST",
            "/v1/checkouts",
            "secret",
            session_body(line_items=[{"product": "sku-nowhere", "quantity": 1}]),
            422,
            "product_not_found",
        ),
    ],
)
def test_errors_are_the_routes_errors(
    server, routes_server, account, method, path, key, body, status, code
):
    secret = {"secret": account.secret_key, "read": account.read_key}.get(key or "", key)
    answers = []
    for target in (server, routes_server):
        with client_for(target, secret) as client:
            if isinstance(body, bytes):
                response = client.request(
                    method, path, content=body, headers={"content-type": "application/json"}
                )
            else:
                response = client.request(method, path, json=body)
        error = assert_error(response, status, code)
        answers.append((response.status_code, error))
    assert answers[0] == answers[1]
    if status != 404:
        # Nothing was written by a refused create.
        with client_for(server, account.secret_key) as client:
            assert client.get("/v1/checkouts").json()["data"] == []


def test_idempotent_creates_are_replayed(api):
    body = session_body()
    headers = {"Idempotency-Key": f"key-{time.monotonic_ns()}"}
    first = api.post("/v1/checkouts", json=body, headers=headers)
    again = api.post("/v1/checkouts", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.headers["idempotent-replayed"] == "false"
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert len(api.get("/v1/checkouts").json()["data"]) == 1


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with run_receiver() as running:
        yield running


def test_a_created_session_is_owed_to_subscribed_enabled_endpoints_only(
    api, server, other_account, receiver
):
    def endpoint(client: httpx.Client, path: str, events: list[str]) -> dict[str, Any]:
        response = client.post(
            "/v1/webhook_endpoints", json={"url": f"{receiver.url}{path}", "enabled_events": events}
        )
        assert response.status_code == 201, response.text
        return dict(response.json())

    endpoint(api, "/all", ["*"])
    endpoint(api, "/created", ["checkout.created", "checkout.completed"])
    endpoint(api, "/updated", ["checkout.updated"])
    disabled = endpoint(api, "/disabled", ["*"])
    api.patch(f"/v1/webhook_endpoints/{disabled['id']}", json={"status": "disabled"})
    with client_for(server, other_account.secret_key) as other:
        endpoint(other, "/other", ["*"])
    session = create_session(api)
    receiver.wait_for(lambda: len(receiver.on("/all")) >= 1 and len(receiver.on("/created")) >= 1)
    time.sleep(0.5)  # nothing else arrives
    for path in ("/all", "/created"):
        assert [r.json["data"]["object"]["id"] for r in receiver.on(path)] == [session["id"]]
    for path in ("/updated", "/disabled", "/other"):
        assert receiver.on(path) == []


def test_a_body_without_content_type_is_treated_alike(server, routes_server, account):
    import orjson

    statuses = []
    for target in (server, routes_server):
        with client_for(target, account.secret_key) as client:
            response = client.post("/v1/checkouts", content=orjson.dumps(session_body()))
        statuses.append(response.status_code)
        if response.status_code == 201:
            assert response.json()["object"] == "checkout"
    assert statuses[0] == statuses[1]


LIST_QUERIES = [
    "",
    "?status=pending&limit=20",
    "?status=pending&status=completed&limit=2",
    "?limit=1",
    "?status=abandoned",
]


def test_plain_lists_are_the_same_page_on_both_paths(api, routes_api):
    created = [create_session(api, **_rich_body()), create_session(routes_api)]
    created.append(create_session(api))
    for query in LIST_QUERIES:
        hot = api.get(f"/v1/checkouts{query}")
        routed = routes_api.get(f"/v1/checkouts{query}")
        assert hot.status_code == routed.status_code == 200, (query, hot.text)
        assert hot.json() == routed.json(), query
        assert hot.headers["content-type"] == routed.headers["content-type"]
        assert hot.headers["request-id"].startswith("req_")
    page = api.get("/v1/checkouts?limit=1").json()
    assert page["has_more"] is True and page["data"][0]["id"] == created[-1]["id"]
    after = f"/v1/checkouts?limit=1&starting_after={page['data'][0]['id']}"
    assert api.get(after).json() == routes_api.get(after).json()
    assert api.get(after).json()["data"][0]["id"] == created[1]["id"]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("?status=bogus", 422),
        ("?limit=0", 422),
        ("?limit=101", 422),
        ("?limit=abc", 422),
        ("?limit=1&limit=2", 200),
        ("?starting_after=cs_missing", 404),
        ("?starting_after=a%00b", 422),
        ("?page=1&limit=5", 200),
        ("?email=BUYER@example.com", 200),
        ("?status=pending&", 200),
    ],
)
def test_other_list_queries_answer_as_the_route_does(api, routes_api, query, status):
    create_session(api)
    hot = api.get(f"/v1/checkouts{query}")
    routed = routes_api.get(f"/v1/checkouts{query}")
    assert hot.status_code == routed.status_code == status, (query, hot.text)
    # Page links name the server they came from (another port on each).
    hot_body, routed_body = hot.json(), routed.json()
    hot_body.pop("links", None)
    routed_body.pop("links", None)
    assert hot_body == routed_body


def test_the_list_needs_a_valid_key_on_the_hot_path_too(server, routes_server):
    for target in (server, routes_server):
        with client_for(target, "sk_test_nope") as client:
            assert_error(client.get("/v1/checkouts?status=pending"), 401)
        with client_for(target, None) as client:
            assert_error(client.get("/v1/checkouts?limit=5"), 401)


def test_only_plain_list_queries_are_taken_by_the_hot_path():
    from opencheckout.api.hot import plain_list_query

    assert plain_list_query(b"") == ([], 20, None)
    assert plain_list_query(b"status=pending&limit=20") == (["pending"], 20, None)
    assert plain_list_query(b"status=pending&status=completed&starting_after=cs_1") == (
        ["pending", "completed"],
        20,
        "cs_1",
    )
    for query in (
        b"limit=0",
        b"limit=101",
        b"limit=%2B5",
        b"limit=1&limit=2",
        b"page=1",
        b"status=bogus",
        b"starting_after=a%00b",
        b"email=x",
        b"status=pending&",
        b"starting_after=",
        b"\xff=1",
    ):
        assert plain_list_query(query) is None, query


def _edit_body() -> dict[str, Any]:
    return {
        "line_items": [
            {"product": "sku-lamp", "name": "Lamp", "unit_amount": 4000, "quantity": 1},
            {"product": "sku-socks", "name": "Socks", "unit_amount": 799, "quantity": 3},
        ],
        "customer": {"email": "Someone.Else@Example.com", "first_name": "Grace"},
        "metadata": {"order": "A-2", "note": None},
        "client_reference_id": "ref-43",
        "locale": "fr",
        "selected_shipping_option": "std",
    }


def test_update_gives_the_same_session_and_event_on_both_paths(api, routes_api):
    hot_session = create_session(api, **_rich_body())
    routed_session = create_session(api, **_rich_body())
    hot = api.patch(f"/v1/checkouts/{hot_session['id']}", json=_edit_body())
    routed = routes_api.patch(f"/v1/checkouts/{routed_session['id']}", json=_edit_body())
    assert hot.status_code == routed.status_code == 200, hot.text
    assert _stable(hot.json()) == _stable(routed.json())
    assert hot.json()["amount_subtotal"] == 4000 + 3 * 799
    assert hot.json()["amount_shipping"] == 500
    assert hot.json()["metadata"] == {"order": "A-2"}
    assert hot.headers["content-type"] == routed.headers["content-type"]
    assert hot.headers["request-id"].startswith("req_")
    events = api.get("/v1/events", params={"type": "checkout.updated"}).json()["data"]
    by_session = {e["data"]["object"]["id"]: e["data"]["object"] for e in events}
    for response in (hot, routed):
        session = response.json()
        # Stored as answered, and announced as answered.
        assert api.get(f"/v1/checkouts/{session['id']}").json() == session
        assert by_session[session["id"]] == session
        # The filterable columns and SKU rows follow the edit.
        for params, found in (
            ({"email": "someone.else@example.com"}, True),
            ({"product": "sku-lamp"}, True),
            ({"product": "sku-socks"}, True),
            ({"product": "sku-shirt"}, False),
        ):
            listed = api.get("/v1/checkouts", params={**params, "limit": 100}).json()["data"]
            assert (session["id"] in [s["id"] for s in listed]) == found, params


@pytest.mark.parametrize(
    ("target", "key", "body", "status", "code"),
    [
        ("missing", "secret", {"locale": "fr"}, 404, "resource_missing"),
        ("open", None, {"locale": "fr"}, 401, "api_key_missing"),
        ("open", "read", {"locale": "fr"}, 403, "insufficient_scope"),
        ("open", "secret", b"{not json", 400, "invalid_json"),
        ("open", "secret", {"colour": "red"}, 422, None),
        ("open", "secret", {"currency": None}, 422, None),
        ("open", "secret", {"line_items": [{"product": "sku-nowhere"}]}, 422, None),
        ("open", "secret", {"payment_methods": ["cash"]}, 422, None),
        ("paid", "secret", {"locale": "fr"}, 409, "checkout_not_editable"),
    ],
)
def test_update_errors_are_the_routes_errors(
    server, routes_server, account, api, target, key, body, status, code
):
    session = create_session(api)
    if target == "paid":
        paid = api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": GOOD_CARD})
        assert paid.status_code == 200, paid.text
    path = "/v1/checkouts/" + ("cs_missing" if target == "missing" else session["id"])
    before = api.get(f"/v1/checkouts/{session['id']}").json()
    secret = {"secret": account.secret_key, "read": account.read_key}.get(key or "", key)
    answers = []
    for where in (server, routes_server):
        with client_for(where, secret) as client:
            if isinstance(body, bytes):
                response = client.patch(
                    path, content=body, headers={"content-type": "application/json"}
                )
            else:
                response = client.patch(path, json=body)
        answers.append((response.status_code, assert_error(response, status, code)))
    assert answers[0] == answers[1]
    # A refused edit wrote nothing.
    assert api.get(f"/v1/checkouts/{session['id']}").json() == before
    assert api.get("/v1/events", params={"type": "checkout.updated"}).json()["data"] == []


def test_an_updated_session_is_owed_to_subscribed_endpoints(api, receiver):
    for path, events in (("/updated", ["checkout.updated"]), ("/created", ["checkout.created"])):
        response = api.post(
            "/v1/webhook_endpoints", json={"url": f"{receiver.url}{path}", "enabled_events": events}
        )
        assert response.status_code == 201, response.text
    session = create_session(api)
    edited = api.patch(f"/v1/checkouts/{session['id']}", json={"client_reference_id": "r-1"})
    assert edited.status_code == 200, edited.text
    receiver.wait_for(lambda: len(receiver.on("/updated")) >= 1)
    time.sleep(0.5)  # nothing else arrives
    [delivery] = receiver.on("/updated")
    assert delivery.json["type"] == "checkout.updated"
    assert delivery.json["data"]["object"] == edited.json()
    assert [r.json["type"] for r in receiver.on("/created")] == ["checkout.created"]

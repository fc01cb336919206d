"""Checkout links over HTTP on both engines: the /v1/checkout_links resource, the
public /l/{slug} (a session per visit, cookie reuse, 410s, rate limit), the
counters, the session list filter and the race for a link's last completion."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from opencheckout.domain.client_ip import parse_networks
from tests.conftest import PUBLIC_URL, Server, server_settings, start_server
from tests.factories import DECLINED_CARD, GOOD_CARD, assert_error

URL_RE = re.compile(r"^" + re.escape(PUBLIC_URL) + r"/l/([A-Za-z0-9]{16})$")
CUSTOMER = {
    "email": "buyer@example.com",
    "billing_address": {
        "line1": "Carrer de Mallorca 401",
        "city": "Barcelona",
        "postal_code": "08013",
        "country": "ES",
    },
}
CUSTOM_FIELD = {
    "key": "engraving",
    "label": {"custom": "Engraving", "translations": {"es": "Grabado"}},
    "type": "text",
    "optional": True,
}


def link_body(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "currency": "eur",
        "line_items": [
            {
                "product": "sku-mug",
                "name": "Mug",
                "unit_amount": 1200,
                "quantity": 1,
                "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 5},
            }
        ],
    }
    body.update(overrides)
    return body


def make_link(api: httpx.Client, **overrides: Any) -> dict[str, Any]:
    response = api.post("/v1/checkout_links", json=link_body(**overrides))
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def slug_of(link: dict[str, Any]) -> str:
    match = URL_RE.match(link["url"])
    assert match, link["url"]
    return match.group(1)


def browser(server: Server) -> httpx.Client:
    """A cookie-keeping buyer without an API key that does not follow redirects."""
    return httpx.Client(base_url=server.url, timeout=30, follow_redirects=False)


def visit(client: httpx.Client, link: dict[str, Any], **kwargs: Any) -> str:
    """The token of the session a visit was sent to (303 to its permalink)."""
    response = client.get(f"/l/{slug_of(link)}", **kwargs)
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith(f"{PUBLIC_URL}/c/"), location
    return location.rsplit("/", 1)[1]


def session_of(api: httpx.Client, link: dict[str, Any], token: str) -> dict[str, Any]:
    listed = api.get("/v1/checkouts", params={"checkout_link": link["id"], "limit": 100}).json()
    found = [s for s in listed["data"] if s["permalink"].endswith("/" + token)]
    assert len(found) == 1, listed
    return found[0]


def link_events(api: httpx.Client, link_id: str) -> list[dict[str, Any]]:
    events = api.get("/v1/events", params={"type": "checkout_link.*", "limit": 100}).json()
    return [e for e in reversed(events["data"]) if e["data"]["object"]["id"] == link_id]


def pay(api: httpx.Client, session_id: str, card: dict[str, Any] = GOOD_CARD) -> httpx.Response:
    patched = api.patch(f"/v1/checkouts/{session_id}", json={"customer": CUSTOMER})
    assert patched.status_code == 200, patched.text
    return api.post(f"/v1/checkouts/{session_id}/complete", json={"payment": card})


# --------------------------------------------------------------------------- #
# The resource
# --------------------------------------------------------------------------- #


def test_checkout_link_crud_and_events(api):
    product = api.post(
        "/v1/products",
        json={
            "id": f"tea-{uuid.uuid4().hex[:8]}",
            "name": "Tea",
            "unit_amount": 900,
            "currency": "eur",
        },
    ).json()
    link = make_link(
        api,
        line_items=[
            {"product": product["id"], "quantity": 2},
            link_body()["line_items"][0],
        ],
        coupon_collection=True,
        billing_details_collection="auto",
        payment_methods=["card"],
        locale="es",
        success_url="https://shop.example.com/thanks",
        cancel_url="https://shop.example.com/cart",
        shipping_options=[{"id": "post", "display_name": "Post", "amount": 450}],
        custom_fields=[CUSTOM_FIELD],
        metadata={"campaign": "spring"},
        max_completions=10,
        expires_at="2040-01-01T00:00:00Z",
    )
    assert link["id"].startswith("cl_") and link["object"] == "checkout_link"
    slug_of(link)
    assert (link["active"], link["currency"], link["locale"]) == (True, "eur", "es")
    assert link["line_items"][0]["product"] == product["id"]
    assert link["line_items"][1]["adjustable_quantity"] == {
        "enabled": True,
        "minimum": 1,
        "maximum": 5,
    }
    assert link["custom_fields"][0]["key"] == "engraving"
    assert link["shipping_options"][0]["id"] == "post"
    assert (link["max_completions"], link["expires_at"]) == (10, "2040-01-01T00:00:00Z")
    assert (link["sessions_created"], link["completed_count"], link["amount_completed"]) == (
        0,
        0,
        0,
    )
    assert api.get(f"/v1/checkout_links/{link['id']}").json() == link

    updated = api.patch(
        f"/v1/checkout_links/{link['id']}",
        json={"active": False, "metadata": {"campaign": "", "batch": "2"}, "max_completions": None},
    )
    assert updated.status_code == 200, updated.text
    changed = updated.json()
    assert changed["active"] is False and changed["metadata"] == {"batch": "2"}
    assert changed["max_completions"] is None and changed["url"] == link["url"]
    assert [e["type"] for e in link_events(api, link["id"])] == [
        "checkout_link.created",
        "checkout_link.updated",
    ]
    assert link_events(api, link["id"])[1]["data"]["object"]["active"] is False

    # Cursor pages, newest first; ?active= filters.
    second = make_link(api)
    page = api.get("/v1/checkout_links", params={"limit": 1}).json()
    assert [row["id"] for row in page["data"]] == [second["id"]] and page["has_more"]
    rest = api.get("/v1/checkout_links", params={"limit": 1, "starting_after": second["id"]}).json()
    assert [row["id"] for row in rest["data"]] == [link["id"]] and not rest["has_more"]
    active = api.get("/v1/checkout_links", params={"active": "true"}).json()
    assert [row["id"] for row in active["data"]] == [second["id"]]


def test_checkout_links_are_the_tenants_own(api, server, other_account):
    link = make_link(api)
    with httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {other_account.secret_key}"}
    ) as other:
        assert_error(other.get(f"/v1/checkout_links/{link['id']}"), 404, "resource_missing", "id")
        assert other.get("/v1/checkout_links").json()["data"] == []


@pytest.mark.parametrize(
    ("body", "code", "param"),
    [
        (link_body(line_items=[]), None, "line_items"),
        (link_body(currency="zzz"), None, "currency"),
        (link_body(unknown=1), "parameter_unknown", "unknown"),
        (link_body(max_completions=0), None, "max_completions"),
        (link_body(expires_at="2001-01-01T00:00:00Z"), None, "expires_at"),
        (link_body(default_tax_rates=["txr_missing"]), None, "default_tax_rates[0]"),
        (
            link_body(line_items=[{"product": "no-such-sku", "quantity": 1}]),
            "product_not_found",
            "line_items[0].product",
        ),
        (
            link_body(
                line_items=[
                    {
                        "product": "x",
                        "unit_amount": 100,
                        "quantity": 9,
                        "adjustable_quantity": {"enabled": True, "maximum": 5},
                    }
                ]
            ),
            "quantity_out_of_range",
            "line_items[0].quantity",
        ),
        (link_body(custom_fields=[CUSTOM_FIELD, CUSTOM_FIELD]), None, None),
    ],
)
def test_checkout_link_validation(api, body, code, param):
    assert_error(api.post("/v1/checkout_links", json=body), 422, code, param)


def test_checkout_link_update_validation_and_missing(api):
    link = make_link(api)
    path = f"/v1/checkout_links/{link['id']}"
    assert_error(api.patch(path, json={"active": None}), 422, param="active")
    assert_error(api.patch(path, json={"currency": None}), 422, param="currency")
    assert_error(
        api.patch(path, json={"default_tax_rates": ["txr_missing"]}),
        422,
        param="default_tax_rates[0]",
    )
    assert_error(api.patch(path, json={"slug": "mine"}), 422, "parameter_unknown", "slug")
    assert api.get(path).json() == link  # nothing changed
    assert_error(api.get("/v1/checkout_links/cl_missing"), 404, "resource_missing", "id")
    assert_error(api.patch("/v1/checkout_links/cl_missing", json={"active": False}), 404)


def test_creating_a_link_is_idempotent(api):
    headers = {"Idempotency-Key": f"link-{uuid.uuid4().hex}"}
    first = api.post("/v1/checkout_links", json=link_body(), headers=headers)
    again = api.post("/v1/checkout_links", json=link_body(), headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]


# --------------------------------------------------------------------------- #
# The public link
# --------------------------------------------------------------------------- #


def test_a_visit_makes_a_session_and_a_reload_returns_to_it(api, server):
    link = make_link(
        api,
        locale="es",
        success_url="https://shop.example.com/thanks",
        custom_fields=[CUSTOM_FIELD],
        payment_methods=["card"],
        metadata={"campaign": "spring"},
    )
    with browser(server) as first:
        response = first.get(f"/l/{slug_of(link)}")
        assert response.status_code == 303
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("oc_link=")
        assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
        assert f"Path=/l/{slug_of(link)}" in cookie
        token = response.headers["location"].rsplit("/", 1)[1]
        assert visit(first, link) == token  # a reload returns to the open session
        page = first.get(f"/c/{token}")
        assert page.status_code == 200 and "Mug" in page.text
    with browser(server) as second:
        other = visit(second, link)
    assert other != token

    session = session_of(api, link, token)
    assert session["checkout_link"] == link["id"]
    assert (session["locale"], session["payment_methods"]) == ("es", ["card"])
    assert session["success_url"] == "https://shop.example.com/thanks"
    assert session["metadata"] == {"campaign": "spring"}
    assert session["custom_fields"][0]["key"] == "engraving"
    assert session["line_items"][0]["adjustable_quantity"] == {
        "enabled": True,
        "minimum": 1,
        "maximum": 5,
    }
    assert api.get(f"/v1/checkouts/{session['id']}").json()["checkout_link"] == link["id"]
    listed = api.get("/v1/checkouts", params={"checkout_link": link["id"]}).json()["data"]
    assert len(listed) == 2 and {s["checkout_link"] for s in listed} == {link["id"]}
    assert api.get("/v1/checkouts", params={"checkout_link": "cl_other"}).json()["data"] == []
    assert api.get(f"/v1/checkout_links/{link['id']}").json()["sessions_created"] == 2
    # The session's own checkout.created event (and so its webhooks) carries the link.
    created = api.get("/v1/events", params={"type": "checkout.created", "limit": 10}).json()
    assert {
        e["data"]["object"]["checkout_link"]
        for e in created["data"]
        if e["data"]["object"]["id"] == session["id"]
    } == {link["id"]}


def test_a_cookie_of_a_finished_or_foreign_session_makes_a_new_one(api, server):
    link = make_link(api)
    other_link = make_link(api)
    with browser(server) as client:
        token = visit(client, link)
        assert pay(api, session_of(api, link, token)["id"]).status_code == 200
        after = visit(client, link)
        assert after != token  # the paid one is not reused
        # Another link's session is never reused, whatever the cookie says.
        client.cookies.set("oc_link", after, path=f"/l/{slug_of(other_link)}")
        assert visit(client, other_link) != after


def test_closed_links_answer_a_translated_410(api, server):
    inactive = make_link(api, active=False)
    soon = make_link(api, expires_at=(datetime.now(UTC) + timedelta(seconds=1)).isoformat())
    once = make_link(api, max_completions=1)
    with browser(server) as client:
        token = visit(client, once)
    assert pay(api, session_of(api, once, token)["id"]).status_code == 200
    time.sleep(1.1)
    for link in (inactive, soon, once):
        with browser(server) as client:
            response = client.get(f"/l/{slug_of(link)}", headers={"Accept-Language": "de"})
        assert response.status_code == 410, response.text
        assert response.headers["content-type"].startswith("text/html")
        assert "set-cookie" not in response.headers
        assert '<html lang="de"' in response.text
        assert "nicht mehr verfügbar" in response.text
    english = httpx.get(f"{server.url}/l/{slug_of(inactive)}")
    assert english.status_code == 410 and "no longer available" in english.text
    assert httpx.get(f"{server.url}/l/NoSuchLink123456").status_code == 404
    # Reactivating reopens it.
    api.patch(f"/v1/checkout_links/{inactive['id']}", json={"active": True})
    with browser(server) as client:
        visit(client, inactive)


def test_counters_follow_completions(api, server):
    link = make_link(api)
    tokens = []
    for _ in range(3):
        with browser(server) as client:
            tokens.append(visit(client, link))
    ids = [session_of(api, link, token)["id"] for token in tokens]
    assert pay(api, ids[0]).status_code == 200
    assert pay(api, ids[1], DECLINED_CARD).status_code == 402
    patched = api.patch(
        f"/v1/checkouts/{ids[2]}",
        json={
            "line_items": [
                {"id": session_of(api, link, tokens[2])["line_items"][0]["id"], "quantity": 3}
            ]
        },
    )
    assert patched.status_code == 200, patched.text
    assert pay(api, ids[2]).status_code == 200
    shown = api.get(f"/v1/checkout_links/{link['id']}").json()
    assert (shown["sessions_created"], shown["completed_count"]) == (3, 2)
    assert shown["amount_completed"] == 1200 + 3 * 1200
    completed = api.get(
        "/v1/checkouts", params={"checkout_link": link["id"], "status": "completed"}
    ).json()["data"]
    assert sorted(s["id"] for s in completed) == sorted([ids[0], ids[2]])


def test_a_free_session_counts_too(api, server):
    link = make_link(api, line_items=[{"product": "gift", "name": "Gift", "unit_amount": 0}])
    with browser(server) as client:
        token = visit(client, link)
    response = api.post(f"/v1/checkouts/{session_of(api, link, token)['id']}/complete", json={})
    if response.status_code == 409:  # a free session still needs the buyer's details
        response = pay(api, session_of(api, link, token)["id"])
    assert response.status_code == 200, response.text
    shown = api.get(f"/v1/checkout_links/{link['id']}").json()
    assert (shown["completed_count"], shown["amount_completed"]) == (1, 0)


@pytest.fixture
def throttled_server(database_url: str) -> Iterator[Server]:
    """Two sessions per address at once, then one a minute, behind a trusted proxy on
    loopback; no embedded worker (the suite's server delivers this database's webhooks)."""
    settings = server_settings(
        database_url,
        link_sessions_per_minute=1,
        link_sessions_burst=2,
        trusted_proxies=parse_networks("127.0.0.1"),
        embedded_worker=False,
    )
    uv_server, thread, url = start_server(settings)
    yield Server(url=url, database_url=database_url, settings=settings)
    uv_server.should_exit = True
    thread.join(timeout=10)


def test_sessions_from_links_are_rate_limited_per_address(api, throttled_server):
    link = make_link(api)
    slug = slug_of(link)
    behind = {"X-Forwarded-For": "203.0.113.7"}
    with browser(throttled_server) as reloading:
        token = visit(reloading, link, headers=behind)
        with browser(throttled_server) as other:
            visit(other, link, headers=behind)
        with browser(throttled_server) as third:
            response = third.get(f"/l/{slug}", headers={**behind, "Accept-Language": "es"})
        assert response.status_code == 429, response.text
        assert int(response.headers["retry-after"]) >= 1
        assert response.headers["content-type"].startswith("text/html")
        assert '<html lang="es"' in response.text and "Demasiados pagos" in response.text
        # Returning to one's own open session makes nothing, so it is not throttled.
        assert visit(reloading, link, headers=behind) == token
    # Another client behind the same (trusted) proxy has a bucket of its own.
    with browser(throttled_server) as elsewhere:
        visit(elsewhere, link, headers={"X-Forwarded-For": "198.51.100.9"})
    assert api.get(f"/v1/checkout_links/{link['id']}").json()["sessions_created"] == 3


# --------------------------------------------------------------------------- #
# max_completions at payment
# --------------------------------------------------------------------------- #


async def _complete_all(server: Server, key: str, ids: list[str]) -> list[httpx.Response]:
    async with httpx.AsyncClient(
        base_url=server.url,
        headers={"Authorization": f"Bearer {key}"},
        timeout=120,
        limits=httpx.Limits(max_connections=len(ids)),
    ) as client:
        return await asyncio.gather(
            *(
                client.post(f"/v1/checkouts/{cid}/complete", json={"payment": GOOD_CARD})
                for cid in ids
            )
        )


def test_fifty_buyers_racing_for_a_links_only_completion(server, account, api):
    link = make_link(api, max_completions=1)
    ids = []
    for _ in range(50):
        with browser(server) as client:
            session = session_of(api, link, visit(client, link))
        patched = api.patch(f"/v1/checkouts/{session['id']}", json={"customer": CUSTOMER})
        assert patched.status_code == 200, patched.text
        ids.append(session["id"])
    responses = asyncio.run(_complete_all(server, account.secret_key, ids))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1 and statuses.count(409) == 49, statuses
    errors = [r.json()["error"] for r in responses if r.status_code == 409]
    assert {e["code"] for e in errors} == {"checkout_link_exhausted"}
    assert {e["param"] for e in errors} == {"checkout_link"}
    states = [api.get(f"/v1/checkouts/{cid}").json()["status"] for cid in ids]
    assert states.count("completed") == 1 and states.count("pending") == 49
    shown = api.get(f"/v1/checkout_links/{link['id']}").json()
    assert (shown["completed_count"], shown["amount_completed"]) == (1, 1200)
    assert httpx.get(f"{server.url}/l/{slug_of(link)}").status_code == 410


def test_a_declined_payment_gives_the_links_completion_back(api, server):
    link = make_link(api, max_completions=1)
    ids = []
    for _ in range(2):
        with browser(server) as client:
            ids.append(session_of(api, link, visit(client, link))["id"])
    assert pay(api, ids[0], DECLINED_CARD).status_code == 402
    assert pay(api, ids[1]).status_code == 200
    again = api.post(f"/v1/checkouts/{ids[0]}/complete", json={"payment": GOOD_CARD})
    assert_error(again, 409, "checkout_link_exhausted", "checkout_link")


def test_buyers_of_one_link_never_oversell_its_stock(server, account, api):
    sku = f"poster-{uuid.uuid4().hex[:8]}"
    made = api.post(
        "/v1/products",
        json={"id": sku, "name": "Poster", "unit_amount": 1500, "currency": "eur", "stock": 1},
    )
    assert made.status_code == 201, made.text
    link = make_link(api, line_items=[{"product": sku, "quantity": 1}])
    ids = []
    for _ in range(10):
        with browser(server) as client:
            session = session_of(api, link, visit(client, link))
        assert api.patch(f"/v1/checkouts/{session['id']}", json={"customer": CUSTOMER}).is_success
        ids.append(session["id"])
    responses = asyncio.run(_complete_all(server, account.secret_key, ids))
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 1 and statuses.count(409) == 9, statuses
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 409} == {
        "insufficient_stock"
    }
    assert api.get(f"/v1/products/{sku}").json()["stock"] == 0
    shown = api.get(f"/v1/checkout_links/{link['id']}").json()
    assert (shown["completed_count"], shown["amount_completed"]) == (1, 1500)


def test_an_asynchronous_decline_gives_the_links_completion_back(api, server):
    link = make_link(api, max_completions=1)
    ids = []
    for _ in range(2):
        with browser(server) as client:
            ids.append(session_of(api, link, visit(client, link))["id"])
    started = pay(api, ids[0], {"method": "card", "card_number": "4000008400001629"})
    assert started.status_code == 200 and started.json()["status"] == "processing", started.text
    # While the first payment is pending, it holds the link's only completion.
    assert_error(pay(api, ids[1]), 409, "checkout_link_exhausted", "checkout_link")
    deadline = time.monotonic() + 60  # the embedded worker settles it (a bound, not a timing check)
    while api.get(f"/v1/checkouts/{ids[0]}").json()["status"] == "processing":
        assert time.monotonic() < deadline, "the delayed decline never settled"
        time.sleep(0.2)
    assert api.get(f"/v1/checkouts/{ids[0]}").json()["status"] == "failed"
    assert pay(api, ids[1]).status_code == 200
    shown = api.get(f"/v1/checkout_links/{link['id']}").json()
    assert (shown["completed_count"], shown["amount_completed"]) == (1, 1200)

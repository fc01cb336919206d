"""The hosted page over HTTP: statuses, headers, CSRF, escaping, redirects, activity,
and payments through the form (including the test processor's delayed cards)."""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import replace
from datetime import timedelta

import httpx

from opencheckout.service.context import Context
from opencheckout.service.views import isoformat
from opencheckout.service.worker import Worker
from opencheckout.store.db import Database
from opencheckout.store.payments import get_by_id
from tests.conftest import _make_account, client_for, server_settings, start_server
from tests.factories import create_session
from tests.hosted import buyer, csrf_of, filled_form, page_path, token_of


def _events(api: httpx.Client, checkout_id: str) -> list[str]:
    data = api.get("/v1/events", params={"limit": 100}).json()["data"]
    return [e["type"] for e in data if e["data"]["object"]["id"] == checkout_id]


def test_unknown_token_is_a_404_page(server):
    with buyer(server) as client:
        for path in ("/c/nope", "/c/" + "x" * 43, "/c/" + "x" * 200, "/c/%3Cscript%3E"):
            response = client.get(path)
            assert response.status_code == 404, path
            assert response.headers["content-type"].startswith("text/html")
            assert "Checkout not found" in response.text
            assert "Traceback" not in response.text
        posted = client.post("/c/nope", data={"csrf_token": "x"})
        assert posted.status_code == 404
        assert client.post("/c/nope/cancel", data={}).status_code == 404


def test_page_renders_items_totals_and_strict_headers(server, api):
    session = create_session(api, locale="en")
    with buyer(server) as client:
        response = client.get(page_path(session))
    assert response.status_code == 200
    html = response.text
    assert "Shirt" in html and "Socks" in html
    assert "€57.99" in html  # 2 x 25.00 + 7.99
    assert "Pay €57.99" in html
    assert 'autocomplete="cc-number"' in html and "Test mode" in html
    headers = response.headers
    csp = headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "style-src 'self'" in csp and "unsafe-inline" not in csp
    assert "form-action 'self' https://shop.example.com" in csp
    assert "frame-ancestors 'none'" in csp
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    assert headers["cache-control"] == "no-store"
    assert "<script>" not in html.replace('<script src="/static/hosted/checkout.js" defer>', "")
    assert " style=" not in html
    cookie = headers["set-cookie"]
    assert "oc_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert f"Path=/c/{token_of(session)}" in cookie
    static = httpx.get(f"{server.url}/static/hosted/checkout.js")
    assert static.status_code == 200 and "javascript" in static.headers["content-type"]


def test_merchant_and_buyer_strings_are_escaped(server, api):
    evil = "<script>alert(1)</script>"
    session = create_session(
        api,
        locale="en",
        line_items=[
            {
                "product": "sku-x",
                "name": evil,
                "description": '"><img src=x onerror=alert(2)>',
                "unit_amount": 100,
                "quantity": 1,
            }
        ],
    )
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        assert evil not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "<img src=x" not in html
        # Buyer input echoed back after a refused submit is escaped too.
        form = filled_form(html, first_name='"><b>x</b>', email="not-an-email")
        refused = client.post(page_path(session), data=form)
    assert refused.status_code == 422
    assert "<b>x</b>" not in refused.text
    assert "&#34;&gt;&lt;b&gt;x&lt;/b&gt;" in refused.text
    assert "4242" not in refused.text.replace("4242 4242 4242 4242.", "")  # card never echoed


def test_csrf_is_required(server, api):
    session = create_session(api)
    path = page_path(session)
    with buyer(server) as client:
        html = client.get(path).text
        form = filled_form(html)
        # No token, a wrong token, a foreign origin, and no cookie are all refused.
        assert client.post(path, data={**form, "csrf_token": ""}).status_code == 403
        assert client.post(path, data={**form, "csrf_token": "A" * 43}).status_code == 403
        foreign = client.post(path, data=form, headers={"Origin": "https://evil.example"})
        assert foreign.status_code == 403
        assert "This form has expired" in foreign.text
        assert client.post(f"{path}/cancel", data={"csrf_token": "x"}).status_code == 403
    with buyer(server) as cookieless:
        assert cookieless.post(path, data=form).status_code == 403
    assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "pending"


def test_pay_with_a_good_card_redirects_to_success_url(server, api):
    session = create_session(api, customer={"email": "old@example.com"})
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        response = client.post(
            page_path(session),
            data=filled_form(html, success_url="https://evil.example/x", next="//evil.example"),
        )
    assert response.status_code == 303
    assert response.headers["location"] == (f"https://shop.example.com/thanks?cs={session['id']}")
    paid = api.get(f"/v1/checkouts/{session['id']}").json()
    assert paid["status"] == "completed" and paid["processor"] == "test"
    assert paid["customer"]["email"] == "buyer@example.com"
    assert paid["customer"]["billing_address"]["city"] == "Barcelona"
    assert _events(api, session["id"])[:3] == [
        "checkout.completed",
        "checkout.processing",
        "checkout.updated",
    ]
    with buyer(server) as client:
        again = client.get(page_path(session))
    assert again.status_code == 410 and "already been paid" in again.text


def test_declined_card_shows_the_error_and_a_retry_succeeds(server, api):
    session = create_session(api)
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        declined = client.post(
            page_path(session), data=filled_form(html, card_number="4000 0000 0000 0002")
        )
        assert declined.status_code == 402
        assert "Your card was declined." in declined.text
        assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "failed"
        retry = client.post(page_path(session), data=filled_form(declined.text))
    assert retry.status_code == 303
    assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "completed"


def test_missing_required_billing_field_is_refused(server, api):
    session = create_session(api, customer=None, billing_details_collection="required")
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        assert 'name="city"' in html
        response = client.post(page_path(session), data=filled_form(html, city=""))
    assert response.status_code == 422
    assert "Please correct the highlighted fields." in response.text
    assert 'id="e-city"' in response.text and "This field is required." in response.text
    assert 'aria-invalid="true" aria-describedby="e-city"' in response.text
    body = api.get(f"/v1/checkouts/{session['id']}").json()
    assert body["status"] == "pending"
    assert "customer.billing_address.city" in body["missing_fields"]


def test_auto_billing_collection_hides_the_address(server, api):
    session = create_session(api, customer=None, billing_details_collection="auto")
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        assert 'name="city"' not in html
        form = filled_form(html, line1=None, city=None, postal_code=None, country=None)
        assert client.post(page_path(session), data=form).status_code == 303


def test_cancel_goes_to_the_stored_cancel_url_only(server, api):
    session = create_session(api)
    with buyer(server) as client:
        html = client.get(page_path(session)).text
        response = client.post(
            f"{page_path(session)}/cancel",
            data={"csrf_token": csrf_of(html), "cancel_url": "https://evil.example/"},
        )
        assert response.status_code == 303
        assert response.headers["location"] == "https://shop.example.com/cart"
        assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "abandoned"
        closed = client.get(page_path(session))
        assert closed.status_code == 410 and "cancelled or has expired" in closed.text
        assert 'href="https://shop.example.com/cart"' in closed.text
        # Posting to an abandoned session shows the closed page, never a redirect elsewhere.
        assert client.post(page_path(session), data=filled_form(html)).status_code == 410


def test_a_visit_is_activity_that_defers_expiry_without_an_event(server, api):
    session = create_session(api, abandon_after_seconds=120)
    before = session["expires_at"]
    time.sleep(1.1)
    with buyer(server) as client:
        assert client.get(page_path(session)).status_code == 200
    after = api.get(f"/v1/checkouts/{session['id']}").json()
    assert after["expires_at"] > before
    assert after["updated_at"] > session["updated_at"]
    assert _events(api, session["id"]) == ["checkout.created"]


def test_spanish_page_and_auto_locale(server, api):
    spanish = create_session(api, locale="es")
    auto = create_session(api, locale="auto")
    with buyer(server, **{"Accept-Language": "de-DE,de;q=0.9"}) as client:
        es_html = client.get(page_path(spanish)).text
        de_html = client.get(page_path(auto)).text
    assert '<html lang="es">' in es_html
    assert "Resumen del pedido" in es_html and "Pagar 57,99" in es_html
    assert '<html lang="de">' in de_html and "Bestellübersicht" in de_html
    with buyer(server, **{"Accept-Language": "ja-JP"}) as client:
        assert "Order summary" in client.get(page_path(auto)).text


def test_yen_has_no_minor_digits(server, api):
    session = create_session(
        api,
        currency="jpy",
        locale="en",
        line_items=[{"product": "sku-tea", "name": "Tea", "unit_amount": 1500, "quantity": 2}],
    )
    with buyer(server) as client:
        html = client.get(page_path(session)).text
    assert "¥3,000" in html and "¥1,500" in html and "3,000.00" not in html


def test_live_mode_refuses_the_test_processor(server, account):
    with client_for(server, account.live_key) as live:
        session = create_session(live)
        with buyer(server) as client:
            html = client.get(page_path(session)).text
            assert "Test mode" not in html
            response = client.post(page_path(session), data=filled_form(html))
        assert response.status_code == 409
        assert live.get(f"/v1/checkouts/{session['id']}").json()["status"] == "pending"
        api_response = live.post(
            f"/v1/checkouts/{session['id']}/complete",
            json={"payment": {"method": "card", "card_number": "4242424242424242"}},
        )
        assert api_response.status_code == 409
        assert api_response.json()["error"]["code"] == "processor_not_configured"


def test_delayed_card_is_processing_then_settles_by_the_worker(server, api):
    session = create_session(api)
    path = page_path(session)
    with buyer(server) as client:
        html = client.get(path).text
        paid = client.post(path, data=filled_form(html, card_number="4000 0000 0000 3220"))
        assert paid.status_code == 303 and paid.headers["location"] == path
        waiting = client.get(path)
        assert waiting.status_code == 200
        assert "Processing your payment" in waiting.text
        assert f'content="2;url={path}/return"' in waiting.text
        assert client.get(f"{path}/return").status_code == 200  # still processing
        deadline = time.monotonic() + 15
        while api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "processing":
            assert time.monotonic() < deadline, "the worker did not settle the payment"
            time.sleep(0.2)
        landed = client.get(f"{path}/return")
    assert landed.status_code == 303
    assert landed.headers["location"] == f"https://shop.example.com/thanks?cs={session['id']}"
    body = api.get(f"/v1/checkouts/{session['id']}").json()
    assert body["status"] == "completed" and body["payment_status"] == "paid"
    assert _events(api, session["id"]).count("checkout.completed") == 1


def test_delayed_decline_shows_the_error_and_allows_a_retry(server, api):
    session = create_session(api)
    path = page_path(session)
    with buyer(server) as client:
        html = client.get(path).text
        client.post(path, data=filled_form(html, card_number="4000 0084 0000 1629"))
        deadline = time.monotonic() + 15
        while api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "processing":
            assert time.monotonic() < deadline
            time.sleep(0.2)
        assert client.get(f"{path}/return").headers["location"] == path
        failed = client.get(path)
        assert failed.status_code == 200 and "Your card was declined." in failed.text
        retry = client.post(path, data=filled_form(failed.text))
    assert retry.status_code == 303, retry.text[-3000:]
    assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "completed"
    assert "checkout.failed" in _events(api, session["id"])


def test_delayed_payment_settles_after_a_restart(database_url):
    """No worker runs while the payment is due; a worker started later settles it."""
    settings = server_settings(database_url, embedded_worker=False, secret_key="k" * 40)
    uv_server, thread, url = start_server(settings)
    try:
        account = asyncio.run(_make_account(database_url, f"restart-{uuid.uuid4().hex[:8]}"))
        with httpx.Client(
            base_url=url, headers={"Authorization": f"Bearer {account.secret_key}"}
        ) as api:
            session = create_session(api)
            with httpx.Client(base_url=url) as client:
                html = client.get(page_path(session)).text
                form = filled_form(html, card_number="4000000000003220")
                client.post(page_path(session), data=form)
            assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "processing"
    finally:
        uv_server.should_exit = True
        thread.join(timeout=10)

    async def later_worker() -> str:
        db = Database(database_url)
        try:
            base = Context(db=db, settings=replace(settings, embedded_worker=True))
            later = base.clock() + timedelta(seconds=60)
            ctx = replace(base, clock=lambda: later)
            await Worker(ctx).run_once()
            await Worker(ctx).run_once()  # a second pass changes nothing
            async with db.read() as session_:
                row = await get_by_id(session_, session["id"])
                assert row is not None
                assert isoformat(row.completed_at)
                return row.status
        finally:
            await db.dispose()

    assert asyncio.run(later_worker()) == "completed"


def _one_item(currency: str, unit_amount: int) -> dict[str, object]:
    return {
        "currency": currency,
        "locale": "en",
        "payment_methods": ["card", "paypal"],
        "line_items": [{"product": "sku-tea", "name": "Tea", "unit_amount": unit_amount}],
    }


def test_paypal_is_offered_only_where_paypal_can_charge(server, api):
    """PayPal is hidden (and refused when posted anyway) in a currency PayPal does
    not take, and for a fraction of one it takes in whole units; card stays."""
    shown = create_session(api, **_one_item("eur", 1500))
    not_taken = create_session(api, **_one_item("inr", 150000))
    fraction = create_session(api, **_one_item("huf", 12345))
    whole = create_session(api, **_one_item("huf", 12300))
    with buyer(server) as client:
        for session, offered in (
            (shown, True),
            (whole, True),
            (not_taken, False),
            (fraction, False),
        ):
            html = client.get(page_path(session)).text
            assert ('id="panel-paypal"' in html) is offered, session["currency"]
            assert 'id="panel-card"' in html or 'name="card_number"' in html
        html = client.get(page_path(not_taken)).text
        posted = client.post(page_path(not_taken), data=filled_form(html, method="paypal"))
    assert posted.status_code == 422
    after = api.get(f"/v1/checkouts/{not_taken['id']}").json()
    assert after["status"] == "pending" and after["payment_status"] == "unpaid"

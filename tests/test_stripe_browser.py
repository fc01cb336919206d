"""Card entry through Stripe.js in a real browser (Debian's Chromium) against
localstripe, which serves a stand-in Stripe.js at ``/js.stripe.com/v3/`` (card
element, ``createToken``, ``confirmCardPayment`` with a 3-D Secure
confirm/cancel dialog). The card number goes to localstripe only: every
request that reaches our server is checked for it.

Test cards (localstripe's): 4242 4242 4242 4242 succeeds, 4000 0000 0000 0341
is declined, 4000 0000 0000 3220 asks for 3-D Secure.
"""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests import test_hosted_browser, test_stripe
from tests.conftest import (
    Server,
    _make_account,
    free_port,
    fresh_database,
    server_settings,
    start_server,
)
from tests.factories import create_session
from tests.hosted import page_path
from tests.test_stripe import LOCALSTRIPE, STRIPE_KEY, WEBHOOK_SECRET

# The fixtures of the browser tests and of the Stripe tests, used here too.
chromium = test_hosted_browser.chromium
in_browser = test_hosted_browser.in_browser
localstripe = test_stripe.localstripe

pytestmark = pytest.mark.browser

PUBLISHABLE_KEY = "pk_test_localstripe"
Opener = Callable[..., Any]


def _start(database_url: str, localstripe_url: str, *, webhooks: bool) -> Iterator[Server]:
    settings = server_settings(
        database_url,
        processor="stripe",
        stripe_secret_key=STRIPE_KEY,
        stripe_api_base=localstripe_url,
        stripe_webhook_secret=WEBHOOK_SECRET,
        stripe_publishable_key=PUBLISHABLE_KEY,
        stripe_js_url=f"{localstripe_url}/js.stripe.com/v3/",
    )
    uv_server, thread, url = start_server(settings)
    if webhooks:
        registered = httpx.post(
            f"{localstripe_url}/_config/webhooks/oc-browser-{uuid.uuid4().hex[:8]}",
            data={"url": f"{url}/v1/processors/stripe/webhook", "secret": WEBHOOK_SECRET},
            auth=(STRIPE_KEY, ""),
        )
        assert registered.status_code == 200, registered.text
    yield Server(url=url, database_url=database_url, settings=settings)
    uv_server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def stripe_page_server(database_url: str, localstripe: str) -> Iterator[Server]:
    yield from _start(database_url, localstripe, webhooks=True)


@pytest.fixture(scope="module")
def deaf_server(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server Stripe's webhooks never reach: only polling can settle its payments.

    Its own localstripe (localstripe sends every event to every registered
    endpoint) and its own database (the other server's worker, on another
    localstripe, would poll its payments too)."""
    engine = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with fresh_database(engine, tmp_path_factory.mktemp("deaf")) as own_url:
        yield from _deaf_server(own_url)


def _deaf_server(database_url: str) -> Iterator[Server]:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-c", LOCALSTRIPE, str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/v1/customers", auth=(STRIPE_KEY, ""), timeout=1)
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "no localstripe"
                time.sleep(0.1)
        yield from _start(database_url, url, webhooks=False)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _api(server: Server) -> httpx.Client:
    account = asyncio.run(_make_account(server.database_url, f"sb-{uuid.uuid4().hex[:8]}"))
    return httpx.Client(
        base_url=server.url, headers={"Authorization": f"Bearer {account.secret_key}"}, timeout=30
    )


def _merchant(server: Server) -> str:
    return f"http://localhost:{urlsplit(server.url).port}"


def _session(api: httpx.Client, server: Server, **overrides: Any) -> dict[str, Any]:
    merchant = _merchant(server)
    values: dict[str, Any] = {
        "customer": None,
        "locale": "en",
        "payment_methods": ["card"],
        "success_url": f"{merchant}/healthz?paid={{CHECKOUT_ID}}",
        "cancel_url": f"{merchant}/healthz?cancelled=1",
        **overrides,
    }
    return create_session(api, **values)


def _open(open_page: Opener, server: Server, session: dict[str, Any]) -> tuple[Any, list[str]]:
    """The page, and the bodies of every request the browser sends to our server."""
    page = open_page()
    sent: list[str] = []
    ours = server.url

    def record(request: Any) -> None:
        if request.url.startswith(ours):
            sent.append(request.url + " " + (request.post_data or ""))

    page.on("request", record)
    page.goto(server.url + page_path(session))
    return page, sent


def _fill(page: Any, number: str) -> None:
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    page.get_by_label("Address", exact=True).fill("Carrer de Mallorca 401")
    page.get_by_label("Postal code").fill("08013")
    page.get_by_label("City").fill("Barcelona")
    page.get_by_label("Country").select_option("ES")
    card = page.locator("#card-element")
    card.locator("input[placeholder=number]").fill(number)
    card.locator("input[placeholder=exp_month]").fill("12")
    card.locator("input[placeholder=exp_year]").fill("34")
    card.locator("input[placeholder=cvc]").fill("123")
    card.locator("input[placeholder=postal_code]").fill("08013")


def _pay(page: Any) -> None:
    page.get_by_role("button", name=re.compile(r"^Pay ")).click()


def _never_posted(sent: list[str], number: str) -> None:
    assert sent, "the browser sent nothing to our server"
    for request in sent:
        assert number not in request and number[-4:] + "&" not in request, request


def _wait_status(api: httpx.Client, checkout_id: str, status: str) -> dict[str, Any]:
    deadline = time.monotonic() + 45
    while True:
        body: dict[str, Any] = api.get(f"/v1/checkouts/{checkout_id}").json()
        if body["status"] == status:
            return body
        assert time.monotonic() < deadline, body["status"]
        time.sleep(0.2)


def test_card_through_stripe_js_succeeds(in_browser, stripe_page_server, localstripe):
    server = stripe_page_server
    with _api(server) as api:
        session = _session(api, server)

        def scenario(open_page: Opener) -> None:
            page, sent = _open(open_page, server, session)
            assert page.get_by_label("Card number").count() == 0  # no card field of ours
            _fill(page, "4242424242424242")
            _pay(page)
            page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")
            _never_posted(sent, "4242424242424242")

        in_browser(scenario)
        paid = api.get(f"/v1/checkouts/{session['id']}").json()
    assert paid["status"] == "completed" and paid["processor"] == "stripe"
    intent = httpx.get(
        f"{localstripe}/v1/payment_intents/{paid['processor_id']}", auth=(STRIPE_KEY, "")
    ).json()
    assert (intent["status"], intent["amount"], intent["currency"]) == ("succeeded", 5799, "eur")
    assert intent["metadata"]["opencheckout_checkout_id"] == session["id"]


def test_page_csp_allows_exactly_stripe_js(stripe_page_server, localstripe):
    server = stripe_page_server
    with _api(server) as api:
        session = _session(api, server)
    page = httpx.get(server.url + page_path(session))
    csp = page.headers["content-security-policy"]
    assert f"script-src 'self' {localstripe};" in csp
    assert f"frame-src {localstripe} https://hooks.stripe.com;" in csp
    assert f'<script src="{localstripe}/js.stripe.com/v3/"></script>' in page.text
    assert 'name="card_number"' not in page.text


def test_decline_shows_in_the_form_with_the_card_marked(in_browser, stripe_page_server):
    server = stripe_page_server
    with _api(server) as api:
        session = _session(api, server)

        def scenario(open_page: Opener) -> None:
            page, sent = _open(open_page, server, session)
            _fill(page, "4000000000000341")
            _pay(page)
            error = page.locator("#card-error")
            error.wait_for(state="visible")
            assert error.inner_text() == "Your card was declined."
            assert "invalid" in (page.locator("#card-field").get_attribute("class") or "")
            assert page.locator("#card-element").get_attribute("aria-invalid") == "true"
            _never_posted(sent, "4000000000000341")
            # A retry with a good card goes through.
            _fill(page, "4242424242424242")
            _pay(page)
            page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")

        in_browser(scenario)
        assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "completed"


def _three_d_secure(page: Any, accept: bool) -> None:
    name = "Complete authentication" if accept else "Fail authentication"
    page.get_by_role("button", name=name).click()


def test_three_d_secure_accepted(in_browser, stripe_page_server):
    server = stripe_page_server
    with _api(server) as api:
        session = _session(api, server)

        def scenario(open_page: Opener) -> None:
            page, sent = _open(open_page, server, session)
            _fill(page, "4000000000003220")
            _pay(page)
            page.get_by_role("heading", name="Confirm your payment").wait_for()
            _three_d_secure(page, accept=True)
            page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")
            _never_posted(sent, "4000000000003220")

        in_browser(scenario)
        paid = api.get(f"/v1/checkouts/{session['id']}").json()
        assert paid["status"] == "completed" and paid["payment_status"] == "paid"


def test_three_d_secure_refused_returns_to_the_form(in_browser, stripe_page_server):
    server = stripe_page_server
    with _api(server) as api:
        once = api.post("/v1/coupons", json={"percent_off": 10, "max_redemptions": 1}).json()
        session = _session(api, server, discounts=[{"coupon": once["id"]}])

        def scenario(open_page: Opener) -> None:
            page, _sent = _open(open_page, server, session)
            _fill(page, "4000000000003220")
            _pay(page)
            page.get_by_role("heading", name="Confirm your payment").wait_for()
            _three_d_secure(page, accept=False)
            error = page.locator("#card-error")
            error.wait_for(state="visible")
            assert "could not be authenticated" in error.inner_text()
            assert "invalid" in (page.locator("#card-field").get_attribute("class") or "")

        in_browser(scenario)
        failed = api.get(f"/v1/checkouts/{session['id']}").json()
        assert failed["status"] == "failed"
        # Nothing was charged: the redemption is given back.
        assert api.get(f"/v1/coupons/{once['id']}").json()["times_redeemed"] == 0
        intent_status = _intent_status(server, failed["processor_id"])
        # Canceled, so nobody holding its client secret can still confirm it.
        assert intent_status == "canceled"


def _intent_status(server: Server, intent_id: str) -> str:
    base = server.settings.stripe_api_base
    response = httpx.get(f"{base}/v1/payment_intents/{intent_id}", auth=(STRIPE_KEY, ""))
    return str(response.json()["status"])


def test_webhook_lost_settles_by_polling(in_browser, deaf_server):
    server = deaf_server
    with _api(server) as api:
        session = _session(api, server)

        def scenario(open_page: Opener) -> None:
            page, _sent = _open(open_page, server, session)
            # The buyer's way back to us is cut too: only the worker's polling is left.
            page.route("**/return", lambda route: route.abort())
            _fill(page, "4000000000003220")
            _pay(page)
            page.get_by_role("heading", name="Confirm your payment").wait_for()
            _three_d_secure(page, accept=True)

        in_browser(scenario)
        paid = _wait_status(api, session["id"], "completed")
        assert paid["payment_status"] == "paid" and paid["processor_id"].startswith("pi_")
        assert _intent_status(server, paid["processor_id"]) == "succeeded"

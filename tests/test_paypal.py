"""The paypal processor (Orders v2) against the PayPal stand-in (tests/paypal_standin.py),
which validates every request and response against PayPal's OpenAPI documents in
``../shared/specs/paypal/openapi/``; any violation fails the test that caused it.

In a real browser: pay with PayPal on the hosted page, approve (or cancel) at the
stand-in's approve page, come back. Over HTTP: signed webhooks settling once,
forged ones refused, refunds, a lost capture answer reconciled by the worker,
live mode without settings refusing PayPal, PayPal's currency rules."""

from __future__ import annotations

import asyncio
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn

from opencheckout.config import Settings
from opencheckout.domain.currency import EXPONENTS
from opencheckout.domain.processor_amounts import PAYPAL_DECIMALS, convert, paypal_value
from tests import test_hosted_browser
from tests.conftest import (
    SHARED,
    Server,
    _make_account,
    free_port,
    fresh_database,
    require_shared,
    server_settings,
    start_server,
)
from tests.factories import assert_error, create_session
from tests.hosted import page_path
from tests.paypal_standin import CLIENT_ID, CLIENT_SECRET, WEBHOOK_ID, PayPalStandIn

chromium = test_hosted_browser.chromium
in_browser = test_hosted_browser.in_browser
Opener = Callable[..., Any]

SPECS = SHARED / "specs" / "paypal" / "openapi"


@pytest.fixture(scope="module")
def standin_server() -> Iterator[PayPalStandIn]:
    require_shared(SPECS / "checkout_orders_v2.json")
    standin = PayPalStandIn(SPECS).start()
    yield standin
    standin.stop()


@pytest.fixture
def standin(standin_server: PayPalStandIn) -> Iterator[PayPalStandIn]:
    """The stand-in; the test fails if it saw any request or answer off PayPal's contract."""
    standin_server.take_violations()
    standin_server.capture_status = "COMPLETED"
    standin_server.drop_capture_answers = 0
    yield standin_server
    found = standin_server.take_violations()
    assert found == [], "\n".join(found)


def _start(settings: Settings, port: int) -> tuple[uvicorn.Server, threading.Thread]:
    server, thread, _url = start_server(settings, port)
    return server, thread


@pytest.fixture(scope="module")
def paypal_server(
    database_url: str, standin_server: PayPalStandIn, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Server]:
    """PayPal configured against the stand-in; attempts reconciled after 2 seconds.

    On a database of its own (the suite's server reconciles with another window),
    and with its public URL on its own port: PayPal sends the buyer back there."""
    engine = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    with fresh_database(engine, tmp_path_factory.mktemp("paypal")) as own_url:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        settings = server_settings(
            own_url,
            public_url=url,
            paypal_client_id=CLIENT_ID,
            paypal_client_secret=CLIENT_SECRET,
            paypal_webhook_id=WEBHOOK_ID,
            paypal_api_base=standin_server.url,
            payment_reconcile_seconds=2.0,
        )
        uv_server, thread = _start(settings, port)
        yield Server(url=url, database_url=own_url, settings=settings)
        uv_server.should_exit = True
        thread.join(timeout=10)


def _client(server: Server, *, live: bool = False) -> httpx.Client:
    account = asyncio.run(_make_account(server.database_url, f"pp-{uuid.uuid4().hex[:8]}"))
    key = account.live_key if live else account.secret_key
    return httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {key}"}, timeout=30)


@pytest.fixture
def api(paypal_server: Server) -> Iterator[httpx.Client]:
    with _client(paypal_server) as client:
        yield client


def _merchant(server: Server) -> str:
    return f"http://localhost:{urlsplit(server.url).port}"


def _session(api: httpx.Client, server: Server, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "locale": "en",
        "success_url": f"{_merchant(server)}/healthz?paid={{CHECKOUT_ID}}",
        "cancel_url": f"{_merchant(server)}/healthz?cancelled=1",
        **overrides,
    }
    return create_session(api, **values)


def _wait_for(api: httpx.Client, checkout_id: str, status: str, seconds: float = 20) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        body: dict[str, Any] = api.get(f"/v1/checkouts/{checkout_id}").json()
        if body["status"] == status or time.monotonic() > deadline:
            assert body["status"] == status, body
            return body
        time.sleep(0.1)


def _start_paypal(api: httpx.Client, session: dict[str, Any]) -> str:
    """Complete with PayPal over the API: the session waits for the buyer's approval."""
    done = api.post(
        f"/v1/checkouts/{session['id']}/complete", json={"payment": {"method": "paypal"}}
    )
    assert done.status_code == 200, done.text
    body = done.json()
    assert body["status"] == "processing" and body["processor"] == "paypal"
    return str(body["processor_id"])


def _come_back(server: Server, session: dict[str, Any], order_id: str) -> httpx.Response:
    """The buyer's browser, sent back by PayPal after approving."""
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        return browser.get(
            f"{page_path(session)}/paypal/return", params={"token": order_id, "PayerID": "X"}
        )


def _paid(api: httpx.Client, server: Server, standin: PayPalStandIn, **overrides: Any) -> dict:
    session = _session(api, server, **overrides)
    order_id = _start_paypal(api, session)
    standin.approve(order_id)
    _come_back(server, session, order_id)
    return _wait_for(api, session["id"], "completed")


def _pay_button(page: Any) -> Any:
    return page.get_by_role("button", name=re.compile(r"^Pay "))


def _choose_paypal(page: Any) -> None:
    page.get_by_label("PayPal").check()


# -- in the browser -------------------------------------------------------------------


@pytest.mark.browser
def test_hosted_page_pays_through_paypal(in_browser, paypal_server, api, standin):
    session = _session(api, paypal_server)
    tokens_before = standin.token_requests

    def scenario(open_page: Opener) -> None:
        page = open_page()
        page.goto(paypal_server.url + page_path(session))
        assert "simulated" not in page.content()
        _choose_paypal(page)
        _pay_button(page).click()
        page.wait_for_url(f"{standin.url}/checkoutnow?token=*")
        assert page.get_by_role("heading", name="Pay 57.99 EUR").is_visible()
        page.get_by_role("button", name="Approve").click()
        page.wait_for_url(f"{_merchant(paypal_server)}/healthz?paid={session['id']}")

    in_browser(scenario)
    done = api.get(f"/v1/checkouts/{session['id']}").json()
    assert (done["status"], done["payment_status"], done["processor"]) == (
        "completed",
        "paid",
        "paypal",
    )
    order = standin.orders[done["processor_id"]].body
    assert order["status"] == "COMPLETED"
    unit = order["purchase_units"][0]
    assert unit["custom_id"] == session["id"]
    assert unit["amount"]["value"] == "57.99" and unit["amount"]["currency_code"] == "EUR"
    assert unit["amount"]["breakdown"]["item_total"]["value"] == "57.99"
    assert [(i["name"], i["quantity"], i["unit_amount"]["value"]) for i in unit["items"]] == [
        ("Shirt", "2", "25.00"),
        ("Socks", "1", "7.99"),
    ]
    assert unit["payments"]["captures"][0]["status"] == "COMPLETED"
    # create, get, capture and more on one token: it is cached until it expires.
    assert standin.token_requests - tokens_before <= 1


@pytest.mark.browser
def test_buyer_cancels_at_paypal_and_the_session_stays_payable(
    in_browser, paypal_server, api, standin
):
    session = _session(api, paypal_server)

    def scenario(open_page: Opener) -> None:
        page = open_page()
        page.goto(paypal_server.url + page_path(session))
        _choose_paypal(page)
        _pay_button(page).click()
        page.wait_for_url(f"{standin.url}/checkoutnow?token=*")
        page.get_by_role("button", name="Cancel").click()
        page.wait_for_url(paypal_server.url + page_path(session))
        assert _pay_button(page).is_visible()
        after = api.get(f"/v1/checkouts/{session['id']}").json()
        assert after["status"] == "failed" and after["payment_status"] == "unpaid"
        # Still payable: the buyer tries again and approves this time.
        _choose_paypal(page)
        _pay_button(page).click()
        page.wait_for_url(f"{standin.url}/checkoutnow?token=*")
        page.get_by_role("button", name="Approve").click()
        page.wait_for_url(f"{_merchant(paypal_server)}/healthz?paid={session['id']}")

    in_browser(scenario)
    done = api.get(f"/v1/checkouts/{session['id']}").json()
    assert done["status"] == "completed"
    canceled = [
        o
        for o in standin.orders.values()
        if o.body["purchase_units"][0]["custom_id"] == session["id"]
    ]
    assert sorted(o.body["status"] for o in canceled) == ["COMPLETED", "PAYER_ACTION_REQUIRED"]


def test_permalink_of_a_session_completed_over_the_api_sends_the_buyer_to_paypal(
    api, paypal_server, standin
):
    session = _session(api, paypal_server)
    order_id = _start_paypal(api, session)
    with httpx.Client(base_url=paypal_server.url, timeout=30) as browser:
        page = browser.get(page_path(session))
    assert page.status_code == 303
    assert page.headers["location"] == f"{standin.url}/checkoutnow?token={order_id}"
    # A stale or foreign order id on the return or cancel URL changes nothing.
    with httpx.Client(base_url=paypal_server.url, timeout=30) as browser:
        browser.get(f"{page_path(session)}/paypal/cancel", params={"token": "NOTTHEORDER"})
        browser.get(f"{page_path(session)}/paypal/return", params={"token": "NOTTHEORDER"})
    assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "processing"


def test_order_breakdown_with_discount_tax_and_shipping_sums_exactly(api, paypal_server, standin):
    vat = api.post(
        "/v1/tax_rates", json={"display_name": "Sales tax", "percentage": 8.875, "inclusive": False}
    ).json()
    coupon = api.post("/v1/coupons", json={"percent_off": 15}).json()
    paid = _paid(
        api,
        paypal_server,
        standin,
        currency="usd",
        default_tax_rates=[vat["id"]],
        discounts=[{"coupon": coupon["id"]}],
        shipping_options=[{"id": "express", "display_name": "Express", "amount": 1290}],
        selected_shipping_option="express",
    )
    assert paid["amount_discount"] > 0 and paid["amount_shipping"] == 1290
    amount = standin.orders[paid["processor_id"]].body["purchase_units"][0]["amount"]
    # The stand-in refused any breakdown that does not sum (none was recorded).
    assert amount["value"] == f"{paid['amount_total'] / 100:.2f}"
    assert set(amount["breakdown"]) == {"item_total", "tax_total", "shipping", "discount"}
    assert amount["breakdown"]["discount"]["value"] == f"{paid['amount_discount'] / 100:.2f}"


def test_paypal_secrets_stay_out_of_reprs(paypal_server):
    settings = paypal_server.settings
    assert CLIENT_SECRET not in repr(settings)
    from opencheckout.processors import build_processors

    assert CLIENT_SECRET not in repr(build_processors(settings)["paypal"])


# -- webhooks -------------------------------------------------------------------------


def _pending_capture(api: httpx.Client, server: Server, standin: PayPalStandIn) -> tuple[dict, str]:
    standin.capture_status = "PENDING"
    session = _session(api, server)
    order_id = _start_paypal(api, session)
    standin.approve(order_id)
    back = _come_back(server, session, order_id)
    assert back.status_code == 200 and "Processing your payment" in back.text
    assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "processing"
    return session, order_id


def _events(api: httpx.Client, checkout_id: str) -> list[str]:
    found = api.get("/v1/events", params={"limit": 100}).json()["data"]
    return [e["type"] for e in found if e["data"]["object"]["id"] == checkout_id]


def test_capture_completed_webhook_settles_once(api, paypal_server, standin):
    session, order_id = _pending_capture(api, paypal_server, standin)
    standin.set_capture_status(order_id, "COMPLETED")
    event = standin.event("PAYMENT.CAPTURE.COMPLETED", order_id)
    url = f"{paypal_server.url}/v1/processors/paypal/webhook"
    first = standin.send(url, event)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": True, "result": "settled"}
    again = standin.send(url, event)
    assert again.status_code == 200 and again.json()["result"] == "unchanged"
    done = api.get(f"/v1/checkouts/{session['id']}").json()
    assert (done["status"], done["payment_status"]) == ("completed", "paid")
    assert _events(api, session["id"]).count("checkout.completed") == 1


def test_capture_denied_webhook_fails_the_session_once(api, paypal_server, standin):
    coupon = api.post("/v1/coupons", json={"percent_off": 10, "max_redemptions": 1}).json()
    session, order_id = _pending_capture(api, paypal_server, standin)
    standin.set_capture_status(order_id, "DECLINED")
    event = standin.event("PAYMENT.CAPTURE.DENIED", order_id)
    url = f"{paypal_server.url}/v1/processors/paypal/webhook"
    assert standin.send(url, event).json()["result"] == "settled"
    assert standin.send(url, event).json()["result"] == "unchanged"
    failed = api.get(f"/v1/checkouts/{session['id']}").json()
    assert (failed["status"], failed["payment_status"]) == ("failed", "unpaid")
    assert _events(api, session["id"]).count("checkout.failed") == 1
    assert api.get(f"/v1/coupons/{coupon['id']}").json()["times_redeemed"] == 0


def test_forged_webhook_is_refused(api, paypal_server, standin):
    session, order_id = _pending_capture(api, paypal_server, standin)
    standin.set_capture_status(order_id, "COMPLETED")
    event = standin.event("PAYMENT.CAPTURE.COMPLETED", order_id)
    url = f"{paypal_server.url}/v1/processors/paypal/webhook"
    assert_error(standin.send(url, event, forge=True), 400, code="signature_invalid")
    unsigned = httpx.post(url, json=event, timeout=30)
    assert_error(unsigned, 400, code="signature_invalid")
    assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "processing"
    # The genuine one still settles it.
    assert standin.send(url, event).json()["result"] == "settled"


# -- refunds, reconciliation ----------------------------------------------------------


def test_refunds_full_and_partial_through_paypal(api, paypal_server, standin):
    paid = _paid(api, paypal_server, standin)
    order = standin.orders[paid["processor_id"]].body
    capture_id = order["purchase_units"][0]["payments"]["captures"][0]["id"]
    part = api.post(
        f"/v1/checkouts/{paid['id']}/refunds",
        json={"amount": 1000, "reason": "requested_by_customer"},
        headers={"Idempotency-Key": uuid.uuid4().hex},
    )
    assert part.status_code == 201, part.text
    assert (part.json()["amount"], part.json()["status"]) == (1000, "succeeded")
    assert api.get(f"/v1/checkouts/{paid['id']}").json()["payment_status"] == "partially_refunded"
    rest = api.post(f"/v1/checkouts/{paid['id']}/refunds", json={})
    assert rest.status_code == 201, rest.text
    assert (rest.json()["amount"], rest.json()["status"]) == (4799, "succeeded")
    after = api.get(f"/v1/checkouts/{paid['id']}").json()
    assert (after["payment_status"], after["amount_refunded"]) == ("refunded", 5799)
    given = [r["amount"] for r in standin.refunds.values() if r["_capture"] == capture_id]
    assert given == [
        {"currency_code": "EUR", "value": "10.00"},
        {"currency_code": "EUR", "value": "47.99"},
    ]
    assert order["purchase_units"][0]["payments"]["captures"][0]["status"] == "REFUNDED"


def test_lost_capture_answer_is_reconciled_by_the_worker(api, paypal_server, standin):
    session = _session(api, paypal_server)
    order_id = _start_paypal(api, session)
    standin.approve(order_id)
    standin.drop_capture_answers = 1
    back = _come_back(paypal_server, session, order_id)
    # PayPal captured, but its answer never arrived: the buyer sees "processing".
    assert back.status_code == 200 and "Processing your payment" in back.text
    assert standin.orders[order_id].body["status"] == "COMPLETED"
    # Past the reconcile window the worker reads the order back and settles it.
    done = _wait_for(api, session["id"], "completed")
    assert (done["payment_status"], done["processor_id"]) == ("paid", order_id)


# -- live mode, amounts, the stand-in's own checks ------------------------------------


@pytest.fixture(scope="module")
def unconfigured_server(paypal_server: Server) -> Iterator[Server]:
    """The same database served without the PayPal settings."""
    port = free_port()
    settings = server_settings(paypal_server.database_url, embedded_worker=False)
    uv_server, thread = _start(settings, port)
    yield Server(
        url=f"http://127.0.0.1:{port}", database_url=paypal_server.database_url, settings=settings
    )
    uv_server.should_exit = True
    thread.join(timeout=10)


def test_live_mode_without_paypal_settings_refuses_paypal(paypal_server, unconfigured_server):
    account = asyncio.run(_make_account(paypal_server.database_url, f"live-{uuid.uuid4().hex[:8]}"))
    headers = {"Authorization": f"Bearer {account.live_key}"}
    with httpx.Client(base_url=unconfigured_server.url, headers=headers, timeout=30) as live:
        for methods in (["paypal"], ["card", "paypal"]):
            refused = live.post("/v1/checkouts", json={**_body(), "payment_methods": methods})
            assert_error(refused, 422, code="processor_not_configured", param="payment_methods")
            assert "OPENCHECKOUT_PAYPAL_CLIENT_ID" in refused.json()["error"]["message"]
        defaulted = live.post("/v1/checkouts", json=_body())
        assert defaulted.status_code == 201 and defaulted.json()["payment_methods"] == ["card"]
    # A live session made while PayPal was configured, completed after it was removed.
    with httpx.Client(base_url=paypal_server.url, headers=headers, timeout=30) as configured:
        made = configured.post("/v1/checkouts", json={**_body(), "payment_methods": ["paypal"]})
        assert made.status_code == 201, made.text
    with httpx.Client(base_url=unconfigured_server.url, headers=headers, timeout=30) as live:
        refused = live.post(
            f"/v1/checkouts/{made.json()['id']}/complete", json={"payment": {"method": "paypal"}}
        )
        assert_error(refused, 409, code="processor_not_configured", param="payment.method")
        assert live.get(f"/v1/checkouts/{made.json()['id']}").json()["status"] == "pending"


def _body(**overrides: Any) -> dict[str, Any]:
    from tests.factories import session_body

    return session_body(**overrides)


def test_paypal_currency_rules_for_every_iso_currency():
    for code in EXPONENTS:
        conversion = convert("paypal", code, 10 ** EXPONENTS[code] * 15)
        if code in PAYPAL_DECIMALS:
            assert conversion.amount is not None, code
            assert paypal_value(code, conversion.amount) == (
                "15" if PAYPAL_DECIMALS[code] == 0 else "15.00"
            ), code
        else:
            assert conversion.amount is None and "PayPal does not take" in str(conversion.reason)
    assert convert("paypal", "HUF", 150050).reason is not None  # 1500.50 HUF: no fillér
    assert paypal_value("HUF", convert("paypal", "HUF", 150000).amount or 0) == "1500"
    assert paypal_value("JPY", convert("paypal", "JPY", 1500).amount or 0) == "1500"
    assert paypal_value("TWD", convert("paypal", "TWD", 9900).amount or 0) == "99"


def test_huf_is_charged_without_decimals_and_fractions_are_not_chargeable(
    api, paypal_server, standin
):
    one = [{"product": "sku-1", "name": "Thing", "unit_amount": 150000, "quantity": 1}]
    paid = _paid(
        api, paypal_server, standin, currency="huf", line_items=one, payment_methods=["paypal"]
    )
    unit = standin.orders[paid["processor_id"]].body["purchase_units"][0]
    assert unit["amount"] == {
        "currency_code": "HUF",
        "value": "1500",
        "breakdown": {"item_total": {"currency_code": "HUF", "value": "1500"}},
    }
    fraction = [{"product": "sku-1", "name": "Thing", "unit_amount": 150050, "quantity": 1}]
    blocked = _session(
        api, paypal_server, currency="huf", line_items=fraction, payment_methods=["paypal"]
    )
    assert blocked["ready_for_payment"] is False and blocked["missing_fields"] == ["amount_total"]
    assert blocked["messages"][0]["code"] == "amount_not_chargeable"
    refused = api.post(
        f"/v1/checkouts/{blocked['id']}/complete", json={"payment": {"method": "paypal"}}
    )
    assert_error(refused, 422, code="amount_not_chargeable", param="amount_total")
    # A currency PayPal does not take at all.
    other = _session(api, paypal_server, currency="kwd", payment_methods=["paypal"])
    assert other["ready_for_payment"] is False
    assert "PayPal does not take payments in KWD" in other["messages"][0]["message"]


def test_the_standin_rejects_what_paypal_would(standin):
    token = httpx.post(
        f"{standin.url}/v1/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(CLIENT_ID, CLIENT_SECRET),
    ).json()["access_token"]
    bad = httpx.post(
        f"{standin.url}/v2/checkout/orders",
        json={
            "intent": "BUY",
            "purchase_units": [{"amount": {"currency_code": "EUR", "value": "ten"}}],
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert bad.status_code == 400 and bad.json()["name"] == "INVALID_REQUEST"
    found = standin.take_violations()
    assert any("intent" in v for v in found) and any("value" in v for v in found), found
    mismatch = httpx.post(
        f"{standin.url}/v2/checkout/orders",
        json={
            "intent": "CAPTURE",
            "purchase_units": [
                {
                    "amount": {
                        "currency_code": "EUR",
                        "value": "10.00",
                        "breakdown": {"item_total": {"currency_code": "EUR", "value": "9.00"}},
                    }
                }
            ],
        },
        headers={"Authorization": f"Bearer {token}", "PayPal-Request-Id": "x" * 109},
    )
    assert mismatch.status_code == 400
    found = standin.take_violations()
    assert any("PayPal-Request-Id" in v for v in found), found
    jpy = httpx.post(
        f"{standin.url}/v2/checkout/orders",
        json={
            "intent": "CAPTURE",
            "purchase_units": [{"amount": {"currency_code": "JPY", "value": "10.00"}}],
        },
        headers={"Authorization": f"Bearer {token}"},
    )
    assert jpy.status_code == 422
    assert any("decimals" in v for v in standin.take_violations())

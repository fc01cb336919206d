"""The amount shown is the amount charged: the hosted page in Chromium.

Reproduces the reported bug first: with shipping options offered, selecting
Express left the button at "Pay €15.00" and paying charged €27.90.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_hosted_browser import (
    DESKTOP,
    Opener,
    _fill_buyer,
    _fill_card,
    _merchant,
    _session,
    _url,
    chromium,
    in_browser,
)

__all__ = ["chromium", "in_browser"]  # fixtures used by name

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

OPTIONS = [
    {
        "id": "standard",
        "display_name": "Standard",
        "amount": 0,
        "delivery_estimate": {"minimum": 3, "maximum": 5, "unit": "business_day"},
    },
    {
        "id": "express",
        "display_name": "Express",
        "amount": 1290,
        "delivery_estimate": {"minimum": 1, "maximum": 1, "unit": "business_day"},
    },
]
BOOK = [{"product": "sku-book", "name": "Book", "unit_amount": 1500, "quantity": 1}]


def _shipping_session(api: Any, server: Any) -> dict[str, Any]:
    return _session(
        api, server, line_items=BOOK, shipping_options=OPTIONS, selected_shipping_option="standard"
    )


def test_selecting_express_updates_totals_and_charges_what_is_shown(in_browser, server, api):
    session = _shipping_session(api, server)

    def scenario(open_page: Opener) -> None:
        page = open_page(DESKTOP)
        page.goto(_url(server, session))
        pay = page.locator("#pay")
        assert page.locator("#total").inner_text() == "€15.00"
        assert pay.inner_text() == "Pay €15.00"
        assert page.locator("#delivery-estimate").inner_text() == "3\u20135 business days"
        _fill_buyer(page)
        _fill_card(page, "4242424242424242")
        page.locator("input[name=shipping_option][value=express]").check()
        # The bug: these stayed at €15.00 while €27.90 was charged.
        expect(page.locator("#total")).to_have_text("€27.90")
        assert pay.inner_text() == "Pay €27.90"
        assert page.locator("#shipping").inner_text() == "€12.90"
        assert page.locator("#delivery-estimate").inner_text() == "1 business day"
        assert page.locator("#expected-amount").input_value() == "2790"
        pay.click()
        page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")
        paid = api.get(f"/v1/checkouts/{session['id']}").json()
        assert paid["status"] == "completed" and paid["amount_total"] == 2790
        assert paid["selected_shipping_option"] == "express"

    in_browser(scenario)


def test_without_javascript_a_changed_choice_is_shown_before_charging(chromium, server, api):
    session = _shipping_session(api, server)

    def scenario(browser: Any) -> None:
        context = browser.new_context(viewport=DESKTOP, locale="en-US", java_script_enabled=False)
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            page.goto(_url(server, session))
            _fill_buyer(page)
            _fill_card(page, "4242 4242 4242 4242")
            page.locator("input[name=shipping_option][value=express]").check()
            assert page.locator("#pay").inner_text() == "Pay €15.00"  # no script to update it
            page.locator("#pay").click()
            # Nothing charged: the page shows the new total and asks again.
            alert = page.get_by_role("alert")
            assert "€27.90" in alert.inner_text() and "Nothing was charged" in alert.inner_text()
            assert page.locator("#total").inner_text() == "€27.90"
            assert page.locator("#pay").inner_text() == "Pay €27.90"
            assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "pending"
            _fill_card(page, "4242 4242 4242 4242")
            page.locator("#pay").click()
            page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")
            paid = api.get(f"/v1/checkouts/{session['id']}").json()
            assert paid["status"] == "completed" and paid["amount_total"] == 2790
        finally:
            context.close()

    chromium.run(scenario)


def test_zero_total_places_the_order_without_payment_fields(in_browser, server, api):
    coupon = api.post("/v1/coupons", json={"percent_off": 100, "name": "Free"})
    assert coupon.status_code == 201, coupon.text
    session = _session(api, server, discounts=[{"coupon": coupon.json()["id"]}])

    def scenario(open_page: Opener) -> None:
        page = open_page(DESKTOP)
        page.goto(_url(server, session))
        assert page.locator("#total").inner_text() == "€0.00"
        assert page.locator("#pay").inner_text() == "Place order"
        assert page.get_by_label("Card number").count() == 0
        assert page.locator("#payment-fields").count() == 0
        _fill_buyer(page)
        page.locator("#pay").click()
        page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")
        done = api.get(f"/v1/checkouts/{session['id']}").json()
        assert done["status"] == "completed"
        assert done["payment_status"] == "no_payment_required"

    in_browser(scenario)

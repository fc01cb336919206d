"""The shipping address on the hosted page in Chromium: the options and the total
follow the country (with and without JavaScript), a saved address can be chosen,
and the amount charged is the amount shown."""

from __future__ import annotations

from typing import Any

import httpx
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

BOOK = [{"product": "sku-book", "name": "Book", "unit_amount": 1500, "quantity": 1}]


def _rates(api: httpx.Client) -> tuple[str, str]:
    ids = []
    for name, amount, country in (("Correos", 500, "ES"), ("Colissimo", 900, "FR")):
        response = api.post(
            "/v1/shipping_rates",
            json={
                "display_name": name,
                "amount": amount,
                "currency": "eur",
                "countries": [country],
            },
        )
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    return ids[0], ids[1]


def _ship_to_france(page: Any) -> None:
    fields = page.locator("#shipping-fields")
    fields.get_by_label("Address", exact=True).fill("1 rue de Rivoli")
    fields.get_by_label("Postal code").fill("75001")
    fields.get_by_label("City").fill("Paris")
    fields.get_by_label("Country").select_option("FR")


def _paid(api: httpx.Client, session: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = api.get(f"/v1/checkouts/{session['id']}").json()
    assert body["status"] == "completed", body
    return body


def test_changing_the_country_updates_the_options_and_the_total(in_browser, server, api):
    spain, france = _rates(api)
    session = _session(api, server, line_items=BOOK)

    def scenario(open_page: Opener) -> None:
        page = open_page(DESKTOP)
        page.goto(_url(server, session))
        # No address yet: no rate applies.
        expect(page.locator("#no-shipping")).to_be_visible()
        assert page.get_by_label("Same as billing address").is_checked()
        expect(page.locator("#shipping-fields")).to_be_hidden()
        _fill_buyer(page)  # billing in Spain: the Spanish rate appears
        correos = page.locator(f"input[name=shipping_option][value={spain}]")
        expect(correos).to_be_visible()
        expect(page.locator("#no-shipping")).to_be_hidden()
        correos.check()
        expect(page.locator("#total")).to_have_text("€20.00")
        # Ship to France instead: the Spanish option is dropped and the page says so.
        page.get_by_label("A new address").check()
        expect(page.locator("#shipping-fields")).to_be_visible()
        _ship_to_france(page)
        colissimo = page.locator(f"input[name=shipping_option][value={france}]")
        expect(colissimo).to_be_visible()
        expect(correos).to_have_count(0)
        expect(page.locator("#shipping-notice")).to_contain_text(
            "The shipping option you chose is not available for this address."
        )
        expect(page.locator("#total")).to_have_text("€15.00")
        colissimo.check()
        expect(page.locator("#total")).to_have_text("€24.00")
        expect(page.locator("#pay")).to_have_text("Pay €24.00")
        assert page.locator("#shipping").inner_text() == "€9.00"
        assert page.locator("#expected-amount").input_value() == "2400"
        _fill_card(page, "4242424242424242")
        page.locator("#pay").click()
        page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")
        paid = _paid(api, session)
        assert paid["amount_total"] == 2400 and paid["selected_shipping_option"] == france
        assert paid["customer"]["shipping_address"]["city"] == "Paris"
        assert paid["customer"]["billing_address"]["city"] == "Barcelona"

    in_browser(scenario)


def test_without_javascript_the_page_rerenders_with_the_new_options(chromium, server, api):
    spain, france = _rates(api)
    session = _session(api, server, line_items=BOOK)

    def scenario(browser: Any) -> None:
        context = browser.new_context(viewport=DESKTOP, locale="en-US", java_script_enabled=False)
        context.set_default_timeout(15_000)
        try:
            page = context.new_page()
            page.goto(_url(server, session))
            update = page.get_by_role("button", name="Update shipping options")
            _fill_buyer(page)
            update.click()
            correos = page.locator(f"input[name=shipping_option][value={spain}]")
            correos.check()
            page.get_by_label("A new address").check()
            _ship_to_france(page)
            update.click()
            # Re-rendered before anything is charged: France's option, and why.
            assert page.locator(f"input[name=shipping_option][value={spain}]").count() == 0
            notice = page.locator("#shipping-notice")
            assert "not available for this address" in notice.inner_text()
            assert page.locator("#total").inner_text() == "€15.00"
            page.locator(f"input[name=shipping_option][value={france}]").check()
            page.get_by_role("button", name="Update total").last.click()
            assert page.locator("#total").inner_text() == "€24.00"
            assert page.locator("#pay").inner_text() == "Pay €24.00"
            assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "pending"
            _fill_card(page, "4242 4242 4242 4242")
            page.locator("#pay").click()
            page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")
            paid = _paid(api, session)
            assert paid["amount_total"] == 2400
            assert paid["customer"]["shipping_address"]["country"] == "FR"
        finally:
            context.close()

    chromium.run(scenario)


def test_a_saved_address_can_be_chosen(in_browser, server, api):
    _spain, france = _rates(api)
    made = api.post(
        "/v1/customers",
        json={
            "email": "ada@example.com",
            "name": "Ada Lovelace",
            "addresses": [
                {
                    "name": "Home",
                    "line1": "1 rue de Rivoli",
                    "city": "Paris",
                    "postal_code": "75001",
                    "country": "FR",
                }
            ],
        },
    )
    assert made.status_code == 201, made.text
    customer = made.json()
    session = _session(api, server, line_items=BOOK, customer={"email": "ada@example.com"})

    def scenario(open_page: Opener) -> None:
        page = open_page(DESKTOP)
        page.goto(_url(server, session))
        _fill_buyer(page)
        page.get_by_label("Home, 1 rue de Rivoli, 75001 Paris, FR").check()
        expect(page.locator("#shipping-fields")).to_be_hidden()
        colissimo = page.locator(f"input[name=shipping_option][value={france}]")
        colissimo.check()
        expect(page.locator("#total")).to_have_text("€24.00")
        _fill_card(page, "4242424242424242")
        page.locator("#pay").click()
        page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")
        paid = _paid(api, session)
        assert paid["amount_total"] == 2400
        assert paid["customer"]["shipping_address"]["postal_code"] == "75001"

    in_browser(scenario)
    book = api.get(f"/v1/customers/{customer['id']}").json()["addresses"]
    assert len(book) == 1

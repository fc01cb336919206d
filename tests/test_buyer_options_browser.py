"""Buyer-adjustable quantities and custom fields on the hosted page in Chromium:
the quantity control reprices live and the amount charged is the amount shown;
custom fields render in the page's locale, are validated and their values stored."""

from __future__ import annotations

from typing import Any

import pytest

from tests.test_hosted_browser import (
    DESKTOP,
    PHONE,
    Opener,
    _fill_buyer,
    _fill_card,
    _merchant,
    _session,
    _shoot,
    _url,
    chromium,
    in_browser,
)

__all__ = ["chromium", "in_browser"]  # fixtures used by name

pytestmark = pytest.mark.browser
expect = pytest.importorskip("playwright.sync_api").expect

LINES = [
    {
        "product": "sku-mug",
        "name": "Mug",
        "unit_amount": 1200,
        "quantity": 1,
        "adjustable_quantity": {"enabled": True, "minimum": 1, "maximum": 3},
    },
    {"product": "sku-card", "name": "Card", "unit_amount": 300, "quantity": 1},
]


def test_quantity_changes_reprice_live_and_charge_what_is_shown(in_browser, server, api):
    session = _session(api, server, line_items=LINES)
    line_id = session["line_items"][0]["id"]

    def scenario(open_page: Opener) -> None:
        page = open_page(DESKTOP)
        page.goto(_url(server, session))
        quantity = page.get_by_label("Quantity of Mug", exact=True)
        plus = page.get_by_role("button", name="Increase the quantity of Mug")
        minus = page.get_by_role("button", name="Decrease the quantity of Mug")
        assert quantity.input_value() == "1"
        assert page.locator("#pay").inner_text() == "Pay €15.00"
        plus.click()
        expect(page.locator("#total")).to_have_text("€27.00")
        expect(page.locator(f"#amount-{line_id}")).to_have_text("€24.00")
        plus.click()
        expect(page.locator("#total")).to_have_text("€39.00")
        plus.click()  # the maximum is 3: nothing changes
        assert quantity.input_value() == "3"
        minus.click()
        expect(page.locator("#total")).to_have_text("€27.00")
        quantity.fill("3")
        quantity.press("Tab")
        expect(page.locator("#total")).to_have_text("€39.00")
        expect(page.locator("#pay")).to_have_text("Pay €39.00")
        expect(page.locator("#pay")).to_be_enabled()
        assert page.locator("#expected-amount").input_value() == "3900"
        _shoot(page, server, "adjustable-quantity")
        _fill_buyer(page)
        _fill_card(page, "4242424242424242")
        page.locator("#pay").click()
        page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")
        paid = api.get(f"/v1/checkouts/{session['id']}").json()
        assert paid["status"] == "completed" and paid["amount_total"] == 3900
        assert paid["line_items"][0]["quantity"] == 3

    in_browser(scenario)


def test_a_typed_quantity_beyond_the_bounds_is_held_to_them(in_browser, server, api):
    session = _session(api, server, line_items=LINES)

    def scenario(open_page: Opener) -> None:
        page = open_page(PHONE)
        page.goto(_url(server, session))
        quantity = page.get_by_label("Quantity of Mug", exact=True)
        quantity.fill("7")
        quantity.press("Enter")  # updates the total; does not pay
        expect(page.locator("#total")).to_have_text("€39.00")
        assert quantity.input_value() == "3"
        assert page.url == _url(server, session)
        stored = api.get(f"/v1/checkouts/{session['id']}").json()
        assert stored["line_items"][0]["quantity"] == 3 and stored["status"] == "pending"
        _shoot(page, server, "adjustable-quantity-phone")

    in_browser(scenario)


FIELDS: list[dict[str, Any]] = [
    {
        "key": "po",
        "label": {"custom": "Purchase order", "translations": {"de": "Bestellnummer <b>"}},
        "type": "text",
        "minimum_length": 3,
    },
    {"key": "seats", "label": "Seats", "type": "numeric", "optional": True, "maximum_length": 3},
    {
        "key": "size",
        "label": {"custom": "Size", "translations": {"de": "Größe"}},
        "type": "dropdown",
        "options": [{"label": "S", "value": "s"}, {"label": "L", "value": "l"}],
    },
]


def test_custom_fields_render_validate_and_store_values(in_browser, server, api):
    session = _session(api, server, custom_fields=FIELDS, locale="auto")

    def scenario(open_page: Opener) -> None:
        page = open_page(DESKTOP, locale="de-DE")
        page.goto(_url(server, session))
        assert page.get_by_role("heading", name="Weitere Angaben").is_visible()
        po = page.get_by_label("Bestellnummer <b>", exact=True)
        seats = page.get_by_label("Seats (optional)")
        size = page.get_by_label("Größe", exact=True)
        assert po.get_attribute("required") is not None
        assert seats.get_attribute("required") is None
        page.get_by_label("E-Mail", exact=True).fill("ada@example.com")
        page.get_by_label("Vorname", exact=True).fill("Ada")
        page.get_by_label("Nachname", exact=True).fill("Lovelace")
        page.get_by_label("Adresse", exact=True).fill("Carrer de Mallorca 401")
        page.get_by_label("Postleitzahl", exact=True).fill("08013")
        page.get_by_label("Ort", exact=True).fill("Barcelona")
        page.get_by_label("Land", exact=True).select_option("ES")
        _fill_card_de(page)
        # The browser holds back an empty required field; the server decides the rest.
        page.locator("#pay").click()
        assert page.evaluate("document.getElementById('f-cf_po').validity.valueMissing")
        po.fill("PO-12")
        seats.fill("12x")
        size.select_option("l")
        page.evaluate("document.getElementById('checkout').noValidate = true")
        page.locator("#pay").click()
        expect(page.locator("#e-cf_seats")).to_have_text("Geben Sie nur Ziffern ein.")
        assert seats.input_value() == "12x"
        seats.fill("12")
        _fill_card_de(page)
        page.locator("#pay").click()
        page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")
        paid = api.get(f"/v1/checkouts/{session['id']}").json()
        assert {f["key"]: f["value"] for f in paid["custom_fields"]} == {
            "po": "PO-12",
            "seats": "12",
            "size": "l",
        }

    in_browser(scenario)


def _fill_card_de(page: Any) -> None:
    page.get_by_label("Kartennummer").fill("4242424242424242")
    page.get_by_label("Ablaufdatum (MM/JJ)").fill("12/34")
    page.get_by_label("Sicherheitscode").fill("123")


def test_a_link_does_not_exist_without_fields_or_controls(in_browser, server, api):
    """Sessions without either feature look as before: no quantity control, no section."""
    session = _session(api, server)

    def scenario(open_page: Opener) -> None:
        page = open_page(DESKTOP)
        page.goto(_url(server, session))
        assert page.locator("input[data-quantity]").count() == 0
        assert page.locator(".custom-fields").count() == 0
        assert _fill_card is not None

    in_browser(scenario)


def test_the_visit_is_recorded_with_chromiums_browser_and_os(in_browser, server, api):
    session = _session(api, server)

    def scenario(open_page: Opener) -> None:
        page = open_page(DESKTOP)
        page.goto(_url(server, session))
        user_agent = page.evaluate("navigator.userAgent")
        client = api.get(f"/v1/checkouts/{session['id']}").json()["client"]
        assert client["user_agent"] == user_agent
        assert client["ip"] == "127.0.0.1"
        # Debian's headless Chromium: "HeadlessChrome/<version>" on "X11; Linux x86_64".
        assert client["browser"] in ("HeadlessChrome", "Chrome", "Chromium"), client
        assert client["os"] == "Linux", client
        assert client["device"] == "Other", client
        assert client["first_seen_at"] == client["last_seen_at"]

    in_browser(scenario)

"""A refunded session's permalink in a real browser (Debian's Chromium): the buyer
sees what was given back, of what total, in the page's locale."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import Server
from tests.factories import GOOD_CARD, create_session
from tests.hosted import page_path
from tests.test_hosted_browser import (
    DESKTOP,
    PHONE,
    Opener,
    _shoot,
    chromium,
    in_browser,
)

__all__ = ["chromium", "in_browser"]  # fixtures used by name

pytestmark = pytest.mark.browser


def _paid(api: httpx.Client, **overrides: Any) -> dict[str, Any]:
    session = create_session(api, **overrides)
    done = api.post(f"/v1/checkouts/{session['id']}/complete", json={"payment": GOOD_CARD})
    assert done.status_code == 200, done.text
    body: dict[str, Any] = done.json()
    return body


def _refund(api: httpx.Client, checkout_id: str, **body: Any) -> None:
    response = api.post(f"/v1/checkouts/{checkout_id}/refunds", json=body)
    assert response.status_code == 201, response.text


def _text(page: Any, selector: str) -> str:
    return str(page.locator(selector).inner_text()).replace("\xa0", " ")


def test_partially_then_fully_refunded_page(in_browser, server: Server, api):
    session = _paid(api, locale="en")
    assert session["amount_total"] == 5799
    _refund(api, session["id"], amount=1000)
    url = server.url + page_path(session)

    def partly(open_page: Opener) -> None:
        page = open_page(DESKTOP)
        response = page.goto(url)
        assert response.status == 410
        assert page.get_by_role("heading", name="Payment partially refunded").is_visible()
        assert _text(page, "main p:first-of-type") == "Refunded €10.00 of €57.99."
        assert page.get_by_role("link", name="Continue").is_visible()
        _shoot(page, server, "refund-partial-desktop")

    in_browser(partly)
    _refund(api, session["id"])

    def fully(open_page: Opener) -> None:
        page = open_page(PHONE)
        page.goto(url)
        assert page.get_by_role("heading", name="Payment refunded").is_visible()
        assert _text(page, "main p:first-of-type") == "Refunded €57.99 of €57.99."
        _shoot(page, server, "refund-full-phone")

    in_browser(fully)


def test_refunded_page_in_the_browser_language(in_browser, server: Server, api):
    session = _paid(api, locale="auto")
    _refund(api, session["id"], amount=1000)

    def scenario(open_page: Opener) -> None:
        page = open_page(DESKTOP, locale="de-DE")
        page.goto(server.url + page_path(session))
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.get_by_role("heading", name="Zahlung teilweise erstattet").is_visible()
        assert _text(page, "main p:first-of-type") == "10,00 € von 57,99 € erstattet."

    in_browser(scenario)

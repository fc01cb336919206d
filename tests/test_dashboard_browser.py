"""The dashboard in Debian's Chromium through every view and action, with axe-core on
each view (zero serious or critical violations) and on the hosted page; screenshots
under build/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from tests.axe import assert_accessible
from tests.conftest import Account
from tests.dashboard_helpers import PASSWORD, DashServer, dash, make_user
from tests.factories import create_session, paid_session
from tests.hosted import page_path
from tests.receiver import run_receiver
from tests.test_hosted_browser import DESKTOP, PHONE, SCREENSHOTS, BrowserThread, chromium

__all__ = ["chromium", "dash"]  # fixtures used by name

pytestmark = pytest.mark.browser


def _run(chromium: BrowserThread, scenario: Callable[[Any], None], locale: str = "en-US") -> None:
    def with_page(browser: Any) -> None:
        # axe is injected as a script: the pages' CSP (rightly) forbids that, so the
        # test context bypasses it; the CSP itself is checked over HTTP.
        context = browser.new_context(viewport=DESKTOP, locale=locale, bypass_csp=True)
        context.set_default_timeout(15_000)
        try:
            scenario(context)
        finally:
            context.close()

    chromium.run(with_page)


def _shoot(page: Any, name: str, engine: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"dashboard-{name}-{engine}.png"), full_page=True)


def _text(page: Any, selector: str) -> str:
    return str(page.locator(selector).first.inner_text()).replace("\xa0", " ")


def _engine(dash: DashServer) -> str:
    return "sqlite" if dash.database_url.startswith("sqlite") else "postgresql"


def test_every_view_and_action_in_the_browser(chromium, dash: DashServer, account: Account, api):
    engine = _engine(dash)
    email = make_user(dash.database_url, account.name)
    with run_receiver() as receiver:
        api.post(
            "/v1/webhook_endpoints", json={"url": f"{receiver.url}/hook", "enabled_events": ["*"]}
        )
        pending = create_session(api, customer={"email": "pending@example.com"})
        paid = paid_session(api)
        with httpx.Client(base_url=dash.url) as plain:
            assert plain.get(page_path(pending)).status_code == 200

        def scenario(context: Any) -> None:
            page = context.new_page()
            # Sign-in page (and a wrong password first).
            page.goto(f"{dash.url}/dashboard")
            assert page.url.startswith(f"{dash.url}/dashboard/login")
            assert_accessible(page)
            _shoot(page, "login", engine)
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill("wrong password!")
            page.get_by_role("button", name="Sign in").click()
            assert "The email or password is not correct." in _text(page, "[role=alert]")
            assert_accessible(page)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()

            # The overview, then another period.
            page.wait_for_url(re.compile(r".*/dashboard/overview.*"))
            assert page.get_by_role("heading", name="Overview").is_visible()
            assert _text(page, "#kpi-revenue") == "€57.99"
            assert page.locator("svg[role=img]").count() == 3
            assert_accessible(page)
            _shoot(page, "overview", engine)
            page.locator("#p-days").select_option("7")
            page.get_by_role("button", name="Show").first.click()
            assert page.locator("#p-days").input_value() == "7"
            page.locator("details summary").first.click()
            assert page.locator("details table").first.is_visible()
            assert_accessible(page)

            # Checkouts list, filtered.
            page.get_by_role("link", name="Checkouts").click()
            assert page.get_by_role("heading", name="Checkouts").is_visible()
            assert page.get_by_role("link", name=paid["id"]).is_visible()
            assert_accessible(page)
            _shoot(page, "checkouts", engine)
            page.get_by_label("Search by id or email").fill("pending@example.com")
            page.get_by_role("button", name="Filter").click()
            assert page.get_by_role("link", name=pending["id"]).is_visible()
            assert page.get_by_role("link", name=paid["id"]).count() == 0
            page.get_by_label("Status").select_option("completed")
            page.get_by_label("Search by id or email").fill("")
            page.get_by_role("button", name="Filter").click()
            assert page.get_by_role("link", name=paid["id"]).is_visible()
            assert_accessible(page)

            # Detail of the paid one: partial then full refund.
            page.get_by_role("link", name=paid["id"]).click()
            assert "€57.99" in _text(page, ".totals")
            assert_accessible(page)
            _shoot(page, "checkout-paid", engine)
            page.get_by_label(re.compile("Refund amount")).fill("10.00")
            page.get_by_label("Reason (optional)").fill("damaged")
            page.get_by_role("button", name="Refund", exact=True).click()
            assert _text(page, "[role=status]") == "The refund was created."
            assert "€10.00" in _text(page, "section[aria-labelledby=refunds-h]")
            assert_accessible(page)
            page.get_by_role("button", name="Refund", exact=True).click()
            assert "No actions for a checkout in this state." in page.content()
            assert api.get(f"/v1/checkouts/{paid['id']}").json()["payment_status"] == "refunded"
            _shoot(page, "checkout-refunded", engine)

            # Resend an event from the timeline.
            page.locator("ol.timeline button").first.click()
            assert _text(page, "[role=status]") == "The event was queued for delivery again."

            # The pending one: cancel, then recover and copy its link.
            page.goto(f"{dash.url}/dashboard/checkouts/{pending['id']}")
            assert page.get_by_label("Send this link to the buyer").is_visible()
            page.get_by_role("button", name="Cancel checkout").click()
            assert _text(page, "[role=status]") == "The checkout was cancelled."
            page.get_by_role("button", name="Recover checkout").click()
            assert _text(page, "[role=status]").startswith("A recovery checkout was created.")
            link = page.get_by_label("Send this link to the buyer").input_value()
            assert "/c/" in link
            assert page.get_by_role("button", name="Copy link").is_visible()  # with JS
            assert_accessible(page)
            _shoot(page, "checkout-recovered", engine)

            # Orders: the paid session's order, a shipment with tracking.
            page.get_by_role("link", name="Orders").click()
            assert_accessible(page)
            page.locator("table.list a").first.click()
            assert page.get_by_role("heading", name=re.compile("^Order")).is_visible()
            page.get_by_label("Event").select_option("shipped")
            page.get_by_label("Carrier").fill("DHL")
            page.get_by_label("Tracking number").fill("JD0001")
            page.get_by_label("Tracking URL").fill("https://track.example/JD0001")
            page.get_by_role("button", name="Add event").click()
            assert _text(page, "[role=status]") == "The fulfillment event was added."
            assert page.get_by_role("link", name="JD0001").is_visible()
            assert_accessible(page)
            _shoot(page, "order", engine)

            # Catalog: a product with stock, created then edited.
            page.get_by_role("link", name="Catalog").click()
            page.get_by_label("SKU").fill("mug-1")
            page.get_by_label("Name").fill("Mug")
            page.get_by_label("Price").fill("12.50")
            page.get_by_label("Stock (empty: not tracked)").fill("7")
            page.get_by_role("button", name="Create product").click()
            assert _text(page, "[role=status]") == "The product was created."
            assert_accessible(page)
            _shoot(page, "products", engine)
            page.get_by_role("link", name="mug-1").click()
            page.get_by_label("Stock (empty: not tracked)").fill("5")
            page.get_by_role("button", name="Save").click()
            assert _text(page, "[role=status]") == "The product was saved."
            assert_accessible(page)
            assert api.get("/v1/products/mug-1").json()["stock"] == 5
            page.get_by_role("link", name="Tax rates").click()
            page.get_by_label("Name").fill("VAT")
            page.get_by_label("Percentage").fill("21")
            page.get_by_role("button", name="Create tax rate").click()
            assert _text(page, "[role=status]") == "Created."
            assert_accessible(page)
            page.get_by_role("link", name="Coupons").click()
            page.get_by_label("Code").fill("SUMMER10")
            page.get_by_label("Percent off").fill("10")
            page.get_by_role("button", name="Create coupon").click()
            assert page.get_by_text("SUMMER10").is_visible()
            page.locator("table.list a").first.click()
            page.get_by_label("Name").first.fill("Summer")
            page.get_by_role("button", name="Save").click()
            assert _text(page, "[role=status]") == "Saved."
            assert_accessible(page)
            page.get_by_role("link", name="Shipping rates").click()
            page.get_by_label("Name").fill("Standard")
            page.get_by_label("Amount").fill("4.90")
            page.get_by_role("button", name="Create shipping rate").click()
            assert page.get_by_role("link", name="Standard").is_visible()
            assert_accessible(page)
            page.get_by_role("link", name="Shipping promotions").click()
            page.get_by_label("Minimum subtotal").fill("50")
            page.get_by_role("button", name="Create promotion").click()
            assert_accessible(page)
            page.get_by_role("link", name="Customers").click()
            page.get_by_label("Email").last.fill("ada@example.com")
            page.get_by_role("button", name="Create customer").click()
            page.locator("table.list a").first.click()
            page.get_by_label("Address", exact=True).fill("Carrer 1")
            page.get_by_label("City").fill("Barcelona")
            page.get_by_role("button", name="Add address").click()
            assert page.get_by_text("Carrer 1").is_visible()
            assert_accessible(page)

            # Developers: a key shown once, an endpoint and its delivery log, events.
            page.get_by_role("link", name="Developers").click()
            assert_accessible(page)
            page.get_by_label("Access").select_option("read")
            page.get_by_role("button", name="Create key").click()
            assert page.get_by_label("Secret key").input_value().startswith("rk_test_")
            assert_accessible(page)
            _shoot(page, "developers", engine)
            page.get_by_label("Endpoint URL").fill(f"{receiver.url}/browser")
            page.get_by_role("button", name="Add endpoint").click()
            assert page.locator("#new-secret").input_value().startswith("whsec_")
            page.get_by_role("link", name=f"{receiver.url}/browser").click()
            assert page.get_by_role("heading", name=re.compile("Deliveries to")).is_visible()
            assert_accessible(page)
            page.get_by_role("link", name="Developers").first.click()
            page.get_by_role("link", name="Events", exact=True).click()
            page.get_by_label("Event type").fill("checkout.created")
            page.get_by_role("button", name="Filter").click()
            assert page.get_by_role("link", name=pending["id"]).is_visible()
            assert_accessible(page)

            # The test/live switch, then sign out.
            page.get_by_role("button", name="Switch to live mode").click()
            assert page.get_by_text("Live mode", exact=True).is_visible()
            assert page.get_by_role("link", name=paid["id"]).count() == 0
            assert_accessible(page)
            page.get_by_role("button", name="Switch to test mode").click()
            page.get_by_role("button", name="Sign out").click()
            page.wait_for_url(f"{dash.url}/dashboard/login")

            # Phone width.
            page.set_viewport_size(PHONE)
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            page.wait_for_url(re.compile(r".*/dashboard/overview.*"))
            assert_accessible(page)
            _shoot(page, "overview-phone", engine)

        _run(chromium, scenario)


def test_dashboard_in_the_browser_language(chromium, dash: DashServer, account: Account):
    email = make_user(dash.database_url, account.name)

    def scenario(context: Any) -> None:
        page = context.new_page()
        page.goto(f"{dash.url}/dashboard/login")
        assert page.locator("html").get_attribute("lang") == "de"
        assert page.get_by_role("heading", name="Beim Dashboard anmelden").is_visible()
        page.get_by_label("E-Mail").fill(email)
        page.get_by_label("Passwort").fill(PASSWORD)
        page.get_by_role("button", name="Anmelden").click()
        page.wait_for_url(re.compile(r".*/dashboard/overview.*"))
        assert page.get_by_role("heading", name="Übersicht").is_visible()
        assert page.get_by_role("button", name="Abmelden").is_visible()
        assert_accessible(page)

    _run(chromium, scenario, locale="de-DE")


def test_hosted_page_has_no_serious_accessibility_violations(chromium, dash: DashServer, api):
    session = create_session(api, locale="en", coupon_collection=True)

    def scenario(context: Any) -> None:
        page = context.new_page()
        page.goto(dash.url + page_path(session))
        assert_accessible(page)
        page.get_by_role("button", name=re.compile(r"^Pay ")).click()  # field errors shown
        assert_accessible(page)
        page.set_viewport_size(PHONE)
        assert_accessible(page)

    _run(chromium, scenario)

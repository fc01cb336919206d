"""The hosted page in a real browser: Playwright drives Debian's Chromium
(``/usr/bin/chromium``; Playwright never downloads one).

Screenshots at desktop (1280 px) and phone (390 px) width are written to
``build/screenshots/`` for reviewers. Without Chromium these tests are skipped,
except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import queue
import re
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.conftest import REPO_ROOT, Server
from tests.factories import create_session
from tests.hosted import page_path

pytestmark = pytest.mark.browser

CHROMIUM = Path(os.environ.get("OPENCHECKOUT_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO_ROOT / "build" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


class BrowserThread:
    """Chromium driven from one thread of its own.

    Playwright's sync API runs an event loop in the thread that uses it, and
    the fixtures here call ``asyncio.run`` in the main thread; so every
    Playwright call happens in this thread, which runs the scenarios it is given.
    """

    def __init__(self) -> None:
        self._jobs: queue.Queue[Callable[[Any], None] | None] = queue.Queue()
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._thread = threading.Thread(target=self._serve, name="chromium", daemon=True)
        self._thread.start()
        self._ready.wait(timeout=60)
        if self._startup_error is not None:
            raise self._startup_error

    def _serve(self) -> None:
        from playwright.sync_api import sync_playwright

        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
                )
                self._ready.set()
                while (job := self._jobs.get()) is not None:
                    job(browser)
                browser.close()
        except BaseException as exc:
            self._startup_error = exc
            self._ready.set()

    def run(self, scenario: Callable[[Any], None]) -> None:
        """Run ``scenario(browser)`` in the browser thread; re-raise what it raised."""
        done = threading.Event()
        outcome: list[BaseException] = []

        def job(browser: Any) -> None:
            try:
                scenario(browser)
            except BaseException as exc:
                outcome.append(exc)
            finally:
                done.set()

        self._jobs.put(job)
        if not done.wait(timeout=120):
            raise TimeoutError("the browser scenario did not finish in 120 s")
        if outcome:
            raise outcome[0]

    def close(self) -> None:
        self._jobs.put(None)
        self._thread.join(timeout=30)


@pytest.fixture(scope="session")
def chromium() -> Iterator[BrowserThread]:
    if not CHROMIUM.exists():
        message = (
            f"Chromium not found at {CHROMIUM}: `apt-get install -y chromium` "
            "(make test does it) to run the browser tests."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    pytest.importorskip("playwright.sync_api")
    thread = BrowserThread()
    yield thread
    thread.close()


Opener = Callable[..., Any]


@pytest.fixture
def in_browser(chromium: BrowserThread) -> Callable[[Callable[[Opener], None]], None]:
    """Run a scenario that opens pages (``open_page(viewport, locale)``) in Chromium."""

    def run(scenario: Callable[[Opener], None]) -> None:
        def with_pages(browser: Any) -> None:
            contexts: list[Any] = []

            def open_page(viewport: dict[str, int] = DESKTOP, locale: str = "en-US") -> Any:
                context = browser.new_context(viewport=viewport, locale=locale)
                context.set_default_timeout(15_000)
                contexts.append(context)
                return context.new_page()

            try:
                scenario(open_page)
            finally:
                for context in contexts:
                    context.close()

        chromium.run(with_pages)

    return run


def _merchant(server: Server) -> str:
    """The merchant's site: our own server under another origin (localhost vs 127.0.0.1)."""
    return f"http://localhost:{urlsplit(server.url).port}"


def _session(api: httpx.Client, server: Server, **overrides: Any) -> dict[str, Any]:
    merchant = _merchant(server)
    values: dict[str, Any] = {
        "customer": None,
        "locale": "en",
        "success_url": f"{merchant}/healthz?paid={{CHECKOUT_ID}}",
        "cancel_url": f"{merchant}/healthz?cancelled=1",
        **overrides,
    }
    return create_session(api, **values)


def _url(server: Server, session: dict[str, Any]) -> str:
    return server.url + page_path(session)


def _shoot(page: Any, server: Server, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}-{server.engine}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _fill_buyer(page: Any, *, city: str = "Barcelona") -> None:
    page.get_by_label("Email").fill("ada@example.com")
    page.get_by_label("First name").fill("Ada")
    page.get_by_label("Last name").fill("Lovelace")
    # The billing address (a page that ships has a shipping address with the same labels).
    billing = page.locator("#billing-address")
    billing.get_by_label("Address", exact=True).fill("Carrer de Mallorca 401")
    billing.get_by_label("Postal code").fill("08013")
    billing.get_by_label("City").fill(city)
    billing.get_by_label("Country").select_option("ES")


def _fill_card(page: Any, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiry (MM/YY)").fill("12/34")
    page.get_by_label("Security code").fill("123")


def _pay_button(page: Any) -> Any:
    return page.get_by_role("button", name=re.compile(r"^Pay "))


def test_pay_with_a_good_card_lands_on_success_url(in_browser, server, api):
    session = _session(api, server)

    def scenario(open_page: Opener) -> None:
        page = open_page(DESKTOP)
        page.goto(_url(server, session))
        assert page.title() == "Checkout"
        assert page.locator("#total").inner_text() == "€57.99"
        _shoot(page, server, "checkout-desktop")
        _fill_buyer(page)
        _fill_card(page, "4242424242424242")
        # The script groups the digits as they are typed.
        assert page.get_by_label("Card number").input_value() == "4242 4242 4242 4242"
        _pay_button(page).click()
        page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")
        paid = api.get(f"/v1/checkouts/{session['id']}").json()
        assert paid["status"] == "completed"
        assert paid["customer"]["email"] == "ada@example.com"

    in_browser(scenario)


def test_phone_width_layout(in_browser, server, api):
    session = _session(api, server, coupon_collection=True)

    def scenario(open_page: Opener) -> None:
        page = open_page(PHONE)
        page.goto(_url(server, session))
        # Nothing overflows sideways at 390 px.
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        pay = _pay_button(page).bounding_box()
        assert pay is not None and pay["width"] > 300 and pay["height"] >= 44
        _shoot(page, server, "checkout-phone")

    in_browser(scenario)


def test_declined_card_shows_the_error_and_a_retry_succeeds(in_browser, server, api):
    session = _session(api, server)

    def scenario(open_page: Opener) -> None:
        page = open_page(PHONE)
        page.goto(_url(server, session))
        _fill_buyer(page)
        _fill_card(page, "4000 0000 0000 0002")
        _pay_button(page).click()
        alert = page.get_by_role("alert")
        assert alert.inner_text() == "Your card was declined."
        assert page.url == _url(server, session)
        _shoot(page, server, "checkout-declined-phone")
        # The buyer's details are kept; the card is not.
        assert page.get_by_label("Email").input_value() == "ada@example.com"
        assert page.get_by_label("Card number").input_value() == ""
        _fill_card(page, "4242 4242 4242 4242")
        _pay_button(page).click()
        page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")
        assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "completed"

    in_browser(scenario)


def test_a_coupon_changes_the_total(in_browser, server, api):
    code = f"SAVE{uuid.uuid4().hex[:6].upper()}"
    coupon = api.post("/v1/coupons", json={"code": code, "percent_off": 10, "name": "Ten off"})
    assert coupon.status_code == 201, coupon.text
    session = _session(api, server, coupon_collection=True)

    def scenario(open_page: Opener) -> None:
        page = open_page(DESKTOP)
        page.goto(_url(server, session))
        assert page.locator("#total").inner_text() == "€57.99"
        page.get_by_label("Promotion code").fill("NOPE-NOT-A-CODE")
        page.get_by_role("button", name="Apply").click()
        assert page.locator("#e-code").inner_text() == "This promotion code is not valid."
        assert page.locator("#total").inner_text() == "€57.99"
        page.get_by_label("Promotion code").fill(code)
        page.get_by_label("Promotion code").press("Enter")  # Enter in the code field applies it
        page.wait_for_selector(".discount")
        discounted = api.get(f"/v1/checkouts/{session['id']}").json()
        assert discounted["amount_total"] < 5799
        expected = f"€{discounted['amount_total'] // 100}.{discounted['amount_total'] % 100:02d}"
        assert page.locator("#total").inner_text() == expected
        assert _pay_button(page).inner_text() == f"Pay {expected}"
        assert code in page.locator(".discount").inner_text()
        _shoot(page, server, "checkout-coupon-desktop")
        _fill_buyer(page)
        _fill_card(page, "4242424242424242")
        _pay_button(page).click()
        page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")
        paid = api.get(f"/v1/checkouts/{session['id']}").json()
        assert paid["status"] == "completed" and paid["amount_total"] == discounted["amount_total"]

    in_browser(scenario)


def test_a_required_billing_field_left_empty_is_refused(in_browser, server, api):
    session = _session(api, server, billing_details_collection="required")

    def scenario(open_page: Opener) -> None:
        page = open_page(DESKTOP)
        page.goto(_url(server, session))
        _fill_buyer(page, city="")
        _fill_card(page, "4242424242424242")
        _pay_button(page).click()
        # The browser refuses first (native validation) ...
        city = page.get_by_label("City")
        assert city.evaluate("element => element.validity.valueMissing") is True
        assert page.url == _url(server, session)
        # ... and the server refuses too, for a client that skips it.
        city.evaluate("element => element.removeAttribute('required')")
        _pay_button(page).click()
        page.wait_for_selector("#e-city")
        assert page.locator("#e-city").inner_text() == "This field is required."
        assert page.get_by_role("alert").inner_text() == "Please correct the highlighted fields."
        assert city.get_attribute("aria-invalid") == "true"
        _shoot(page, server, "checkout-missing-city-desktop")
        assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "pending"

    in_browser(scenario)


def test_spanish_page(in_browser, server, api):
    session = _session(api, server, locale="es", coupon_collection=True)

    def scenario(open_page: Opener) -> None:
        page = open_page(DESKTOP)
        page.goto(_url(server, session))
        assert page.locator("html").get_attribute("lang") == "es"
        assert page.get_by_role("heading", name="Resumen del pedido").is_visible()
        assert page.get_by_label("Correo electrónico").is_visible()
        assert page.locator("#total").inner_text().replace("\xa0", " ") == "57,99 €"
        assert _pay_button_es(page).is_visible()
        assert page.get_by_label("País").locator("option[value=DE]").inner_text() == "Alemania"
        _shoot(page, server, "checkout-es-desktop")

    in_browser(scenario)


def _pay_button_es(page: Any) -> Any:
    return page.get_by_role("button", name=re.compile(r"^Pagar 57,99"))


def test_browser_language_picks_the_locale(in_browser, server, api):
    session = _session(api, server, locale="auto")

    def scenario(open_page: Opener) -> None:
        page = open_page(PHONE, locale="de-DE")
        page.goto(_url(server, session))
        assert page.get_by_role("heading", name="Bestellübersicht").is_visible()
        assert page.locator("#total").inner_text().replace("\xa0", " ") == "57,99 €"

    in_browser(scenario)


def test_japanese_yen_formatting(in_browser, server, api):
    session = _session(
        api,
        server,
        currency="jpy",
        line_items=[{"product": "sku-tea", "name": "Matcha", "unit_amount": 1500, "quantity": 2}],
    )

    def scenario(open_page: Opener) -> None:
        page = open_page(PHONE)
        page.goto(_url(server, session))
        assert page.locator("#total").inner_text() == "¥3,000"
        assert page.locator(".item-qty").inner_text() == "Qty 2 \u00d7 ¥1,500"
        assert _pay_button(page).inner_text() == "Pay ¥3,000"
        _shoot(page, server, "checkout-jpy-phone")

    in_browser(scenario)


def test_paypal_is_a_simulated_approval_in_test_mode(in_browser, server, api):
    session = _session(api, server, billing_details_collection="auto")

    def scenario(open_page: Opener) -> None:
        page = open_page(DESKTOP)
        page.goto(_url(server, session))
        card_number = page.get_by_label("Card number")
        assert card_number.is_visible()
        page.get_by_label("PayPal").check()
        assert not card_number.is_visible()  # the script shows the chosen method's fields
        page.get_by_label("Email").fill("pp@example.com")
        page.get_by_label("First name").fill("Pay")
        page.get_by_label("Last name").fill("Pal")
        _pay_button(page).click()
        page.wait_for_url(f"{_merchant(server)}/healthz?paid={session['id']}")
        assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "completed"

    in_browser(scenario)


def test_cancel_lands_on_cancel_url(in_browser, server, api):
    session = _session(api, server)

    def scenario(open_page: Opener) -> None:
        page = open_page(PHONE)
        page.goto(_url(server, session))
        page.get_by_role("button", name="Cancel and return to the store").click()
        page.wait_for_url(f"{_merchant(server)}/healthz?cancelled=1")
        assert api.get(f"/v1/checkouts/{session['id']}").json()["status"] == "abandoned"
        page.goto(_url(server, session))
        assert page.get_by_role("heading", name="Checkout closed").is_visible()
        _shoot(page, server, "checkout-closed-phone")

    in_browser(scenario)

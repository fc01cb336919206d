"""A checkout link in Chromium: visiting it lands on a new session's page, a reload
comes back to that session, paying completes it, and a visit after the payment
starts a new session."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import Account, Server, free_port, server_settings, start_server
from tests.test_hosted_browser import (
    DESKTOP,
    Opener,
    _fill_buyer,
    _fill_card,
    _shoot,
    chromium,
    in_browser,
)

__all__ = ["chromium", "in_browser"]  # fixtures used by name

pytestmark = pytest.mark.browser


@pytest.fixture
def linked_server(database_url: str) -> Iterator[Server]:
    """A server whose public URL is its own address, so the browser can follow the
    link's redirect to the permalink (no embedded worker: the suite's server has one)."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = server_settings(database_url, public_url=url, embedded_worker=False)
    server, thread, _url = start_server(settings, port)
    yield Server(url=url, database_url=database_url, settings=settings)
    server.should_exit = True
    thread.join(timeout=10)


def test_visit_a_link_pay_and_visit_again(in_browser, linked_server: Server, account: Account):
    with httpx.Client(
        base_url=linked_server.url,
        headers={"Authorization": f"Bearer {account.secret_key}"},
        timeout=30,
    ) as api:
        created = api.post(
            "/v1/checkout_links",
            json={
                "currency": "eur",
                "locale": "en",
                "line_items": [{"product": "sku-print", "name": "Art print", "unit_amount": 2500}],
                "payment_methods": ["card"],
            },
        )
        assert created.status_code == 201, created.text
        link: dict[str, Any] = created.json()
        assert link["url"].startswith(f"{linked_server.url}/l/")

        def sessions() -> list[dict[str, Any]]:
            listed = api.get("/v1/checkouts", params={"checkout_link": link["id"]}).json()
            data: list[dict[str, Any]] = listed["data"]
            return data

        def scenario(open_page: Opener) -> None:
            page = open_page(DESKTOP)
            page.goto(link["url"])
            page.wait_for_url(f"{linked_server.url}/c/**")
            first = page.url
            assert page.locator("#total").inner_text() == "€25.00"
            assert "Art print" in page.content()
            _shoot(page, linked_server, "checkout-link")
            page.goto(link["url"])  # a reload of the link returns to the same session
            page.wait_for_url(first)
            assert len(sessions()) == 1
            _fill_buyer(page)
            _fill_card(page, "4242424242424242")
            page.get_by_role("button", name="Pay €25.00").click()
            page.get_by_text("Thank you! Your payment was successful.").wait_for()
            [paid] = sessions()
            assert paid["status"] == "completed" and paid["checkout_link"] == link["id"]
            assert first.endswith(paid["permalink"].rsplit("/", 1)[1])

            page.goto(link["url"])  # after the payment, a visit starts a new session
            page.wait_for_url(f"{linked_server.url}/c/**")
            assert page.url != first
            assert page.locator("#total").inner_text() == "€25.00"
            assert len(sessions()) == 2

        in_browser(scenario)
        shown = api.get(f"/v1/checkout_links/{link['id']}").json()
        assert (shown["sessions_created"], shown["completed_count"]) == (2, 1)
        assert shown["amount_completed"] == 2500

"""``/docs`` and ``/redoc`` render in Chromium with every non-loopback request cut."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.test_hosted_browser import chromium, in_browser  # noqa: F401 (fixtures)

pytestmark = pytest.mark.browser

LOOPBACK = ("127.0.0.1", "localhost", "[::1]", "::1")


def _offline_page(open_page: Any) -> tuple[Any, list[str], list[str]]:
    """A page whose requests leave the machine never: each is aborted and remembered."""
    page = open_page()
    blocked: list[str] = []
    served: list[str] = []

    def route(route: Any) -> None:
        url = route.request.url
        host = urlsplit(url).hostname or ""
        if url.startswith(("data:", "blob:")) or host in LOOPBACK:
            served.append(url)
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    page.route("**/*", route)
    return page, blocked, served


def test_swagger_ui_renders_every_operation_offline(server, in_browser):  # noqa: F811
    document = httpx.get(server.url + "/openapi.json", timeout=120).json()
    operations = sum(len(item) for item in document["paths"].values())

    def scenario(open_page: Any) -> None:
        page, blocked, served = _offline_page(open_page)
        page.goto(server.url + "/docs", timeout=90_000)
        page.wait_for_selector(".opblock", timeout=90_000)
        assert page.locator(".opblock").count() == operations
        assert page.locator(".opblock-summary-path", has_text="/v1/checkouts").count() >= 1
        assert page.title() == "opencheckout API reference"
        assert blocked == [], blocked
        assert any("/docs-assets/swagger-ui-bundle.js" in url for url in served)

    in_browser(scenario)


def test_redoc_renders_offline_without_google_fonts(server, in_browser):  # noqa: F811
    def scenario(open_page: Any) -> None:
        page, blocked, served = _offline_page(open_page)
        page.goto(server.url + "/redoc", timeout=90_000)
        page.wait_for_selector("[data-section-id*='operation/']", timeout=90_000)
        assert page.locator("[data-section-id*='operation/']").count() > 10
        assert blocked == [], blocked
        assert any("/docs-assets/redoc.js" in url for url in served)

    in_browser(scenario)


def test_docs_pages_reference_only_our_assets(server):
    for path in ("/docs", "/redoc"):
        page = httpx.get(server.url + path, timeout=60)
        assert page.status_code == 200
        assert "http://" not in page.text.replace(server.url, "")
        assert "https://" not in page.text
    asset = httpx.get(server.url + "/docs-assets/swagger-ui.css", timeout=60)
    assert asset.status_code == 200 and asset.headers["content-type"].startswith("text/css")

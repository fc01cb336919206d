"""Helpers for hosted page tests: open a session's page like a browser would."""

from __future__ import annotations

import re
from typing import Any

import httpx

from tests.conftest import Server

CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def token_of(session: dict[str, Any]) -> str:
    return str(session["permalink"]).rsplit("/", 1)[1]


def page_path(session: dict[str, Any]) -> str:
    return f"/c/{token_of(session)}"


def buyer(server: Server, **headers: str) -> httpx.Client:
    """A cookie-keeping client with no API key: the buyer's browser."""
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, html[:2000]
    return match.group(1)


def filled_form(html: str, **overrides: str | None) -> dict[str, str]:
    """A complete, valid submission of the page in ``html`` (good card)."""
    form = {
        "csrf_token": csrf_of(html),
        "email": "buyer@example.com",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "line1": "Carrer de Mallorca 401",
        "city": "Barcelona",
        "postal_code": "08013",
        "country": "ES",
        "method": "card",
        "card_number": "4242 4242 4242 4242",
        "card_exp": "12/34",
        "card_cvc": "123",
        "action": "pay",
    }
    for key, value in overrides.items():
        if value is None:
            form.pop(key, None)
        else:
            form[key] = value
    return form

"""Helpers for dashboard tests: users, a signed-in browser-like client, form tokens."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import pytest

from opencheckout.service import dashboard_users
from opencheckout.store.db import Database
from tests.conftest import Server, server_settings, start_server

PASSWORD = "correct horse battery"
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, html[:2000]
    return match.group(1)


def make_user(database_url: str, account_name: str, email: str | None = None) -> str:
    email = email or f"ops-{uuid.uuid4().hex[:10]}@example.com"

    async def create() -> None:
        db = Database(database_url)
        try:
            await dashboard_users.create_user(db, account_name, email, PASSWORD)
        finally:
            await db.dispose()

    asyncio.run(create())
    return email


@dataclass
class DashServer:
    url: str
    database_url: str


@pytest.fixture(scope="module")
def dash(server: Server) -> Iterator[DashServer]:
    """The app on the suite's database under a plain-http public URL (cookies without
    Secure, which an http client keeps); the suite's server delivers the webhooks."""
    settings = server_settings(
        server.database_url, public_url="http://127.0.0.1", embedded_worker=False
    )
    uv_server, thread, url = start_server(settings)
    yield DashServer(url=url, database_url=server.database_url)
    uv_server.should_exit = True
    thread.join(timeout=10)


def browser(dash: DashServer) -> httpx.Client:
    return httpx.Client(base_url=dash.url, timeout=30)


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    page = client.get("/dashboard/login")
    assert page.status_code == 200, page.text
    return client.post(
        "/dashboard/login",
        data={"csrf_token": csrf_of(page.text), "email": email, "password": password},
    )


@contextmanager
def signed_in(dash: DashServer, account_name: str) -> Iterator[httpx.Client]:
    with browser(dash) as client:
        response = sign_in(client, make_user(dash.database_url, account_name))
        assert response.status_code == 303, response.text
        yield client


def token(client: httpx.Client, path: str = "/dashboard/checkouts") -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    return csrf_of(page.text)

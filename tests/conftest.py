"""Test fixtures: a real server over real HTTP on SQLite and on PostgreSQL.

Every test that takes ``server`` runs once per database. PostgreSQL tests use
``OPENCHECKOUT_TEST_POSTGRES_URL`` (default: the local server, user postgres),
in a database created for this run and dropped after it.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
import uvicorn

from opencheckout.app import create_app
from opencheckout.config import Settings
from opencheckout.service import auth
from opencheckout.service.auth import Scope
from opencheckout.store.db import Database
from opencheckout.store.migrate import upgrade_to_head
from tests.error_codes import OBSERVED, ErrorCodeRecorder, undocumented

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PUBLIC_URL = "https://pay.example.test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _postgres_admin_url() -> str:
    return os.environ.get("OPENCHECKOUT_TEST_POSTGRES_URL", DEFAULT_POSTGRES_URL)


async def _pg_admin(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url, timeout=5)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


def _with_database(url: str, name: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{name}"


@contextmanager
def fresh_database(kind: str, tmp_dir: Path) -> Iterator[str]:
    """A new, migrated database of ``kind`` ("sqlite" or "postgresql"), dropped after use."""
    if kind == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_dir / f'oc-{uuid.uuid4().hex[:8]}.db'}"
        asyncio.run(upgrade_to_head(url))
        yield url
        return
    admin = _postgres_admin_url()
    name = f"opencheckout_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        message = (
            f"PostgreSQL not reachable at {admin} ({exc}). Start it or set "
            "OPENCHECKOUT_TEST_POSTGRES_URL=postgresql://USER@HOST:PORT/DB to run these tests."
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    url = _with_database(admin, name).replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        asyncio.run(upgrade_to_head(url))
        yield url
    finally:
        asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    with fresh_database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield url


def server_settings(database_url: str, **overrides: object) -> Settings:
    """Fast retries and polling, and webhooks allowed to reach loopback receivers."""
    values: dict[str, object] = {
        "database_url": database_url,
        "public_url": PUBLIC_URL,
        "webhooks_allow_private": True,
        "webhook_retry_base_seconds": 0.2,
        "webhook_timeout_seconds": 2.0,
        "worker_poll_seconds": 0.05,
        # Tests fire bursts with one key; only the rate-limit test turns it on.
        "rate_limit_per_second": 0,
        # Likewise for sessions started from checkout links (one test turns it on).
        "link_sessions_per_minute": 0,
        # Tests revoke a key and expect the very next request to fail.
        "auth_cache_seconds": 0,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


@dataclass
class Server:
    url: str
    database_url: str
    settings: Settings

    @property
    def engine(self) -> str:
        return "sqlite" if self.database_url.startswith("sqlite") else "postgresql"


def start_server(
    settings: Settings, port: int | None = None
) -> tuple[uvicorn.Server, threading.Thread, str]:
    """A real server in a thread (on ``port``, or a free one), its answers recorded."""
    port = port or free_port()
    config = uvicorn.Config(
        ErrorCodeRecorder(create_app(settings)),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        proxy_headers=False,  # as `serve`: only OPENCHECKOUT_TRUSTED_PROXIES are believed
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("test server did not start")
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{port}"


@pytest.fixture(scope="session")
def server(database_url: str) -> Iterator[Server]:
    settings = server_settings(database_url)
    uv_server, thread, url = start_server(settings)
    yield Server(url=url, database_url=database_url, settings=settings)
    uv_server.should_exit = True
    thread.join(timeout=10)


@dataclass
class Account:
    name: str
    secret_key: str
    read_key: str
    live_key: str


async def _make_account(database_url: str, name: str) -> Account:
    db = Database(database_url)
    try:
        secret = await auth.create_key(db, name, livemode=False, scope=Scope.WRITE)
        read = await auth.create_key(db, name, livemode=False, scope=Scope.READ)
        live = await auth.create_key(db, name, livemode=True, scope=Scope.WRITE)
    finally:
        await db.dispose()
    return Account(name, secret.secret, read.secret, live.secret)


@pytest.fixture
def account(server: Server) -> Account:
    """A fresh account per test, so lists and counts see only this test's sessions."""
    return asyncio.run(_make_account(server.database_url, f"acct-{uuid.uuid4().hex[:10]}"))


@pytest.fixture
def other_account(server: Server) -> Account:
    return asyncio.run(_make_account(server.database_url, f"other-{uuid.uuid4().hex[:10]}"))


def client_for(server: Server, key: str | None) -> httpx.Client:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.Client(base_url=server.url, headers=headers, timeout=30)


@pytest.fixture
def api(server: Server, account: Account) -> Iterator[httpx.Client]:
    """An HTTP client authenticated with the account's test secret key."""
    with client_for(server, account.secret_key) as client:
        yield client


REPO_ROOT = Path(__file__).resolve().parent.parent
#: The protocol specs and seed documents some tests check against. They live beside
#: the repository (``../shared``), never in it; a plain clone has none of them.
SHARED = Path(os.environ.get("OPENCHECKOUT_TEST_SHARED", REPO_ROOT.parent / "shared"))
#: Every skip for missing spec data starts with this, so the run can count them.
MISSING_SHARED = "spec data missing:"


def require_shared(path: Path) -> Path:
    """``path`` (under :data:`SHARED`), or skip the calling test naming what is missing."""
    if not path.exists():
        pytest.skip(
            f"{MISSING_SHARED} {path} (place the shared specs at {SHARED} or set "
            "OPENCHECKOUT_TEST_SHARED)"
        )
    return path


class SharedJSON(Mapping[str, Any]):
    """A JSON object from :data:`SHARED`, read on first use.

    Modules can name their spec files at import time without reading them, so a
    clone without ``../shared`` still collects, and each test that needs the data
    skips on its own.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data: dict[str, Any] | None = None

    def _load(self) -> dict[str, Any]:
        if self._data is None:
            self._data = json.loads(require_shared(self.path).read_text())
        return self._data

    def __getitem__(self, key: str) -> Any:
        return self._load()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._load())

    def __len__(self) -> int:
        return len(self._load())


_UNDOCUMENTED: list[str] = []
#: A code a route answers but does not list fails the run (the tables cover the suite).
FAIL_ON_UNDOCUMENTED = True


@pytest.hookimpl(tryfirst=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """Fail the run if a route answered an error code its OpenAPI operation does not list."""
    if not OBSERVED:
        return
    # The document only: the app never opens this database.
    with tempfile.TemporaryDirectory() as scratch:
        unopened = f"sqlite+aiosqlite:///{Path(scratch) / 'openapi.db'}"
        document = create_app(server_settings(unopened)).openapi()
    _UNDOCUMENTED.extend(undocumented(document, OBSERVED))
    if _UNDOCUMENTED and FAIL_ON_UNDOCUMENTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests did not run for lack of the spec data (a plain clone), and
    which error codes the tests saw that the OpenAPI document does not list."""
    if _UNDOCUMENTED:
        terminalreporter.write_sep(
            "=", f"{len(_UNDOCUMENTED)} error codes answered but not documented", red=True
        )
        for line in _UNDOCUMENTED:
            terminalreporter.write_line(f"  {line}")
        terminalreporter.write_line(
            "List each in opencheckout/api/openapi.py (COMMON_CODES or ROUTE_CODES)."
        )
    missing: dict[str, int] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        if MISSING_SHARED in reason:
            path = reason.split(MISSING_SHARED, 1)[1].split(" (", 1)[0].strip()
            missing[path] = missing.get(path, 0) + 1
    if missing:
        total = sum(missing.values())
        terminalreporter.write_sep("=", f"{total} skipped: spec data missing", yellow=True)
        for path, count in sorted(missing.items()):
            terminalreporter.write_line(f"{count:5d} need {path}")

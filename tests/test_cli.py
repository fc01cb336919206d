"""The command line, run as a real process against the configured database."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from opencheckout.store.connection import normalize_database_url
from opencheckout.store.migrate import head_revision, upgrade_to_head
from tests.conftest import (
    _pg_admin,
    _postgres_admin_url,
    _with_database,
    free_port,
    server_settings,
    start_server,
)

CLI = [sys.executable, "-m", "opencheckout"]


def run(database_url: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENCHECKOUT_DATABASE_URL": database_url}
    result = subprocess.run([*CLI, *args], env=env, capture_output=True, text=True, timeout=60)
    if check:
        assert result.returncode == 0, result.stderr
    return result


def test_keys_create_list_revoke(server):
    name = f"cli-{uuid.uuid4().hex[:8]}"
    secret = run(server.database_url, "keys", "create", "--account", name).stdout
    assert secret.startswith("sk_test_") and secret.count("\n") == 1  # only the key on stdout
    secret = secret.strip()
    read = run(
        server.database_url, "keys", "create", "--account", name, "--scope", "read"
    ).stdout.strip()
    live = run(
        server.database_url, "keys", "create", "--account", name, "--mode", "live"
    ).stdout.strip()
    assert read.startswith("rk_test_") and live.startswith("sk_live_")

    listing = run(server.database_url, "keys", "list", "--account", name).stdout
    assert secret not in listing  # secrets are never shown again
    prefixes = [line.split("\t")[0] for line in listing.splitlines()]
    assert len(prefixes) == 3 and all(
        secret.startswith(p) or read.startswith(p) or live.startswith(p) for p in prefixes
    )

    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {secret}"}) as client:
        assert client.get("/v1/checkouts").status_code == 200
        prefix = next(p for p in prefixes if secret.startswith(p))
        run(server.database_url, "keys", "revoke", prefix)
        assert client.get("/v1/checkouts").status_code == 401
    assert "revoked" in run(server.database_url, "keys", "list", "--account", name).stdout

    missing = run(server.database_url, "keys", "revoke", "sk_test_nothere", check=False)
    assert missing.returncode != 0 and "No key" in missing.stderr
    bad_mode = run(
        server.database_url, "keys", "create", "--account", name, "--mode", "prod", check=False
    )
    assert bad_mode.returncode != 0


def test_serve_migrates_sqlite_and_demo_prints_a_working_key(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/fresh.db"
    port = free_port()
    env = {
        **os.environ,
        "OPENCHECKOUT_DATABASE_URL": url,
        "OPENCHECKOUT_PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    demo = subprocess.run([*CLI, "demo"], env=env, capture_output=True, text=True, timeout=60)
    assert demo.returncode == 0, demo.stderr
    lines = dict(line.split(":", 1) for line in demo.stdout.strip().splitlines())
    key = lines["Test secret key"].strip()
    permalink = lines["Sample checkout"].strip()
    assert key.startswith("sk_test_") and permalink.startswith(f"http://127.0.0.1:{port}/c/")

    # To a file: serve logs every request, and an unread pipe would fill and stall it.
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/readyz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline and process.poll() is None, "serve did not come up"
            time.sleep(0.1)
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {key}"}
        ) as client:
            sessions = client.get("/v1/checkouts").json()["data"]
            assert len(sessions) == 1 and sessions[0]["permalink"] == permalink
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
        log.close()


# --------------------------------------------------------------------------- #
# Clear answers for operators: unmigrated databases and bad URLs
# --------------------------------------------------------------------------- #

ENGINES = ["sqlite", "postgresql"]


@contextmanager
def empty_database(kind: str, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, as ``OPENCHECKOUT_DATABASE_URL`` would name it."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / f'empty-{uuid.uuid4().hex[:8]}.db'}"
        return
    admin = _postgres_admin_url()
    name = f"opencheckout_cli_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_admin(admin, f'CREATE DATABASE "{name}"'))
    except (OSError, TimeoutError) as exc:
        pytest.skip(f"PostgreSQL not reachable at {admin} ({exc})")
    try:
        yield _with_database(admin, name)  # plain postgresql://, as an operator writes it
    finally:
        asyncio.run(_pg_admin(admin, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """Non-zero exit, no traceback, nothing on stdout, exactly one line on stderr."""
    assert result.returncode != 0, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert result.stdout == ""
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


UNMIGRATED_COMMANDS = [
    ("keys", "create", "--account", "ops"),
    ("keys", "list", "--account", "ops"),
    ("keys", "revoke", "sk_test_abcdefgh"),
    ("events", "redeliver", "evt_123"),
]


@pytest.mark.parametrize("kind", ENGINES)
def test_every_command_on_an_unmigrated_database_says_run_migrate(kind, tmp_path):
    with empty_database(kind, tmp_path) as url:
        commands = [*UNMIGRATED_COMMANDS, *([("demo",)] if kind == "postgresql" else [])]
        for command in commands:
            result = run(url, *command, check=False)
            assert_one_line_error(result, "schema is missing", "run `opencheckout migrate`")
        if kind == "sqlite":  # nothing was created by the refused commands
            assert not Path(url.removeprefix("sqlite:///")).exists()


@pytest.mark.parametrize("kind", ENGINES)
def test_migrate_says_what_it_applied_then_already_up_to_date(kind, tmp_path):
    head = head_revision()
    with empty_database(kind, tmp_path) as url:
        asyncio.run(upgrade_to_head(url, "0004"))
        behind = run(url, "keys", "list", "--account", "ops", check=False)
        assert_one_line_error(
            behind,
            "schema is behind",
            f"at 0004; this version needs {head}",
            "opencheckout migrate",
        )
        first = run(url, "migrate")
        assert first.stdout.startswith("applied 0005 "), first.stdout
        assert f" {head} " in first.stdout and "0004" not in first.stdout.split("(")[0]
        again = run(url, "migrate")
        assert again.stdout.strip() == f"already up to date (at {head})"
        assert "Traceback" not in first.stderr + again.stderr
        assert run(url, "keys", "create", "--account", "ops").stdout.startswith("sk_test_")
    with empty_database(kind, tmp_path) as url:
        everything = run(url, "migrate").stdout
        assert everything.startswith("applied 0001 0002 0003 0004 "), everything
        assert everything.strip().endswith(f"(the schema is now at {head})")


def test_postgres_and_postgresql_urls_use_asyncpg_and_sqlite_uses_aiosqlite(tmp_path):
    with empty_database("postgresql", tmp_path) as url:
        short = url.replace("postgresql://", "postgres://", 1)
        assert run(short, "migrate").stdout.startswith("applied 0001")
        secret = run(short, "keys", "create", "--account", "ops").stdout.strip()
        listing = run(url, "keys", "list", "--account", "ops").stdout  # postgresql://
        assert secret.startswith(listing.split("\t")[0])
        explicit = url.replace("postgresql://", "postgresql+asyncpg://", 1)
        assert "already up to date" in run(explicit, "migrate").stdout
    sqlite = f"sqlite:///{tmp_path / 'plain.db'}"
    assert run(sqlite, "migrate").stdout.startswith("applied 0001")
    assert run(sqlite, "keys", "create", "--account", "ops").stdout.startswith("sk_test_")
    aiosqlite = f"sqlite+aiosqlite:///{tmp_path / 'plain.db'}"
    assert "already up to date" in run(aiosqlite, "migrate").stdout


def _refused_port() -> int:
    return free_port()  # nothing listens on a port just freed


def test_bad_urls_missing_databases_and_refused_connections_are_one_line(tmp_path):
    admin = _postgres_admin_url()
    missing_db = _with_database(admin, f"opencheckout_missing_{uuid.uuid4().hex[:8]}")
    refused = f"postgresql://postgres@127.0.0.1:{_refused_port()}/opencheckout"
    cases = [
        ("mysql://user@localhost/shop", ("unsupported database URL scheme 'mysql'",)),
        ("not a url", ("is not a database URL",)),
        ("sqlite://", ("in-memory SQLite",)),
        (refused, ("connection refused", f"127.0.0.1:{refused.split(':')[2].split('/')[0]}")),
        (missing_db, ("does not exist", missing_db.rsplit("/", 1)[1])),
        (f"sqlite:///{tmp_path}/no/such/dir/oc.db", ("cannot open the SQLite database file",)),
    ]
    for url, needles in cases:
        for command in (("migrate",), ("keys", "list", "--account", "ops"), ("demo",)):
            result = run(url, *command, check=False)
            assert_one_line_error(result, *needles)
    secret_url = f"postgresql://postgres:hunter2@127.0.0.1:{_refused_port()}/opencheckout"
    for command in (("serve", "--port", str(free_port())), ("worker",)):
        result = run(secret_url, *command, check=False)
        assert_one_line_error(result, "connection refused")
    assert "hunter2" not in run("mysql://u:hunter2@h/db", "migrate", check=False).stderr


@pytest.mark.parametrize("kind", ENGINES)
def test_readyz_is_503_until_the_schema_is_current_and_the_worker_waits_quietly(
    kind, tmp_path, caplog
):
    with empty_database(kind, tmp_path) as url:
        settings = server_settings(normalize_database_url(url))
        uv_server, thread, base = start_server(settings)
        try:
            with httpx.Client(base_url=base, timeout=30) as client:
                for _ in range(20):  # the embedded worker polls every 0.05 s meanwhile
                    response = client.get("/readyz")
                    assert response.status_code == 503
                    error = response.json()["error"]
                    assert error["code"] == "database_schema_outdated"
                    assert "opencheckout migrate" in error["message"]
                run(url, "migrate")
                assert client.get("/readyz").status_code == 200
                secret = run(url, "keys", "create", "--account", "ops").stdout.strip()
                api = client.get("/v1/checkouts", headers={"Authorization": f"Bearer {secret}"})
                assert api.status_code == 200
        finally:
            uv_server.should_exit = True
            thread.join(timeout=10)
    noisy = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.name.startswith("opencheckout")
    ]
    assert noisy == [], [r.getMessage() for r in noisy]


def _wait_for(condition, what: str, process: subprocess.Popen[str] | None = None) -> None:
    deadline = time.monotonic() + 60
    while not condition():
        assert process is None or process.poll() is None, f"exited while waiting for {what}"
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.1)


def test_serve_and_worker_on_an_unmigrated_postgres_wait_and_say_so_once(tmp_path):
    with empty_database("postgresql", tmp_path) as url:
        port = free_port()
        env = {
            **os.environ,
            "OPENCHECKOUT_DATABASE_URL": url,
            "OPENCHECKOUT_WORKER_POLL_SECONDS": "0.05",
        }
        logs = {name: tmp_path / f"{name}.log" for name in ("serve", "worker")}
        commands = {"serve": ["serve", "--port", str(port)], "worker": ["worker"]}
        processes = {}
        for name, args in commands.items():
            with logs[name].open("w") as out:
                processes[name] = subprocess.Popen(
                    [*CLI, *args], env=env, stdout=out, stderr=subprocess.STDOUT, text=True
                )
        try:
            readyz = f"http://127.0.0.1:{port}/readyz"

            def status() -> int | None:
                try:
                    return httpx.get(readyz, timeout=5).status_code
                except httpx.TransportError:
                    return None

            _wait_for(lambda: status() == 503, "serve to answer 503", processes["serve"])
            _wait_for(
                lambda: "opencheckout worker running" in logs["worker"].read_text(),
                "the worker to start",
                processes["worker"],
            )
            for _ in range(10):
                assert status() == 503
            run(url, "migrate")
            _wait_for(lambda: status() == 200, "readyz 200 after migrate", processes["serve"])
            assert processes["worker"].poll() is None
        finally:
            for process in processes.values():
                process.send_signal(signal.SIGTERM)
            for process in processes.values():
                process.wait(timeout=30)
        for log in logs.values():
            text = log.read_text()
            assert "Traceback" not in text and "ERROR" not in text, text
            warnings = [line for line in text.splitlines() if "schema is missing" in line]
            assert len(warnings) == 1, text
            assert "run `opencheckout migrate`" in warnings[0]
        assert processes["worker"].returncode == 0

"""The command line, run as a real process against the configured database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid

import httpx

from tests.conftest import free_port

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

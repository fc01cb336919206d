"""``opencheckout serve`` and ``opencheckout worker`` as real processes, for the
reliability tests that kill, restart or run several of them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.conftest import PUBLIC_URL, free_port


def process_env(database_url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "OPENCHECKOUT_DATABASE_URL": database_url,
        "OPENCHECKOUT_PUBLIC_URL": PUBLIC_URL,
        "OPENCHECKOUT_WEBHOOKS_ALLOW_PRIVATE": "1",
        "OPENCHECKOUT_WEBHOOK_RETRY_BASE_SECONDS": "0.2",
        "OPENCHECKOUT_WORKER_POLL_SECONDS": "0.05",
        "OPENCHECKOUT_RATE_LIMIT_PER_SECOND": "0",
        **extra,
    }


@dataclass
class Serve:
    popen: subprocess.Popen[bytes]
    port: int
    log: Path
    database_url: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, as in a crash or an OOM kill.

        The whole process group, so ``--workers`` children die with their parent."""
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def start_serve(
    database_url: str, log_dir: Path, port: int | None = None, workers: int = 1, **env: str
) -> Serve:
    """Start ``opencheckout serve`` and wait until ``/readyz`` answers."""
    port = port or free_port()
    log = log_dir / f"serve-{port}-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [
                sys.executable,
                *("-m", "opencheckout", "serve", "--port", str(port), "--workers", str(workers)),
            ],
            env=process_env(database_url, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    serve = Serve(popen, port, log, database_url)
    # Generous: a loaded 2-core machine can take half a minute to import and migrate,
    # and each --workers child is a new interpreter.
    deadline = time.monotonic() + 90 + 45 * (workers - 1)
    while True:
        if popen.poll() is not None:
            raise RuntimeError(f"serve exited: {serve.output()[-3000:]}")
        try:
            if httpx.get(f"{serve.url}/readyz", timeout=1).status_code == 200:
                return serve
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            serve.kill()
            raise RuntimeError(f"serve did not start: {serve.output()[-3000:]}")
        time.sleep(0.05)


def start_worker(database_url: str, log_dir: Path, **env: str) -> Serve:
    """``opencheckout worker`` (its ``port`` is unused)."""
    log = log_dir / f"worker-{time.monotonic_ns()}.log"
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "opencheckout", "worker"],
            env=process_env(database_url, **env),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Serve(popen, 0, log, database_url)

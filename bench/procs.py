"""Server processes for the benchmark: ``opencheckout serve`` and the baseline."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

PUBLIC_URL = "https://pay.bench.test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def peak_rss_mib(self) -> float:
        """The kernel's high-water mark of resident memory (``VmHWM``) for the process."""
        try:
            for line in Path(f"/proc/{self.popen.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        try:
            import psutil

            return float(psutil.Process(self.popen.pid).memory_info().rss) / 2**20
        except Exception:
            return 0.0

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)


def _wait_ready(proc: Process, path: str, timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.popen.poll() is not None:
            raise RuntimeError(f"{proc.name} exited: {proc.log.read_text()[-2000:]}")
        try:
            if httpx.get(proc.url + path, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"{proc.name} did not start: {proc.log.read_text()[-2000:]}")


def start_opencheckout(database_url: str, log_dir: Path, **env: str) -> Process:
    """``opencheckout serve`` as a user runs it, with the limiter on but out of the way."""
    port = free_port()
    log = log_dir / f"opencheckout-{port}.log"
    environment = {
        **os.environ,
        "OPENCHECKOUT_DATABASE_URL": database_url,
        "OPENCHECKOUT_PUBLIC_URL": PUBLIC_URL,
        # One key drives the whole load: keep the limiter's code path, not its limit.
        "OPENCHECKOUT_RATE_LIMIT_PER_SECOND": "1000000",
        "OPENCHECKOUT_RATE_LIMIT_BURST": "1000000",
        **env,
    }
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "opencheckout", "serve", "--port", str(port)],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    proc = Process("opencheckout", popen, port, log)
    _wait_ready(proc, "/readyz")
    return proc


def start_baseline(database_url: str, log_dir: Path) -> Process:
    """The bare ASGI app under the same uvicorn settings as ``serve``."""
    port = free_port()
    log = log_dir / f"baseline-{port}.log"
    code = (
        "import uvicorn; uvicorn.run('bench.baseline:app', host='127.0.0.1', "
        f"port={port}, log_level='info', timeout_keep_alive=5)"
    )
    root = Path(__file__).resolve().parent.parent
    environment = {
        **os.environ,
        "BENCH_DATABASE_URL": database_url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-c", code], env=environment, stdout=out, stderr=subprocess.STDOUT
        )
    proc = Process("baseline", popen, port, log)
    _wait_ready(proc, "/healthz")
    return proc


def start_capture(database_url: str, log_dir: Path) -> Process:
    """``opencheckout serve`` with its statements traced (:mod:`bench.capture`): not measured."""
    port = free_port()
    log = log_dir / f"capture-{port}.log"
    root = Path(__file__).resolve().parent.parent
    environment = {
        **os.environ,
        "OPENCHECKOUT_DATABASE_URL": database_url,
        "OPENCHECKOUT_PUBLIC_URL": PUBLIC_URL,
        "OPENCHECKOUT_RATE_LIMIT_PER_SECOND": "1000000",
        "OPENCHECKOUT_RATE_LIMIT_BURST": "1000000",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
    }
    with log.open("wb") as out:
        popen = subprocess.Popen(
            [sys.executable, "-m", "bench.capture", "--port", str(port)],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    proc = Process("capture", popen, port, log)
    _wait_ready(proc, "/readyz")
    return proc

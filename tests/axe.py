"""axe-core in the browser tests: the npm package, installed on first use into
``build/node`` (``make test`` does it up front), injected with Playwright."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO_ROOT

AXE_VERSION = "4.14.1"
NODE_DIR = REPO_ROOT / "build" / "node"
AXE_JS = NODE_DIR / "node_modules" / "axe-core" / "axe.min.js"


def axe_script() -> Path:
    """axe.min.js, installed from the npm registry if it is not there yet."""
    if not AXE_JS.exists():
        npm = shutil.which("npm")
        if npm is None:
            message = "npm not found: install Node.js to run the accessibility checks."
            if os.environ.get("CI") == "true":
                pytest.fail(message)
            pytest.skip(message)
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(NODE_DIR),
                "--no-audit",
                "--no-fund",
                f"axe-core@{AXE_VERSION}",
            ],
            check=True,
            capture_output=True,
            timeout=300,
        )
    return AXE_JS


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe on the page; the serious and critical violations, with their targets."""
    page.add_script_tag(path=str(axe_script()))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "targets": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def assert_accessible(page: Any) -> None:
    found = serious_violations(page)
    assert found == [], f"{page.url}: {found}"

"""A plain clone of the repository, with no ``../shared`` beside it, still tests.

The suite runs as a separate pytest process with ``OPENCHECKOUT_TEST_SHARED``
pointing at a directory that does not exist, as it would on a user's clone.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT


def pytest_run(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "OPENCHECKOUT_TEST_SHARED": str(tmp_path / "no-shared")}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_the_whole_suite_collects_without_the_spec_data(tmp_path):
    result = pytest_run(tmp_path, "--collect-only", "-q")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "error" not in result.stdout.lower().splitlines()[-1]
    # The spec-reading modules are there: collected, or skipped at collection by name.
    assert "tests/test_acp.py" in result.stdout


def test_spec_tests_skip_naming_the_missing_path_and_are_counted(tmp_path):
    missing = tmp_path / "no-shared"
    result = pytest_run(
        tmp_path,
        "tests/test_acp.py",
        "tests/test_quaderno.py::test_seed_examples_are_accepted_as_they_stand",
        "-k",
        "sqlite",
        "-rs",
    )
    output = result.stdout
    assert result.returncode == 0, output[-3000:] + result.stderr[-3000:]
    assert "failed" not in output.splitlines()[-1] and "error" not in output.splitlines()[-1]
    spec = missing / "specs" / "acp" / "spec" / "2026-04-17" / "json-schema"
    assert f"spec data missing: {spec}" in output
    assert f"spec data missing: {missing / 'seeds'}" in output
    summary = re.search(r"=+ (\d+) skipped: spec data missing =+", output)
    assert summary is not None, output[-3000:]
    totals = re.search(r"(\d+) skipped", output.splitlines()[-1])
    assert totals is not None and int(summary.group(1)) == int(totals.group(1)) >= 2


def test_ci_runs_make_test():
    """CI (``.ci/run``, with ``../shared`` beside the clone) runs what a user runs."""
    assert "make test" in (REPO_ROOT / ".ci" / "run").read_text()


def test_the_license_pyproject_promises_is_there():
    license_text = (REPO_ROOT / "LICENSE").read_text()
    assert 'license = "Apache-2.0"' in (REPO_ROOT / "pyproject.toml").read_text()
    assert "Apache License\n                           Version 2.0, January 2004" in license_text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in license_text
    assert "END OF TERMS AND CONDITIONS" in license_text
    assert "APPENDIX: How to apply the Apache License to your work." in license_text

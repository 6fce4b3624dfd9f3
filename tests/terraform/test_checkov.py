"""checkov over deploy/terraform: no failed check (every skip is justified inline, see test_wiring.py).

checkov lives in its own venv (`.venv-tools`, made by `make tools`; CHECKOV may point elsewhere): it pins
boto3 and packaging below the stack's and ships bc-python-hcl2, whose import package `hcl2` is the same as
python-hcl2's. Without it the test skips, and fails under CI=true.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest
from support.terraform import TERRAFORM_DIR

REPO = TERRAFORM_DIR.parents[1]
SUMMARY = re.compile(r"Passed checks: (\d+), Failed checks: (\d+), Skipped checks: (\d+)")


def checkov_binary() -> str:
    candidates = [os.environ.get("CHECKOV"), str(REPO / ".venv-tools" / "bin" / "checkov"), shutil.which("checkov")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    message = "checkov not found: `make tools` installs it into .venv-tools (or set CHECKOV)"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message)
    pytest.skip(message)


def test_checkov_finds_no_failed_check(tmp_path):
    binary = checkov_binary()
    started = time.monotonic()
    result = subprocess.run(
        [
            binary,
            "-d",
            str(TERRAFORM_DIR),
            "--framework",
            "terraform",
            "--quiet",
            "--compact",
            "--download-external-modules",
            "false",
            # no call to Prisma Cloud for guideline links (there is no network here, and it is not needed)
            "--skip-download",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,  # checkov may leave a cache of external modules in the working directory
        check=False,
    )
    elapsed = time.monotonic() - started
    output = result.stdout + result.stderr
    (summary,) = SUMMARY.findall(output) or [None]
    assert summary is not None, output[-4000:]
    passed, failed, skipped = map(int, summary)
    print(f"checkov: {passed} passed, {failed} failed, {skipped} skipped in {elapsed:.1f}s")
    assert failed == 0 and result.returncode == 0, output[-8000:]
    # It really scanned the envs and their modules (a wrong directory passes with nothing checked).
    assert passed > 400

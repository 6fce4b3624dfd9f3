"""The Jenkinsfile: the architecture document's stages are all there, wired to this repository, and it lints clean.

npm-groovy-lint (CodeNarc on the machine's Java) parses it as Groovy and applies its Jenkinsfile rules; it costs
~18 s of CPU, so it runs here, where pytest-xdist balances it, rather than serially in `make test`.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest
from support.dockerfile import ROOT, stages

JENKINSFILE = ROOT / "Jenkinsfile"
# shared/seed/ci-cd-architecture.md, "Jenkins Configuration": top-level stages in order, and parallel children.
TOP_LEVEL = ["Code Quality", "Build & Package", "Infrastructure", "Deploy", "Integration Tests", "Monitoring Setup"]
PARALLEL = {
    "Code Quality": ["Linting", "Security Scan", "Unit Tests"],
    "Deploy": ["Data Pipeline", "ML Pipeline", "API Services", "Frontend"],
}
STAGE = re.compile(r"^(?P<indent> *)stage\('(?P<name>[^']+)'\)", re.MULTILINE)


def stage_tree(text: str) -> tuple[list[str], dict[str, list[str]]]:
    """Top-level stage names in order, and each one's nested stages (by indentation, as the file is laid out)."""
    found = [(len(m["indent"]), m["name"]) for m in STAGE.finditer(text)]
    top_indent = min(indent for indent, _ in found)
    top, children, current = [], {}, None
    for indent, name in found:
        if indent == top_indent:
            top.append(name)
            current = name
            children[name] = []
        else:
            children[current].append(name)
    return top, children


def stage_body(text: str, name: str) -> str:
    start = text.index(f"stage('{name}')")
    following = [m.start() for m in STAGE.finditer(text) if m.start() > start]
    nested = PARALLEL.get(name, [])
    end = next((pos for pos in following if text[pos:].split("'")[1] not in nested), len(text))
    return text[start:end]


def test_the_architecture_stages_are_all_there_in_order():
    text = JENKINSFILE.read_text()
    top, children = stage_tree(text)
    assert [name for name in top if name in TOP_LEVEL] == TOP_LEVEL
    for parent, expected in PARALLEL.items():
        assert children[parent] == expected, parent
        assert "parallel {" in stage_body(text, parent)


@pytest.mark.parametrize("removed", [*TOP_LEVEL, "Security Scan", "Frontend"])
def test_a_removed_stage_is_noticed(removed):
    text = JENKINSFILE.read_text().replace(f"stage('{removed}')", "stage('Renamed')")
    top, children = stage_tree(text)
    assert [n for n in top if n in TOP_LEVEL] != TOP_LEVEL or any(
        children.get(p) != c for p, c in PARALLEL.items())


def test_the_stages_do_what_the_architecture_says_with_this_repository():
    text = JENKINSFILE.read_text()
    quality = stage_body(text, "Code Quality")
    for tool in ("ruff check", "mypy", "bandit", "pip-audit", "checkov", "--junitxml", "make terraform-check"):
        assert tool in quality, tool
    # The suite as `make test` runs it (its tools, coverage gated at 80 %: tests/test_make_tools.py).
    assert re.search(r"sh 'make test\b", stage_body(text, "Unit Tests"))
    assert re.search(r"sh 'make install tools'", stage_body(text, "Install"))
    build = stage_body(text, "Build & Package")
    targets = re.search(r"\[('[^\]]+')\]\.each", build)[1]
    assert {t.strip(" '") for t in targets.split(",")} == {n for n, s in stages().items() if s.cmd}
    assert "docker push" in build and "$GIT_COMMIT" in build
    infra = stage_body(text, "Infrastructure")
    assert "deploy/terraform/envs/${params.DEPLOY_ENV}" in text and "terraform plan" in infra
    assert re.search(r"if \(params\.DEPLOY_ENV == 'prod'\) \{\s*input ", infra)
    assert infra.index("input ") < infra.index("terraform apply")
    assert "choices: ['dev', 'staging', 'prod']" in text
    deploy = stage_body(text, "Deploy")
    for service in ("code-market-data", "code-ml", "dagster-webserver", "dagster-daemon", "api"):
        assert f"deployService('{service}'" in deploy, service
    assert "binance-assets smoke --base-url" in stage_body(text, "Integration Tests")
    assert "deploy/monitoring" in stage_body(text, "Monitoring Setup")
    post = text[text.index("    post {"):]
    assert re.search(r"always \{[^}]*deleteDir\(\)", post) and "success {" in post and "failure {" in post


def test_the_commands_it_runs_from_the_venvs_are_the_ones_make_installs_there():
    """`.venv/bin/x` and `.venv-tools/bin/x`: each is where `make install tools` puts it (checkov is in .venv-tools)."""
    used = sorted(set(re.findall(r"(\.venv(?:-tools)?/bin/[\w.-]+)", JENKINSFILE.read_text())))
    assert ".venv-tools/bin/checkov" in used
    if not (ROOT / ".venv-tools" / ".installed").exists():
        message = ".venv-tools is not installed (`make tools`)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    missing = [path for path in used if not (ROOT / path).is_file()]
    assert not missing, f"the Jenkinsfile runs commands `make install tools` does not install: {missing}"


def test_credentials_only_by_binding():
    text = JENKINSFILE.read_text()
    assert not re.search(r"AKIA[0-9A-Z]{16}|(password|token|secret)\s*[:=]\s*['\"][^'\"$]", text, re.IGNORECASE)
    assert "withCredentials([string(credentialsId: 'alert-webhook-url'" in text
    assert "--password-stdin" in text


def test_npm_groovy_lint_finds_no_error():
    # `make tools` installs it into .venv-tools/node_modules (on `make`'s PATH); a global install also counts.
    lint = shutil.which("npm-groovy-lint", path=os.pathsep.join(
        [str(ROOT / ".venv-tools" / "node_modules" / ".bin"), os.environ.get("PATH", "")]))
    if lint is None:
        message = "npm-groovy-lint is not installed (`make tools` installs it with npm)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    proc = subprocess.run(
        [lint, "--noserver", "--failon", "error", "--output", "txt",
         # A short-lived JVM: C1 only and the serial collector halve its CPU time.
         "--javaoptions=-Xms64m,-Xmx512m,-XX:TieredStopAtLevel=1,-XX:+UseSerialGC", "Jenkinsfile"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert re.search(r"'Error'\s*│\s*0\s", proc.stdout), proc.stdout

"""The GitHub Actions workflows reference only things that exist: Dockerfile targets, make targets,
`binance-assets` commands and their options, scripts, called workflows and files. (actionlint, in
`make test`, checks the workflows' syntax, expressions and shell.)"""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path

import pytest
import typer
import yaml

from binance_assets.cli import app

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
EXPRESSION = re.compile(r"\$\{\{\s*([^}]+?)\s*\}\}")


def dockerfile_targets(path: Path = ROOT / "Dockerfile") -> set[str]:
    return set(re.findall(r"^FROM\s+\S+\s+AS\s+(\S+)", path.read_text(), flags=re.MULTILINE | re.IGNORECASE))


def make_targets(path: Path = ROOT / "Makefile") -> set[str]:
    return set(re.findall(r"^([A-Za-z][\w.-]*):", path.read_text(), flags=re.MULTILINE))


def _steps():
    for path in WORKFLOWS:
        workflow = yaml.safe_load(path.read_text())
        for job_name, job in workflow["jobs"].items():
            for step in job.get("steps", []):
                yield path.name, job_name, job, step


def _resolve(value: str, job: dict) -> list[str]:
    """A `${{ matrix.x }}` value as the matrix's list; other strings as themselves."""
    match = EXPRESSION.fullmatch(value.strip())
    if match and match.group(1).startswith("matrix."):
        return list(job["strategy"]["matrix"][match.group(1).removeprefix("matrix.")])
    return [value]


def _commands(script: str) -> list[list[str]]:
    """Shell words of each command line of a `run:` script (continuations joined, expressions blanked)."""
    script = EXPRESSION.sub("EXPR", script.replace("\\\n", " "))
    commands = []
    for line in script.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            commands += [shlex.split(part) for part in re.split(r"&&|\|\||;", line) if part.strip()]
    return commands


def _cli_options() -> dict[str, set[str]]:
    group = typer.main.get_command(app)
    return {name: {opt for p in cmd.params for opt in (*p.opts, *p.secondary_opts)}
            for name, cmd in group.commands.items()}


def test_there_are_workflows():
    assert {p.name for p in WORKFLOWS} >= {"pr.yml", "data-quality.yml", "deploy.yml", "deploy-environment.yml"}


def test_images_are_built_from_dockerfile_targets_that_exist():
    targets = dockerfile_targets()
    used = {(wf, t) for wf, _, job, step in _steps() if str(step.get("uses", "")).startswith("docker/build-push-action")
            for t in _resolve(step["with"]["target"], job)}
    assert {t for _, t in used} == {"code-location", "api", "dagster"}  # the contract's three images
    missing = sorted((wf, t) for wf, t in used if t not in targets)
    assert not missing, f"targets not in the Dockerfile ({sorted(targets)}): {missing}"


def test_run_steps_use_commands_options_scripts_and_files_that_exist():
    cli, makes, problems, seen = _cli_options(), make_targets(), [], set()
    for wf, job_name, _, step in _steps():
        for words in _commands(step.get("run", "")):
            where = f"{wf}:{job_name}: {' '.join(words)}"
            if words[0] == "binance-assets":
                seen.add(words[1])
                if words[1] not in cli:
                    problems.append(f"{where}: no command {words[1]!r}")
                    continue
                problems += [f"{where}: no option {w}" for w in words[2:] if w.startswith("--")
                             and w.split("=")[0] not in cli[words[1]]]
            elif words[0] == "make":
                problems += [f"{where}: no make target {w}" for w in words[1:] if not w.startswith("-")
                             and w not in makes]
            elif any(w.startswith(".github/scripts/") for w in words[:2]):
                pattern = next(w for w in words[:2] if w.startswith(".github/scripts/"))
                scripts = sorted(path for path in ROOT.glob(pattern) if path.is_file())  # a path or a shell glob
                if not scripts:
                    problems.append(f"{where}: no script {pattern}")
                problems += [f"{where}: {script.name} is not executable" for script in scripts
                             if script.suffix == ".sh" and not script.stat().st_mode & 0o111]
            for flag, file in itertools.pairwise(words):
                if flag in ("-w", "-c", "--file", "--directory") and not (ROOT / file).exists() and file != "EXPR":
                    problems.append(f"{where}: no file {file}")
    assert not problems, "\n".join(problems)
    assert "smoke" in seen  # deploy's smoke test; `check` runs in the ECS task (ecs-run-check.sh)


def test_called_workflows_exist():
    for path in WORKFLOWS:
        for job in yaml.safe_load(path.read_text())["jobs"].values():
            uses = job.get("uses", "")
            if uses.startswith("./"):
                assert (ROOT / uses).is_file(), f"{path.name} calls {uses}, which does not exist"


@pytest.mark.parametrize("script", sorted((ROOT / ".github" / "scripts").glob("*.sh")), ids=lambda p: p.name)
def test_ecs_scripts_deploy_the_contract_services(script):
    """The deploy script rolls exactly the contract's six services; the check script runs the market_data one."""
    text = script.read_text()
    if script.name == "ecs-deploy.sh":
        services = re.search(r"SERVICES=\(([^)]*)\)", text).group(1).split()
        assert sorted(services) == sorted(
            ["dagster-webserver", "dagster-daemon", "code-market-data", "code-ml", "api", "dagster-exporter"]
        )
    else:
        assert '"binance-assets", "check"' in text


def _job_commands(workflow: str, job: str) -> list[list[str]]:
    steps = yaml.safe_load((ROOT / ".github" / "workflows" / workflow).read_text())["jobs"][job]["steps"]
    return [words for step in steps for words in _commands(step.get("run", ""))]


def test_the_tests_job_runs_make_test_which_installs_what_the_suite_needs():
    """pr.yml runs the suite as `make test` (its tools: tests/test_make_tools.py), not a bare pytest without them."""
    commands = _job_commands("pr.yml", "tests")
    assert ["make", "test"] in commands, commands
    assert not [words for words in commands if "pytest" in " ".join(words)], commands
    job = yaml.safe_load((ROOT / ".github" / "workflows" / "pr.yml").read_text())["jobs"]["tests"]
    assert job["env"]["CI"] == "true" and job["timeout-minutes"] >= 15
    node = next(step for step in job["steps"] if str(step.get("uses", "")).startswith("actions/setup-node"))
    assert int(str(node["with"]["node-version"])) >= 20  # npm-groovy-lint 16.2 needs Node 20


def test_terraform_fmt_and_validate_run_in_the_pipeline():
    assert ["make", "terraform-check"] in _job_commands("pr.yml", "terraform")
    recipe = (ROOT / "Makefile").read_text().split("\nterraform-check:", 1)[1].split("\n\n", 1)[0]
    assert "terraform fmt -check -recursive deploy/terraform" in recipe
    assert "init -backend=false" in recipe and "validate" in recipe

"""The Dockerfile's rules that hadolint does not check: pinned bases, wheels-only installs, what each image holds."""

from __future__ import annotations

import ast
import fnmatch
import re

from support.dockerfile import DOCKERFILE, ROOT, stages

SETUP = ROOT / "setup.py"
API_REQUIREMENTS = ROOT / "deploy" / "api" / "requirements.txt"


def setup_extras() -> dict[str, list[str]]:
    call = next(n for n in ast.walk(ast.parse(SETUP.read_text())) if isinstance(n, ast.Call)
                and getattr(n.func, "id", "") == "setup")
    extras = next(k.value for k in call.keywords if k.arg == "extras_require")
    return ast.literal_eval(extras)


def names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\[<>=!~ ;]", r.strip(), maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def test_base_images_are_pinned_to_a_patch_version():
    for stage in stages().values():
        if stage.base in stages():
            continue
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+[\w.-]*", stage.base), f"{stage.name}: pin {stage.base}"


def test_every_pip_install_is_cache_free_and_runtime_installs_use_the_wheels_only():
    for stage in stages().values():
        for run in stage.runs:
            for command in re.findall(r"pip (?:install|wheel)[^&]*", run):
                assert "--no-cache-dir" in command, f"{stage.name}: {command}"
                if stage.cmd is not None:  # a runtime image: nothing from an index
                    assert "--no-index" in command, f"{stage.name}: {command}"


def test_the_api_image_installs_the_api_extra_without_dagster():
    api_extra = names(setup_extras()["api"])
    requirements = names([line for line in API_REQUIREMENTS.read_text().splitlines()
                          if line.strip() and not line.startswith("#")])
    assert api_extra <= requirements
    assert not {n for n in requirements if n.startswith(("dagster", "dbt"))}
    runs = " ".join(stages()["api"].runs)
    assert "-r /tmp/requirements.txt" in runs and "--no-deps" in runs  # the project itself adds no dependency


def test_the_code_location_prepares_the_dbt_manifest_and_the_dagster_image_its_workspace():
    code = " ".join(stages()["code-location"].runs)
    assert "dagster-dbt project prepare-and-package --file binance_assets/transform/project.py" in code
    assert "dagster-services" in setup_extras() and '"binance_assets[dagster-services]"' in DOCKERFILE.read_text()


def test_copied_sources_exist_and_are_not_dockerignored():
    ignored = [p.strip() for p in (ROOT / ".dockerignore").read_text().splitlines() if p.strip() and p[0] != "#"]
    for stage in stages().values():
        for copy in stage.copies:
            if any(w.startswith("--from") for w in copy):
                continue
            *sources, _ = [w for w in copy if not w.startswith("--")]
            for source in sources:
                assert (ROOT / source).exists(), f"{stage.name} copies missing {source}"
                assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source

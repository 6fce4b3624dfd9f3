"""`dagster dev` parses the dbt project when its code loads only if a file of the project changed since the
manifest was made: unchanged, a location starts without a `dbt parse` (~6 s, twice per location)."""

from __future__ import annotations

import os
from pathlib import Path

from dagster_dbt import DbtProject

from binance_assets.transform.project import manifest_is_current


def _project(root: Path) -> DbtProject:
    (root / "models").mkdir(parents=True)
    (root / "target").mkdir()
    (root / "dbt_project.yml").write_text("name: tiny\nversion: '1.0'\nprofile: tiny\n")
    (root / "models" / "a.sql").write_text("select 1 as x\n")
    return DbtProject(project_dir=root, profiles_dir=root)


def _age(path: Path, seconds_ago: float) -> None:
    stamp = path.stat().st_mtime - seconds_ago
    os.utime(path, (stamp, stamp))


def test_the_manifest_is_current_until_a_project_file_is_newer(tmp_path):
    project = _project(tmp_path)
    assert not manifest_is_current(project)  # none made yet
    manifest = project.manifest_path
    manifest.write_text("{}")
    _age(manifest, 30)
    for path in (tmp_path / "dbt_project.yml", tmp_path / "models" / "a.sql"):
        _age(path, 60)
    assert manifest_is_current(project)
    (tmp_path / "target" / "run_results.json").write_text("{}")  # dbt's own output is not the project
    (tmp_path / "logs").mkdir()
    (tmp_path / "logs" / "dbt.log").write_text("")
    assert manifest_is_current(project)
    (tmp_path / "models" / "b.yml").write_text("version: 2\n")  # a new model property file: parse again
    assert not manifest_is_current(project)

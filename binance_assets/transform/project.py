"""The dbt project as Dagster sees it. `dagster-dbt project prepare-and-package --file` points here."""

import os
from pathlib import Path

from dagster_dbt import DbtProject

from binance_assets.settings import DBT_PROJECT_DIR

# What dbt's parse reads: a change to one of these makes the manifest stale.
_PROJECT_SUFFIXES = frozenset({".sql", ".yml", ".yaml", ".md", ".csv"})
_NOT_PROJECT = frozenset({"target", "logs", "dbt_packages"})


def manifest_is_current(project: DbtProject) -> bool:
    """Whether the manifest exists and no file of the project is newer (the rule of the Makefile's manifest target)."""
    try:
        built = project.manifest_path.stat().st_mtime
    except FileNotFoundError:
        return False
    for folder, subfolders, files in os.walk(project.project_dir):
        subfolders[:] = [name for name in subfolders if name not in _NOT_PROJECT]
        for name in files:
            if Path(name).suffix in _PROJECT_SUFFIXES and os.stat(os.path.join(folder, name)).st_mtime > built:
                return False
    return True


# The manifest is parsed with the `local` (DuckDB) target: it only fixes the graph, which is the same
# for every target, and parsing needs no database or secrets. Runs use the deployment's target.
dbt_project = DbtProject(project_dir=Path(DBT_PROJECT_DIR), profiles_dir=Path(DBT_PROJECT_DIR), target="local")
# In `dagster dev`, Dagster's preparer runs `dbt parse` each time the code loads (~6 s, and a location loads twice
# at start: its code server, then that server's child): only when the project changed since the manifest was made.
if not manifest_is_current(dbt_project):
    dbt_project.prepare_if_dev()

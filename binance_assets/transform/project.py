"""The dbt project as Dagster sees it. `dagster-dbt project prepare-and-package --file` points here."""

from pathlib import Path

from dagster_dbt import DbtProject

from binance_assets.settings import DBT_PROJECT_DIR

# The manifest is parsed with the `local` (DuckDB) target: it only fixes the graph, which is the same
# for every target, and parsing needs no database or secrets. Runs use the deployment's target.
dbt_project = DbtProject(project_dir=Path(DBT_PROJECT_DIR), profiles_dir=Path(DBT_PROJECT_DIR), target="local")
dbt_project.prepare_if_dev()

"""`dbt test` of the latest partition window: the dbt tests Dagster records as asset checks of the dbt
models (dagster-dbt), run without rebuilding a model.

Same project, profile and window as the dbt step (binance_assets.transform.assets.run_dbt_window): the
window (an environment variable) makes every generic test read only that window, as in a partition run.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from unittest import mock

from binance_assets.lib.resources import WarehouseResource
from binance_assets.ops.findings import ERROR, WARN, Finding
from binance_assets.settings import DBT_PROJECT_DIR
from binance_assets.transform import parse_cache
from binance_assets.transform.dbt_resource import dbt_cli_resource
from binance_assets.transform.dbt_vars import window_env
from binance_assets.transform.project import dbt_project

FAILED_STATUSES = {"fail", "error"}


def window_label(window: Mapping[str, Any]) -> str:
    if not window:
        return "all partitions"
    return f"{window['min_date']}..{window['max_date']} {','.join(window['symbols'])}"


def _asset_of(node: Mapping[str, Any], manifest: Mapping[str, Any]) -> str:
    """`schema/model` of the model a test is attached to (its first model dependency otherwise)."""
    attached = node.get("attached_node") or next(
        (n for n in node.get("depends_on", {}).get("nodes", []) if n.startswith("model.")), None
    )
    model = manifest.get("nodes", {}).get(attached or "", {})
    return f"{model['schema']}/{model['name']}" if model else "dbt"


def dbt_test_findings(warehouse: WarehouseResource, window: Mapping[str, Any]) -> list[Finding]:
    """One finding per dbt test in `window` (`partition_window_vars`); raises RuntimeError when dbt itself fails."""
    dbt = dbt_cli_resource(warehouse.dbt_target)
    profile_env = warehouse.dbt_env()
    # The window as the dbt step passes it (an environment variable): the partial parse kept for this
    # profile stays valid (transform.parse_cache).
    with tempfile.TemporaryDirectory(prefix="dbt-check-") as tmp:
        with parse_cache.warm_target(DBT_PROJECT_DIR / "target", profile_env, Path(tmp)) as target, \
                warehouse.open().exclusive(), mock.patch.dict(os.environ, {**profile_env, **window_env(dict(window))}):
            invocation = dbt.cli(["test", "--quiet"], manifest=dbt_project.manifest_path, raise_on_error=False,
                                 target_path=target).wait()
        try:
            results = invocation.get_artifact("run_results.json")
            manifest = invocation.get_artifact("manifest.json")
        except FileNotFoundError:
            raise RuntimeError(f"dbt test did not run: {invocation.get_error()}") from None
    label = window_label(window)
    findings = []
    for result in results.get("results", []):
        node = manifest.get("nodes", {}).get(result["unique_id"], {})
        status = str(result.get("status"))
        failures = result.get("failures")
        summary = f"{status}" + (f", {failures} failing rows" if failures else "")
        if status in FAILED_STATUSES and result.get("message"):
            summary += f": {str(result['message'])[:300]}"
        findings.append(Finding(
            "dbt", _asset_of(node, manifest), node.get("name", result["unique_id"]), label,
            status not in FAILED_STATUSES and status != "warn", WARN if status == "warn" else ERROR, summary,
        ))
    return findings

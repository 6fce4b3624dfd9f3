"""The code locations in workspace.yaml load, and the asset graph is the one we mean."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import yaml

ROOT = Path(__file__).resolve().parents[1]
RAW_KEYS = {dg.AssetKey(["raw", t]) for t in ("spot_trades", "spot_agg_trades", "spot_klines_1m")}


def workspace_modules() -> list[tuple[str, str, str]]:
    workspace = yaml.safe_load((ROOT / "workspace.yaml").read_text())
    return [
        (entry["python_module"]["location_name"], entry["python_module"]["module_name"],
         entry["python_module"].get("attribute", "defs"))
        for entry in workspace["load_from"]
    ]


def test_workspace_validates_with_the_dagster_cli(tmp_path):
    env = dict(os.environ, DAGSTER_HOME=str(tmp_path), BINANCE_ASSETS_DATA_DIR=str(tmp_path / "data"))
    proc = subprocess.run(
        [str(Path(sys.executable).parent / "dagster"), "definitions", "validate", "-w", str(ROOT / "workspace.yaml")],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "market_data" in proc.stdout + proc.stderr
    assert "ml" in {name for name, _, _ in workspace_modules()}


def test_dagster_cloud_yaml_names_the_same_locations():
    cloud = yaml.safe_load((ROOT / "dagster_cloud.yaml").read_text())
    cloud_modules = {(loc["location_name"], loc["code_source"]["module_name"]) for loc in cloud["locations"]}
    assert cloud_modules == {(name, module) for name, module, _ in workspace_modules()}


def test_market_data_graph_has_partitioned_raw_assets_with_blocking_checks():
    location = {name: (module, attr) for name, module, attr in workspace_modules()}["market_data"]
    defs: dg.Definitions = getattr(importlib.import_module(location[0]), location[1])
    graph = defs.resolve_asset_graph()
    assert RAW_KEYS <= set(graph.get_all_asset_keys())
    for key in RAW_KEYS:
        node = graph.get(key)
        assert node.group_name == "raw"
        partitions = node.partitions_def
        assert isinstance(partitions, dg.MultiPartitionsDefinition)
        assert {d.name for d in partitions.partitions_defs} == {"date", "symbol"}
        assert node.pools == {"warehouse"}
    checks = {(k.asset_key, k.name): graph.get(k) for k in graph.asset_check_keys}
    for key in RAW_KEYS:
        assert checks[(key, "pandera_schema")].blocking
    assert checks[(dg.AssetKey(["raw", "spot_trades"]), "unique_ids")].blocking
    assert not checks[(dg.AssetKey(["raw", "spot_trades"]), "id_continuity")].blocking
    assert defs.resolve_job_def("materialize_all") is not None


def load_location(name: str) -> dg.Definitions:
    module, attribute = {n: (m, a) for n, m, a in workspace_modules()}[name]
    return getattr(importlib.import_module(module), attribute)


def test_lineage_runs_raw_staging_marts_features_in_market_data():
    graph = load_location("market_data").resolve_asset_graph()
    parents = {key: set(graph.get(key).parent_keys) for key in graph.get_all_asset_keys()}
    assert dg.AssetKey(["raw", "spot_trades"]) in parents[dg.AssetKey(["staging", "stg_binance__spot_trades"])]
    assert dg.AssetKey(["raw", "spot_klines_1m"]) in parents[dg.AssetKey(["staging", "stg_binance__spot_klines_1m"])]
    assert dg.AssetKey(["intermediate", "int_trades__minutely"]) in parents[dg.AssetKey(["marts", "fct_bars_1m"])]
    assert dg.AssetKey(["marts", "fct_bars_1m"]) in parents[dg.AssetKey(["features", "minute_features"])]
    groups = {graph.get(k).group_name for k in graph.get_all_asset_keys()}
    assert {"raw", "staging", "intermediate", "marts", "features"} <= groups
    dbt_checks = {k.name for k in graph.asset_check_keys if k.asset_key == dg.AssetKey(["marts", "fct_bars_1m"])}
    assert "assert_bars_match_archive_klines" in dbt_checks
    assert any(name.startswith("not_null_fct_bars_1m") for name in dbt_checks)


def test_ml_location_reads_the_feature_table_of_market_data():
    market = load_location("market_data").resolve_asset_graph()
    ml = load_location("ml").resolve_asset_graph()
    ml_keys = set(ml.get_all_asset_keys())
    features = dg.AssetKey(["features", "minute_features"])
    assert features in set(market.get_all_asset_keys())
    for key in (dg.AssetKey(["models", "price_direction_classifier"]), dg.AssetKey(["ml", "predictions"])):
        assert features in ml.get(key).parent_keys
    assert ml.get(dg.AssetKey(["models", "forward_return_regressor"])).group_name == "models"
    # The feature table is defined in market_data only: in ml it is an external dependency.
    if features in ml_keys:
        assert not ml.get(features).is_materializable
    assert any(k.name == "feature_drift" for k in ml.asset_check_keys)

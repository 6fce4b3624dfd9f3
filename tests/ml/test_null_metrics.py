"""A model whose metric is null (NaN in training is stored as null) prints as `n/a`, in the CLI and the demo."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pytest

from binance_assets.demo import _print_models
from binance_assets.lib.resources import WarehouseResource
from binance_assets.ml.resources import ModelRegistryResource
from binance_assets.model_registry.card import ModelCard, format_metric
from binance_assets.model_registry.stores import LocalModelRegistry

NAME = "forward_return_regressor"


def null_card() -> ModelCard:
    return ModelCard(
        name=NAME,
        task="regression",
        features=["log_ret_1m"],
        feature_schema_hash="0" * 64,
        metrics={"skill": float("nan"), "mse": 1e-6},  # NaN: the skill of a fold whose labels are all zero
        baseline_metrics={"skill": None, "mse": 1e-6},
        primary_metric="skill",
        training_window={"start": "2025-01-01", "end": "2025-01-03", "symbols": ["BTCUSDT"]},
    )


@pytest.fixture
def registry_dir(tmp_path) -> Path:
    registry = LocalModelRegistry(tmp_path / "models")
    registry.register(NAME, {"not": "a real model"}, null_card())
    assert registry.get(NAME, "v0001").metrics["skill"] is None  # the card holds null, not NaN
    return tmp_path / "models"


@pytest.mark.parametrize(("value", "text"), [(None, "n/a"), (float("nan"), "n/a"), (float("inf"), "n/a"),
                                             ("x", "n/a"), (0.51234, "0.5123"), (0, "0.0000")])
def test_format_metric(value, text):
    assert format_metric(value) == text


def test_models_list_prints_na_for_a_null_metric(registry_dir):
    cli = str(Path(sys.executable).parent / "binance-assets")
    env = dict(os.environ, BINANCE_ASSETS_MODEL_REGISTRY_URL=str(registry_dir))
    proc = subprocess.run([cli, "models", "list"], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert "  v0001  challenger skill=n/a baseline=n/a  2025-01-01..2025-01-03" in proc.stdout


def test_demo_summary_prints_na_for_a_null_metric(registry_dir, tmp_path):
    warehouse = WarehouseResource(kind="duckdb", duckdb_path=str(tmp_path / "wh.duckdb"), dbt_target="local")
    day, minute = dt.date(2025, 1, 3), pd.Timestamp("2025-01-03")
    warehouse.get().replace_table_partition("ml.predictions", "BTCUSDT", day, pd.DataFrame({
        "symbol": ["BTCUSDT"], "trade_date": [day], "minute": [minute], "prediction": [0.0], "probability": [0.4],
        "model_name": ["price_direction_classifier"], "model_version": ["v0001"], "in_sample": [True],
    }))
    warehouse.get().replace_table_partition("features.minute_features", "BTCUSDT", day, pd.DataFrame({
        "symbol": ["BTCUSDT"], "trade_date": [day], "minute": [minute], "label_forward_return": [-1e-4],
        "label_up": [False],
    }))
    defs = dg.Definitions(resources={"warehouse": warehouse,
                                     "model_registry": ModelRegistryResource(url=str(registry_dir))})
    lines: list[str] = []
    _print_models(defs, lines.append)
    assert f"  {NAME} v0001 challenger: skill n/a vs baseline n/a  (registered)" in lines
    assert "  ml.predictions: 1 rows from price_direction_classifier" in lines
    # The only prediction is in sample: no accuracy figure, and the summary says why (n/a, not 0 or 1).
    assert ("  price_direction_classifier realised accuracy out of sample: n/a on 0 minutes (1 in-sample "
            "minutes left out: scored by a model trained on their day)") in lines


def test_demo_summary_without_any_prediction_says_why_instead_of_failing(registry_dir, tmp_path):
    """A universe whose models were all refused by the gate has no ml.predictions table: the demo's summary says
    so (it used to end in DuckDB's CatalogException)."""
    warehouse = WarehouseResource(kind="duckdb", duckdb_path=str(tmp_path / "wh.duckdb"), dbt_target="local")
    defs = dg.Definitions(resources={"warehouse": warehouse,
                                     "model_registry": ModelRegistryResource(url=str(registry_dir))})
    lines: list[str] = []
    _print_models(defs, lines.append)
    assert f"  {NAME} v0001 challenger: skill n/a vs baseline n/a  (registered)" in lines
    assert lines[-1].startswith("  ml.predictions: no predictions yet: no model has a champion"), lines

"""The ml code location end to end: features from simulated days with a planted signal, models trained
walk-forward and gated into the registry, predictions written with their model version, drift checks."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pandas as pd
import pyarrow as pa
import pytest
from support.ingestion import day_run, make_settings

from binance_assets.binance.simulator import simulate_mirror
from binance_assets.features.compute import FEATURE_COLUMNS
from binance_assets.features.definitions import build_features_defs
from binance_assets.ml.assets import CLASSIFIER, REGRESSOR
from binance_assets.ml.definitions import PREDICT_JOB, TRAIN_JOB, build_ml_defs
from binance_assets.ops.history import load_raw_days, run_dbt
from binance_assets.resources import resources_for

pytestmark = [pytest.mark.xdist_group("ml"), pytest.mark.e2e]

SYMBOL = "BTCUSDT"
START = dt.date(2025, 1, 1)
DAYS = 4
TRAIN_CONFIG = {"train_days": DAYS, "n_splits": 3, "max_iter": 60}
QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


def build_history(settings, days: int) -> None:
    """Raw loads and one dbt build (the market_data location's work), then the features partitions."""
    load_raw_days(settings, [START + dt.timedelta(days=offset) for offset in range(days)], [SYMBOL])
    run_dbt(settings, ["build"])
    resources = resources_for(settings)
    features = build_features_defs(settings)
    assets = list(features.assets)  # the feature asset runs its blocking check before it publishes
    for offset in range(days):
        result = dg.materialize(assets, **day_run(START + dt.timedelta(days=offset), SYMBOL),
                                resources={"warehouse": resources["warehouse"]}, run_config=QUIET)
        assert result.success


@pytest.fixture(scope="module")
def ml_settings(tmp_path_factory):
    root = tmp_path_factory.mktemp("ml")
    mirror = root / "mirror"
    simulate_mirror(mirror, [SYMBOL], START, DAYS, seed=3, trades_per_day=10_000, signal=1.0)
    settings = make_settings(root, mirror).model_copy(
        update={"symbols": [SYMBOL], "model_registry_url": str(root / "models")}
    )
    build_history(settings, DAYS)
    return settings


@pytest.fixture(scope="module")
def trained(ml_settings):
    defs = build_ml_defs(ml_settings)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(TRAIN_JOB).execute_in_process(
            instance=instance, run_config={**QUIET, "ops": {
                f"models__{name}": {"config": TRAIN_CONFIG} for name in (CLASSIFIER, REGRESSOR)
            }},
        )
    assert result.success
    return defs, result


def materialization(result, name: str) -> dict:
    (mat,) = result.asset_materializations_for_node(f"models__{name}")
    return {k: v.value for k, v in mat.metadata.items()}


def test_features_have_one_row_per_minute(ml_settings):
    warehouse = resources_for(ml_settings)["warehouse"].get()
    counts = warehouse.query("select trade_date, count(*) as n from features.minute_features group by 1")
    assert len(counts) == DAYS
    assert counts["n"].between(1300, 1440).all()


def test_classifier_learns_the_planted_signal_and_is_promoted(trained):
    meta = materialization(trained[1], CLASSIFIER)
    assert meta["promoted"] is True, meta["promotion_reason"]
    assert meta["cv_accuracy"] > meta["baseline_accuracy"] + 0.02
    assert meta["version"] == "v0001"
    registry = trained[0].resources["model_registry"].get()
    assert registry.champion(CLASSIFIER).version == "v0001"


def test_predictions_carry_model_name_and_version(trained, ml_settings):
    defs, _ = trained
    day = START + dt.timedelta(days=DAYS - 1)
    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def(PREDICT_JOB).execute_in_process(
            **day_run(day, SYMBOL), instance=instance, run_config=QUIET
        )
    assert result.success
    drift = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
    assert [d.check_name for d in drift] == ["feature_drift"]
    # One day against three others of one symbol: the 60-minute returns of a random walk differ by
    # chance (24 independent hours a day), so the severity is not asserted, only what was compared.
    assert drift[0].metadata["severity"].value in {"ok", "warn", "error"}
    assert set(drift[0].metadata["per_feature"].value) == set(FEATURE_COLUMNS)
    # The reference: the same symbol's other days of the training window, never the scored day itself.
    assert drift[0].metadata["reference_window"].value == f"{START} .. {day} without {day}"
    assert drift[0].metadata["reference_rows"].value == (DAYS - 1) * 1440
    predictions = defs.resources["warehouse"].get().read_table("ml.predictions", start=day, end=day)
    registry = defs.resources["model_registry"].get()
    assert set(predictions["model_name"]) == {CLASSIFIER, REGRESSOR}
    # The only champion was trained on this day too: the rows are marked in_sample (kept out of accuracy).
    assert predictions["in_sample"].all()
    for name, rows in predictions.groupby("model_name"):
        assert set(rows["model_version"]) == {registry.champion(name).version}
        assert (pd.to_datetime(rows["trade_date"]) == pd.Timestamp(day)).all()
        assert rows["minute"].is_unique
    classifier = predictions[predictions.model_name == CLASSIFIER]
    assert classifier["probability"].between(0, 1).all()
    assert set(classifier["prediction"].unique()) <= {0, 1}
    assert predictions.loc[predictions.model_name == REGRESSOR, "probability"].isna().all()


def test_drift_check_errors_on_a_shifted_partition(trained, ml_settings):
    defs, _ = trained
    warehouse = defs.resources["warehouse"].get()
    day = START + dt.timedelta(days=DAYS - 2)
    features = warehouse.read_table("features.minute_features", symbols=[SYMBOL], start=day, end=day)
    shifted = features.copy()
    for column in ("volume_z_60m", "log_ret_1m", "log_ret_5m", "realized_vol_15m"):
        shifted[column] = shifted[column] * 5 + shifted[column].std() * 3
    warehouse.replace_table_partition("features.minute_features", SYMBOL, day,
                                      pa.Table.from_pandas(shifted, preserve_index=False))
    try:
        with dg.instance_for_test() as instance:
            result = defs.resolve_job_def(PREDICT_JOB).execute_in_process(
                **day_run(day, SYMBOL), instance=instance, run_config=QUIET, raise_on_error=False
            )
        (drift,) = [e.event_specific_data for e in result.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
        assert not drift.passed
        assert drift.metadata["severity"].value == "error"
        assert drift.metadata["max_psi"].value >= 0.25
        per_feature = drift.metadata["per_feature"].value
        for column in ("volume_z_60m", "log_ret_1m", "log_ret_5m", "realized_vol_15m"):  # the shifted ones
            assert per_feature[column]["psi"] >= 0.25 and per_feature[column]["severity"] == "error", column
        assert per_feature["taker_imbalance_5m"]["psi"] < 0.25  # not shifted: not flagged as an error
    finally:
        warehouse.replace_table_partition("features.minute_features", SYMBOL, day,
                                          pa.Table.from_pandas(features, preserve_index=False))


@pytest.fixture(scope="module")
def retrained(trained):
    """A second training run on the same window (v0002 of each model); the tests that need it share it,
    so none depends on another having run first (xdist may split this module across workers)."""
    defs, _ = trained
    with dg.instance_for_test() as instance:
        return defs.resolve_job_def(TRAIN_JOB).execute_in_process(
            instance=instance, run_config={**QUIET, "ops": {
                f"models__{CLASSIFIER}": {"config": TRAIN_CONFIG},
                f"models__{REGRESSOR}": {"config": TRAIN_CONFIG},
            }},
        )


def test_retraining_on_the_same_window_does_not_promote_an_equal_model(trained, retrained, ml_settings):
    defs, _ = trained
    meta = materialization(retrained, CLASSIFIER)
    assert meta["promoted"] is False
    assert "champion" in meta["promotion_reason"]
    registry = defs.resources["model_registry"].get()
    assert registry.champion(CLASSIFIER).version == "v0001"
    assert [c.version for c in registry.list_versions(CLASSIFIER)] == ["v0001", "v0002"]


def test_models_cli_lists_promotes_and_rolls_back(trained, retrained, ml_settings):
    cli = str(Path(sys.executable).parent / "binance-assets")
    env = dict(os.environ, BINANCE_ASSETS_MODEL_REGISTRY_URL=ml_settings.model_registry_url)

    def run(*args):
        return subprocess.run([cli, "models", *args], capture_output=True, text=True, env=env, timeout=120)

    registry = trained[0].resources["model_registry"].get()
    promoted = run("promote", CLASSIFIER, "v0002", "--reason", "test")
    assert promoted.returncode == 0, promoted.stderr
    assert registry.champion(CLASSIFIER).version == "v0002"
    rolled = run("rollback", CLASSIFIER)
    assert rolled.returncode == 0 and "v0001" in rolled.stdout
    assert registry.champion(CLASSIFIER).version == "v0001"
    listing = run("list", CLASSIFIER)
    assert listing.returncode == 0, listing.stderr
    assert "v0001  champion" in listing.stdout and "\n  v0002  " in listing.stdout
    unknown = run("promote", CLASSIFIER, "v9999")
    assert unknown.returncode != 0 and unknown.stderr.startswith("error: ")


def test_daily_retrain_and_backfill_are_scored_point_in_time(ml_settings, tmp_path):
    """The retrain that fires on day D includes D: D is scored by the previous champion. A backfilled old
    day that every champion learnt from is scored by the current one and marked in_sample."""
    defs = build_ml_defs(ml_settings.model_copy(update={"model_registry_url": str(tmp_path / "models")}))
    registry, warehouse = defs.resources["model_registry"].get(), defs.resources["warehouse"].get()
    days = [START + dt.timedelta(days=offset) for offset in range(DAYS)]

    with dg.instance_for_test() as instance:
        def train(end: dt.date, version: str) -> None:
            config = {**TRAIN_CONFIG, "train_days": (end - START).days + 1, "end_date": end.isoformat()}
            result = defs.resolve_job_def(TRAIN_JOB).execute_in_process(instance=instance, run_config={
                **QUIET, "ops": {f"models__{name}": {"config": config} for name in (CLASSIFIER, REGRESSOR)}})
            assert result.success
            for name in (CLASSIFIER, REGRESSOR):  # whatever the gate said: this test is about who scores
                registry.promote(name, version, "test")

        def predict(day: dt.date):
            result = defs.resolve_job_def(PREDICT_JOB).execute_in_process(
                **day_run(day, SYMBOL), instance=instance, run_config=QUIET)
            assert result.success
            (mat,) = result.asset_materializations_for_node("ml__predictions")
            (drift,) = [e.event_specific_data for e in result.all_events
                        if e.event_type_value == "ASSET_CHECK_EVALUATION"]
            rows = warehouse.read_table("ml.predictions", symbols=[SYMBOL], start=day, end=day)
            return rows, {k: v.value for k, v in mat.metadata.items()}, {k: v.value for k, v in drift.metadata.items()}

        train(days[2], "v0001")  # yesterday's champion: days 0..2
        train(days[3], "v0002")  # the daily retrain fires on day 3 and learns from it

        rows, meta, drift = predict(days[3])
        assert set(rows["model_version"]) == {"v0001"} and not rows["in_sample"].any()
        assert meta[f"{CLASSIFIER}_version"] == "v0001" and meta[f"{CLASSIFIER}_in_sample"] is False
        assert drift["model_version"] == "v0001"
        assert drift["reference_window"] == f"{days[0]} .. {days[2]} without {days[3]}"
        assert drift["reference_rows"] == 3 * 1440

        rows, meta, drift = predict(days[1])  # a backfill of an old day: every champion learnt from it
        assert set(rows["model_version"]) == {"v0002"} and rows["in_sample"].all()
        assert meta[f"{REGRESSOR}_in_sample"] is True
        assert drift["reference_window"] == f"{days[0]} .. {days[3]} without {days[1]}"
        assert drift["reference_rows"] == 3 * 1440

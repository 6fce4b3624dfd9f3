"""A real Dagster instance with runs (temp DAGSTER_HOME, SQLite storage): one successful run of
`tiny_ok_job` (its ERROR check and its `feature_drift` check fail), one failed run of `tiny_boom_job`, a
daemon heartbeat, a freshness state change; a model registry with a champion and a warehouse with
scored, realised predictions. Module tests share it through the "monitoring" xdist group."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import duckdb
import pytest

SUPPORT = Path(__file__).resolve().parents[1] / "support"
MODEL = "price_direction_classifier"
TRAINING_DAY = dt.date(2025, 1, 1)
TRAINING_LABELS, TRAINING_UPS = 10, 3  # the training window's majority is "down"


@pytest.fixture(scope="session")
def dagster_instance(tmp_path_factory):
    import dagster as dg
    from dagster._daemon.types import DaemonHeartbeat
    from support.monitoring_defs import defs

    home = tmp_path_factory.mktemp("dagster_home")
    with dg.instance_for_test(temp_dir=str(home)) as instance:
        ok = defs.resolve_job_def("tiny_ok_job").execute_in_process(instance=instance)
        failed = defs.resolve_job_def("tiny_boom_job").execute_in_process(instance=instance, raise_on_error=False)
        assert ok.success and not failed.success
        instance.add_daemon_heartbeat(DaemonHeartbeat(time.time() - 42, "SENSOR", "sensor-daemon-1", []))
        # What the freshness daemon records when tiny/ok goes past its warn window (dagster/_daemon/freshness.py).
        from dagster._core.definitions.freshness import FreshnessState, FreshnessStateChange

        instance._report_runless_asset_event(FreshnessStateChange(  # the daemon's own call
            key=dg.AssetKey(["tiny", "ok"]), new_state=FreshnessState.WARN, previous_state=FreshnessState.PASS,
            state_change_timestamp=time.time()))
        yield instance


def write_warehouse(path: Path) -> None:
    """ml.predictions and the labels they are judged on (features.minute_features): 2 symbols, 12 minutes
    each, the classifier v0001 right on 6 of the 8 realised out-of-sample minutes per symbol (0.75), 2 not yet
    realised, and 2 more realised (both wrong) scored in sample, which no accuracy figure counts. The champion's
    training day (`TRAINING_DAY`) has `TRAINING_UPS` up labels of `TRAINING_LABELS`: its naive baseline calls the
    majority."""
    start = dt.datetime(2025, 1, 2, 0, 0)
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA ml; CREATE SCHEMA features")
    con.execute("CREATE TABLE ml.predictions (symbol VARCHAR, trade_date DATE, minute TIMESTAMP, prediction DOUBLE,"
                " probability DOUBLE, model_name VARCHAR, model_version VARCHAR, in_sample BOOLEAN)")
    con.execute("CREATE TABLE features.minute_features (symbol VARCHAR, trade_date DATE, minute TIMESTAMP,"
                " label_forward_return DOUBLE)")
    for i in range(TRAINING_LABELS):
        minute = dt.datetime.combine(TRAINING_DAY, dt.time()) + dt.timedelta(minutes=i)
        con.execute("INSERT INTO features.minute_features VALUES ('BTCUSDT', ?, ?, ?)",
                    [TRAINING_DAY, minute, 0.002 if i < TRAINING_UPS else -0.002])
    for symbol in ("BTCUSDT", "ETHUSDT"):
        for i in range(12):
            minute = start + dt.timedelta(minutes=i)
            con.execute("INSERT INTO ml.predictions VALUES (?, ?, ?, 1.0, 0.6, ?, 'v0001', ?)",
                        [symbol, minute.date(), minute, MODEL, i >= 10])
            label = None if i in (8, 9) else (0.001 if i < 6 else -0.001)
            con.execute("INSERT INTO features.minute_features VALUES (?, ?, ?, ?)",
                        [symbol, minute.date(), minute, label])
    con.close()


@pytest.fixture(scope="session")
def model_settings(tmp_path_factory):
    from binance_assets.model_registry.card import ModelCard
    from binance_assets.model_registry.stores import LocalModelRegistry
    from binance_assets.settings import Environment, Settings

    data = tmp_path_factory.mktemp("model_data")
    write_warehouse(data / "warehouse.duckdb")
    registry = LocalModelRegistry(data / "models")
    card = ModelCard(name=MODEL, task="classification", features=["x"], feature_schema_hash="0" * 64,
                     metrics={"accuracy": 0.81}, baseline_metrics={"accuracy": 0.52}, primary_metric="accuracy",
                     training_window={"start": TRAINING_DAY.isoformat(), "end": TRAINING_DAY.isoformat(),
                                      "symbols": ["BTCUSDT"]})
    stored = registry.register(MODEL, {"model": 1}, card)
    registry.promote(MODEL, stored.version, "test")
    return Settings(env=Environment.LOCAL, data_dir=data, duckdb_path=data / "warehouse.duckdb")

"""One realised-accuracy rule (binance_assets.ml.realised), read the same way by the API's accuracy, the
dashboard's hits, the demo summary and the canary's live metric."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from binance_api.dashboard import market
from binance_api.services import ml_service
from binance_assets.demo import _print_realised_accuracy
from binance_assets.ml.canary import load_daily
from binance_assets.ml.realised import live_metric, realised_metrics_sql
from binance_assets.resources import WarehouseResource

DAY = dt.date(2025, 1, 5)
MINUTES = pd.date_range("2025-01-05", periods=6, freq="min")
CLASSIFIER = "price_direction_classifier"


class Session:
    """The API's read session over one DuckDB connection (query -> Arrow)."""

    def __init__(self, path) -> None:
        self.con = duckdb.connect(str(path), read_only=True)

    def query(self, sql, params=None):
        return self.con.sql(sql, params=list(params) if params else None).to_arrow_table()


@pytest.fixture
def warehouse(tmp_path):
    """Six minutes: returns up, up, down, flat (not up), up, unknown; called up, down, down, up, up, up;
    minutes 3 and 4 in sample (scored by a model trained on their day)."""
    wh = WarehouseResource(kind="duckdb", duckdb_path=str(tmp_path / "wh.duckdb"), dbt_target="local").get()
    wh.replace_table_partition("features.minute_features", "BTCUSDT", DAY, pd.DataFrame({
        "symbol": "BTCUSDT", "trade_date": DAY, "minute": MINUTES,
        "label_forward_return": [1e-4, 2e-4, -1e-4, 0.0, 3e-4, None]}))
    wh.replace_table_partition("ml.predictions", "BTCUSDT", DAY, pd.DataFrame({
        "symbol": "BTCUSDT", "trade_date": DAY, "minute": MINUTES, "prediction": [1.0, 0.0, 0.0, 1.0, 1.0, 1.0],
        "probability": [0.7, 0.3, 0.2, 0.6, 0.8, 0.9], "model_name": CLASSIFIER, "model_version": "v0001",
        "in_sample": [False, False, False, True, True, False]}))
    return wh


def test_every_reader_judges_a_prediction_by_the_same_rule(warehouse, tmp_path):
    # All rows with an outcome: minutes 0 (hit), 1 (miss), 2 (hit), 3 (flat is not up: miss), 4 (hit).
    session = Session(tmp_path / "wh.duckdb")
    start, end = dt.datetime(2025, 1, 5), dt.datetime(2025, 1, 6)
    (api,) = ml_service.accuracy(session, "BTCUSDT", start, end)
    assert (api["predictions"], api["realised"], api["hit_rate"], api["mae"]) == (6, 5, pytest.approx(0.6), None)
    (bar,) = market.predictions(session, "BTCUSDT", "1h", DAY, DAY)["points"]
    assert (bar["calls"], bar["known"], bar["hits"]) == (6, 5, 3)
    session.con.close()
    # Out of sample only (minutes 0-2): the demo summary and the canary.
    lines: list[str] = []
    _print_realised_accuracy(warehouse, lines.append)
    assert lines == [f"  {CLASSIFIER} realised accuracy out of sample: 0.6667 on 3 minutes (2 in-sample minutes "
                     "left out: scored by a model trained on their day)"]
    daily = load_daily(warehouse, "ml.predictions", DAY)
    assert daily[["judged", "hits"]].astype(int).values.tolist() == [[3, 2]]
    assert live_metric("classification", daily.iloc[0]) == pytest.approx(2 / 3)


def test_the_regressor_skill_is_against_predicting_zero(tmp_path):
    wh = WarehouseResource(kind="duckdb", duckdb_path=str(tmp_path / "wh.duckdb"), dbt_target="local").get()
    wh.replace_table_partition("features.minute_features", "BTCUSDT", DAY, pd.DataFrame({
        "symbol": "BTCUSDT", "trade_date": DAY, "minute": MINUTES[:3], "label_forward_return": [1.0, -2.0, None]}))
    wh.replace_table_partition("ml.predictions", "BTCUSDT", DAY, pd.DataFrame({
        "symbol": "BTCUSDT", "trade_date": DAY, "minute": MINUTES[:3], "prediction": [0.5, -1.0, 3.0],
        "probability": [None, None, None], "model_name": "forward_return_regressor", "model_version": "v0001",
        "in_sample": False}).astype({"probability": "float64"}))
    row = wh.query(realised_metrics_sql("ml.predictions", ["judged", "squared_error", "squared_return", "mae"]))
    # errors 0.5 and 1.0: squared 1.25 against 1 + 4 = 5 for predicting zero; skill 1 - 1.25 / 5.
    assert row[["judged", "squared_error", "squared_return", "mae"]].iloc[0].tolist() == [2, 1.25, 5.0, 0.75]
    assert live_metric("regression", row.iloc[0].to_dict()) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="unknown realised metrics"):
        realised_metrics_sql("ml.predictions", ["accuracy"])

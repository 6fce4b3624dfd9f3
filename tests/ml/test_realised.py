"""One realised-accuracy rule (binance_assets.warehouse.realised): out-of-sample rows only, the in-sample count beside.
Every reader (the API's accuracy and history, the dashboard's hits, the exporter's live accuracy, the demo
summary, the canary's sums) is checked against an answer computed here from the raw rows: which days each
model version was trained on against the day it scored."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd
import pytest

from binance_api.dashboard import market
from binance_api.services import ml_service
from binance_assets.demo import _print_realised_accuracy
from binance_assets.lib.resources import WarehouseResource
from binance_assets.ml.canary import load_daily
from binance_assets.ml.point_in_time import choose_scoring_model
from binance_assets.model_registry.card import ModelCard
from binance_assets.monitoring.models import live_accuracy
from binance_assets.warehouse.realised import live_metric, realised_metrics_sql

CLASSIFIER = "price_direction_classifier"
SYMBOL = "BTCUSDT"
D4, D5, D6 = (dt.date(2025, 1, 4) + dt.timedelta(days=i) for i in range(3))
# The champions in the order they became champion, and the days each was trained on.
WINDOWS = {"v0001": (dt.date(2025, 1, 1), D4), "v0002": (dt.date(2025, 1, 1), D5)}
# Per day: (prediction, forward return) of 4 minutes; None: the outcome is not known yet.
CALLS = {
    D4: [(1.0, 1e-4), (0.0, 2e-4), (1.0, 3e-4), (1.0, -1e-4)],
    D5: [(1.0, 1e-4), (0.0, 2e-4), (0.0, -1e-4), (1.0, 0.0)],
    D6: [(1.0, 2e-4), (1.0, 1e-4), (0.0, -2e-4), (1.0, None)],
}


def card(version: str) -> ModelCard:
    start, end = WINDOWS[version]
    return ModelCard(name=CLASSIFIER, task="classification", features=["x"], feature_schema_hash="0",
                     metrics={}, baseline_metrics={}, primary_metric="accuracy", version=version,
                     training_window={"start": start.isoformat(), "end": end.isoformat(), "symbols": [SYMBOL]})


def raw_rows() -> pd.DataFrame:
    """The rows as the scoring asset writes them: each day scored by the model `choose_scoring_model` picks
    (D4: no champion trained before it, so v0002 in sample; D5: v0001; D6: v0002), with its in_sample flag."""
    lineage = [card("v0001"), card("v0002")]
    rows = []
    for day, calls in CALLS.items():
        choice = choose_scoring_model(lineage, day)
        for i, (prediction, ret) in enumerate(calls):
            rows.append({"trade_date": day, "minute": dt.datetime.combine(day, dt.time(0, i)), "prediction": prediction,
                         "ret": ret, "model_version": choice.card.version, "in_sample": choice.in_sample})
    return pd.DataFrame(rows)


def expected(rows: pd.DataFrame) -> pd.DataFrame:
    """The answer from the raw rows alone: a row counts when its day is after the last day its model was trained
    on and its outcome is known; a hit when "up" (prediction 1) and the return > 0, or "not up" and not."""
    out = rows.copy()
    out["out_of_sample"] = [day > WINDOWS[v][1] for day, v in zip(out["trade_date"], out["model_version"], strict=True)]
    known = out["ret"].notna()
    out["correct"] = [None if r is None or r != r else (p == 1.0) == (r > 0) for p, r in zip(out["prediction"],
                                                                                           out["ret"], strict=True)]
    out["counted"] = out["out_of_sample"] & known
    out["hit"] = out["counted"] & (out["correct"] == True)  # noqa: E712 - None is not a hit
    return out


@pytest.fixture
def warehouse(tmp_path):
    rows = raw_rows()
    wh = WarehouseResource(kind="duckdb", duckdb_path=str(tmp_path / "wh.duckdb"), dbt_target="local").get()
    for day, part in rows.groupby("trade_date"):
        wh.replace_table_partition("features.minute_features", SYMBOL, day, pd.DataFrame({
            "symbol": SYMBOL, "trade_date": day, "minute": part["minute"],
            "label_forward_return": part["ret"].astype("float64")}))
        wh.replace_table_partition("ml.predictions", SYMBOL, day, pd.DataFrame({
            "symbol": SYMBOL, "trade_date": day, "minute": part["minute"], "prediction": part["prediction"],
            "probability": 0.6, "model_name": CLASSIFIER, "model_version": part["model_version"],
            "in_sample": part["in_sample"]}))
    return wh


class Session:
    """The API's read session over one DuckDB connection (query -> Arrow)."""

    def __init__(self, path) -> None:
        self.con = duckdb.connect(str(path), read_only=True)

    def query(self, sql, params=None):
        return self.con.sql(sql, params=list(params) if params else None).to_arrow_table()


def test_the_expected_answer_leaves_out_the_days_a_model_was_trained_on():
    # The fixture itself: D4 is in sample (scored by v0002, trained up to D5), D5 and D6 are not.
    want = expected(raw_rows())
    assert want.groupby("trade_date")["out_of_sample"].all().to_dict() == {D4: False, D5: True, D6: True}
    assert want.groupby("trade_date")["model_version"].first().to_dict() == {D4: "v0002", D5: "v0001", D6: "v0002"}
    assert (want["in_sample"] == ~want["out_of_sample"]).all()  # the flag the scorer wrote agrees
    assert (int(want["counted"].sum()), int(want["hit"].sum())) == (7, 5)  # 11 known outcomes, 4 in sample


def test_every_reader_counts_out_of_sample_rows_only(warehouse, tmp_path):
    want = expected(raw_rows())
    in_sample = ("out_of_sample", lambda s: int((~s).sum()))
    per_version = want.groupby("model_version").agg(predictions=("minute", "size"), counted=("counted", "sum"),
                                                    hits=("hit", "sum"), in_sample=in_sample)
    session = Session(tmp_path / "wh.duckdb")
    # The API's /accuracy: per version, hit rate on out-of-sample rows, the in-sample rows counted beside.
    api = {r["model_version"]: r for r in ml_service.accuracy(session, SYMBOL, dt.datetime(2025, 1, 1),
                                                                dt.datetime(2025, 2, 1))}
    assert {v: (r["predictions"], r["realised"]) for v, r in api.items()} == {
        v: (w.predictions, w.counted) for v, w in per_version.iterrows()}
    for version, w in per_version.iterrows():
        assert api[version]["hit_rate"] == pytest.approx(w.hits / w.counted) and api[version]["mae"] is None
        assert api[version]["in_sample"] == w.in_sample
    # The API's history: in_sample and correct on every row, whatever its sample.
    items, _ = ml_service.history(session, SYMBOL, dt.datetime(2025, 1, 1), dt.datetime(2025, 2, 1), None, 100, None)
    assert [(i["in_sample"], i["correct"]) for i in items] == list(zip(~want["out_of_sample"], want["correct"],
                                                                       strict=True))
    # The dashboard: per day (1d bars), calls, out-of-sample known outcomes and hits, in-sample calls.
    points = market.predictions(session, SYMBOL, "1d", D4, D6)["points"]
    by_day = want.groupby("trade_date").agg(calls=("minute", "size"), known=("counted", "sum"), hits=("hit", "sum"),
                                            in_sample=in_sample)
    assert [(p["calls"], p["known"], p["hits"], p["in_sample"]) for p in points] == [
        tuple(int(v) for v in row) for row in by_day[["calls", "known", "hits", "in_sample"]].itertuples(index=False)]
    # The exporter's binance_model_live_accuracy (the accuracy-under-baseline alert reads it).
    live = {r.version: r for r in live_accuracy(session, window_days=30)}
    for version, w in per_version.iterrows():
        assert (live[version].realised, live[version].in_sample) == (w.counted, w.in_sample)
        assert live[version].hit_rate == pytest.approx(w.hits / w.counted)
    session.con.close()
    # The demo summary: all versions of the classifier pooled.
    lines: list[str] = []
    _print_realised_accuracy(warehouse, lines.append)
    counted, hits, in_sample = int(want["counted"].sum()), int(want["hit"].sum()), int((~want["out_of_sample"]).sum())
    assert lines == [f"  {CLASSIFIER} realised accuracy out of sample: {hits / counted:.4f} on {counted} minutes "
                     f"({in_sample} in-sample minutes left out: scored by a model trained on their day)"]
    # The canary's daily sums: D4 (in sample) judges nothing.
    daily = load_daily(warehouse, "ml.predictions", D6)
    got = {(r.model_version, r.trade_date): (int(r.judged), int(0 if pd.isna(r.hits) else r.hits))
           for r in daily.itertuples()}
    assert got == {(v, d): (int(g["counted"].sum()), int(g["hit"].sum()))
                   for (v, d), g in want.groupby(["model_version", "trade_date"])}
    assert live_metric("classification", daily[daily["trade_date"] == D6].iloc[0]) == pytest.approx(
        want.loc[want["trade_date"] == D6, "hit"].sum() / want.loc[want["trade_date"] == D6, "counted"].sum())


def test_the_regressor_skill_is_against_predicting_zero(tmp_path):
    wh = WarehouseResource(kind="duckdb", duckdb_path=str(tmp_path / "wh.duckdb"), dbt_target="local").get()
    minutes = pd.date_range("2025-01-05", periods=4, freq="min")
    wh.replace_table_partition("features.minute_features", SYMBOL, D5, pd.DataFrame({
        "symbol": SYMBOL, "trade_date": D5, "minute": minutes, "label_forward_return": [1.0, -2.0, None, 5.0]}))
    wh.replace_table_partition("ml.predictions", SYMBOL, D5, pd.DataFrame({
        "symbol": SYMBOL, "trade_date": D5, "minute": minutes, "prediction": [0.5, -1.0, 3.0, 0.0],
        "probability": [None] * 4, "model_name": "forward_return_regressor", "model_version": "v0001",
        "in_sample": [False, False, False, True]}).astype({"probability": "float64"}))
    metrics = ["judged", "squared_error", "squared_return", "mae", "in_sample"]
    row = wh.query(realised_metrics_sql("ml.predictions", metrics))
    # errors 0.5 and 1.0 (the in-sample minute 3 is left out): squared 1.25 against 1 + 4 = 5 for predicting zero.
    assert row[metrics].iloc[0].tolist() == [2, 1.25, 5.0, 0.75, 1]
    assert live_metric("regression", row.iloc[0].to_dict()) == pytest.approx(0.75)
    with pytest.raises(ValueError, match="unknown realised metrics"):
        realised_metrics_sql("ml.predictions", ["accuracy"])

"""No model judges data it learnt from: which champion scores a day, in_sample rows, the drift reference."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from binance_assets.ml.point_in_time import choose_scoring_model, drift_references
from binance_assets.model_registry.card import ModelCard
from binance_assets.model_registry.stores import LocalModelRegistry

NAME = "price_direction_classifier"
JAN = {d: dt.date(2025, 1, d) for d in range(1, 32)}  # JAN[5] is 2025-01-05


def card(start: int, end: int, version: str = "") -> ModelCard:
    return ModelCard(name=NAME, task="classification", features=["x"], feature_schema_hash="0" * 64,
                     metrics={"accuracy": 0.6}, baseline_metrics={"accuracy": 0.5}, primary_metric="accuracy",
                     training_window={"start": JAN[start].isoformat(), "end": JAN[end].isoformat(),
                                      "symbols": ["BTCUSDT", "ETHUSDT"]}, version=version)


@pytest.fixture
def lineage(tmp_path) -> list[ModelCard]:
    """v0001 trained on Jan 1-4, then the daily retrain on Jan 5 (v0002: Jan 2-5), both promoted."""
    registry = LocalModelRegistry(tmp_path / "models")
    for start, end in ((1, 4), (2, 5)):
        stored = registry.register(NAME, {"model": end}, card(start, end))
        registry.promote(NAME, stored.version, "test")
    return registry.champion_lineage(NAME)


def test_champion_lineage_lists_champions_in_promotion_order_without_rolled_back_ones(tmp_path):
    registry = LocalModelRegistry(tmp_path / "models")
    assert registry.champion_lineage(NAME) == []
    for end in (3, 4, 5):
        registry.promote(NAME, registry.register(NAME, {"m": end}, card(1, end)).version, "test")
    registry.register(NAME, {"m": 6}, card(1, 6))  # a challenger never promoted
    assert [c.version for c in registry.champion_lineage(NAME)] == ["v0001", "v0002", "v0003"]
    registry.rollback(NAME, "bad model")
    assert [c.version for c in registry.champion_lineage(NAME)] == ["v0001", "v0002"]


def test_the_day_the_daily_retrain_fires_is_scored_by_the_previous_champion(lineage):
    choice = choose_scoring_model(lineage, JAN[5])  # v0002's window ends on Jan 5: it learnt from that day
    assert (choice.card.version, choice.in_sample) == ("v0001", False)
    assert choice.reason.startswith("out of sample")
    nxt = choose_scoring_model(lineage, JAN[6])
    assert (nxt.card.version, nxt.in_sample) == ("v0002", False)


def test_a_backfill_of_old_days_is_marked_in_sample(lineage):
    for day in (JAN[1], JAN[3], JAN[4]):  # inside every champion's window: nothing was trained before it
        choice = choose_scoring_model(lineage, day)
        assert (choice.card.version, choice.in_sample) == ("v0002", True), day
        assert choice.reason.startswith("in sample")
    with pytest.raises(ValueError, match="no champion"):
        choose_scoring_model([], JAN[5])


def test_drift_references_are_each_symbols_rows_without_the_scored_day():
    days = [JAN[1], JAN[2], JAN[3]]
    window = pd.DataFrame({
        "symbol": [s for s in ("BTCUSDT", "ETHUSDT") for _ in days for _ in range(4)],
        "trade_date": [d for _ in range(2) for d in days for _ in range(4)],
        "x": np.arange(24, dtype=float),
    })
    references = drift_references(window, JAN[2])
    assert set(references) == {"BTCUSDT", "ETHUSDT"}
    for symbol, reference in references.items():
        assert set(reference["symbol"]) == {symbol}
        assert sorted(set(reference["trade_date"])) == [JAN[1], JAN[3]]
        assert len(reference) == 8
        assert reference["x"].tolist() == window.loc[(window["symbol"] == symbol) & (window["trade_date"] != JAN[2]),
                                                     "x"].tolist()
    assert "BNBUSDT" not in references  # a symbol the model never saw

"""Bars -> point-in-time features -> walk-forward model -> registry gate -> scores -> drift, in memory."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from binance_assets.features.compute import FEATURE_COLUMNS, compute_minute_features
from binance_assets.features.schema import validate_features
from binance_assets.ml.card_build import build_card
from binance_assets.ml.drift import drift_report
from binance_assets.ml.promotion import register_with_gate
from binance_assets.ml.scoring import score
from binance_assets.ml.training import train_direction_classifier, train_return_regressor
from binance_assets.model_registry.stores import LocalModelRegistry


def _bars(symbol: str, day: dt.date, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    minutes = np.sort(rng.choice(1440, 1200, replace=False))
    close = 50.0 * np.exp(np.cumsum(rng.normal(0, 1e-3, len(minutes))))
    volume = rng.lognormal(0, 1, len(minutes))
    share = rng.uniform(0, 1, len(minutes))
    return pd.DataFrame(
        {
            "symbol": symbol,
            "trade_date": day,
            "open_time": (pd.Timestamp(day) + pd.to_timedelta(minutes, unit="min")).astype("datetime64[us]"),
            "open": close,
            "high": close * 1.0005,
            "low": close * 0.9995,
            "close": close,
            "volume": volume,
            "quote_volume": volume * close,
            "trade_count": rng.integers(1, 30, len(minutes)),
            "taker_buy_base_volume": volume * share,
            "taker_buy_quote_volume": volume * close * share,
            "vwap": close,
        }
    )


def test_features_to_predictions(tmp_path):
    days = [dt.date(2024, 3, 1) + dt.timedelta(days=i) for i in range(3)]
    parts = []
    for i, symbol in enumerate(["BTCUSDT", "ETHUSDT"]):
        previous = None
        for j, day in enumerate(days):
            bars = _bars(symbol, day, seed=10 * i + j)
            part = compute_minute_features(bars, history=previous)
            assert validate_features(part).passed
            parts.append(part)
            previous = bars
    features = pd.concat(parts, ignore_index=True)
    train, current = features[features["trade_date"] < days[-1]], features[features["trade_date"] == days[-1]]

    registry = LocalModelRegistry(tmp_path / "models")
    for name, trainer, params in (
        ("clf", train_direction_classifier, {"estimator": "linear"}),
        ("reg", train_return_regressor, {"estimator": "ridge"}),
    ):
        trained = trainer(train, FEATURE_COLUMNS, params=params, n_splits=3)
        card, decision = register_with_gate(
            registry, name, trained.pipeline, build_card(name, trained, train), margin=0.01
        )
        # a random walk has nothing to learn: the gate must keep the model a challenger
        assert not decision.promote and card.status == "challenger", decision.reason
        assert card.training_window == {"start": "2024-03-01", "end": "2024-03-02", "symbols": ["BTCUSDT", "ETHUSDT"]}
        registry.promote(name, card.version, "forced for the test")
        model, champion = registry.load(name)
        scored = score(model, champion, current)
        assert len(scored) == len(current) and scored["prediction"].notna().all()
        assert (scored["model_version"] == "v0001").all()

    report = drift_report(train, current, FEATURE_COLUMNS)
    assert report.severity in {"ok", "warn"}, report.to_frame()

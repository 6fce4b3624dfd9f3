"""MinuteFeaturesModel / validate_features on computed and damaged feature frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from binance_assets.features.compute import OUTPUT_COLUMNS, compute_minute_features
from binance_assets.features.schema import MinuteFeaturesModel, validate_features


@pytest.fixture
def features(make_bars) -> pd.DataFrame:
    return compute_minute_features(make_bars(active=800, seed=2))


def _checks(failures: pd.DataFrame) -> set[str]:
    return set(failures["check"].astype(str))


def test_model_columns_are_the_output_columns():
    assert list(MinuteFeaturesModel.to_schema().columns) == OUTPUT_COLUMNS


def test_computed_frame_passes(features, make_bars):
    passed, failures = validate_features(features)
    assert passed and failures.empty
    two_symbols = pd.concat([features, compute_minute_features(make_bars(symbol="ETHUSDT", active=50))])
    assert validate_features(two_symbols).passed
    assert validate_features(features.iloc[:0]).passed


def test_warehouse_shaped_frame_passes(features):
    """As read back: label_up an object column with None, trade_date as date objects or timestamps."""
    read_back = features.assign(label_up=features["label_up"].astype(object).where(features["label_up"].notna(), None))
    assert validate_features(read_back).passed
    assert validate_features(features.assign(trade_date=pd.to_datetime(features["trade_date"].astype(str)))).passed


def test_infinite_feature_fails(features):
    damaged = features.copy()
    damaged.loc[100, "log_ret_1m"] = np.inf
    damaged.loc[200, "vwap_distance"] = -np.inf
    passed, failures = validate_features(damaged)
    assert not passed
    bad = failures[failures["check"] == "finite or null"]
    assert set(bad["column"]) == {"log_ret_1m", "vwap_distance"} and set(bad["index"]) == {100, 200}


def test_missing_and_duplicate_minutes_fail(features):
    passed, failures = validate_features(features.drop(index=10))
    assert not passed and "1440 rows per symbol and trade_date" in _checks(failures)
    passed, failures = validate_features(pd.concat([features, features.iloc[[5]]]))
    assert not passed and "multiple_fields_uniqueness" in _checks(failures)


def test_minute_outside_day_fails(features):
    damaged = features.copy()
    damaged.loc[0, "minute"] = damaged.loc[0, "minute"] - pd.Timedelta(hours=1)
    damaged.loc[1, "minute"] = damaged.loc[1, "minute"] + pd.Timedelta(seconds=30)
    passed, failures = validate_features(damaged)
    assert not passed
    assert {0, 1} <= set(failures.loc[failures["check"] == "minute is a whole minute inside trade_date", "index"])


def test_types_ranges_and_labels(features):
    cases = {
        "extra column": features.assign(extra=1.0),
        "string feature": features.assign(hl_spread=features["hl_spread"].astype(str)),
        "imbalance out of range": features.assign(taker_imbalance_1m=features["taker_imbalance_1m"] + 3),
        "negative volatility": features.assign(realized_vol_60m=-features["realized_vol_60m"]),
        "label disagrees": features.assign(label_up=~features["label_up"]),
        "bad symbol": features.assign(symbol="btc usdt"),
    }
    for what, frame in cases.items():
        passed, failures = validate_features(frame)
        assert not passed, what
        assert not failures.empty, what

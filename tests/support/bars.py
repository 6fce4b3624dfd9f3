"""Builders of synthetic marts.fct_bars_1m days (numpy only; no simulator, no warehouse)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

DAY = dt.date(2024, 3, 1)


def synthetic_bars(
    day: dt.date = DAY, *, symbol: str = "BTCUSDT", active: int = 1100, seed: int = 0, first_minute: int = 0
) -> pd.DataFrame:
    """`active` random minutes (from `first_minute` on) with bars shaped like marts.fct_bars_1m rows."""
    rng = np.random.default_rng(seed)
    minutes = np.sort(rng.choice(np.arange(first_minute, 1440), size=active, replace=False))
    close = 100.0 * np.exp(np.cumsum(rng.normal(0, 1e-3, active)))
    open_ = close * np.exp(rng.normal(0, 5e-4, active))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 1e-3, active))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 1e-3, active))
    volume = rng.lognormal(0, 1, active)
    vwap = np.clip(close * np.exp(rng.normal(0, 2e-4, active)), low, high)
    quote = volume * vwap
    taker_share = rng.uniform(0, 1, active)
    open_time = (pd.Timestamp(day) + pd.to_timedelta(minutes, unit="min")).astype("datetime64[us]")
    return pd.DataFrame(
        {
            "symbol": symbol,
            "trade_date": [day] * active,  # datetime.date objects, as the warehouse returns DATE
            "open_time": open_time,
            "open": open_,
            "high": high,
            "low": low,
            "close": close,
            "volume": volume,
            "close_time": open_time + pd.Timedelta(minutes=1) - pd.Timedelta(microseconds=1),
            "quote_volume": quote,
            "trade_count": rng.integers(1, 80, active),
            "taker_buy_base_volume": volume * taker_share,
            "taker_buy_quote_volume": quote * taker_share,
            "vwap": vwap,
            "first_trade_id": np.arange(active) * 100,
            "last_trade_id": np.arange(active) * 100 + 99,
        }
    )

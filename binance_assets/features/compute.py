"""Point-in-time minute features from 1-minute bars (marts.fct_bars_1m), for one symbol and one UTC day.

Rules every feature follows:

* **Point in time.** The value at minute t is computed only from bars with ``open_time <= t``: returns
  look back, rolling windows are trailing windows that end at t (inclusive: the bar of minute t is
  complete once minute t is over), nothing is centred and nothing is normalised over the whole day.
  Labels are the only columns that look ahead (``label_forward_return`` uses the close at t + horizon).
* **A full minute grid.** The output has exactly one row per minute of the day (1440). Minutes without a
  bar (no trades) carry the last close forward; their volume, trade count, taker imbalance, VWAP distance
  and high/low spread are 0. marts.fct_bars_1m has every minute (a zero-trade minute at the previous close
  with zero volumes and VWAP at that close); such rows give exactly the values of a missing bar.
* **Before the first bar nothing is known.** Minutes before the first bar seen (the day's first bar, or
  the first bar of ``history`` when given) keep their row with every feature null: the close is unknown
  there, and so is whether the market was empty. A trailing-window feature is null until its whole window
  lies after the first bar (e.g. ``log_ret_60m`` needs a close 60 minutes earlier, ``realized_vol_60m``
  needs 60 one-minute returns). Pass the previous day's bars as ``history`` to fill these warm-up minutes
  at the start of a day; without it the first ~hour of every day has nulls in the 60-minute features.
* **Labels.** ``label_forward_return = log(close[t + h] / close[t])`` with the forward-filled close, null
  for the last h minutes of the day (the next day is not read) and where the close at t is unknown;
  ``label_up`` is the nullable boolean ``label_forward_return > 0`` (a flat minute counts as not up).
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from binance_assets.warehouse.table_names import BARS_1M_TABLE

MINUTES_PER_DAY = 1440
DEFAULT_HORIZON = 5
ONE_MINUTE = pd.Timedelta(minutes=1)
ONE_DAY = pd.Timedelta(days=1)

ID_COLUMNS: list[str] = ["symbol", "trade_date", "minute"]
FEATURE_COLUMNS: list[str] = [
    "log_ret_1m",  # log(close[t] / close[t-1])
    "log_ret_5m",  # log(close[t] / close[t-5])
    "log_ret_15m",
    "log_ret_60m",
    "realized_vol_15m",  # sqrt(sum of squared 1m log returns over the 15 minutes ending at t)
    "realized_vol_60m",
    "volume_z_60m",  # (volume[t] - mean) / std over the 60 minutes ending at t
    "trade_count_z_60m",
    "taker_imbalance_1m",  # (2 * taker_buy_quote - quote) / quote of minute t, in [-1, 1]
    "taker_imbalance_5m",  # the same with the quote sums of the 5 minutes ending at t
    "vwap_distance",  # close / vwap - 1 of minute t
    "hl_spread",  # high / low - 1 of minute t
]
LABEL_COLUMNS: list[str] = ["label_forward_return", "label_up"]
OUTPUT_COLUMNS: list[str] = [*ID_COLUMNS, *FEATURE_COLUMNS, *LABEL_COLUMNS]

REQUIRED_BAR_COLUMNS: tuple[str, ...] = (
    "symbol",
    "trade_date",
    "open_time",
    "high",
    "low",
    "close",
    "volume",
    "quote_volume",
    "trade_count",
    "taker_buy_quote_volume",
    "vwap",
)
_BAR_VALUES = ("high", "low", "close", "volume", "quote_volume", "trade_count", "taker_buy_quote_volume", "vwap")


def compute_minute_features(
    bars: pd.DataFrame,
    *,
    horizon: int = DEFAULT_HORIZON,
    history: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Features and labels for every minute of one symbol's UTC day (see the module docstring).

    ``bars``: rows of marts.fct_bars_1m for ONE symbol and ONE ``trade_date`` (every minute, or only minutes
    with trades; extra columns are ignored; ``open_time`` naive UTC or tz-aware). ``history``: optional bars of the same
    symbol strictly before that day (typically the previous day), used only to warm up the trailing
    windows and the forward-filled close of the day's first minutes; no row is emitted for it.

    Returns ``OUTPUT_COLUMNS``: ``symbol`` (str), ``trade_date`` (``datetime.date``, like the warehouse's
    DATE), ``minute`` (datetime64[us], naive UTC), the float64 ``FEATURE_COLUMNS``,
    ``label_forward_return`` (float64) and ``label_up`` (pandas ``boolean``). Empty ``bars`` give an empty
    frame with these columns.
    """
    if horizon < 1:
        raise ValueError(f"horizon must be at least 1 minute, got {horizon}")
    missing = [c for c in REQUIRED_BAR_COLUMNS if c not in bars.columns]
    if missing:
        raise ValueError(f"bars lack columns {missing}; expected the columns of {BARS_1M_TABLE}")
    if bars.empty:
        return empty_feature_frame()

    symbol, day = _single_partition(bars)
    day_start = pd.Timestamp(day)
    day_bars = _normalise_bars(bars, "bars")
    outside = (day_bars["open_time"] < day_start) | (day_bars["open_time"] >= day_start + ONE_DAY)
    if outside.any():
        first_bad = day_bars.loc[outside, "open_time"].iloc[0]
        raise ValueError(f"{int(outside.sum())} bars lie outside trade_date {day} (e.g. open_time {first_bad})")

    grid_start = day_start
    if history is not None and not history.empty:
        hist = _normalise_bars(history, "history")
        if "symbol" in history.columns and set(history["symbol"].astype(str).unique()) != {symbol}:
            raise ValueError(f"history holds other symbols than {symbol}: {sorted(set(history['symbol']))}")
        if (hist["open_time"] >= day_start).any():
            raise ValueError(f"history must end before {day}: it has bars from {hist['open_time'].max()}")
        day_bars = pd.concat([hist, day_bars], ignore_index=True)
        grid_start = hist["open_time"].min()

    n = int((day_start + ONE_DAY - grid_start) / ONE_MINUTE)
    pos = ((day_bars["open_time"] - grid_start) // ONE_MINUTE).to_numpy(dtype=np.int64)
    if len(np.unique(pos)) != len(pos):
        raise ValueError("bars hold more than one row for the same minute")

    features, forward_return = _grid_features(day_bars, pos, n, horizon)
    keep = slice(n - MINUTES_PER_DAY, n)

    label = forward_return[keep]
    # One constructor call: a column set at a time costs pandas ~0.1 ms each, per symbol of a day.
    out = pd.DataFrame(
        {
            "symbol": pd.Series([symbol] * MINUTES_PER_DAY, dtype="str"),
            "trade_date": pd.Series([day] * MINUTES_PER_DAY, dtype=object),
            "minute": pd.date_range(day_start, periods=MINUTES_PER_DAY, freq="min", unit="us"),
            **{name: features[name][keep] for name in FEATURE_COLUMNS},
            "label_forward_return": label,
            "label_up": pd.array(np.where(np.isnan(label), None, label > 0), dtype="boolean"),
        }
    )
    return out


def empty_feature_frame() -> pd.DataFrame:
    """A frame with no rows and the output columns and dtypes of `compute_minute_features`."""
    frame = pd.DataFrame(
        {
            "symbol": pd.Series([], dtype="str"),
            "trade_date": pd.Series([], dtype=object),
            "minute": pd.Series([], dtype="datetime64[us]"),
        }
    )
    for name in FEATURE_COLUMNS:
        frame[name] = pd.Series([], dtype="float64")
    frame["label_forward_return"] = pd.Series([], dtype="float64")
    frame["label_up"] = pd.Series([], dtype="boolean")
    return frame


# --- internals ---------------------------------------------------------------------------------------


def _single_partition(bars: pd.DataFrame) -> tuple[str, dt.date]:
    symbols = bars["symbol"].dropna().astype(str).unique()
    if len(symbols) != 1:
        raise ValueError(f"bars must hold exactly one symbol, got {sorted(symbols)}")
    days = {pd.Timestamp(d).date() for d in bars["trade_date"].dropna().unique()}
    if len(days) != 1 or bars["trade_date"].isna().any():
        raise ValueError(f"bars must hold exactly one (non-null) trade_date, got {sorted(days)}")
    return str(symbols[0]), days.pop()


def _normalise_bars(bars: pd.DataFrame, what: str) -> pd.DataFrame:
    times = pd.to_datetime(bars["open_time"])
    if times.isna().any():
        raise ValueError(f"{what}: open_time has nulls")
    if times.dt.tz is not None:
        times = times.dt.tz_convert("UTC").dt.tz_localize(None)
    minutes = times.dt.floor("min").astype("datetime64[us]").to_numpy()
    order = np.argsort(minutes, kind="stable")
    columns = {"open_time": minutes[order]}
    for name in _BAR_VALUES:
        columns[name] = pd.to_numeric(bars[name]).to_numpy(dtype=np.float64)[order]
    return pd.DataFrame(columns)


def _scatter(n: int, pos: np.ndarray, values: np.ndarray, *, empty: float, known: np.ndarray) -> np.ndarray:
    """Grid array: the bar's value where there is a bar, `empty` on known minutes without one, NaN before."""
    out = np.where(known, empty, np.nan)
    out[pos] = values
    return out


def _forward_fill(n: int, pos: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each minute gets the value of the latest bar at or before it (NaN before the first bar)."""
    order = np.argsort(pos)
    pos, values = pos[order], values[order]
    latest = np.searchsorted(pos, np.arange(n), side="right") - 1
    return np.where(latest >= 0, values[np.maximum(latest, 0)], np.nan)


def _shift(x: np.ndarray, k: int) -> np.ndarray:
    """x[t - k], NaN where t - k is before the grid."""
    out = np.full_like(x, np.nan)
    out[k:] = x[: len(x) - k]
    return out


def _trailing(x: np.ndarray, window: int, func) -> np.ndarray:
    """func over each window of `window` values ending at t (NaN for t < window - 1 or any NaN inside)."""
    out = np.full(len(x), np.nan)
    if len(x) >= window:
        out[window - 1 :] = func(sliding_window_view(x, window), axis=1)
    return out


def _zscore(x: np.ndarray, window: int) -> np.ndarray:
    mean = _trailing(x, window, np.mean)
    std = _trailing(x, window, lambda w, axis: np.std(w, axis=axis, ddof=1))
    flat = std <= 1e-9 * np.abs(mean)  # constant window (incl. all zero): the value equals the mean
    with np.errstate(divide="ignore", invalid="ignore"):
        z = np.where(flat, 0.0, (x - mean) / std)
    z[np.isnan(mean) | np.isnan(std)] = np.nan
    return z


def _ratio_or_zero(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(den > 0, num / den, 0.0)
    out[np.isnan(num) | np.isnan(den)] = np.nan
    return out


def _grid_features(
    bars: pd.DataFrame, pos: np.ndarray, n: int, horizon: int
) -> tuple[dict[str, np.ndarray], np.ndarray]:
    known = np.arange(n) >= pos.min()
    col = {name: bars[name].to_numpy(dtype=np.float64) for name in _BAR_VALUES}

    close = _forward_fill(n, pos, col["close"])
    log_close = np.log(close)
    volume = _scatter(n, pos, col["volume"], empty=0.0, known=known)
    trades = _scatter(n, pos, col["trade_count"], empty=0.0, known=known)
    quote = _scatter(n, pos, col["quote_volume"], empty=0.0, known=known)
    taker_quote = _scatter(n, pos, col["taker_buy_quote_volume"], empty=0.0, known=known)

    with np.errstate(divide="ignore", invalid="ignore"):
        bar_vwap_distance = np.where(col["vwap"] > 0, col["close"] / col["vwap"] - 1.0, 0.0)
        bar_hl_spread = np.where(col["low"] > 0, col["high"] / col["low"] - 1.0, 0.0)

    ret_1 = log_close - _shift(log_close, 1)
    features = {
        "log_ret_1m": ret_1,
        "log_ret_5m": log_close - _shift(log_close, 5),
        "log_ret_15m": log_close - _shift(log_close, 15),
        "log_ret_60m": log_close - _shift(log_close, 60),
        "realized_vol_15m": np.sqrt(_trailing(ret_1**2, 15, np.sum)),
        "realized_vol_60m": np.sqrt(_trailing(ret_1**2, 60, np.sum)),
        "volume_z_60m": _zscore(volume, 60),
        "trade_count_z_60m": _zscore(trades, 60),
        "taker_imbalance_1m": _ratio_or_zero(2.0 * taker_quote - quote, quote),
        "taker_imbalance_5m": _ratio_or_zero(
            2.0 * _trailing(taker_quote, 5, np.sum) - _trailing(quote, 5, np.sum), _trailing(quote, 5, np.sum)
        ),
        "vwap_distance": _scatter(n, pos, bar_vwap_distance, empty=0.0, known=known),
        "hl_spread": _scatter(n, pos, bar_hl_spread, empty=0.0, known=known),
    }
    forward_return = np.full(n, np.nan)
    forward_return[: n - horizon] = log_close[horizon:] - log_close[: n - horizon]
    return features, forward_return

"""compute_minute_features: grid, hand-checked values, point-in-time (no leakage), warm-up history."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pandas.testing as pdt
import pytest

from binance_assets.features.compute import (
    FEATURE_COLUMNS,
    LABEL_COLUMNS,
    OUTPUT_COLUMNS,
    compute_minute_features,
    empty_feature_frame,
)

DAY = dt.date(2024, 3, 1)


def _bar(minute: int, close: float, *, volume=1.0, taker_quote_share=0.5, high=None, low=None, vwap=None, trades=3):
    vwap = close if vwap is None else vwap
    return {
        "symbol": "ETHUSDT",
        "trade_date": DAY,
        "open_time": pd.Timestamp(DAY) + pd.Timedelta(minutes=minute),
        "open": close,
        "high": close if high is None else high,
        "low": close if low is None else low,
        "close": close,
        "volume": volume,
        "quote_volume": volume * vwap,
        "trade_count": trades,
        "taker_buy_base_volume": volume * taker_quote_share,
        "taker_buy_quote_volume": volume * vwap * taker_quote_share,
        "vwap": vwap,
    }


@pytest.fixture
def tiny_day() -> pd.DataFrame:
    rows = [
        _bar(0, 100.0),
        _bar(1, 101.0, volume=2.0, taker_quote_share=0.75, high=102.0, low=100.0, vwap=101.5),
        _bar(2, 99.0),
        # minutes 3 and 4: no trades
        _bar(5, 103.0, taker_quote_share=0.0),
        _bar(6, 104.0),
    ]
    return pd.DataFrame(rows)


def test_grid_columns_and_dtypes(make_bars):
    out = compute_minute_features(make_bars(active=700))
    assert list(out.columns) == OUTPUT_COLUMNS
    assert len(out) == 1440
    assert out["minute"].is_monotonic_increasing and out["minute"].is_unique
    assert out["minute"].iloc[0] == pd.Timestamp(DAY) and out["minute"].iloc[-1] == pd.Timestamp(DAY) + pd.Timedelta(
        minutes=1439
    )
    assert str(out["minute"].dtype) == "datetime64[us]"
    assert (out["trade_date"] == DAY).all() and (out["symbol"] == "BTCUSDT").all()
    assert all(out[c].dtype == np.float64 for c in FEATURE_COLUMNS)
    assert str(out["label_up"].dtype) == "boolean"
    assert np.isfinite(out[FEATURE_COLUMNS].to_numpy()[~out[FEATURE_COLUMNS].isna().to_numpy()]).all()
    # only the warm-up at the start of the day is null (the day's first minute has a bar)
    assert out.loc[60:, FEATURE_COLUMNS].notna().all().all()


def test_hand_made_day(tiny_day):
    out = compute_minute_features(tiny_day, horizon=2).set_index(out_index := "minute")
    at = {m: pd.Timestamp(DAY) + pd.Timedelta(minutes=m) for m in range(1440)}
    assert out_index == "minute" and len(out) == 1440
    row = out.loc[at[1]]
    assert row["log_ret_1m"] == pytest.approx(np.log(101 / 100))
    assert row["taker_imbalance_1m"] == pytest.approx(0.5)  # (2 * 0.75 q - q) / q
    assert row["vwap_distance"] == pytest.approx(101 / 101.5 - 1)
    assert row["hl_spread"] == pytest.approx(102 / 100 - 1)
    assert out.loc[at[2], "log_ret_1m"] == pytest.approx(np.log(99 / 101))
    # empty minutes 3 and 4: close carried forward, flow features 0
    for m in (3, 4):
        assert out.loc[at[m], "log_ret_1m"] == 0.0
        for name in ("taker_imbalance_1m", "vwap_distance", "hl_spread"):
            assert out.loc[at[m], name] == 0.0
    assert out.loc[at[5], "log_ret_1m"] == pytest.approx(np.log(103 / 99))
    assert out.loc[at[5], "log_ret_5m"] == pytest.approx(np.log(103 / 100))
    assert out.loc[at[5], "taker_imbalance_1m"] == pytest.approx(-1.0)
    assert np.isnan(out.loc[at[4], "log_ret_5m"])  # needs a close at minute -1
    # trailing 5-minute imbalance at minute 5: quote-weighted over minutes 1..5
    quotes = np.array([2 * 101.5, 99.0, 0.0, 0.0, 103.0])
    taker = np.array([0.75 * 2 * 101.5, 0.5 * 99.0, 0, 0, 0.0])
    assert out.loc[at[5], "taker_imbalance_5m"] == pytest.approx((2 * taker.sum() - quotes.sum()) / quotes.sum())
    # labels: log(close[t+2] / close[t]) with the forward-filled close
    assert out.loc[at[0], "label_forward_return"] == pytest.approx(np.log(99 / 100))
    assert out.loc[at[0], "label_up"] == False  # noqa: E712 (pandas boolean scalar)
    assert out.loc[at[3], "label_forward_return"] == pytest.approx(np.log(103 / 99))
    assert out.loc[at[3], "label_up"] == True  # noqa: E712
    assert out.loc[at[100], "label_forward_return"] == 0.0 and out.loc[at[100], "label_up"] == False  # noqa: E712
    assert out["label_forward_return"].iloc[-2:].isna().all() and out["label_up"].iloc[-2:].isna().all()
    assert out["label_forward_return"].iloc[:-2].notna().all()
    # the last bar's close is carried to the end of the day
    assert (out.loc[at[7] :, "log_ret_60m"].iloc[60:] == 0.0).all()


def test_rolling_features_match_a_pandas_reference(make_bars):
    bars = make_bars(active=900, seed=3)
    out = compute_minute_features(bars)
    grid = pd.date_range(pd.Timestamp(DAY), periods=1440, freq="min", unit="us")
    by_minute = bars.set_index("open_time")
    close = by_minute["close"].reindex(grid).ffill()
    volume = by_minute["volume"].reindex(grid).fillna(0.0)
    trades = by_minute["trade_count"].astype(float).reindex(grid).fillna(0.0)
    r1 = np.log(close).diff()
    expected = {
        "log_ret_15m": np.log(close / close.shift(15)),
        "realized_vol_15m": np.sqrt((r1**2).rolling(15).sum()),
        "realized_vol_60m": np.sqrt((r1**2).rolling(60).sum()),
        "volume_z_60m": (volume - volume.rolling(60).mean()) / volume.rolling(60).std(),
        "trade_count_z_60m": (trades - trades.rolling(60).mean()) / trades.rolling(60).std(),
    }
    for name, series in expected.items():
        np.testing.assert_allclose(out[name].to_numpy(), series.to_numpy(), rtol=1e-7, atol=1e-12, err_msg=name)


def test_minutes_before_the_first_bar_are_null(make_bars):
    bars = make_bars(active=500, first_minute=300)
    first = int((bars["open_time"].min() - pd.Timestamp(DAY)) / pd.Timedelta(minutes=1))
    out = compute_minute_features(bars)
    assert len(out) == 1440 and first >= 300
    assert out.loc[: first - 1, [*FEATURE_COLUMNS, "label_forward_return"]].isna().all().all()
    assert out.loc[: first - 1, "label_up"].isna().all()
    # the first bar's own features are known; trailing windows fill up after it
    assert out.loc[first, ["taker_imbalance_1m", "vwap_distance", "hl_spread", "label_forward_return"]].notna().all()
    assert out.loc[first, ["log_ret_1m", "realized_vol_15m", "volume_z_60m"]].isna().all()
    assert out.loc[first + 60 :, FEATURE_COLUMNS].notna().all().all()


@pytest.mark.parametrize("t", [0, 7, 59, 60, 61, 333, 900, 1430, 1438])
def test_no_leakage_from_bars_after_t(make_bars, t):
    bars = make_bars(active=1000, seed=11)
    before = compute_minute_features(bars)
    rng = np.random.default_rng(t)
    cutoff = pd.Timestamp(DAY) + pd.Timedelta(minutes=t)
    after = bars["open_time"] > cutoff
    k = int(after.sum())
    changed = bars.copy()
    for name in ("open", "high", "low", "close", "vwap"):
        changed.loc[after, name] = bars.loc[after, name] * rng.uniform(0.5, 2.0, k)
    for name in ("volume", "quote_volume", "taker_buy_base_volume", "taker_buy_quote_volume"):
        changed.loc[after, name] = bars.loc[after, name] * rng.uniform(0.1, 10.0, k)
    changed.loc[after, "trade_count"] = rng.integers(1, 1000, k)
    # also drop some later bars and add bars in later empty minutes
    changed = changed.drop(changed.index[after.to_numpy()][::3])
    empty_later = sorted(
        set(range(t + 1, 1440)) - set((bars["open_time"] - pd.Timestamp(DAY)) // pd.Timedelta(minutes=1))
    )
    extra = pd.DataFrame([_bar(m, 50.0, volume=123.0) for m in empty_later[:20]]).assign(symbol="BTCUSDT")
    changed = pd.concat([changed, extra], ignore_index=True).sample(frac=1.0, random_state=1)

    recomputed = compute_minute_features(changed)
    upto = before["minute"] <= cutoff
    pdt.assert_frame_equal(
        recomputed.loc[upto, OUTPUT_COLUMNS[: -len(LABEL_COLUMNS)]],
        before.loc[upto, OUTPUT_COLUMNS[: -len(LABEL_COLUMNS)]],
    )
    if t < 1400:  # the perturbation is visible after t (sanity check that the test perturbs something)
        assert not recomputed.loc[~upto, FEATURE_COLUMNS].equals(before.loc[~upto, FEATURE_COLUMNS])


def test_history_warms_up_the_first_minutes(make_bars):
    previous = make_bars(DAY - dt.timedelta(days=1), active=1200, seed=5)
    bars = make_bars(active=1000, seed=6, first_minute=10)
    plain = compute_minute_features(bars)
    warmed = compute_minute_features(bars, history=previous)
    assert len(warmed) == 1440 and (warmed["trade_date"] == DAY).all()
    assert plain.loc[:9, FEATURE_COLUMNS].isna().all().all()
    assert warmed[FEATURE_COLUMNS].notna().all().all()  # previous day's close carried, windows full
    # once the windows lie inside the day the history makes no difference
    pdt.assert_frame_equal(warmed.iloc[71:], plain.iloc[71:])
    with pytest.raises(ValueError, match="history must end before"):
        compute_minute_features(bars, history=bars)


def test_input_validation(make_bars):
    bars = make_bars(active=100)
    with pytest.raises(ValueError, match="one symbol"):
        compute_minute_features(pd.concat([bars, bars.assign(symbol="ETHUSDT")]))
    with pytest.raises(ValueError, match=r"one .*trade_date"):
        compute_minute_features(pd.concat([bars, make_bars(DAY + dt.timedelta(days=1), active=10)]))
    with pytest.raises(ValueError, match="outside trade_date"):
        compute_minute_features(bars.assign(trade_date=DAY - dt.timedelta(days=1)))
    with pytest.raises(ValueError, match="same minute"):
        compute_minute_features(pd.concat([bars, bars.iloc[:1]]))
    with pytest.raises(ValueError, match="lack columns"):
        compute_minute_features(bars.drop(columns=["vwap"]))
    with pytest.raises(ValueError, match="horizon"):
        compute_minute_features(bars, horizon=0)


def test_accepts_tz_aware_times_and_timestamp_dates(make_bars):
    bars = make_bars(active=300)
    expected = compute_minute_features(bars)
    other = bars.assign(open_time=bars["open_time"].dt.tz_localize("UTC"), trade_date=pd.Timestamp(DAY))
    pdt.assert_frame_equal(compute_minute_features(other), expected)


def test_empty_input_gives_empty_frame(make_bars):
    out = compute_minute_features(make_bars(active=10).iloc[:0])
    assert out.empty and list(out.columns) == OUTPUT_COLUMNS
    pdt.assert_frame_equal(out, empty_feature_frame())


def complete_grid(bars: pd.DataFrame, carried_open: float | None = None) -> pd.DataFrame:
    """`bars` as fct_bars_1m has them since the complete minute grid: every minute of the day; a minute
    without trades at the previous close (the first minutes at ``carried_open``), zero volumes, VWAP = close."""
    day = bars["trade_date"].iloc[0]
    grid = pd.DataFrame({"open_time": pd.date_range(pd.Timestamp(day), periods=1440, freq="min", unit="us")})
    out = grid.merge(bars.assign(open_time=bars["open_time"].astype("datetime64[us]")), on="open_time", how="left")
    has_trades = out["close"].notna()
    carried = out["close"].ffill()
    if carried_open is not None:
        carried = carried.fillna(carried_open)
    for column in ("open", "high", "low", "close", "vwap"):
        out[column] = out[column].where(has_trades, carried)
    for column in ("volume", "quote_volume", "trade_count", "taker_buy_base_volume", "taker_buy_quote_volume"):
        out[column] = out[column].fillna(0)
    out["symbol"], out["trade_date"] = bars["symbol"].iloc[0], day
    return out


def test_the_complete_minute_grid_gives_the_same_features_as_sparse_bars(make_bars):
    """Zero-trade minutes as rows (fct_bars_1m's complete grid) or as missing rows: the same features."""
    previous = make_bars(DAY - dt.timedelta(days=1), active=900, seed=4)
    today = make_bars(DAY, active=700, seed=5, first_minute=30)
    sparse = compute_minute_features(today, history=previous)
    grid = compute_minute_features(complete_grid(today, carried_open=previous["close"].iloc[-1]),
                                   history=complete_grid(previous))
    assert len(complete_grid(today)) == 1440
    pdt.assert_frame_equal(grid[FEATURE_COLUMNS + LABEL_COLUMNS], sparse[FEATURE_COLUMNS + LABEL_COLUMNS],
                           check_exact=False, rtol=1e-9, atol=1e-12)

    # Without history, the grid's first minutes carry the day's opening price: known, not null.
    alone = compute_minute_features(complete_grid(today, carried_open=100.0))
    assert alone["log_ret_1m"].iloc[1:].notna().all() and alone["log_ret_60m"].iloc[60:].notna().all()

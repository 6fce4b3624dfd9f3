"""The pandera models and id checks on hand-made partitions: good data passes, each defect is named."""

from __future__ import annotations

import pandas as pd
import pytest

from binance_assets.binance.duplicates import duplicate_values
from binance_assets.ingestion.schemas import IdGap, find_id_gaps, validate_partition


def trades_frame(n: int = 4, day: str = "2025-01-01") -> pd.DataFrame:
    price = [100.0 + i for i in range(n)]
    qty = [0.5] * n
    return pd.DataFrame(
        {
            "symbol": ["BTCUSDT"] * n,
            "trade_date": pd.to_datetime([day] * n),
            "trade_id": list(range(10, 10 + n)),
            "price": price,
            "qty": qty,
            "quote_qty": [p * q for p, q in zip(price, qty, strict=True)],
            "trade_time": pd.Timestamp(day) + pd.to_timedelta(range(n), unit="h"),
            "is_buyer_maker": [True, False] * (n // 2),
            "is_best_match": pd.array([True] * n, dtype="boolean"),
        }
    )


def klines_frame(day: str = "2025-01-01") -> pd.DataFrame:
    open_time = pd.Timestamp(day) + pd.to_timedelta(range(3), unit="min")
    return pd.DataFrame(
        {
            "symbol": ["ETHUSDT"] * 3,
            "trade_date": pd.to_datetime([day] * 3),
            "open_time": open_time,
            "open": [10.0, 11.0, 12.0],
            "high": [11.0, 12.5, 12.0],
            "low": [9.5, 10.5, 12.0],
            "close": [11.0, 12.0, 12.0],
            "volume": [3.0, 4.0, 0.0],
            "close_time": open_time + pd.Timedelta(seconds=60) - pd.Timedelta(microseconds=1),
            "quote_volume": [31.0, 46.0, 0.0],
            "trade_count": [3, 4, 0],
            "taker_buy_base_volume": [1.0, 4.0, 0.0],
            "taker_buy_quote_volume": [10.5, 46.0, 0.0],
        }
    )


def failed_checks(table: str, frame: pd.DataFrame) -> set[str]:
    outcome = validate_partition(table, frame)
    assert outcome.passed is outcome.failure_cases.empty
    return set(outcome.failure_cases["check"].astype(str)) if not outcome.passed else set()


def test_good_trades_and_klines_pass():
    assert failed_checks("spot_trades", trades_frame()) == set()
    assert failed_checks("spot_klines_1m", klines_frame()) == set()


@pytest.mark.parametrize(
    ("column", "value", "check"),
    [
        ("price", -1.0, "greater_than(0)"),
        ("qty", 0.0, "greater_than(0)"),
        ("trade_time", pd.Timestamp("2025-01-02 00:00:00"), "trade_time_inside_partition_day"),
        ("quote_qty", 1.0, "quote_qty = price * qty (to 1e-6 relative)"),
        ("symbol", "btc-usdt", "str_matches('^[A-Z0-9]{2,20}$')"),
    ],
)
def test_each_trade_defect_is_named(column, value, check):
    frame = trades_frame()
    frame.loc[2, column] = value
    assert check in failed_checks("spot_trades", frame)


def test_null_where_not_nullable_fails():
    frame = trades_frame()
    frame["price"] = frame["price"].astype("Float64")
    frame.loc[1, "price"] = pd.NA
    assert "not_nullable" in failed_checks("spot_trades", frame)


def test_kline_defects_are_named():
    frame = klines_frame()
    frame.loc[0, "high"] = 9.0  # below open and close
    frame.loc[1, "taker_buy_base_volume"] = 5.0  # above volume
    frame.loc[2, "close_time"] = frame.loc[2, "open_time"] + pd.Timedelta(minutes=2)
    assert {
        "low <= open, close <= high",
        "taker buy volume <= volume",
        "close_time is the last instant of its 1m kline",
    } <= failed_checks("spot_klines_1m", frame)


def test_extra_column_is_refused():
    frame = trades_frame().assign(unexpected=1)
    assert failed_checks("spot_trades", frame)


def test_id_gaps_and_duplicates():
    ids = pd.Series([5, 6, 9, 9, 10, 14])
    assert find_id_gaps(ids) == [IdGap(6, 9), IdGap(10, 14)]
    assert [g.missing for g in find_id_gaps(ids)] == [2, 3]
    assert duplicate_values(ids) == [9]
    assert find_id_gaps(pd.Series([3, 1, 2])) == []
    assert duplicate_values(pd.Series([1, 2, 3])) == []
    assert duplicate_values(pd.Series([3, 1, 3, 1, 2])) == [1, 3]  # unsorted ids too

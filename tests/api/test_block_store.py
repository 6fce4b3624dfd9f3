"""The block store (binance_api/services/blocks.py) answers klines and aggTrades byte for byte like the SQL
path, over a warehouse with gaps (missing minutes, days, a week; skipped trade ids, times out of id order)
spanning month and week boundaries, and never serves a block of an older published version."""

from __future__ import annotations

import datetime as dt
import json
import random

import duckdb
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from binance_api.services import agg_trade_blocks, bar_blocks
from binance_api.services import market_data as md
from binance_api.services.blocks import BlockStore
from binance_assets.warehouse.snapshots import DuckDBSnapshotReader

pytestmark = pytest.mark.xdist_group("api")

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
T0 = int(dt.datetime(2024, 12, 20, tzinfo=dt.UTC).timestamp() * 1000)
T1 = int(dt.datetime(2025, 2, 12, tzinfo=dt.UTC).timestamp() * 1000)
INTERVALS = ["1m", "3m", "5m", "1h", "4h", "1d", "3d", "1w", "1M"]
CASES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _bars(rng: np.random.Generator, symbol: str) -> pa.Table:
    minutes = np.arange(T0, T1, 60_000)
    keep = rng.random(len(minutes)) > 0.02  # missing minutes
    day = (minutes - T0) // 86_400_000
    keep &= day != 5  # a missing day
    keep &= ~((day >= 20) & (day < 28))  # a missing week (across a month boundary)
    t = minutes[keep]
    n = len(t)
    o = np.round(90_000 + rng.normal(0, 500, n), 2)
    c = np.round(o + rng.normal(0, 30, n), 2)
    h, lo = np.maximum(o, c) + np.round(rng.random(n) * 10, 2), np.minimum(o, c) - np.round(rng.random(n) * 10, 2)
    v = np.round(rng.random(n) * 5, 5)
    qv = v * (o + c) / 2  # many decimals: sums that round near ties
    tbb = np.round(v * rng.random(n), 5)
    return pa.table({"symbol": [symbol] * n, "open_time": pa.array(t.astype("datetime64[ms]")).cast(pa.timestamp("us")),
                     "open": o, "high": h, "low": lo, "close": c, "volume": v, "quote_volume": qv,
                     "trade_count": rng.integers(1, 500, n), "taker_buy_base_volume": tbb,
                     "taker_buy_quote_volume": tbb * o})


def _agg_trades(rng: np.random.Generator, symbol: str) -> pa.Table:
    n = 30_000
    ids = np.cumsum(np.where(rng.random(n) < 0.001, rng.integers(2, 5000, n), 1)) + 1_000  # skipped ids
    t_us = T0 * 1000 + np.cumsum(rng.integers(0, 60_000_000, n))
    swap = np.flatnonzero(rng.random(n - 1) < 0.01)
    t_us[swap], t_us[swap + 1] = t_us[swap + 1], t_us[swap]  # a few times out of id order
    price = np.round(90_000 + rng.normal(0, 300, n), 2)
    qty = np.round(rng.random(n), 6)
    best = [None if x < 0.01 else bool(x < 0.9) for x in rng.random(n)]
    return pa.table({"symbol": [symbol] * n, "agg_trade_id": ids, "price": price, "qty": qty, "first_trade_id": ids * 3,
                     "last_trade_id": ids * 3 + 2, "trade_time": pa.array(t_us.astype("datetime64[us]")),
                     "is_buyer_maker": rng.random(n) < 0.5, "is_best_match": pa.array(best, type=pa.bool_())})


def _write(path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA IF NOT EXISTS marts; CREATE SCHEMA IF NOT EXISTS raw")
    con.execute("CREATE OR REPLACE TABLE marts.fct_bars_1m (symbol VARCHAR, open_time TIMESTAMP, open DOUBLE, "
                "high DOUBLE, low DOUBLE, close DOUBLE, volume DOUBLE, quote_volume DOUBLE, trade_count BIGINT, "
                "taker_buy_base_volume DOUBLE, taker_buy_quote_volume DOUBLE)")
    con.execute("CREATE OR REPLACE TABLE raw.spot_agg_trades (symbol VARCHAR, agg_trade_id BIGINT, price DOUBLE, "
                "qty DOUBLE, first_trade_id BIGINT, last_trade_id BIGINT, trade_time TIMESTAMP, "
                "is_buyer_maker BOOLEAN, is_best_match BOOLEAN)")
    for symbol in SYMBOLS:
        bars, trades = _bars(rng, symbol), _agg_trades(rng, symbol)  # noqa: F841 (read by DuckDB by name)
        con.execute("INSERT INTO marts.fct_bars_1m SELECT * FROM bars")
        con.execute("INSERT INTO raw.spot_agg_trades SELECT * FROM trades")
    con.close()


@pytest.fixture(scope="module")
def gappy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blocks")
    _write(folder / "wh.duckdb", seed=7)
    reader = DuckDBSnapshotReader(folder / "wh.duckdb", folder / "snapshots")
    with reader.session() as session:
        yield session
    reader.close()


@pytest.fixture(scope="module")
def store():
    return BlockStore(512 << 20)


def _time(draw_ms, lo=T0 - 3 * 86_400_000, hi=T1 + 3 * 86_400_000):
    return st.one_of(st.none(), st.integers(lo, hi)) if draw_ms else st.none()


@CASES
@given(symbol=st.sampled_from(SYMBOLS), interval=st.sampled_from(INTERVALS), start=_time(True),
       span=st.one_of(st.none(), st.integers(0, 70 * 86_400_000)), end_only=_time(True),
       limit=st.sampled_from([1, 2, 7, 500, 1000]),
       tz=st.sampled_from([0, 8 * 3_600_000, -3_600_000, 345 * 60_000, -12 * 3_600_000]))
def test_klines_from_blocks_equal_the_sql_path(gappy, store, symbol, interval, start, span, end_only, limit, tz):
    end = (start + span if span is not None else None) if start is not None else end_only
    got = md.klines_json(gappy, "duckdb", symbol, interval, start, end, limit, store, tz_ms=tz)
    assert got == md.klines_json(gappy, "duckdb", symbol, interval, start, end, limit, tz_ms=tz)
    assert got == md.klines_json(gappy, "duckdb", symbol, interval, start, end, limit, store, tz_ms=tz)  # held
    if interval != "1m":  # the SQL aggregation (DuckDB bars with nulls, PostgreSQL) selects the same klines
        sql = json.loads(md.sql_klines_json(gappy, "duckdb", symbol, interval, start, end, limit, tz))
        assert [(k[0], k[6], k[8]) for k in sql] == [(k[0], k[6], k[8]) for k in json.loads(got)]


@CASES
@given(symbol=st.sampled_from(SYMBOLS), from_id=st.one_of(st.none(), st.integers(0, 200_000)), start=_time(True),
       span=st.one_of(st.none(), st.integers(0, 3 * 3_600_000)), limit=st.sampled_from([1, 3, 500, 1000]))
def test_agg_trades_from_blocks_equal_the_sql_path(gappy, store, symbol, from_id, start, span, limit):
    end = start + span if start is not None and span is not None else None
    got = md.agg_trades_json(gappy, symbol, from_id, start, end, limit, store)
    assert got == md.sql_agg_trades_json(gappy, symbol, from_id, start, end, limit)


def test_no_parameters_and_fallbacks_equal_the_sql_path(gappy, monkeypatch):
    store = BlockStore(512 << 20)
    for symbol in SYMBOLS:
        assert md.agg_trades_json(gappy, symbol, None, None, None, 500, store) == \
            md.sql_agg_trades_json(gappy, symbol, None, None, None, 500)
        for interval in INTERVALS:
            assert md.klines_json(gappy, "duckdb", symbol, interval, None, None, 500, store) == \
                md.klines_json(gappy, "duckdb", symbol, interval, None, None, 500)
    # Past the per-request block caps the SQL path answers, with the same bytes.
    monkeypatch.setattr(bar_blocks, "MAX_DAYS", 2)
    monkeypatch.setattr(agg_trade_blocks, "MAX_BLOCKS", 1)
    rng = random.Random(3)
    for _ in range(40):
        symbol, interval = rng.choice(SYMBOLS), rng.choice(INTERVALS)
        start = rng.choice([None, rng.randrange(T0, T1)])
        assert md.klines_json(gappy, "duckdb", symbol, interval, start, None, 1000, BlockStore(512 << 20)) == \
            md.klines_json(gappy, "duckdb", symbol, interval, start, None, 1000)
        from_id = 1000 + rng.randrange(60_000)
        assert md.agg_trades_json(gappy, symbol, from_id, None, None, 1000, store) == \
            md.sql_agg_trades_json(gappy, symbol, from_id, None, None, 1000)


def test_blocks_equal_sql_over_the_pipeline_warehouse(api_warehouse, tmp_path):
    """The warehouse built the pipeline's way (dbt's bars, the loader's trades)."""
    reader = DuckDBSnapshotReader(api_warehouse.path, tmp_path / "snapshots")
    store = BlockStore(256 << 20)
    rng = random.Random(11)
    start_ms = int(dt.datetime(2025, 1, 1, tzinfo=dt.UTC).timestamp() * 1000)
    with reader.session() as s:
        first = md.agg_trades(s, "BTCUSDT", None, start_ms, None, 1)[0]["a"]
        for _ in range(60):
            symbol, interval = rng.choice(SYMBOLS), rng.choice(INTERVALS)
            start = rng.choice([None, start_ms + rng.randrange(-86_400_000, 3 * 86_400_000)])
            end = rng.choice([None, (start or start_ms) + rng.randrange(0, 2 * 86_400_000)])
            limit = rng.choice([1, 500, 1000])
            assert md.klines_json(s, "duckdb", symbol, interval, start, end, limit, store) == \
                md.klines_json(s, "duckdb", symbol, interval, start, end, limit)
            from_id = rng.choice([None, first + rng.randrange(-100, 20_000)])
            assert md.agg_trades_json(s, symbol, from_id, start, end, limit, store) == \
                md.sql_agg_trades_json(s, symbol, from_id, start, end, limit)
    reader.close()


def test_a_new_published_version_is_served_not_an_old_block(tmp_path):
    path = tmp_path / "wh.duckdb"
    _write(path, seed=1)
    reader = DuckDBSnapshotReader(path, tmp_path / "snapshots")
    store = BlockStore(512 << 20)
    day = T0 + 2 * 86_400_000
    with reader.session() as s:
        old_klines = md.klines_json(s, "duckdb", "BTCUSDT", "1m", day, None, 500, store)
        old_trades = md.agg_trades_json(s, "BTCUSDT", 1_000, None, None, 500, store)
        old_version = s.version
    con = duckdb.connect(str(path))  # the pipeline publishes new values for the same rows
    con.execute("UPDATE marts.fct_bars_1m SET close = close + 1, volume = volume * 2")
    con.execute("UPDATE raw.spot_agg_trades SET price = price + 1")
    con.close()
    with reader.session() as s:
        assert s.version != old_version
        new_klines = md.klines_json(s, "duckdb", "BTCUSDT", "1m", day, None, 500, store)
        new_trades = md.agg_trades_json(s, "BTCUSDT", 1_000, None, None, 500, store)
        assert new_klines != old_klines and new_trades != old_trades
        assert new_klines == md.klines_json(s, "duckdb", "BTCUSDT", "1m", day, None, 500)
        assert new_trades == md.sql_agg_trades_json(s, "BTCUSDT", 1_000, None, None, 500)
    reader.close()

"""dbt through Dagster on DuckDB and PostgreSQL: every dbt check of a partition run passes, the marts are the
same on both engines, bars built from trades equal the archive's klines, daily stats and gaps match pandas.
(Incremental runs equal a full refresh: the property test, tests/transform/test_incremental_equals_full_refresh.py.)"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from support.ingestion import SYMBOLS, make_settings, run_main_job

from binance_assets.binance.simulator import simulate_mirror
from binance_assets.ops.history import load_raw_days, run_dbt
from binance_assets.resources import resources_for

pytestmark = [pytest.mark.xdist_group("dbt-marts"), pytest.mark.e2e]

START = dt.date(2025, 1, 1)
DAYS = 2
# Both symbols on the first day, one on the second: the marts span days and symbols.
PARTITIONS = [(START, "BTCUSDT"), (START, "ETHUSDT"), (START + dt.timedelta(days=1), "BTCUSDT")]
MARTS = {
    "fct_bars_1m": ["symbol", "open_time"],
    "fct_symbol_daily": ["symbol", "trade_date"],
    "fct_data_gaps": ["symbol", "trade_date", "gap_type", "gap_start"],
}


def snapshot(settings) -> dict[str, pd.DataFrame]:
    warehouse = resources_for(settings)["warehouse"].get()
    frames = {}
    for mart, keys in MARTS.items():
        frame = warehouse.query(f"select * from marts.{mart}")
        frames[mart] = frame.sort_values(keys).reset_index(drop=True)
    return frames


def assert_same_marts(left: dict[str, pd.DataFrame], right: dict[str, pd.DataFrame]) -> None:
    for mart in MARTS:
        assert len(left[mart]) > 0, f"{mart} is empty"
        pd.testing.assert_frame_equal(left[mart], right[mart], check_dtype=False, check_exact=False, rtol=1e-9)


@pytest.fixture(scope="module")
def mirror(tmp_path_factory):
    out = tmp_path_factory.mktemp("dbt-mirror")
    simulate_mirror(out, SYMBOLS, START, DAYS, seed=5, trades_per_day=2_000)
    return out


@pytest.fixture(scope="module")
def built(mirror, tmp_path_factory, module_postgres_url):
    """Both engines: the first partition through the whole Dagster main job (raw, checks, dbt and its tests),
    the others' raw rows loaded, then every mart built by a full refresh."""
    engines = {
        "duckdb": make_settings(tmp_path_factory.mktemp("duck"), mirror),
        "postgres": make_settings(tmp_path_factory.mktemp("pg"), mirror, postgres_url=module_postgres_url),
    }
    results = {}
    for name, settings in engines.items():
        runs = [run_main_job(settings, *PARTITIONS[0])]
        for day, symbol in PARTITIONS[1:]:
            load_raw_days(settings, [day], [symbol])
        run_dbt(settings, ["build", "--full-refresh"])
        results[name] = {"settings": settings, "runs": runs, "full": snapshot(settings)}
    return results


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_every_partition_run_succeeds_with_dbt_checks(built, engine):
    for run in built[engine]["runs"]:
        assert run.success
        checks = [e for e in run.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"]
        dbt_checks = [e.event_specific_data for e in checks if e.event_specific_data.asset_key.path[0] != "raw"]
        assert len(dbt_checks) > 20
        failed = [c.check_name for c in dbt_checks if not c.passed]
        assert not failed
        names = {c.check_name for c in dbt_checks}
        assert "assert_bars_match_archive_klines" in names


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_row_counts_of_the_window_are_in_the_metadata(built, engine):
    run = built[engine]["runs"][0]
    bars = [m for m in run.asset_materializations_for_node("binance_dbt_models")
            if m.asset_key.path == ["marts", "fct_bars_1m"]]
    assert len(bars) == 1
    first_partition = built[engine]["full"]["fct_bars_1m"]
    first_partition = first_partition[(first_partition.symbol == SYMBOLS[0])
                                      & (pd.to_datetime(first_partition.trade_date) == pd.Timestamp(START))]
    assert bars[0].metadata["dagster/row_count"].value == len(first_partition) > 0


def test_duckdb_and_postgres_marts_are_identical(built):
    assert_same_marts(built["duckdb"]["full"], built["postgres"]["full"])


def test_bars_equal_the_archive_klines_exactly(built):
    settings = built["duckdb"]["settings"]
    warehouse = resources_for(settings)["warehouse"].get()
    klines = warehouse.query("select * from raw.spot_klines_1m")
    bars = built["duckdb"]["full"]["fct_bars_1m"]
    assert (bars.trade_count == 0).any(), "the simulated days should have minutes without trades"
    assert bars.groupby(["symbol", "trade_date"]).size().eq(1440).all()
    merged = klines.merge(bars, on=["symbol", "open_time"], suffixes=("_kline", "_bar"), how="outer", indicator=True)
    assert (merged["_merge"] == "both").all(), merged["_merge"].value_counts()
    for column in ["open", "high", "low", "close", "trade_count"]:
        assert (merged[f"{column}_kline"] == merged[f"{column}_bar"]).all(), column
    for column in ["volume", "quote_volume", "taker_buy_base_volume", "taker_buy_quote_volume"]:
        assert merged[f"{column}_bar"].to_numpy() == pytest.approx(merged[f"{column}_kline"].to_numpy(), rel=1e-12)


def test_daily_stats_agree_with_pandas(built):
    settings = built["duckdb"]["settings"]
    warehouse = resources_for(settings)["warehouse"].get()
    trades = warehouse.query("select * from raw.spot_trades")
    daily = built["duckdb"]["full"]["fct_symbol_daily"].set_index(["symbol", "trade_date"])
    for (symbol, day), group in trades.groupby(["symbol", "trade_date"]):
        row = daily.loc[(symbol, day)]
        ordered = group.sort_values("trade_id")
        assert row["trade_count"] == len(group)
        assert (row["open"], row["close"]) == (ordered["price"].iloc[0], ordered["price"].iloc[-1])
        assert (row["high"], row["low"]) == (group["price"].max(), group["price"].min())
        assert row["median_trade_quote"] == pytest.approx(group["quote_qty"].median())
        taker_buy = group.loc[~group["is_buyer_maker"], "quote_qty"].sum()
        total = group["quote_qty"].sum()
        assert row["buy_sell_imbalance"] == pytest.approx((2 * taker_buy - total) / total)
        closes = ordered.groupby(ordered["trade_time"].dt.floor("min"))["price"].last()
        log_returns = np.log(closes / closes.shift()).dropna()
        assert row["realised_volatility"] == pytest.approx(float(np.sqrt((log_returns**2).sum())))


def test_data_gaps_list_every_empty_minute(built):
    full = built["duckdb"]["full"]
    bars, gaps = full["fct_bars_1m"], full["fct_data_gaps"]
    empty = gaps[gaps.gap_type == "no_trades"].groupby(["symbol", "trade_date"])["missing_count"].sum()
    active = bars[bars.trade_count > 0].groupby(["symbol", "trade_date"]).size()
    for key, minutes in active.items():
        assert minutes + empty.get(key, 0) == 1440

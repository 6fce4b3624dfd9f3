"""fct_bars_1m built by dbt from Binance's real trades (the first 217 trades of BTCUSDT 2024-12-31)
equals an independent pandas computation. The real samples hold no minute that has both its complete
trades and its kline, so the reconciliation against real klines runs on simulated data only (a real klines
sample of another day is loaded so that the klines table exists; this day's klines are missing)."""

import datetime as dt

import pandas as pd
import pytest

from binance_assets.binance.reader import read_archive
from binance_assets.ops.history import run_dbt
from binance_assets.resources import resources_for
from binance_assets.settings import Settings
from binance_assets.transform.dbt_vars import pairs_window_vars
from binance_assets.warehouse import LoadRecord

DAY = dt.date(2024, 12, 31)


@pytest.mark.xdist_group("dbt-real")
def test_bars_from_real_trades_match_pandas(fixtures_dir, tmp_path):
    contents = read_archive(fixtures_dir / "spot" / "BTCUSDT-trades-2024-12-31.head217.csv")
    settings = Settings(data_dir=tmp_path, duckdb_path=tmp_path / "w.duckdb", symbols=["BTCUSDT"], start_date=DAY)
    warehouse = resources_for(settings)["warehouse"].get()
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, contents.table, LoadRecord())
    klines = read_archive(fixtures_dir / "spot" / "BTCUSDT-1m-2026-09-15.csv")
    warehouse.replace_partition("spot_klines_1m", "BTCUSDT", dt.date(2026, 9, 15), klines.table, LoadRecord())
    window = pairs_window_vars([(DAY, "BTCUSDT")])
    run_dbt(settings, ["run", "--select", "+fct_bars_1m"], window=window)

    grid = warehouse.query("select * from marts.fct_bars_1m order by open_time")
    trades = contents.table.to_pandas().sort_values("trade_id")
    minute = trades.groupby(trades["trade_time"].dt.floor("min"))
    assert len(grid) == 1440  # the complete minute grid of the day
    bars = grid[grid["trade_count"] > 0]
    assert len(bars) == minute.ngroups == 1
    # Minutes without trades repeat the last close, with nothing traded.
    empty = grid[grid["trade_count"] == 0]
    assert (empty[["open", "high", "low", "close", "vwap"]] == 92789.46).all().all()
    assert (empty[["volume", "quote_volume", "taker_buy_base_volume"]] == 0).all().all()
    assert empty["first_trade_id"].isna().all()
    bar = bars.iloc[0]
    assert bar["open_time"] == pd.Timestamp("2024-12-31 00:00:00")
    assert (bar["open"], bar["close"]) == (92792.05, trades["price"].iloc[-1]) == (92792.05, 92789.46)
    assert (bar["high"], bar["low"]) == (trades["price"].max(), trades["price"].min())
    assert bar["trade_count"] == 217
    assert bar["volume"] == pytest.approx(trades["qty"].sum(), rel=1e-12)
    assert bar["quote_volume"] == pytest.approx(trades["quote_qty"].sum(), rel=1e-12)
    taker_buys = trades[~trades["is_buyer_maker"]]
    assert bar["taker_buy_base_volume"] == pytest.approx(taker_buys["qty"].sum(), rel=1e-12)
    assert bar["vwap"] == pytest.approx(trades["quote_qty"].sum() / trades["qty"].sum(), rel=1e-12)

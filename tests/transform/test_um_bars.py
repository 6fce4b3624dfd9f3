"""USD-M futures end to end on DuckDB and PostgreSQL: the simulator's futures archives (beside spot ones) go
through the raw assets' write-audit-publish and checks into raw.um_*, and dbt builds marts.fct_um_bars_1m.

Expectations come from the archives themselves, read here with the csv module and pandas (not the reader):
the raw tables hold the archive rows; each traded minute's bar is the minute's trades (first and last by id,
max, min, sums); a minute without trades carries the previous close (before the day's first trade: the open
of the day's first kline in the klines archive) with zero volume.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import zipfile
from pathlib import Path

import dagster as dg
import numpy as np
import pandas as pd
import pytest
from support.ingestion import make_settings

from binance_assets.binance.datasets import DATASETS
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.lib.partitions import day_key
from binance_assets.resources import resources_for

pytestmark = [pytest.mark.xdist_group("dbt-marts"), pytest.mark.e2e]

DAY = dt.date(2025, 1, 1)
SPOT = ["BTCUSDT", "ETHUSDT"]
UM = ["BTCUSDT"]
UM_DATASETS = [DATASETS[i] for i in ("um_trades", "um_agg_trades", "um_klines_1m")]


@pytest.fixture(scope="module")
def mirror(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("um-mirror")
    simulate_mirror(out, SPOT, DAY, 1, seed=5, trades_per_day=1_500)
    simulate_mirror(out, UM, DAY, 1, seed=9, trades_per_day=1_500, datasets=UM_DATASETS)
    return out


def _archive_csv(mirror: Path, relative: str) -> pd.DataFrame:
    with zipfile.ZipFile(mirror / relative) as zf:
        return pd.read_csv(io.BytesIO(zf.read(zf.namelist()[0])))  # futures archives: a header row


def _expected_bars(trades: pd.DataFrame, klines: pd.DataFrame) -> pd.DataFrame:
    """1440 bars from the archive's trades (ms times), by Binance's kline rules."""
    trades = trades.sort_values("id").assign(minute=pd.to_datetime(trades["time"], unit="ms").dt.floor("min"))
    trades["taker_buy"] = np.where(trades["is_buyer_maker"], 0.0, trades["qty"])
    traded = trades.groupby("minute").agg(
        open=("price", "first"), high=("price", "max"), low=("price", "min"), close=("price", "last"),
        volume=("qty", "sum"), quote_volume=("quote_qty", "sum"), trade_count=("id", "size"),
        taker_buy_base_volume=("taker_buy", "sum"),
    )
    grid = pd.date_range(pd.Timestamp(DAY), periods=1440, freq="min")
    bars = traded.reindex(grid)
    day_open = klines.sort_values("open_time")["open"].iloc[0]
    carried = bars["close"].ffill().fillna(day_open)
    for column in ("open", "high", "low", "close"):
        bars[column] = bars[column].fillna(carried)
    bars[["volume", "quote_volume", "taker_buy_base_volume"]] = bars[
        ["volume", "quote_volume", "taker_buy_base_volume"]].fillna(0.0)
    bars["trade_count"] = bars["trade_count"].fillna(0).astype(int)
    return bars.rename_axis("open_time").reset_index()


@pytest.fixture(scope="module")
def built(mirror, tmp_path_factory, module_postgres_url):
    """The whole main job (raw assets, checks, dbt) for the day, untagged (every symbol of each market)."""
    from binance_assets.definitions import MAIN_JOB, build_defs

    results = {}
    for engine, url in (("duckdb", None), ("postgres", module_postgres_url)):
        settings = make_settings(tmp_path_factory.mktemp(engine), mirror, postgres_url=url).model_copy(
            update={"um_symbols": UM})
        job = build_defs(settings).resolve_job_def(MAIN_JOB)
        with dg.instance_for_test() as instance, contextlib.redirect_stdout(io.StringIO()):
            run = job.execute_in_process(partition_key=day_key(DAY), instance=instance, raise_on_error=False)
        warehouse = resources_for(settings)["warehouse"].get()
        tables = {name: warehouse.query(f"select * from {name}") for name in (
            "raw.um_trades", "raw.um_agg_trades", "raw.um_klines_1m", "marts.fct_um_bars_1m", "marts.fct_bars_1m")}
        results[engine] = {"run": run, "tables": tables}
    return results


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_the_run_loads_futures_and_passes_every_check(built, engine):
    run = built[engine]["run"]
    assert run.success
    checks = {(e.event_specific_data.asset_key.to_user_string(), e.event_specific_data.check_name):
              e.event_specific_data.passed for e in run.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    for table in ("um_trades", "um_agg_trades", "um_klines_1m"):
        assert checks[(f"raw/{table}", "pandera_schema")] and checks[(f"raw/{table}", "unique_ids")]
    assert checks[("marts/fct_um_bars_1m", "assert_um_bars_match_archive_klines")]
    assert all(checks.values()), [k for k, v in checks.items() if not v]


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_raw_tables_hold_the_archive_rows(built, engine, mirror):
    tables = built[engine]["tables"]
    trades = _archive_csv(mirror, "data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2025-01-01.zip")
    raw = tables["raw.um_trades"].sort_values("trade_id").reset_index(drop=True)
    assert list(raw["symbol"].unique()) == UM
    assert raw["trade_id"].tolist() == trades["id"].tolist()
    assert raw["price"].tolist() == trades["price"].tolist() and raw["qty"].tolist() == trades["qty"].tolist()
    assert raw["trade_time"].tolist() == pd.to_datetime(trades["time"], unit="ms").tolist()
    assert raw["is_best_match"].isna().all()  # futures archives do not have the column
    aggs = _archive_csv(mirror, "data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2025-01-01.zip")
    assert sorted(tables["raw.um_agg_trades"]["agg_trade_id"]) == aggs["agg_trade_id"].tolist()
    assert len(tables["raw.um_klines_1m"]) == 1440


@pytest.mark.parametrize("engine", ["duckdb", "postgres"])
def test_futures_bars_are_the_trades_minute_by_minute(built, engine, mirror):
    trades = _archive_csv(mirror, "data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2025-01-01.zip")
    klines = _archive_csv(mirror, "data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2025-01-01.zip")
    expected = _expected_bars(trades, klines)
    bars = built[engine]["tables"]["marts.fct_um_bars_1m"].sort_values("open_time").reset_index(drop=True)
    assert list(bars["symbol"].unique()) == UM and len(bars) == 1440
    assert (expected["trade_count"] == 0).any(), "the day should have minutes without trades"
    assert pd.to_datetime(bars["open_time"]).tolist() == expected["open_time"].tolist()
    for column in ("open", "high", "low", "close", "trade_count"):
        assert bars[column].tolist() == expected[column].tolist(), column
    for column in ("volume", "quote_volume", "taker_buy_base_volume"):
        assert bars[column].to_numpy() == pytest.approx(expected[column].to_numpy(), rel=1e-12, abs=1e-12), column


def test_spot_bars_are_built_beside_the_futures_ones(built):
    for engine in ("duckdb", "postgres"):
        spot = built[engine]["tables"]["marts.fct_bars_1m"]
        assert sorted(spot["symbol"].unique()) == SPOT and len(spot) == 1440 * len(SPOT)

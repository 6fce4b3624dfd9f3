"""A small warehouse for the API's tests and benchmark, built the pipeline's way without Dagster:
simulated archives -> `load_partition` (raw tables + load_log) -> `dbt run` (marts) -> ml.predictions.

The predictions come from a deterministic stand-in scorer (the sign of the last 1m return) written
through the warehouse's derived-table replace, with the columns the predictions asset writes. The stand-in
counts as trained on the days up to `TRAINED_UNTIL`: those days' rows are `in_sample`.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.binance.datasets import DATASETS
from binance_assets.binance.schema import Market
from binance_assets.binance.simulator import simulate_mirror
from binance_assets.ingestion.load import load_partition
from binance_assets.settings import DBT_PROJECT_DIR
from binance_assets.transform.dbt_vars import pairs_window_vars
from binance_assets.warehouse import RAW_TABLES, DuckDBWarehouse, Warehouse
from binance_assets.warehouse.dbt_profile import dbt_env

MODEL = "price_direction_classifier"
UM_SYMBOLS = ["BTCUSDT"]


def load_raw(warehouse: Warehouse, mirror: Path, work: Path, symbols: list[str], days: list[dt.date],
             um_symbols: list[str] = ()) -> None:
    """The spot tables of `symbols` and the USD-M futures tables of `um_symbols`, every day of `days`."""
    client = ArchiveClient(str(mirror), work / "downloads", work / "quarantine")
    for day in days:
        for table in RAW_TABLES.values():
            for symbol in symbols if table.dataset.market is Market.SPOT else um_symbols:
                load_partition(client, warehouse, table, day, symbol)


def run_dbt(warehouse: DuckDBWarehouse, parts: list[tuple[dt.date, str]] | None = None) -> None:
    """`dbt run` of the marts (only `parts`' window if given) under the warehouse's write lock."""
    args = ["run", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR), "--quiet"]
    if parts:
        args += ["--vars", json.dumps(pairs_window_vars(parts), sort_keys=True, default=str)]
    env = {**os.environ, **dbt_env("local", duckdb_path=str(warehouse.path))}
    dbt = Path(sys.executable).with_name("dbt")
    with warehouse.exclusive():
        done = subprocess.run([str(dbt), *args], env=env, capture_output=True, text=True, cwd=DBT_PROJECT_DIR)
    if done.returncode != 0:
        raise RuntimeError(f"dbt {' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def write_features(warehouse: Warehouse, symbols: list[str], days: list[dt.date]) -> None:
    """features.minute_features (the labels give the predictions' realised outcome), as the asset computes them."""
    from binance_assets.features.compute import compute_minute_features

    for symbol in symbols:
        for day in days:
            bars = warehouse.query(
                "SELECT * FROM marts.fct_bars_1m WHERE symbol = ? AND trade_date = ? ORDER BY open_time", [symbol, day]
            )
            frame = compute_minute_features(bars)
            warehouse.replace_table_partition(
                "features.minute_features", symbol, day, pa.Table.from_pandas(frame, preserve_index=False)
            )


TRAINED_UNTIL = dt.date(2025, 1, 1)


def write_predictions(warehouse: Warehouse, symbols: list[str], days: list[dt.date], version: str = "v1",
                      trained_until: dt.date = TRAINED_UNTIL) -> None:
    for symbol in symbols:
        for day in days:
            bars = warehouse.query(
                "SELECT open_time, close FROM marts.fct_bars_1m WHERE symbol = ? AND trade_date = ? ORDER BY open_time",
                [symbol, day],
            )
            up = bars["close"].diff().fillna(0) > 0
            frame = pd.DataFrame({
                "symbol": symbol,
                "trade_date": day,
                "minute": bars["open_time"],
                "prediction": up.astype("float64"),
                "probability": 0.5 + 0.1 * up.astype("float64"),
                "model_name": MODEL,
                "model_version": version,
                "in_sample": day <= trained_until,
            })
            warehouse.replace_table_partition(
                "ml.predictions", symbol, day, pa.Table.from_pandas(frame, preserve_index=False)
            )


def build_api_warehouse(
    work: Path, symbols: list[str], start: dt.date, days: int, *, trades_per_day: int = 1500, seed: int = 11
) -> DuckDBWarehouse:
    mirror = work / "mirror"
    day_list = [start + dt.timedelta(days=i) for i in range(days)]
    simulate_mirror(mirror, symbols, start, days, seed=seed, trades_per_day=trades_per_day)
    # One USD-M perpetual beside the spot symbols (the /fapi/v1 paths): the first symbol's futures archives.
    simulate_mirror(mirror, UM_SYMBOLS, start, days, seed=seed + 1, trades_per_day=trades_per_day,
                    datasets=[ds for ds in DATASETS.values() if ds.raw and ds.market is Market.FUTURES_UM])
    warehouse = DuckDBWarehouse(work / "warehouse.duckdb")
    load_raw(warehouse, mirror, work, symbols, day_list, UM_SYMBOLS)
    run_dbt(warehouse)
    write_features(warehouse, symbols, day_list)
    write_predictions(warehouse, symbols, day_list)
    return warehouse


def shared_api_warehouse(tmp_path_factory, symbols: list[str], start: dt.date, days: int) -> DuckDBWarehouse:
    """The API tests' warehouse, built once per test run and shared read-only by the xdist workers
    (pytest-xdist's recipe: the first worker builds under a file lock in the run's base folder, the
    others wait and reuse it). Used by the API tests and `binance-assets check`'s tests."""
    import filelock

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # this run's folder, shared by its workers only
    work = base / "api_wh"
    with filelock.FileLock(str(base / "api_wh.lock")):
        if not (work / "built").exists():
            shutil.rmtree(work, ignore_errors=True)
            work.mkdir(parents=True)
            build_api_warehouse(work, symbols, start, days)
            (work / "built").touch()
    return DuckDBWarehouse(work / "warehouse.duckdb")

"""Property: after any sequence of partition loads and windowed dbt runs (re-loads, archives replaced by
versions with more, fewer or no gaps, days out of order, windows wider than one partition), every mart
equals what `dbt run --full-refresh` builds from the same raw tables, row for row, on DuckDB and
PostgreSQL. Each step is what the platform does for a landed file: replace the raw partition, then build
a window that holds it. dbt runs in process on a manifest parsed once per engine (the models' SQL is the
same; a CLI process per run would spend ~10 s re-parsing, since changed --vars defeat partial parsing).
Examples: BINANCE_ASSETS_PROPERTY_EXAMPLES (default 3 per engine; hypothesis draws new sequences on every run)."""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from unittest import mock

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support.ingestion import make_settings

from binance_assets.binance.simulator import simulate_day
from binance_assets.resources import resources_for
from binance_assets.settings import DBT_PROJECT_DIR
from binance_assets.transform.dbt_vars import pairs_window_vars
from binance_assets.warehouse import LoadRecord

# Its own group: the longest single test (PostgreSQL), so the scheduler can balance it against the "dbt" group.
pytestmark = [pytest.mark.xdist_group("dbt-property"), pytest.mark.e2e]

START = dt.date(2025, 1, 1)
DAYS = [START + dt.timedelta(days=i) for i in range(3)]
SYMBOLS = ["BTCUSDT", "ETHUSDT"]
EXAMPLES = int(os.environ.get("BINANCE_ASSETS_PROPERTY_EXAMPLES", "3"))
MARTS = {
    "fct_bars_1m": ["symbol", "open_time"],
    "fct_symbol_daily": ["symbol", "trade_date"],
    "fct_data_gaps": ["symbol", "trade_date", "gap_type", "gap_start"],
}
# Versions of a day's trades archive: without any gap (a trade in every minute, contiguous ids), one
# hole, two holes, both ends cut (the day's first minutes then have no trades and take the previous close
# from the klines). A gap-free version gives a day no row at all in fct_data_gaps: the case that dbt's
# delete+insert (delete the keys of the new result) gets wrong.
CUTS = {
    "no_gaps": [],
    "one_gap": [(0.30, 0.40)],
    "more_gaps": [(0.10, 0.20), (0.60, 0.75)],
    "ends_cut": [(0.0, 0.05), (0.95, 1.0)],
}
STATS = {"duckdb": {"examples": 0, "dbt_runs": 0}, "postgres": {"examples": 0, "dbt_runs": 0}}


def without_gaps(trades: pa.Table) -> pa.Table:
    """The simulated trades plus one trade in every empty minute (at the last price), ids renumbered."""
    frame = trades.to_pandas().sort_values("trade_id")
    minutes = frame["trade_time"].dt.floor("min")
    day = minutes.iloc[0].normalize()
    grid = pd.date_range(day, periods=1440, freq="min")
    empty = grid[~grid.isin(minutes)]
    fillers = pd.DataFrame({"trade_time": empty + pd.Timedelta(seconds=30)})
    frame = pd.concat([frame, fillers], ignore_index=True).sort_values("trade_time", kind="stable")
    frame[["price", "is_buyer_maker", "is_best_match"]] = frame[["price", "is_buyer_maker", "is_best_match"]].bfill()
    frame[["price", "is_buyer_maker", "is_best_match"]] = frame[["price", "is_buyer_maker", "is_best_match"]].ffill()
    frame["qty"] = frame["qty"].fillna(0.001)
    frame["quote_qty"] = frame["quote_qty"].fillna(frame["price"] * 0.001)
    frame["trade_id"] = trades.column("trade_id")[0].as_py() + np.arange(len(frame))
    return pa.Table.from_pandas(frame, schema=trades.schema, preserve_index=False)


def trades_version(trades: pa.Table, version: str) -> pa.Table:
    trades = without_gaps(trades)
    n, keep = trades.num_rows, [True] * trades.num_rows
    for start, end in CUTS[version]:
        for i in range(int(n * start), int(n * end)):
            keep[i] = False
    return trades.filter(pa.array(keep))


@pytest.fixture(scope="module")
def days():
    return {
        (day, symbol): simulate_day(symbol, day, seed=13, trades_per_day=1_500) for day in DAYS for symbol in SYMBOLS
    }


class InProcessDbt:
    """dbt in this process, with the deployment's profile environment and a manifest parsed once."""

    def __init__(self, env: dict[str, str], target_path: str) -> None:
        from dbt.cli.main import dbtRunner

        self.env = env
        self.common = ["--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                       "--target-path", target_path, "--quiet"]
        with mock.patch.dict(os.environ, env):  # the profile's settings, for this call only
            parsed = dbtRunner().invoke(["parse", *self.common])
        assert parsed.success, parsed.exception
        self.runner = dbtRunner(manifest=parsed.result)
        self.runs = 0

    def __call__(self, *args: str) -> None:
        with mock.patch.dict(os.environ, self.env):
            result = self.runner.invoke([*args, *self.common])
        self.runs += 1
        assert result.success, f"dbt {' '.join(args)} failed: {result.exception or result.result}"


@pytest.fixture(scope="module", params=["duckdb", "postgres"])
def engine(request, tmp_path_factory, days):
    root = tmp_path_factory.mktemp(f"prop-{request.param}")
    postgres_url = request.getfixturevalue("module_postgres_url") if request.param == "postgres" else None
    config = make_settings(root, root / "mirror", postgres_url=postgres_url)
    resource = resources_for(config)["warehouse"]
    warehouse = resource.get()
    for (day, symbol), simulated in days.items():  # klines and aggTrades of every day, as published
        warehouse.replace_partition("spot_klines_1m", symbol, day, simulated.klines, LoadRecord())
        warehouse.replace_partition("spot_agg_trades", symbol, day, simulated.agg_trades, LoadRecord())
        # History with gaps, built in full: a later gap-free version must make the gaps disappear.
        warehouse.replace_partition("spot_trades", symbol, day, trades_version(simulated.trades, "more_gaps"),
                                    LoadRecord())
    dbt = InProcessDbt(resource.dbt_env(), str(root / "target"))
    dbt("run", "--full-refresh")
    return request.param, dbt, warehouse


def snapshot(warehouse) -> dict[str, pd.DataFrame]:
    return {
        mart: warehouse.query(f"select * from marts.{mart}").sort_values(keys).reset_index(drop=True)
        for mart, keys in MARTS.items()
    }


def window_of(day_index: int, symbol_index: int, shape: str) -> dict:
    """The partition itself, a day range around it (one symbol), or the day for every symbol."""
    if shape == "partition":
        parts = [(DAYS[day_index], SYMBOLS[symbol_index])]
    elif shape == "day_range":
        around = DAYS[max(day_index - 1, 0): day_index + 2]
        parts = [(day, SYMBOLS[symbol_index]) for day in around]
    else:
        parts = [(DAYS[day_index], symbol) for symbol in SYMBOLS]
    return pairs_window_vars(parts)


steps = st.lists(
    st.tuples(
        st.integers(0, len(DAYS) - 1),
        st.integers(0, len(SYMBOLS) - 1),
        st.sampled_from(sorted(CUTS)),
        st.sampled_from(["partition", "day_range", "all_symbols"]),
    ),
    min_size=2,
    max_size=4,
)


@settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(sequence=steps)
def test_incremental_runs_equal_a_full_refresh(engine, days, sequence):
    name, dbt, warehouse = engine
    for day_index, symbol_index, version, shape in sequence:
        day, symbol = DAYS[day_index], SYMBOLS[symbol_index]
        trades = trades_version(days[(day, symbol)].trades, version)
        warehouse.replace_partition("spot_trades", symbol, day, trades, LoadRecord())
        dbt("run", "--vars", json.dumps(window_of(day_index, symbol_index, shape)))
    incremental = snapshot(warehouse)
    dbt("run", "--full-refresh")
    full = snapshot(warehouse)
    STATS[name]["examples"] += 1
    STATS[name]["dbt_runs"] += len(sequence) + 1
    for mart in MARTS:
        assert len(full[mart]) > 0, mart
        pd.testing.assert_frame_equal(incremental[mart], full[mart], check_dtype=False, rtol=1e-12, obj=mart)


@pytest.fixture(scope="module", autouse=True)
def report():
    started = time.perf_counter()
    yield
    print(f"\nincremental_equals_full_refresh: {json.dumps(STATS)} in {time.perf_counter() - started:.0f} s")

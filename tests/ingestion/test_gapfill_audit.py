"""REST gap-fill goes through write-audit-publish (issue 19 item 5): REST rows with a duplicate id or a
time outside the day are refused by the same blocking checks as an archive, with an error that names
them, and nothing of them becomes visible (the partition, its load_log and the REST copy stay as they
were). A clean retry publishes a new load_log version with source `rest`.

The bad rows come from the project's REST simulator (`inject("duplicate_row" | "previous_day_row")`),
on both engines."""

from __future__ import annotations

from datetime import date, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from support.engines import ENGINES, empty_warehouse

from binance_assets.binance.rest_client import BinanceRestClient
from binance_assets.binance.rest_sim_market import SimMarket
from binance_assets.binance.rest_simulator import RestSimulator
from binance_assets.binance.rest_tables import RestFetcher
from binance_assets.binance.simulator import simulate_day
from binance_assets.ingestion.gapfill_load import copy_table, gapfill_partition, load_source
from binance_assets.warehouse import RAW_TABLES, LoadRecord

SYMBOL = "BTCUSDT"
DAY = date(2025, 1, 2)
TRADES = 1500  # two historicalTrades pages
ARCHIVE = LoadRecord(source_url="https://data.binance.vision/x.zip", sha256="ab" * 32)


@pytest.fixture(scope="module")
def sim():
    with RestSimulator(SimMarket((SYMBOL,), DAY, DAY + timedelta(days=1), trades_per_day=TRADES)) as server:
        yield server


@pytest.fixture(params=ENGINES)
def warehouse(request, tmp_path):
    return empty_warehouse(request, tmp_path)


def copy_rows(warehouse, table) -> int:
    name = copy_table(table)
    if not warehouse.table_exists(name):
        return 0
    return warehouse.read_table_arrow(name, symbols=[SYMBOL], start=DAY, end=DAY).num_rows


def partition_state(warehouse, table) -> tuple[pa.Table, dict]:
    """The published rows and the load_log row of the test's partition, to compare with after a refused fill."""
    return warehouse.read_partition_arrow(table.name, SYMBOL, DAY), warehouse.load_log(table.name, SYMBOL, DAY)


def assert_unchanged(warehouse, table, before: pa.Table, log_before: dict) -> None:
    assert warehouse.read_partition_arrow(table.name, SYMBOL, DAY).equals(before)
    assert warehouse.load_log_history(table.name, DAY, SYMBOL) == [log_before]
    assert copy_rows(warehouse, table) == 0  # the REST copy is kept only for rows that passed
    assert warehouse.staging_tables() == []


def test_rest_rows_with_a_duplicate_id_are_refused_and_the_archive_rows_stay(sim, warehouse):
    table = RAW_TABLES["spot_trades"]
    full = simulate_day(SYMBOL, DAY, trades_per_day=TRADES).trades
    ids = full.column("trade_id")
    first = ids[0].as_py()
    hole = (first + 300, first + 900)  # the archive lacks ids [first + 300, first + 900)
    holey = full.filter(pc.invert(pc.and_(pc.greater_equal(ids, hole[0]), pc.less(ids, hole[1]))))
    warehouse.replace_partition(table.name, SYMBOL, DAY, holey, ARCHIVE)
    before, log_before = partition_state(warehouse, table)

    # The first historicalTrades page (fromId = the hole's first id) answers that id twice.
    sim.inject("duplicate_row", path="/api/v3/historicalTrades")
    fill = gapfill_partition(RestFetcher(BinanceRestClient(sim.base_url)), warehouse, table, DAY, SYMBOL)

    assert_unchanged(warehouse, table, before, log_before)
    assert fill.reason == "id_gaps" and not fill.published
    assert fill.rejection == f"unique_ids: 1 duplicated trade_id values: {hole[0]}"
    assert fill.rows_after == holey.num_rows

    # The same fill without the fault publishes the whole day as the next load_log version, source rest.
    fill = gapfill_partition(RestFetcher(BinanceRestClient(sim.base_url)), warehouse, table, DAY, SYMBOL)
    assert fill.published and fill.rows_after == full.num_rows
    assert warehouse.read_partition_arrow(table.name, SYMBOL, DAY).cast(full.schema).equals(full)
    log = warehouse.load_log(table.name, SYMBOL, DAY)
    assert (log["version"], load_source(log), log["rows"]) == (2, "rest", full.num_rows)
    assert fill.audit.version == 2 and copy_rows(warehouse, table) == full.num_rows


def test_rest_klines_outside_the_day_are_refused_and_the_partition_stays(sim, warehouse):
    table = RAW_TABLES["spot_klines_1m"]
    klines = simulate_day(SYMBOL, DAY, trades_per_day=TRADES).klines
    partial = klines.slice(0, 1000)  # 440 minutes missing: the day is fetched again over REST
    warehouse.replace_partition(table.name, SYMBOL, DAY, partial, ARCHIVE)
    before, log_before = partition_state(warehouse, table)

    # The first klines answer (00:00-11:59) has its middle candle, 06:00, stamped a day early.
    sim.inject("previous_day_row", path="/api/v3/klines")
    fill = gapfill_partition(RestFetcher(BinanceRestClient(sim.base_url)), warehouse, table, DAY, SYMBOL)

    assert_unchanged(warehouse, table, before, log_before)
    assert fill.reason == "missing_minutes" and not fill.published
    assert fill.rejection.startswith("pandera_schema: ")
    assert "open_time inside the partition's UTC day (1 row)" in fill.rejection
    [schema] = [c for c in fill.audit.checks if c.name == "pandera_schema"]
    moved = [case for case in schema.metadata["failure_cases"] if case["column"] == "open_time"]
    six_oclock = klines.column("open_time")[360].as_py()  # the middle candle of 00:00-11:59
    assert [case["failure_case"] for case in moved] == [str(six_oclock - timedelta(days=1))]


def test_every_rest_load_is_a_new_load_log_version(warehouse):
    """A REST load has no archive checksum to tell it is the same file again: each is a version of its own."""
    trades = simulate_day(SYMBOL, DAY, trades_per_day=TRADES).trades
    rest = LoadRecord(source_url=f"rest:http://sim/api/v3/historicalTrades?symbol={SYMBOL}&day={DAY}")
    warehouse.replace_partition("spot_trades", SYMBOL, DAY, trades.slice(0, 500), rest)
    warehouse.replace_partition("spot_trades", SYMBOL, DAY, trades, rest)  # a later fill found more rows
    history = warehouse.load_log_history("spot_trades", DAY, SYMBOL)
    assert [(v["version"], v["rows"], v["superseded_at"] is None) for v in history] == [
        (1, 500, False),
        (2, trades.num_rows, True),
    ]

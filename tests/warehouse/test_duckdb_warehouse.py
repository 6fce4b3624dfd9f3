"""DuckDB specifics: the file and its folder, the cross-process lock, several writer processes."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import filelock
import numpy as np
import pyarrow as pa
import pytest
from warehouse.helpers import DAY, features, hold_foreign_connection, load, replace_many, trades

from binance_assets.binance.schema import TRADES_SCHEMA
from binance_assets.warehouse import DuckDBWarehouse, PartitionWriteError, WarehouseLockTimeout


def test_creates_missing_parent_folder_and_file(duckdb_path):
    assert not duckdb_path.parent.exists()
    warehouse = DuckDBWarehouse(duckdb_path)
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(2), load())
    assert duckdb_path.is_file()
    assert DuckDBWarehouse(duckdb_path).partition_row_count("spot_trades", "BTCUSDT", DAY) == 2


def test_lock_timeout_is_a_clear_error(duckdb_path):
    warehouse = DuckDBWarehouse(duckdb_path, lock_timeout=0.3)
    warehouse.ensure_schema()
    other = filelock.FileLock(warehouse.lock_path)  # another holder (a separate lock object)
    with other:
        started = time.monotonic()
        with pytest.raises(WarehouseLockTimeout, match=r"could not lock the DuckDB warehouse") as info:
            warehouse.read_partition("spot_trades", "BTCUSDT", DAY)
        assert time.monotonic() - started < 5
        assert str(warehouse.lock_path) in str(info.value)
    assert warehouse.partition_row_count("spot_trades", "BTCUSDT", DAY) == 0  # free again


def test_derived_table_writes_and_reads_take_the_same_lock(duckdb_path):
    warehouse = DuckDBWarehouse(duckdb_path, lock_timeout=0.3)
    warehouse.replace_table_partition("features.f", "BTCUSDT", DAY, features(3))
    with filelock.FileLock(warehouse.lock_path):
        with pytest.raises(WarehouseLockTimeout):  # not wrapped in PartitionWriteError
            warehouse.replace_table_partition("features.f", "BTCUSDT", DAY, features(1))
        with pytest.raises(WarehouseLockTimeout):
            warehouse.read_table("features.f")
    assert warehouse.read_table_arrow("features.f").num_rows == 3


def test_lock_is_reentrant_for_callers_that_hold_it(duckdb_path):
    warehouse = DuckDBWarehouse(duckdb_path, lock_timeout=2)
    with warehouse.lock(), DuckDBWarehouse(duckdb_path, lock_timeout=2).lock():  # e.g. around a dbt run
        warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(3), load())
        assert warehouse.partition_row_count("spot_trades", "BTCUSDT", DAY) == 3


def test_waits_for_a_process_that_opened_the_file_without_the_lock(duckdb_path):
    warehouse = DuckDBWarehouse(duckdb_path, lock_timeout=60)
    warehouse.ensure_schema()
    ctx = multiprocessing.get_context("spawn")
    opened = ctx.Event()
    holder = ctx.Process(target=hold_foreign_connection, args=(str(duckdb_path), opened, 1.5))
    holder.start()
    try:
        assert opened.wait(60), "the helper process did not open the file"
        # DuckDB itself refuses while the other process holds the file: we retry until it is free.
        assert warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(4), load()) == 4
    finally:
        holder.join(60)
    assert holder.exitcode == 0
    assert warehouse.partition_row_count("spot_trades", "BTCUSDT", DAY) == 4


def test_gives_up_on_a_foreign_holder_at_the_deadline(duckdb_path):
    DuckDBWarehouse(duckdb_path).ensure_schema()
    ctx = multiprocessing.get_context("spawn")
    opened = ctx.Event()
    holder = ctx.Process(target=hold_foreign_connection, args=(str(duckdb_path), opened, 2))
    holder.start()
    try:
        assert opened.wait(60)
        with pytest.raises(WarehouseLockTimeout, match="does not use"):
            DuckDBWarehouse(duckdb_path, lock_timeout=0.5).partition_row_count("spot_trades", "BTCUSDT", DAY)
    finally:
        holder.join(60)


@pytest.mark.parametrize("processes", [2, 4])
def test_concurrent_writer_processes_are_serialised(duckdb_path, processes):
    DuckDBWarehouse(duckdb_path).ensure_schema()
    days = ["2025-01-01", "2025-01-02", "2025-01-03"]
    repeats = 6
    symbols = [f"SYM{i}USDT" for i in range(processes)]
    with ProcessPoolExecutor(max_workers=processes, mp_context=multiprocessing.get_context("spawn")) as pool:
        futures = [pool.submit(replace_many, str(duckdb_path), symbol, days, repeats) for symbol in symbols]
        results = [f.result(timeout=300) for f in futures]

    for counts in results:
        # Every replace returned its row count and the read right after it saw exactly that copy.
        assert counts[0::2] == counts[1::2]
        assert len(counts) == 2 * repeats * len(days)
    warehouse = DuckDBWarehouse(duckdb_path)
    for symbol in symbols:
        for k, day in enumerate(days):
            assert warehouse.partition_row_count("spot_trades", symbol, day) == 10 + k
            log = warehouse.load_log("spot_trades", symbol, day)
            assert log["rows"] == 10 + k and log["sha256"] == f"{repeats - 1:064d}"
    totals = warehouse.query("SELECT count(*) AS n FROM raw.spot_trades")
    assert int(totals["n"][0]) == processes * sum(10 + k for k in range(len(days)))
    current = warehouse.query("SELECT count(*) AS n FROM raw.load_log WHERE superseded_at IS NULL")
    assert int(current["n"][0]) == processes * len(days)  # earlier versions (other sha256s) are kept


def _many_trades(n: int) -> pa.Table:
    """`n` spot trades of DAY in id order, built with numpy (the helper's lists are for small tables)."""
    ids = np.arange(5_000_000, 5_000_000 + n, dtype=np.int64)
    micros = dt.datetime(DAY.year, DAY.month, DAY.day).timestamp() * 1_000_000 + np.arange(n) * (86_400_000_000 // n)
    return pa.table(
        {
            "trade_id": ids,
            "price": 95_000 + (ids % 1_000) / 100,
            "qty": (ids % 97 + 1) / 1_000,
            "quote_qty": (95_000 + (ids % 1_000) / 100) * (ids % 97 + 1) / 1_000,
            "trade_time": pa.array(micros.astype(np.int64), pa.int64()).cast(pa.timestamp("us")),
            "is_buyer_maker": ids % 2 == 0,
            "is_best_match": np.ones(n, dtype=bool),
        },
        schema=TRADES_SCHEMA,
    )


def test_a_partition_bigger_than_the_insert_memory_cap_loads_whole_and_the_settings_do_not_leak(duckdb_path):
    """The raw insert runs with DuckDB's buffer pool capped at 64 MB and rows in any order: 1.5 M trades (~60 MB
    in Arrow, more in DuckDB's vectors) still load whole, read back in id order equal to what was given, and
    the connection's settings are as before once the publish is done, or failed (the held connection serves
    later statements too)."""
    warehouse = DuckDBWarehouse(duckdb_path)
    data = _many_trades(1_500_000)
    with warehouse.hold(), warehouse.connect() as con:
        before = con.execute(SETTINGS_SQL).fetchone()
        warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, data, load())
        assert con.execute(SETTINGS_SQL).fetchone() == before
        # An insert that DuckDB refuses (a NULL into a NOT NULL column) is rolled back; the settings too.
        con.execute("CREATE SCHEMA ml; CREATE TABLE ml.scores (symbol VARCHAR NOT NULL, "
                    "trade_date DATE NOT NULL, score DOUBLE NOT NULL)")  # fmt: skip
        scores = pa.table({"symbol": ["BTCUSDT"] * 2, "trade_date": [DAY] * 2, "score": [1.0, None]})
        with pytest.raises(PartitionWriteError, match="rolled back"):
            warehouse.replace_table_partition("ml.scores", "BTCUSDT", DAY, scores)
        assert con.execute(SETTINGS_SQL).fetchone() == before
    assert before[0] is True  # DuckDB's default, back for the statements that follow
    stored = warehouse.read_partition_arrow("spot_trades", "BTCUSDT", DAY)
    assert stored.num_rows == data.num_rows
    assert stored.column_names == data.column_names
    for name in data.column_names:  # values in id order (the schemas differ only in nullability)
        assert stored.column(name).equals(data.column(name)), name


SETTINGS_SQL = (
    "SELECT current_setting('preserve_insertion_order'), current_setting('memory_limit'), current_setting('threads')"
)

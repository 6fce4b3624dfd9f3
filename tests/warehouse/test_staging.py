"""Write-audit-publish in the warehouse: staged rows are invisible until `publish()` (both engines)."""

from __future__ import annotations

import contextlib
import datetime as dt

import pyarrow as pa
import pytest
from warehouse.helpers import DAY, load, opened_by_a_new_process, trades

from binance_assets.warehouse import PartitionDataError
from binance_assets.warehouse.staging import staging_prefix
from binance_assets.warehouse.tables import (
    LOAD_LOG_SCHEMA,
    SPOT_TRADES,
    STAGING_SCHEMA,
    column_definitions,
    create_table_sql,
)


def published(warehouse):
    return (
        warehouse.read_partition_arrow("spot_trades", "BTCUSDT", DAY),
        warehouse.load_log_history("spot_trades", DAY, "BTCUSDT"),
    )


def test_staged_rows_are_invisible_until_published(warehouse):
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(4, start_id=1), load(sha="aa" * 32))
    before = published(warehouse)
    new = trades(6, start_id=50)
    with warehouse.stage_partition("spot_trades", "BTCUSDT", DAY, new, load(sha="bb" * 32)) as staged:
        staged_rows = staged.read_arrow()
        assert staged_rows.drop_columns(["symbol", "trade_date"]).to_pylist() == new.to_pylist()
        assert staged_rows.column("symbol").unique().to_pylist() == ["BTCUSDT"]
        assert staged.read_column("trade_id").tolist() == list(range(50, 56))
        assert published(warehouse) == before  # readers still see the old copy
        assert warehouse.staging_tables() == [staged.staging_table]
        assert staged.publish() == 6
    rows, history = published(warehouse)
    assert rows.to_pylist() == new.to_pylist()
    assert [(v["version"], v["sha256"]) for v in history] == [(1, "aa" * 32), (2, "bb" * 32)]
    assert warehouse.staging_tables() == []


@pytest.mark.parametrize("how", ["not published", "raised"])
def test_a_stage_left_unpublished_changes_nothing(warehouse, how):
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(4), load(sha="aa" * 32))
    before = published(warehouse)
    expectation = pytest.raises(RuntimeError) if how == "raised" else contextlib.nullcontext()
    stage = warehouse.stage_partition("spot_trades", "BTCUSDT", DAY, trades(2, start_id=9), load(sha="cc" * 32))
    with expectation, stage:
        if how == "raised":
            raise RuntimeError("an audit crashed")
    assert published(warehouse) == before
    assert warehouse.staging_tables() == []


def test_bad_columns_are_refused_before_anything_is_staged(warehouse):
    bad = trades(2).drop_columns(["qty"])
    with (
        pytest.raises(PartitionDataError, match="canonical columns"),
        warehouse.stage_partition("spot_trades", "BTCUSDT", DAY, bad, load()),
    ):
        pass
    assert warehouse.staging_tables() == []


def test_a_stale_stage_of_a_killed_load_is_dropped_by_the_next_one(warehouse):
    stale = f"{STAGING_SCHEMA}.{staging_prefix(SPOT_TRADES, 'BTCUSDT', DAY)}deadbeef0000"
    other = f"{STAGING_SCHEMA}.{staging_prefix(SPOT_TRADES, 'ETHUSDT', DAY)}deadbeef0000"
    with warehouse.connect() as con:
        for name in (stale, other):
            warehouse._execute(con, create_table_sql(name, SPOT_TRADES.arrow_schema), None)
    with warehouse.stage_partition("spot_trades", "BTCUSDT", DAY, trades(3), load()) as staged:
        staged.publish()
    assert warehouse.staging_tables() == [other]  # another partition's stage is not this load's to drop
    assert warehouse.partition_row_count("spot_trades", "BTCUSDT", DAY) == 3


def test_a_load_log_of_the_layout_before_versions_is_migrated(warehouse):
    old_columns = [f for f in LOAD_LOG_SCHEMA if f.name not in ("version", "superseded_at")]
    names = ", ".join(f.name for f in old_columns)
    with warehouse.connect() as con:
        warehouse._execute(con, "DROP TABLE raw.load_log", None)
        columns = ", ".join(column_definitions(pa.schema(old_columns)))
        warehouse._execute(
            con, f"CREATE TABLE raw.load_log ({columns}, PRIMARY KEY (table_name, symbol, trade_date))", None
        )
        warehouse._execute(
            con,
            f"INSERT INTO raw.load_log ({names}) VALUES (?, ?, ?, 4, 1, 4, NULL, NULL, 'u', ?, ?)",
            ["spot_trades", "BTCUSDT", DAY, "aa" * 32, dt.datetime(2025, 1, 2, 6)],
        )
    warehouse = opened_by_a_new_process(warehouse)
    warehouse.ensure_schema()
    warehouse.ensure_schema()  # idempotent
    [row] = warehouse.load_log_history("spot_trades", DAY, "BTCUSDT")
    assert (row["version"], row["sha256"], row["rows"], row["superseded_at"]) == (1, "aa" * 32, 4, None)
    warehouse.replace_partition("spot_trades", "BTCUSDT", DAY, trades(2), load(sha="bb" * 32))
    assert [v["version"] for v in warehouse.load_log_history("spot_trades", DAY, "BTCUSDT")] == [1, 2]

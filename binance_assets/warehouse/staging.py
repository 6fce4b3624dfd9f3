"""Write, audit, publish for raw partitions: stage the rows, let the caller check them, then swap.

    with warehouse.stage_partition("spot_trades", "BTCUSDT", day, data, LoadRecord(url, sha256)) as staged:
        frame = staged.read()            # the staged rows, as the database holds them
        if checks_pass(frame):
            staged.publish()             # ONE transaction: delete old rows, insert staged, load_log, drop stage

* Staging: a fresh table `raw_staging.<table>__<symbol>__<yyyymmdd>__<token>`, written in its own
  transaction. The published table is not touched, so nothing a reader sees depends on the audit.
* While staged, the partition is held by a stage lock (PostgreSQL: a session advisory lock on a
  connection of its own; DuckDB: a file lock beside the warehouse), so another load of the same
  partition waits. A process killed at any point releases it (the OS drops the file lock, the
  server the session's locks).
* Any staging table of the partition found when the lock is taken is left over from a killed load
  and is dropped. Leaving the block without `publish()` drops the stage; the published partition
  and its load_log never change unless `publish()` commits.
* `pause_point(name)` is a crash-test hook: with `BINANCE_ASSETS_PAUSE_AT=<name>:<marker path>`
  the process writes the marker and sleeps at that point (`parsed`, `staged`, `swap` inside the
  publish transaction before COMMIT, `committed` after it), so a test can SIGKILL it there.
"""

from __future__ import annotations

import datetime as dt
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from binance_assets.warehouse.conform import DayRef, check_symbol, conform_data, parse_day
from binance_assets.warehouse.errors import WarehouseError
from binance_assets.warehouse.load_log import LoadRecord, PartitionStats, check_load_record, compute_stats, load_log_row
from binance_assets.warehouse.tables import (
    STAGING_SCHEMA,
    RawTable,
    create_table_sql,
    get_raw_table,
    quote_ident,
)

PAUSE_ENV = "BINANCE_ASSETS_PAUSE_AT"
PAUSE_POINTS = ("parsed", "audited", "staged", "swap", "committed")


def pause_point(name: str) -> None:
    """Crash-test hook: block here (after writing the marker file) if `BINANCE_ASSETS_PAUSE_AT`
    is `<name>:<marker path>`; a no-op otherwise."""
    spec = os.environ.get(PAUSE_ENV)
    if not spec:
        return
    point, _, marker = spec.partition(":")
    if point != name:
        return
    Path(marker).write_text(str(os.getpid()))
    time.sleep(3600)


def staging_prefix(table: RawTable, symbol: str, day: dt.date) -> str:
    return f"{table.name}__{symbol.lower()}__{day:%Y%m%d}__"


class StagedPartition:
    """Rows of one partition written to a staging table, not yet visible in the published table."""

    def __init__(
        self,
        warehouse: Any,
        table: RawTable,
        symbol: str,
        day: dt.date,
        staging_table: str,
        stats: PartitionStats,
        load: LoadRecord,
    ) -> None:
        self.warehouse = warehouse
        self.table = table
        self.symbol = symbol
        self.day = day
        self.staging_table = staging_table
        self.stats = stats
        self.load = load
        self.published = False

    @property
    def rows(self) -> int:
        return self.stats.rows

    def read_arrow(self) -> pa.Table:
        """The staged rows with the partition columns, ordered like `read_partition`."""
        schema = self.table.arrow_schema
        return self.warehouse._read_rows(self.staging_table, schema, [], self.table.order_by).cast(schema)

    def read(self) -> pd.DataFrame:
        return self.read_arrow().to_pandas()

    def read_column(self, column: str) -> pd.Series:
        """One column of the staged rows (e.g. the ids, for the id checks)."""
        field = self.table.arrow_schema.field(column)
        return (
            self.warehouse._read_rows(self.staging_table, pa.schema([field]), [], [])
            .cast(pa.schema([field]))
            .column(column)
            .to_pandas()
        )

    def publish(self) -> int:
        """Swap the staged rows in: delete the published partition, insert the staged rows, write
        the load_log version and drop the stage, in ONE transaction. Returns the rows published."""
        if self.published:
            raise WarehouseError(f"{self.staging_table} was already published")
        wh, table = self.warehouse, self.table
        columns = ", ".join(quote_ident(c) for c in table.column_names)
        with wh._replacing(table.qualified_name, self.symbol, self.day) as con:
            wh._execute(
                con,
                f"DELETE FROM {table.qualified_name} WHERE symbol = ? AND trade_date = ?",
                [self.symbol, self.day],
            )
            wh._execute(
                con, f"INSERT INTO {table.qualified_name} ({columns}) SELECT {columns} FROM {self.staging_table}", None
            )
            wh._write_load_log(con, load_log_row(table, self.symbol, self.day, self.stats, self.load))
            wh._execute(con, f"DROP TABLE {self.staging_table}", None)
            pause_point("swap")
        self.published = True
        pause_point("committed")
        return self.stats.rows


class StagingMixin:
    """The write-audit-publish half of `Warehouse`."""

    def _stage_lock(self, key: str) -> AbstractContextManager[Any]:
        """Hold partition `key` from staging to publishing (across transactions); per engine."""
        raise NotImplementedError

    @contextmanager
    def stage_partition(
        self, table: Any, symbol: str, day: DayRef, data: pa.Table, load: LoadRecord
    ) -> Iterator[StagedPartition]:
        """Stage `data` as the next copy of partition (symbol, day) of raw `table`; see the module
        docstring. Bad columns or a LoadRecord that does not match raise `PartitionDataError`
        before anything is written."""
        raw = get_raw_table(table)
        symbol = check_symbol(symbol)
        day = parse_day(day)
        data = conform_data(raw, data)
        stats = compute_stats(raw, data)
        check_load_record(raw, load, stats)
        self._ensure_schema_once()
        with self._stage_lock(f"{raw.qualified_name}/{symbol}/{day.isoformat()}"):
            self.drop_staging(raw, symbol, day)  # left over by a load that was killed
            name = f"{STAGING_SCHEMA}.{staging_prefix(raw, symbol, day)}{uuid.uuid4().hex[:12]}"
            staged = StagedPartition(self, raw, symbol, day, name, stats, load)
            try:
                with self._replacing(name, symbol, day) as con:
                    self._execute(con, create_table_sql(name, raw.arrow_schema), None)
                    self._insert_rows(con, name, symbol, day, data)
                pause_point("staged")
                yield staged
            finally:
                if not staged.published:
                    self._drop_quietly(name)

    def staging_tables(self, table: Any = None, symbol: str | None = None, day: DayRef | None = None) -> list[str]:
        """Qualified names of the staging tables (of one partition if all of table, symbol, day are given)."""
        prefix = ""
        if table is not None and symbol is not None and day is not None:
            prefix = staging_prefix(get_raw_table(table), check_symbol(symbol), parse_day(day))
        result = self._query_arrow(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = ? AND starts_with(table_name, ?) "
            "ORDER BY table_name",
            [STAGING_SCHEMA, prefix],
        )
        return [f"{STAGING_SCHEMA}.{name}" for name in result.column("table_name").to_pylist()] if len(result) else []

    def drop_staging(self, table: Any, symbol: str, day: DayRef) -> list[str]:
        """Drop the partition's staging tables (call only while holding its stage lock)."""
        names = self.staging_tables(table, symbol, day)
        for name in names:
            self._drop_quietly(name)
        return names

    def _drop_quietly(self, name: str) -> None:
        try:
            with self.connect() as con:
                self._execute(con, f"DROP TABLE IF EXISTS {name}", None)
        except Exception:  # nosec B110 # best effort: the next load of the partition drops it
            pass


__all__ = ["PAUSE_ENV", "PAUSE_POINTS", "StagedPartition", "StagingMixin", "pause_point", "staging_prefix"]

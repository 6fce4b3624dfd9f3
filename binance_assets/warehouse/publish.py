"""Publishing a raw partition's audited rows: ONE transaction, straight from the Arrow table.

    published = warehouse.publish_partition("spot_trades", "BTCUSDT", day, data, LoadRecord(url, sha256))

The rows are checked before this is called, where they already are (the loads audit the Arrow table,
`ingestion/load.py`); nothing of them is written before that. Publishing is then one transaction under the
partition's lock: delete the partition's old rows, insert the new ones from Arrow (DuckDB scans the table in
place; PostgreSQL gets a binary COPY), write the `raw.load_log` version and bump `raw.publish_log`. Readers
see the old copy until COMMIT and the whole new one after it; a failure rolls everything back
(`PartitionWriteError`) and a process killed at any point leaves the old copy (pause points `swap`, inside
the transaction before COMMIT, and `committed`, after it: `staging.pause_point`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from binance_assets.warehouse.conform import DayRef, check_symbol, conform_data, parse_day
from binance_assets.warehouse.errors import PartitionDataError
from binance_assets.warehouse.load_log import LoadRecord, PartitionStats, check_load_record, compute_stats, load_log_row
from binance_assets.warehouse.staging import pause_point
from binance_assets.warehouse.tables import get_raw_table


@dataclass(frozen=True)
class PublishedPartition:
    stats: PartitionStats
    version: int  # the raw.load_log version now current


class PublishMixin:
    """The publish half of `Warehouse` (uses its `_replacing`, `_replace_day_rows`, `_write_load_logs`)."""

    def publish_partition(
        self, table: Any, symbol: str, day: DayRef, data: pa.Table | pd.DataFrame, load: LoadRecord
    ) -> PublishedPartition:
        """Replace partition (symbol, day) of raw `table` with `data` in one transaction (see the module
        docstring). Bad columns or a LoadRecord that does not match raise `PartitionDataError` before
        anything is written."""
        (published,) = self.publish_partitions(table, day, [(symbol, data, load)])
        return published

    def publish_partitions(
        self, table: Any, day: DayRef, parts: Sequence[tuple[str, pa.Table | pd.DataFrame, LoadRecord]]
    ) -> list[PublishedPartition]:
        """Replace the partitions (symbol, day) of raw `table` of several symbols, each with its `data`, in ONE
        transaction (a day's many small files: a few statements for all of them instead of a transaction
        each). Each partition is replaced whole, exactly as by `publish_partition`; a failure rolls back all."""
        raw = get_raw_table(table)
        day = parse_day(day)
        symbols = [check_symbol(symbol) for symbol, _, _ in parts]
        if len(set(symbols)) != len(symbols):
            raise PartitionDataError(f"publish_partitions: a symbol appears twice in {symbols}")
        if not parts:
            return []
        conformed = [conform_data(raw, data) for _, data, _ in parts]
        stats = [compute_stats(raw, data) for data in conformed]
        for (_, _, load), partition_stats in zip(parts, stats, strict=True):
            check_load_record(raw, load, partition_stats)
        wh: Any = self
        with wh._replacing(raw.qualified_name, symbols[0], day) as con:
            wh._replace_day_rows(con, raw.qualified_name, day, symbols, conformed)
            rows = [
                load_log_row(raw, symbol, day, partition_stats, load)
                for (symbol, _, load), partition_stats in zip(parts, stats, strict=True)
            ]
            versions = wh._write_load_logs(con, rows)
            pause_point("swap")
        pause_point("committed")
        return [PublishedPartition(s, v) for s, v in zip(stats, versions, strict=True)]


__all__ = ["PublishMixin", "PublishedPartition"]

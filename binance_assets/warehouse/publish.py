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

from dataclasses import dataclass
from typing import Any

import pandas as pd
import pyarrow as pa

from binance_assets.warehouse.conform import DayRef, check_symbol, conform_data, parse_day
from binance_assets.warehouse.load_log import LoadRecord, PartitionStats, check_load_record, compute_stats, load_log_row
from binance_assets.warehouse.staging import pause_point
from binance_assets.warehouse.tables import get_raw_table


@dataclass(frozen=True)
class PublishedPartition:
    stats: PartitionStats
    version: int  # the raw.load_log version now current


class PublishMixin:
    """The publish half of `Warehouse` (uses its `_replacing`, `_execute`, `_insert_rows`, `_write_load_log`)."""

    def publish_partition(
        self, table: Any, symbol: str, day: DayRef, data: pa.Table | pd.DataFrame, load: LoadRecord
    ) -> PublishedPartition:
        """Replace partition (symbol, day) of raw `table` with `data` in one transaction (see the module
        docstring). Bad columns or a LoadRecord that does not match raise `PartitionDataError` before
        anything is written."""
        raw = get_raw_table(table)
        symbol = check_symbol(symbol)
        day = parse_day(day)
        data = conform_data(raw, data)
        stats = compute_stats(raw, data)
        check_load_record(raw, load, stats)
        with self._replacing(raw.qualified_name, symbol, day) as con:  # type: ignore[attr-defined]
            self._execute(  # type: ignore[attr-defined]
                con, f"DELETE FROM {raw.qualified_name} WHERE symbol = ? AND trade_date = ?", [symbol, day]
            )
            self._insert_rows(con, raw.qualified_name, symbol, day, data)  # type: ignore[attr-defined]
            version = self._write_load_log(con, load_log_row(raw, symbol, day, stats, load))  # type: ignore[attr-defined]
            pause_point("swap")
        pause_point("committed")
        return PublishedPartition(stats, version)


__all__ = ["PublishMixin", "PublishedPartition"]

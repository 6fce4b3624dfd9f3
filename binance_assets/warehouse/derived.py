"""Derived tables (features, predictions): the half of `Warehouse` that writes and reads
`<schema>.<table>` tables other than the raw ones. See `base.py`'s docstring for the contract.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import pyarrow as pa

from binance_assets.warehouse.conform import (
    DayRef,
    check_symbol,
    conform_table_data,
    fit_table_columns,
    parse_day,
)
from binance_assets.warehouse.errors import PartitionDataError, TableNotFoundError
from binance_assets.warehouse.tables import (
    PARTITION_COLUMNS,
    PARTITION_SCHEMA,
    RAW_SCHEMA,
    WRITABLE_SQL_TYPES,
    Filter,
    check_table_name,
    read_type,
)

# read_table's default order after (symbol, trade_date): the first of these columns the table has.
TIME_COLUMNS = ("minute", "open_time")


class DerivedTablesMixin:
    """Uses the `Warehouse`'s `_replacing`, `_table_columns`, `_create_table`, `_replace_day_rows`, `_read_rows`."""

    def replace_table_partition(
        self, table: str, symbol: str, day: DayRef, data: pa.Table | pa.RecordBatch | pd.DataFrame
    ) -> int:
        """Atomically replace partition (symbol, day) of derived table `table` (`schema.name`) with
        `data`, creating the table on first write; returns rows written. See the module docstring."""
        return self.replace_table_partitions(table, day, [(symbol, data)])

    def replace_table_partitions(
        self, table: str, day: DayRef, parts: Sequence[tuple[str, pa.Table | pa.RecordBatch | pd.DataFrame]]
    ) -> int:
        """Replace the partitions (symbol, day) of derived table `table` of several symbols, each with its
        data, in ONE transaction (a day of many symbols: a few statements in all instead of a transaction
        each); each partition is replaced whole, as by `replace_table_partition`, and a failure rolls back
        all. Returns the rows written."""
        table = check_table_name(table)
        if table.split(".")[0] == RAW_SCHEMA:
            raise ValueError(f"{table}: schema {RAW_SCHEMA!r} holds the raw tables, written by replace_partition")
        day = parse_day(day)
        symbols = [check_symbol(symbol) for symbol, _ in parts]
        if len(set(symbols)) != len(symbols):
            raise PartitionDataError(f"replace_table_partitions: a symbol appears twice in {symbols}")
        if not parts:
            return 0
        conformed = [conform_table_data(table, symbol, day, data)
                     for symbol, (_, data) in zip(symbols, parts, strict=True)]
        with self._replacing(table, symbols[0], day) as con:
            existing = self._table_columns(table, con)
            if existing is None:
                schema = conformed[0].schema
                unsupported = [f"{f.name}: {f.type}" for f in schema if f.type not in WRITABLE_SQL_TYPES.values()]
                if unsupported:
                    raise PartitionDataError(
                        f"cannot create {table}: unsupported column types {unsupported} (use string, date32, "
                        "timestamp[us], float64, int64 or bool)"
                    )
                self._create_table(con, table, pa.schema([*PARTITION_SCHEMA, *(f.with_nullable(True) for f in schema)]))
                existing = self._table_columns(table, con) or []
            fitted = [fit_table_columns(table, existing, data) for data in conformed]
            self._replace_day_rows(con, table, day, symbols, fitted)
        return sum(data.num_rows for data in fitted)

    def table_exists(self, table: str) -> bool:
        """Whether table (or view) `schema.name` exists."""
        return self._table_columns(check_table_name(table)) is not None

    def read_table_arrow(
        self,
        table: str,
        *,
        symbols: Sequence[str] | None = None,
        start: DayRef | None = None,
        end: DayRef | None = None,
        order_by: Sequence[str] | None = None,
    ) -> pa.Table:
        """Rows of `table` (all columns) of `symbols` with trade_date in [start, end] (each bound
        optional), ordered by symbol, trade_date, then `order_by` (default: `minute`/`open_time`)."""
        table = check_table_name(table)
        existing = self._table_columns(table)
        if existing is None:
            raise TableNotFoundError(f"table {table} does not exist")
        schema = pa.schema([(name, read_type(data_type)) for name, data_type in existing])
        filters: list[Filter] = []
        if symbols is not None:
            symbols = [check_symbol(s) for s in ([symbols] if isinstance(symbols, str) else symbols)]
            if not symbols:
                return schema.empty_table()
            filters.append(("symbol", "in", symbols))
        if start is not None:
            filters.append(("trade_date", ">=", parse_day(start)))
        if end is not None:
            filters.append(("trade_date", "<=", parse_day(end)))
        if order_by is None:
            order_by = [c for c in TIME_COLUMNS if c in schema.names][:1]
        order = [*(c for c in PARTITION_COLUMNS if c in schema.names), *order_by]
        unknown = [c for c in [*order, *(f[0] for f in filters)] if c not in schema.names]
        if unknown:
            raise ValueError(f"{table} has no column(s) {sorted(set(unknown))}")
        return self._read_rows(table, schema, filters, order).cast(schema)

    def read_table(
        self,
        table: str,
        *,
        symbols: Sequence[str] | None = None,
        start: DayRef | None = None,
        end: DayRef | None = None,
        order_by: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """`read_table_arrow` as pandas (dates as `datetime.date`, timestamps datetime64[us])."""
        return self.read_table_arrow(table, symbols=symbols, start=start, end=end, order_by=order_by).to_pandas()


__all__ = ["TIME_COLUMNS", "DerivedTablesMixin"]

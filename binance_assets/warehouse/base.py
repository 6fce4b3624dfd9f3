"""The engine-independent part of the warehouse: the `Warehouse` interface, `LoadRecord`, errors.

Contract shared by every engine (DuckDB, PostgreSQL):

* A raw partition is (table, symbol, trade_date). `replace_partition` deletes it, inserts the new
  rows and upserts its `raw.load_log` row in ONE transaction. On any failure the transaction is
  rolled back and the previous copy of the partition and its load_log row stay exactly as they were;
  the failure is raised as `PartitionWriteError` (the engine's own exception is its `__cause__`).
* `data` holds the canonical columns of the table's archive kind (`binance_assets.binance.schema`),
  by name, without `symbol`/`trade_date` (the warehouse adds them). Columns are reordered by name
  and cast safely to the canonical types (e.g. `timestamp[ms]` -> `timestamp[us]`, tz-aware UTC ->
  naive); missing, extra or uncastable columns raise `PartitionDataError` before anything is
  written. NULLs are checked by the database (NOT NULL constraints), i.e. inside the transaction.
* The load_log row's `rows`, `first_id`, `last_id`, `first_time`, `last_time` are always computed
  from the data written (min/max of the id column, min/max of the time column; ids are NULL for
  klines), so they describe what is really in the table. A `LoadRecord` only has to carry where the
  data came from (`source_url`, `sha256`); if it also carries any of the computed fields they must
  agree with the data, or `PartitionDataError` is raised (a cheap guard against loading the wrong
  file). `loaded_at` is the UTC time of the load.
* `query(sql, params)` takes `?` positional placeholders on every engine (DuckDB's native style;
  translated to `$1, $2, ...` for PostgreSQL). Results come back through Arrow, so both engines give
  the same pandas dtypes: BIGINT -> int64 (float64 if it has NULLs), DOUBLE -> float64, TIMESTAMP ->
  datetime64[us], DATE -> `datetime.date` objects, BOOLEAN -> bool (object if it has NULLs),
  VARCHAR -> str, DECIMAL/NUMERIC (e.g. `sum(bigint)`) -> float64.
* Every method creates the schema first if this instance has not done so yet (`ensure_schema` is
  idempotent and may also be called explicitly, e.g. at resource setup).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any, ClassVar

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from binance_assets.binance.schema import ArchiveKind
from binance_assets.warehouse.tables import (
    LOAD_LOG_KEY,
    LOAD_LOG_SCHEMA,
    LOAD_LOG_TABLE,
    PARTITION_COLUMNS,
    RAW_SCHEMA,
    RawTable,
    get_raw_table,
    quote_ident,
)

TableRef = str | ArchiveKind | RawTable
DayRef = dt.date | str


class WarehouseError(Exception):
    """Base class of the warehouse's own errors."""


class PartitionDataError(WarehouseError, ValueError):
    """The data handed to `replace_partition` does not fit the table (columns, types, LoadRecord)."""


class PartitionWriteError(WarehouseError):
    """The replace transaction failed and was rolled back: the previous copy is untouched."""


class WarehouseLockTimeout(WarehouseError, TimeoutError):
    """The DuckDB file lock could not be taken in time (another process kept the warehouse busy)."""


@dataclass(frozen=True)
class LoadRecord:
    """Where a partition's data came from; stored in `raw.load_log` with the partition.

    `source_url` and `sha256` (of the archive file that was loaded) are stored as given. `rows`,
    `first_id`, `last_id`, `first_time`, `last_time` are optional: the warehouse computes them from
    the data; when given they must match what it computes.
    """

    source_url: str | None = None
    sha256: str | None = None
    first_id: int | None = None
    last_id: int | None = None
    first_time: dt.datetime | None = None
    last_time: dt.datetime | None = None
    rows: int | None = None


@dataclass(frozen=True)
class PartitionStats:
    rows: int
    first_id: int | None
    last_id: int | None
    first_time: dt.datetime | None
    last_time: dt.datetime | None


def parse_day(day: DayRef) -> dt.date:
    """A partition day: a `datetime.date` or an ISO `YYYY-MM-DD` string (a Dagster partition key)."""
    if isinstance(day, dt.datetime):
        raise TypeError(f"trade_date must be a date, not a datetime: {day!r}")
    if isinstance(day, dt.date):
        return day
    if isinstance(day, str):
        try:
            return dt.date.fromisoformat(day)
        except ValueError:
            raise ValueError(f"trade_date {day!r} is not a YYYY-MM-DD date") from None
    raise TypeError(f"trade_date must be a date or a YYYY-MM-DD string, not {type(day).__name__}")


def check_symbol(symbol: str) -> str:
    if not isinstance(symbol, str) or not symbol.strip() or symbol != symbol.strip():
        raise ValueError(f"symbol must be a non-empty string without surrounding spaces: {symbol!r}")
    return symbol


def conform_data(table: RawTable, data: pa.Table | pa.RecordBatch | pd.DataFrame) -> pa.Table:
    """`data` with exactly the table's canonical columns, in order, with the canonical types."""
    if isinstance(data, pd.DataFrame):
        data = pa.Table.from_pandas(data, preserve_index=False)
    elif isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    elif not isinstance(data, pa.Table):
        raise PartitionDataError(f"data for {table.qualified_name} must be a pyarrow Table, not {type(data).__name__}")
    where = f"data for {table.qualified_name}"
    names = list(data.column_names)
    if len(set(names)) != len(names):
        raise PartitionDataError(f"{where} has duplicate column names: {names}")
    partition = [c for c in names if c in PARTITION_COLUMNS]
    if partition:
        raise PartitionDataError(
            f"{where} must not contain the partition columns {partition}: they are added from the "
            "symbol and day arguments"
        )
    expected = table.data_schema
    missing = [c for c in expected.names if c not in names]
    extra = [c for c in names if c not in expected.names]
    if missing or extra:
        raise PartitionDataError(f"{where} does not have the canonical columns: missing {missing}, unexpected {extra}")
    columns = []
    for field in expected:
        column = data.column(field.name)
        if column.type != field.type:
            try:
                column = pc.cast(column, field.type, safe=True)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
                raise PartitionDataError(
                    f"{where}: column {field.name!r} has type {column.type}, which cannot be cast "
                    f"safely to {field.type}: {exc}"
                ) from None
        columns.append(column)
    # Arrays keep their nulls: NOT NULL is enforced by the database, inside the transaction.
    return pa.Table.from_arrays(columns, schema=pa.schema([(f.name, f.type) for f in expected]))


def _scalar(value: pa.Scalar) -> Any:
    return value.as_py() if value is not None else None


def compute_stats(table: RawTable, data: pa.Table) -> PartitionStats:
    first_id = last_id = first_time = last_time = None
    if data.num_rows:
        if table.id_column is not None:
            mm = pc.min_max(data.column(table.id_column))
            first_id, last_id = _scalar(mm["min"]), _scalar(mm["max"])
        mm = pc.min_max(data.column(table.time_column))
        first_time, last_time = _scalar(mm["min"]), _scalar(mm["max"])
    return PartitionStats(data.num_rows, first_id, last_id, first_time, last_time)


def _naive_utc(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.astimezone(dt.UTC).replace(tzinfo=None)
    return value


def check_load_record(table: RawTable, load: LoadRecord, stats: PartitionStats) -> None:
    if not isinstance(load, LoadRecord):
        raise PartitionDataError(f"load must be a LoadRecord, not {type(load).__name__}")
    for name in ("rows", "first_id", "last_id", "first_time", "last_time"):
        given = _naive_utc(getattr(load, name))
        if given is not None and given != getattr(stats, name):
            raise PartitionDataError(
                f"LoadRecord.{name}={given!r} does not match the data for {table.qualified_name} "
                f"({getattr(stats, name)!r})"
            )


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas with the same conventions on every engine (decimals become float64)."""
    columns = [pc.cast(col, pa.float64()) if pa.types.is_decimal(col.type) else col for col in table.columns]
    table = pa.Table.from_arrays(columns, names=table.column_names)
    return table.to_pandas()


class Warehouse(ABC):
    """A warehouse holding the raw Binance tables (schema `raw`) and `raw.load_log`."""

    engine: ClassVar[str]

    def __init__(self) -> None:
        self._schema_ready = False

    # --- to implement per engine ---------------------------------------------------------------

    @abstractmethod
    def _create_schema(self) -> None:
        """CREATE SCHEMA/TABLE/INDEX IF NOT EXISTS for every raw table and the load_log."""

    @abstractmethod
    def _replace(self, table: RawTable, symbol: str, day: dt.date, data: pa.Table, log_row: dict[str, Any]) -> None:
        """Delete + insert + load_log upsert in one transaction (rollback on any error)."""

    @abstractmethod
    def _query_arrow(self, sql: str, params: Sequence[Any] | None) -> pa.Table:
        """Run `sql` (`?` placeholders) and return its result as Arrow (empty if no result set)."""

    @abstractmethod
    def _drop_tables(self) -> None:
        """DROP the raw tables and the load_log if they exist."""

    # --- public API ----------------------------------------------------------------------------

    def exclusive(self) -> AbstractContextManager[None]:
        """Hold the warehouse while another program (dbt) writes to it. PostgreSQL needs nothing."""
        return nullcontext()

    def ensure_schema(self) -> None:
        """Create schema `raw`, the raw tables (and their indexes) and `raw.load_log` if missing."""
        self._create_schema()
        self._schema_ready = True

    def replace_partition(self, table: TableRef, symbol: str, day: DayRef, data: pa.Table, load: LoadRecord) -> int:
        """Atomically replace partition (symbol, day) of `table` with `data`; returns rows written."""
        raw = get_raw_table(table)
        symbol = check_symbol(symbol)
        day = parse_day(day)
        data = conform_data(raw, data)
        stats = compute_stats(raw, data)
        check_load_record(raw, load, stats)
        log_row = {
            "table_name": raw.name,
            "symbol": symbol,
            "trade_date": day,
            "rows": stats.rows,
            "first_id": stats.first_id,
            "last_id": stats.last_id,
            "first_time": stats.first_time,
            "last_time": stats.last_time,
            "source_url": load.source_url,
            "sha256": load.sha256,
            "loaded_at": dt.datetime.now(dt.UTC).replace(tzinfo=None),
        }
        self._ensure_schema_once()
        try:
            self._replace(raw, symbol, day, data, log_row)
        except WarehouseLockTimeout:
            raise
        except Exception as exc:
            raise PartitionWriteError(
                f"replacing {raw.qualified_name} partition ({symbol}, {day}) failed and was rolled "
                f"back, the previous copy is unchanged: {type(exc).__name__}: {exc}"
            ) from exc
        return stats.rows

    def read_partition_arrow(
        self, table: TableRef, symbol: str, day: DayRef, *, include_partition_columns: bool = False
    ) -> pa.Table:
        """The partition's rows as Arrow with the canonical schema, ordered by id, then time."""
        raw = get_raw_table(table)
        schema = raw.arrow_schema if include_partition_columns else raw.data_schema
        self._ensure_schema_once()
        result = self._read_partition(raw, check_symbol(symbol), parse_day(day), schema)
        return result.cast(schema)

    def read_partition(
        self, table: TableRef, symbol: str, day: DayRef, *, include_partition_columns: bool = False
    ) -> pd.DataFrame:
        """The partition's rows (canonical columns; empty if not loaded), ordered by id, then time."""
        return self.read_partition_arrow(
            table, symbol, day, include_partition_columns=include_partition_columns
        ).to_pandas()

    def partition_row_count(self, table: TableRef, symbol: str, day: DayRef) -> int:
        raw = get_raw_table(table)
        self._ensure_schema_once()
        result = self._query_arrow(
            f"SELECT count(*) AS n FROM {raw.qualified_name} WHERE symbol = ? AND trade_date = ?",
            [check_symbol(symbol), parse_day(day)],
        )
        return int(result.column("n")[0].as_py())

    def query(self, sql: str, params: Sequence[Any] | None = None) -> pd.DataFrame:
        """Run SQL with `?` positional placeholders; returns the result set (empty frame if none)."""
        self._ensure_schema_once()
        return arrow_to_pandas(self._query_arrow(sql, params))

    def load_log(self, table: TableRef, symbol: str, day: DayRef) -> dict[str, Any] | None:
        """The `raw.load_log` row of the partition as a dict of Python values, or None."""
        raw = get_raw_table(table)
        self._ensure_schema_once()
        cols = ", ".join(quote_ident(c) for c in LOAD_LOG_SCHEMA.names)
        result = self._query_arrow(
            f"SELECT {cols} FROM {RAW_SCHEMA}.{LOAD_LOG_TABLE} WHERE table_name = ? AND symbol = ? AND trade_date = ?",
            [raw.name, check_symbol(symbol), parse_day(day)],
        )
        rows = result.to_pylist()
        return rows[0] if rows else None

    def drop_all(self) -> None:
        """Drop every raw table and the load_log (tests, resets). Schema `raw` itself stays."""
        self._drop_tables()
        self._schema_ready = False

    # --- helpers -------------------------------------------------------------------------------

    def _ensure_schema_once(self) -> None:
        if not self._schema_ready:
            self.ensure_schema()

    def _read_partition(self, table: RawTable, symbol: str, day: dt.date, schema: pa.Schema) -> pa.Table:
        cols = ", ".join(quote_ident(c) for c in schema.names)
        order = ", ".join(quote_ident(c) for c in table.order_by)
        return self._query_arrow(
            f"SELECT {cols} FROM {table.qualified_name} WHERE symbol = ? AND trade_date = ? ORDER BY {order}",
            [symbol, day],
        )


def upsert_load_log_sql() -> str:
    """Portable (DuckDB and PostgreSQL) upsert of one load_log row, `?` placeholders."""
    names = LOAD_LOG_SCHEMA.names
    cols = ", ".join(quote_ident(c) for c in names)
    marks = ", ".join("?" for _ in names)
    updates = ", ".join(f"{quote_ident(c)} = excluded.{quote_ident(c)}" for c in names if c not in LOAD_LOG_KEY)
    return (
        f"INSERT INTO {RAW_SCHEMA}.{LOAD_LOG_TABLE} ({cols}) VALUES ({marks}) "
        f"ON CONFLICT ({', '.join(LOAD_LOG_KEY)}) DO UPDATE SET {updates}"
    )


def load_log_params(row: dict[str, Any]) -> list[Any]:
    return [row[c] for c in LOAD_LOG_SCHEMA.names]


__all__ = [
    "DayRef",
    "LoadRecord",
    "PartitionDataError",
    "PartitionStats",
    "PartitionWriteError",
    "TableRef",
    "Warehouse",
    "WarehouseError",
    "WarehouseLockTimeout",
    "arrow_to_pandas",
    "compute_stats",
    "conform_data",
    "parse_day",
]

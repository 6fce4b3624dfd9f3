"""The engine-independent part of the warehouse: the `Warehouse` interface.

Errors are in `errors.py`, conforming data in `conform.py`, the load_log in `load_log.py`,
write-audit-publish in `staging.py`; their names are re-exported here.

Contract shared by every engine (DuckDB, PostgreSQL):

* A raw partition is (table, symbol, trade_date). New rows are published (`publish_partition`, see
  `publish.py`): delete, insert from the Arrow table and the `raw.load_log` version row in ONE
  transaction; the loads audit the rows before (`ingestion/load.py`). `replace_partition` is a publish
  without an audit; `stage_partition` (`staging.py`) stages rows in a table of their own for callers that
  want to check them in the database before publishing. On any failure the transaction is
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

Derived tables (features, predictions) get the same partition guarantee without a registry entry:

* `replace_table_partition("features.minute_features", symbol, day, data)`: `data` holds `symbol`,
  `trade_date` and any other columns of type string, date32, timestamp[us], float64, int64 or bool
  (other integer/float widths, large strings, categoricals, other timestamp units and tz-aware
  timestamps are cast safely to these; tz-aware ones become naive UTC). Every row's symbol and
  trade_date must be the partition's, else `PartitionDataError` before anything is written.
* The first write creates the schema and the table (`symbol`, `trade_date` NOT NULL first, then the
  other columns in the order given, all nullable; on PostgreSQL also an index on (symbol,
  trade_date)) in the same transaction as the rows. Later writes must have exactly the table's
  columns (any order), each castable safely to its type: a new or missing column is a
  `PartitionDataError` naming them; tables are never altered here.
* Delete + insert run in one transaction (same lock and COPY path as the raw tables); failures roll
  back (a first write leaves no table) and raise `PartitionWriteError`. Empty data clears the
  partition. There is no load_log row for derived tables.
* `read_table(...)`/`read_table_arrow(...)` read any `schema.table`, ordered by symbol, trade_date,
  then `order_by` (default: the `minute` or `open_time` column, if there is one).
"""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import Any, ClassVar

import pandas as pd
import pyarrow as pa

from binance_assets.binance.schema import ArchiveKind
from binance_assets.warehouse.conform import (
    DayRef,
    TableColumns,
    arrow_to_pandas,
    check_symbol,
    conform_data,
    conform_table_data,
    fit_table_columns,
    parse_day,
)
from binance_assets.warehouse.derived import TIME_COLUMNS, DerivedTablesMixin
from binance_assets.warehouse.errors import (
    PartitionDataError,
    PartitionRejected,
    PartitionWriteError,
    TableNotFoundError,
    WarehouseError,
    WarehouseLockTimeout,
)
from binance_assets.warehouse.load_log import (
    LoadLogMixin,
    LoadRecord,
    PartitionStats,
    check_load_record,
    compute_stats,
)
from binance_assets.warehouse.publish import PublishedPartition, PublishMixin
from binance_assets.warehouse.staging import StagedPartition, StagingMixin
from binance_assets.warehouse.tables import (
    PUBLISH_VERSION_SQL,
    Filter,
    RawTable,
    create_table_sql,
    get_raw_table,
    quote_ident,
    quote_table,
    record_publish_sql,
    select_sql,
    where_sql,
)

TableRef = str | ArchiveKind | RawTable
# Databases whose schema this process has ensured (`Warehouse.ensure_schema`), by `_schema_identity()`.
_SCHEMA_ENSURED: set[tuple] = set()


class Warehouse(LoadLogMixin, PublishMixin, StagingMixin, DerivedTablesMixin, ABC):
    """A warehouse holding the raw Binance tables (schema `raw`), `raw.load_log` and derived tables."""

    engine: ClassVar[str]

    def __init__(self) -> None:
        self._schema_ready = False

    # --- to implement per engine ---------------------------------------------------------------

    @abstractmethod
    def connect(self) -> AbstractContextManager[Any]:
        """A fresh connection to the warehouse, closed on exit."""

    @abstractmethod
    def _create_schema(self) -> None:
        """CREATE SCHEMA/TABLE/INDEX IF NOT EXISTS for every raw table and the load_log."""

    @abstractmethod
    def _drop_tables(self) -> None:
        """DROP the raw tables and the load_log if they exist."""

    @abstractmethod
    def _partition_transaction(self, key: str) -> AbstractContextManager[Any]:
        """A connection in a transaction that holds partition `key` against concurrent replaces;
        committed if the block succeeds, rolled back if it raises."""

    @abstractmethod
    def _execute(self, con: Any, sql: str, params: Sequence[Any] | None) -> pa.Table:
        """Run `sql` (`?` placeholders) on `con` and return its result as Arrow (empty if none)."""

    @abstractmethod
    def _stage_lock(self, key: str) -> AbstractContextManager[Any]:
        """Hold partition `key` from staging until publishing, across transactions; released when
        the block ends or the process dies."""

    @abstractmethod
    def _insert_rows(self, con: Any, table: str, symbol: str, day: dt.date, data: pa.Table) -> None:
        """Insert `data` into `table` (qualified name) with the constant partition columns first."""

    def _insert_many(
        self, con: Any, table: str, day: dt.date, symbols: Sequence[str], datas: Sequence[pa.Table]
    ) -> None:
        """`_insert_rows` of each symbol's `data` (engines may do it in one statement)."""
        for symbol, data in zip(symbols, datas, strict=True):
            self._insert_rows(con, table, symbol, day, data)

    def _lock_partition(self, con: Any, key: str) -> None:
        """Also hold partition `key` in the transaction of `con` (`_partition_transaction` holds the first)."""

    def _replace_day_rows(
        self, con: Any, table: str, day: dt.date, symbols: Sequence[str], datas: Sequence[pa.Table]
    ) -> None:
        """Inside the transaction `_replacing(table, symbols[0], day)` opened: hold the other symbols' partitions,
        delete the day's rows of every symbol, insert each one's `data`."""
        for symbol in symbols[1:]:
            self._lock_partition(con, f"{table}/{symbol}/{day.isoformat()}")
        marks = ", ".join("?" for _ in symbols)
        self._execute(con, f"DELETE FROM {quote_table(table)} WHERE trade_date = ? AND symbol IN ({marks})",
                      [day, *symbols])  # fmt: skip
        self._insert_many(con, table, day, symbols, datas)

    def _create_table(self, con: Any, table: str, schema: pa.Schema) -> None:
        """Create a derived table (and its schema) inside the partition transaction."""
        self._execute(con, f"CREATE SCHEMA IF NOT EXISTS {quote_ident(table.split('.')[0])}", None)
        self._execute(con, create_table_sql(table, schema), None)

    def _read_rows(self, table: str, schema: pa.Schema, filters: Sequence[Filter], order: Sequence[str]) -> pa.Table:
        """The columns of `schema` of the rows of `table` that match `filters`, ordered by `order`."""
        params: list[Any] = []

        def placeholder(value: Any) -> str:
            params.append(value)
            return "?"

        return self._query_arrow(select_sql(table, schema.names, where_sql(filters, placeholder), order), params)

    # --- public API: raw tables ----------------------------------------------------------------

    def exclusive(self) -> AbstractContextManager[None]:
        """Hold the warehouse while another program (dbt) writes to it. PostgreSQL needs nothing."""
        return nullcontext()

    def ensure_schema(self) -> None:
        """Create schemas `raw` and `raw_staging`, the raw tables (and their indexes) and
        `raw.load_log` if missing; bring an older load_log layout up to date. On one connection, and once per
        process for a database whose identity the engine can tell (`_schema_identity`): every resource
        `get()` calls it, and a run or a sensor tick makes many."""
        if self._schema_identity() not in _SCHEMA_ENSURED:  # None (no identity) never is in it
            with self.hold():
                self._create_schema()
                self._migrate_load_log()
            if (identity := self._schema_identity()) is not None:  # a DuckDB file exists only now, the first time
                _SCHEMA_ENSURED.add(identity)
        self._schema_ready = True

    def _schema_identity(self) -> tuple | None:
        """What identifies this database for the process-wide `ensure_schema` memo while it exists (None: no
        memo, ensure every time)."""
        return None

    def replace_partition(self, table: TableRef, symbol: str, day: DayRef, data: pa.Table, load: LoadRecord) -> int:
        """Atomically replace partition (symbol, day) of `table` with `data` (a publish without an audit);
        returns rows written."""
        return self.publish_partition(table, symbol, day, data, load).stats.rows

    def hold(self) -> AbstractContextManager[None]:
        """Keep one connection for this thread's warehouse calls in the block (a day's many publishes);
        engines where connections are cheap need nothing."""
        return nullcontext()

    def read_partition_arrow(
        self, table: TableRef, symbol: str, day: DayRef, *, include_partition_columns: bool = False
    ) -> pa.Table:
        """The partition's rows as Arrow with the canonical schema, ordered by id, then time."""
        raw = get_raw_table(table)
        schema = raw.arrow_schema if include_partition_columns else raw.data_schema
        filters = [("symbol", "=", check_symbol(symbol)), ("trade_date", "=", parse_day(day))]
        self._ensure_schema_once()
        return self._read_rows(raw.qualified_name, schema, filters, raw.order_by).cast(schema)

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

    def drop_all(self) -> None:
        """Drop every raw table and the load_log (tests, resets). Schema `raw` itself stays."""
        _SCHEMA_ENSURED.discard(self._schema_identity())
        self._drop_tables()
        self._schema_ready = False

    # --- helpers -------------------------------------------------------------------------------

    def _ensure_schema_once(self) -> None:
        if not self._schema_ready:
            self.ensure_schema()

    def _query_arrow(self, sql: str, params: Sequence[Any] | None) -> pa.Table:
        with self.connect() as con:
            return self._execute(con, sql, params)

    @contextmanager
    def _replacing(self, table: str, symbol: str, day: dt.date) -> Iterator[Any]:
        """The transaction of one partition replace; any failure in it is a `PartitionWriteError`."""
        key = f"{table}/{symbol}/{day.isoformat()}"
        self._ensure_schema_once()  # raw.publish_log, even when a derived table is written first
        try:
            with self._partition_transaction(key) as con:
                yield con
                self._record_publish(con, key)  # same transaction: readers see the data and the version together
        except (WarehouseLockTimeout, PartitionDataError):
            raise
        except Exception as exc:
            raise PartitionWriteError(
                f"replacing {table} partition ({symbol}, {day}) failed and was rolled "
                f"back, the previous copy is unchanged: {type(exc).__name__}: {exc}"
            ) from exc

    def _record_publish(self, con: Any, what: str) -> None:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        self._execute(con, record_publish_sql(), [now, what])

    def record_publish(self, what: str) -> None:
        """Bump `raw.publish_log`'s version for a write made outside this class (e.g. a dbt build)."""
        self._ensure_schema_once()
        with self.connect() as con:
            self._record_publish(con, what)

    def publish_version(self) -> int:
        """The warehouse's publish version: grows with every published write (0 before the first)."""
        self._ensure_schema_once()
        rows = self._query_arrow(PUBLISH_VERSION_SQL, None).to_pylist()
        return int(rows[0]["version"]) if rows else 0

    def _table_columns(self, table: str, con: Any = None) -> TableColumns | None:
        """(name, data_type) of the columns of `table` in order; None if it does not exist."""
        sql = (
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position"
        )
        params = table.split(".", 1)
        result = self._query_arrow(sql, params) if con is None else self._execute(con, sql, params)
        return [(r["column_name"], r["data_type"]) for r in result.to_pylist()] or None


__all__ = [
    "TIME_COLUMNS",
    "DayRef",
    "Filter",
    "LoadRecord",
    "PartitionDataError",
    "PartitionRejected",
    "PartitionStats",
    "PartitionWriteError",
    "PublishedPartition",
    "RawTable",
    "StagedPartition",
    "TableColumns",
    "TableNotFoundError",
    "TableRef",
    "Warehouse",
    "WarehouseError",
    "WarehouseLockTimeout",
    "arrow_to_pandas",
    "check_load_record",
    "check_symbol",
    "compute_stats",
    "conform_data",
    "conform_table_data",
    "fit_table_columns",
    "parse_day",
    "select_sql",
    "where_sql",
]

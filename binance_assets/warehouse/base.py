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
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
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
    PARTITION_SCHEMA,
    PUBLISH_VERSION_SQL,
    RAW_SCHEMA,
    WRITABLE_SQL_TYPES,
    RawTable,
    check_table_name,
    create_table_sql,
    get_raw_table,
    quote_ident,
    quote_table,
    read_type,
    record_publish_sql,
)

TableRef = str | ArchiveKind | RawTable
DayRef = dt.date | str
Filter = tuple[str, str, Any]  # (column, "=" | ">=" | "<=" | "in", value or list of values)
TableColumns = list[tuple[str, str]]  # (column name, information_schema data_type)

# read_table's default order after (symbol, trade_date): the first of these columns the table has.
TIME_COLUMNS = ("minute", "open_time")


class WarehouseError(Exception):
    """Base class of the warehouse's own errors."""


class PartitionDataError(WarehouseError, ValueError):
    """The data handed to `replace_partition` does not fit the table (columns, types, LoadRecord)."""


class PartitionWriteError(WarehouseError):
    """The replace transaction failed and was rolled back: the previous copy is untouched."""


class WarehouseLockTimeout(WarehouseError, TimeoutError):
    """The DuckDB file lock could not be taken in time (another process kept the warehouse busy)."""


class TableNotFoundError(WarehouseError, KeyError):
    """`read_table` of a table that does not exist (yet)."""


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


def _as_table(data: pa.Table | pa.RecordBatch | pd.DataFrame, where: str) -> pa.Table:
    if isinstance(data, pd.DataFrame):
        data = pa.Table.from_pandas(data, preserve_index=False)
    elif isinstance(data, pa.RecordBatch):
        data = pa.Table.from_batches([data])
    elif not isinstance(data, pa.Table):
        raise PartitionDataError(f"{where} must be a pyarrow Table, not {type(data).__name__}")
    names = list(data.column_names)
    if len(set(names)) != len(names):
        raise PartitionDataError(f"{where} has duplicate column names: {names}")
    return data


def _cast(column: pa.ChunkedArray, target: pa.DataType, where: str, name: str) -> pa.ChunkedArray:
    if column.type == target:
        return column
    if (  # Arrow's "safe" cast of a timestamp to a date drops the time of day
        pa.types.is_timestamp(column.type)
        and pa.types.is_date(target)
        and not pc.all(pc.equal(pc.floor_temporal(column, unit="day"), column)).as_py()
    ):
        raise PartitionDataError(
            f"{where}: column {name!r} has type {column.type} with times of day, not castable safely to {target}"
        )
    try:
        return pc.cast(column, target, safe=True)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise PartitionDataError(
            f"{where}: column {name!r} has type {column.type}, which cannot be cast safely to {target}: {exc}"
        ) from None


def conform_data(table: RawTable, data: pa.Table | pa.RecordBatch | pd.DataFrame) -> pa.Table:
    """`data` with exactly the table's canonical columns, in order, with the canonical types."""
    where = f"data for {table.qualified_name}"
    data = _as_table(data, where)
    names = list(data.column_names)
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
    columns = [_cast(data.column(f.name), f.type, where, f.name) for f in expected]
    # Arrays keep their nulls: NOT NULL is enforced by the database, inside the transaction.
    return pa.Table.from_arrays(columns, schema=pa.schema([(f.name, f.type) for f in expected]))


def _writable_type(arrow_type: pa.DataType) -> pa.DataType | None:
    """The writable type a column of `arrow_type` is cast to (None: no obvious one)."""
    t = arrow_type
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_integer(t):
        return pa.int64()
    if pa.types.is_floating(t):
        return pa.float64()
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return pa.string()
    if pa.types.is_timestamp(t):
        return pa.timestamp("us")
    if pa.types.is_date(t):
        return pa.date32()
    return pa.bool_() if pa.types.is_boolean(t) else None


def conform_table_data(
    table: str, symbol: str, day: dt.date, data: pa.Table | pa.RecordBatch | pd.DataFrame
) -> pa.Table:
    """The columns of derived-table `data` besides `symbol`/`trade_date`, cast to writable types,
    after checking that every row belongs to partition (symbol, day)."""
    where = f"data for {table}"
    data = _as_table(data, where)
    missing = [c for c in PARTITION_COLUMNS if c not in data.column_names]
    if missing:
        raise PartitionDataError(f"{where} lacks the partition column(s) {missing}")
    for name, value in zip(PARTITION_COLUMNS, (symbol, day), strict=True):
        column = _cast(data.column(name), PARTITION_SCHEMA.field(name).type, where, name)
        bad = pc.filter(column, pc.invert(pc.fill_null(pc.equal(column, pa.scalar(value, column.type)), False)))
        if len(bad):
            examples = bad.unique().to_pylist()[:3]
            raise PartitionDataError(
                f"{where}: {len(bad)} of {data.num_rows} rows have {name} other than {value!r} (e.g. "
                f"{examples}); every row must belong to partition ({symbol}, {day})"
            )
    rest = [c for c in data.column_names if c not in PARTITION_COLUMNS]
    if not rest:
        raise PartitionDataError(f"{where} has no columns besides {list(PARTITION_COLUMNS)}")
    columns = []
    for name in rest:
        column = data.column(name)
        target = _writable_type(column.type)
        columns.append(column if target is None else _cast(column, target, where, name))
    return pa.Table.from_arrays(columns, names=rest)


def fit_table_columns(table: str, existing: TableColumns, data: pa.Table) -> pa.Table:
    """`data` (without partition columns) cast to the columns of the existing `table`, in its order."""
    names = [name for name, _ in existing]
    given = [*PARTITION_COLUMNS, *data.column_names]
    missing = [c for c in names if c not in given]
    new = [c for c in given if c not in names]
    if missing or new:
        raise PartitionDataError(
            f"data for {table} does not have the columns of the existing table: missing {missing}, new {new}; "
            f"the warehouse does not alter tables (ALTER or drop {table} deliberately)"
        )
    columns, order = [], []
    for name, data_type in existing:
        if name in PARTITION_COLUMNS:
            continue
        target = WRITABLE_SQL_TYPES.get(data_type.lower())
        if target is None:
            raise PartitionDataError(
                f"column {table}.{name} has SQL type {data_type}, which the warehouse cannot write"
            )
        columns.append(_cast(data.column(name), target, f"data for {table}", name))
        order.append(name)
    return pa.Table.from_arrays(columns, names=order)


def where_sql(filters: Sequence[Filter], value_sql: Callable[[Any], str]) -> str:
    """`filters` as a WHERE condition; `value_sql` renders a value (a `?` placeholder or a literal)."""
    terms = []
    for column, op, value in filters:
        if op == "in":
            terms.append(f"{quote_ident(column)} IN ({', '.join(value_sql(v) for v in value)})")
        else:
            terms.append(f"{quote_ident(column)} {op} {value_sql(value)}")
    return " AND ".join(terms) or "TRUE"


def select_sql(table: str, columns: Sequence[str], where: str, order: Sequence[str]) -> str:
    cols = ", ".join(quote_ident(c) for c in columns)
    order_by = f" ORDER BY {', '.join(quote_ident(c) for c in order)}" if order else ""
    return f"SELECT {cols} FROM {quote_table(table)} WHERE {where}{order_by}"


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
    def _insert_rows(self, con: Any, table: str, symbol: str, day: dt.date, data: pa.Table) -> None:
        """Insert `data` into `table` (qualified name) with the constant partition columns first."""

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
        with self._replacing(raw.qualified_name, symbol, day) as con:
            self._replace_rows(con, raw.qualified_name, symbol, day, data)
            self._write_load_log(con, log_row)
        return stats.rows

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

    # --- public API: derived tables ------------------------------------------------------------

    def replace_table_partition(
        self, table: str, symbol: str, day: DayRef, data: pa.Table | pa.RecordBatch | pd.DataFrame
    ) -> int:
        """Atomically replace partition (symbol, day) of derived table `table` (`schema.name`) with
        `data`, creating the table on first write; returns rows written. See the module docstring."""
        table = check_table_name(table)
        if table.split(".")[0] == RAW_SCHEMA:
            raise ValueError(f"{table}: schema {RAW_SCHEMA!r} holds the raw tables, written by replace_partition")
        symbol = check_symbol(symbol)
        day = parse_day(day)
        data = conform_table_data(table, symbol, day, data)
        with self._replacing(table, symbol, day) as con:
            existing = self._table_columns(table, con)
            if existing is None:
                unsupported = [f"{f.name}: {f.type}" for f in data.schema if f.type not in WRITABLE_SQL_TYPES.values()]
                if unsupported:
                    raise PartitionDataError(
                        f"cannot create {table}: unsupported column types {unsupported} (use string, date32, "
                        "timestamp[us], float64, int64 or bool)"
                    )
                self._create_table(
                    con, table, pa.schema([*PARTITION_SCHEMA, *(f.with_nullable(True) for f in data.schema)])
                )
                existing = self._table_columns(table, con) or []
            data = fit_table_columns(table, existing, data)
            self._replace_rows(con, table, symbol, day, data)
        return data.num_rows

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

    def _replace_rows(self, con: Any, table: str, symbol: str, day: dt.date, data: pa.Table) -> None:
        self._execute(con, f"DELETE FROM {quote_table(table)} WHERE symbol = ? AND trade_date = ?", [symbol, day])
        self._insert_rows(con, table, symbol, day, data)

    def _write_load_log(self, con: Any, row: dict[str, Any]) -> None:
        self._execute(con, upsert_load_log_sql(), load_log_params(row))

    def _table_columns(self, table: str, con: Any = None) -> TableColumns | None:
        """(name, data_type) of the columns of `table` in order; None if it does not exist."""
        sql = (
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position"
        )
        params = table.split(".", 1)
        result = self._query_arrow(sql, params) if con is None else self._execute(con, sql, params)
        return [(r["column_name"], r["data_type"]) for r in result.to_pylist()] or None


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
    "TableNotFoundError",
    "TableRef",
    "Warehouse",
    "WarehouseError",
    "WarehouseLockTimeout",
    "arrow_to_pandas",
    "compute_stats",
    "conform_data",
    "conform_table_data",
    "parse_day",
]

"""The PostgreSQL warehouse (psycopg 3): bulk COPY, one transaction per partition replace.

* Loads stream the Arrow table with `COPY raw.<table> (...) FROM STDIN (FORMAT BINARY)`. The binary
  COPY rows are built with numpy, a chunk of rows at a time (no Python loop over rows). Measured on
  2,000,000 trade rows (new partition, local server): binary 3.3-3.6 s, CSV written by
  `pyarrow.csv.write_csv` 4.6-4.7 s (the server parses text more slowly; encoding is 0.13 s binary
  vs 0.97 s CSV), so only binary is kept.
* A replace is: advisory transaction lock on the partition (two concurrent replaces of the same
  partition would otherwise both delete only what they can see and leave two copies), DELETE,
  COPY, load_log upsert, COMMIT; any error rolls the whole transaction back.
* `read_partition` streams `COPY (SELECT ...) TO STDOUT (FORMAT CSV)` into `pyarrow.csv` with the
  canonical column types; `query()` fetches rows and types them by the result's column OIDs.
* `query()` takes `?` placeholders, rewritten to PostgreSQL's `$1, $2, ...` (server-side binding
  via psycopg's `RawCursor`, so `%` needs no escaping). `?` inside quotes and comments is left
  alone; the jsonb `?` operators cannot be used in a query that has params (use `jsonb_exists`).
* Sessions run with `DateStyle=ISO`, `TimeZone=UTC` and `extra_float_digits=1` (exact floats);
  TIMESTAMP columns are `timestamp without time zone` holding UTC.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from binance_assets.warehouse.base import Warehouse, load_log_params, upsert_load_log_sql
from binance_assets.warehouse.tables import (
    LOAD_LOG_TABLE,
    RAW_SCHEMA,
    RAW_TABLES,
    RawTable,
    create_load_log_sql,
    create_table_sql,
    quote_ident,
)

_SESSION_OPTIONS = "-c DateStyle=ISO -c TimeZone=UTC -c extra_float_digits=1"
_SCHEMA_LOCK_KEY = "binance_assets.warehouse:ensure_schema"
COPY_CHUNK_ROWS = 100_000

# --- placeholders --------------------------------------------------------------------------------


def qmark_to_dollar(query: str) -> tuple[str, int]:
    """Rewrite `?` placeholders to `$1, $2, ...`, skipping quotes, identifiers, comments and
    dollar-quoted strings. Returns the query and the number of placeholders."""
    out: list[str] = []
    i, n, count = 0, len(query), 0
    while i < n:
        ch = query[i]
        if ch in ("'", '"'):
            j = i + 1
            while j < n:
                if query[j] == ch:
                    if j + 1 < n and query[j + 1] == ch:  # doubled quote inside
                        j += 2
                        continue
                    break
                j += 1
            out.append(query[i : j + 1])
            i = j + 1
        elif query.startswith("--", i):
            j = query.find("\n", i)
            j = n if j < 0 else j
            out.append(query[i:j])
            i = j
        elif query.startswith("/*", i):
            j = query.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(query[i:j])
            i = j
        elif ch == "$" and (i == 0 or not (query[i - 1].isalnum() or query[i - 1] == "_")):
            j = query.find("$", i + 1)
            tag = query[i : j + 1] if j > 0 else ""
            if tag and all(c.isalnum() or c == "_" for c in tag[1:-1]) and not tag[1:2].isdigit():
                end = query.find(tag, j + 1)
                end = n if end < 0 else end + len(tag)
                out.append(query[i:end])
                i = end
            else:
                out.append(ch)
                i += 1
        elif ch == "?":
            count += 1
            out.append(f"${count}")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out), count


# --- binary COPY encoding ------------------------------------------------------------------------

_PGCOPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
_PGCOPY_TRAILER = (-1).to_bytes(2, "big", signed=True)
_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in µs since 1970-01-01
_PG_EPOCH_DAYS = 10_957


def _column_values(column: pa.ChunkedArray) -> tuple[np.ndarray, np.dtype, np.ndarray | None]:
    """(values as numpy, big-endian wire dtype, null mask or None) for one Arrow column."""
    nulls = column.is_null().to_numpy(zero_copy_only=False) if column.null_count else None
    t = column.type
    if pa.types.is_timestamp(t):
        values = pc.fill_null(column.cast(pa.timestamp("us")).cast(pa.int64()), 0).to_numpy()
        return values - _PG_EPOCH_US, np.dtype(">i8"), nulls
    if pa.types.is_int64(t):
        return pc.fill_null(column, 0).to_numpy(), np.dtype(">i8"), nulls
    if pa.types.is_float64(t):
        return pc.fill_null(column, 0.0).to_numpy(), np.dtype(">f8"), nulls
    if pa.types.is_boolean(t):
        values = pc.fill_null(column, False).cast(pa.uint8()).to_numpy()
        return values, np.dtype("u1"), nulls
    raise TypeError(f"no binary COPY encoding for arrow type {t}")


def _constant(value: Any) -> tuple[bytes]:
    if isinstance(value, str):
        return (value.encode(),)
    if isinstance(value, dt.date):
        return ((value - dt.date(2000, 1, 1)).days.to_bytes(4, "big", signed=True),)
    raise TypeError(f"no binary COPY encoding for constant {value!r}")


def encode_copy_binary(data: pa.Table, constants: Sequence[Any] = ()) -> bytes:
    """PostgreSQL binary COPY rows (no header/trailer) for `constants` + the columns of `data`.

    `constants` (str -> text, date -> date) are the same in every row: the partition columns.
    """
    n = data.num_rows
    fields: list[tuple[str, Any]] = [("count", ">i2")]
    fills: list[tuple[str, Any]] = []
    null_spans: list[tuple[int, int, np.ndarray]] = []
    for k, value in enumerate(constants):
        (payload,) = _constant(value)
        fields += [(f"l{k}", ">i4"), (f"v{k}", f"S{len(payload)}")]
        fills += [(f"l{k}", len(payload)), (f"v{k}", payload)]
    columns = []
    for k, column in enumerate(data.columns, start=len(constants)):
        values, wire, nulls = _column_values(column)
        fields += [(f"l{k}", ">i4"), (f"v{k}", wire)]
        columns.append((k, values, wire, nulls))
    rows = np.empty(n, dtype=np.dtype(fields))
    rows["count"] = len(constants) + data.num_columns
    for name, value in fills:
        rows[name] = value
    for k, values, wire, nulls in columns:
        rows[f"v{k}"] = values
        if nulls is None:
            rows[f"l{k}"] = wire.itemsize
        else:
            rows[f"l{k}"] = np.where(nulls, -1, wire.itemsize)
            offset = rows.dtype.fields[f"v{k}"][1]
            null_spans.append((offset, wire.itemsize, nulls))
    raw = rows.view(np.uint8).reshape(n, rows.dtype.itemsize)
    if not null_spans:
        return raw.tobytes()
    keep = np.ones(raw.shape, dtype=bool)
    for offset, size, nulls in null_spans:
        keep[nulls, offset : offset + size] = False  # a NULL is its length -1 and no payload
    return raw[keep].tobytes()


def _copy_binary_chunks(data: pa.Table, constants: Sequence[Any]) -> Iterator[bytes]:
    yield _PGCOPY_HEADER
    for start in range(0, data.num_rows, COPY_CHUNK_ROWS):
        yield encode_copy_binary(data.slice(start, COPY_CHUNK_ROWS), constants)
    yield _PGCOPY_TRAILER


# --- result typing -------------------------------------------------------------------------------

_OID_TYPES: dict[int, pa.DataType] = {
    16: pa.bool_(),
    20: pa.int64(),
    21: pa.int64(),
    23: pa.int64(),
    26: pa.int64(),
    700: pa.float64(),
    701: pa.float64(),
    1700: pa.float64(),  # numeric (e.g. sum(bigint)); DuckDB's decimals become float64 too
    25: pa.string(),
    19: pa.string(),
    1042: pa.string(),
    1043: pa.string(),
    1082: pa.date32(),
    1114: pa.timestamp("us"),
    1184: pa.timestamp("us", tz="UTC"),
}


def _to_arrow_array(values: list[Any], oid: int) -> pa.Array:
    arrow_type = _OID_TYPES.get(oid)
    if arrow_type is not None and oid == 1700:
        values = [None if v is None else float(v) for v in values]
    if arrow_type is not None:
        return pa.array(values, type=arrow_type)
    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _rows_to_arrow(description: Sequence[Any], rows: list[tuple[Any, ...]]) -> pa.Table:
    names = [d.name for d in description]
    columns = list(zip(*rows, strict=True)) if rows else [[] for _ in names]
    arrays = [_to_arrow_array(list(values), d.type_code) for values, d in zip(columns, description, strict=True)]
    return pa.Table.from_arrays(arrays, names=names)


def _index_name(table: RawTable) -> str:
    return f"{table.name}_symbol_trade_date_idx"


class PostgresWarehouse(Warehouse):
    engine = "postgres"

    def __init__(self, url: str, *, connect_timeout: int = 10) -> None:
        super().__init__()
        self.url = url
        self.connect_timeout = connect_timeout

    def __repr__(self) -> str:
        info = conninfo_to_dict(self.url)
        info.pop("password", None)
        return f"PostgresWarehouse({make_conninfo(**info)!r})"

    # --- connections ---------------------------------------------------------------------------

    def _conninfo(self) -> str:
        info = conninfo_to_dict(self.url)
        options = " ".join(o for o in (info.get("options"), _SESSION_OPTIONS) if o)
        info["options"] = options
        info.setdefault("connect_timeout", str(self.connect_timeout))
        return make_conninfo(**info)

    @contextmanager
    def connect(self) -> Iterator[psycopg.Connection]:
        """A fresh connection; commits on success, rolls back on error, always closes."""
        with psycopg.connect(self._conninfo()) as conn:
            yield conn

    # --- engine hooks --------------------------------------------------------------------------

    def _create_schema(self) -> None:
        relations = [t.qualified_name for t in RAW_TABLES.values()]
        relations += [f"{RAW_SCHEMA}.{_index_name(t)}" for t in RAW_TABLES.values()]
        relations.append(f"{RAW_SCHEMA}.{LOAD_LOG_TABLE}")
        with self.connect() as conn, conn.cursor() as cur:
            # Fast path without DDL: CREATE INDEX IF NOT EXISTS takes a SHARE lock on its table
            # even when the index exists, i.e. it would wait for every running replace.
            cur.execute("SELECT bool_and(to_regclass(r) IS NOT NULL) FROM unnest(%s::text[]) AS r", [relations])
            row = cur.fetchone()
            if row is not None and row[0]:
                return
            # Concurrent CREATE ... IF NOT EXISTS can still collide in the catalog: serialise.
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [_SCHEMA_LOCK_KEY])
            cur.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
            for table in RAW_TABLES.values():
                cur.execute(create_table_sql(table))
                cur.execute(
                    f"CREATE INDEX IF NOT EXISTS {quote_ident(_index_name(table))} "
                    f"ON {table.qualified_name} (symbol, trade_date)"
                )
            cur.execute(create_load_log_sql())

    def _drop_tables(self) -> None:
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [_SCHEMA_LOCK_KEY])
            for table in RAW_TABLES.values():
                cur.execute(f"DROP TABLE IF EXISTS {table.qualified_name}")
            cur.execute(f"DROP TABLE IF EXISTS {RAW_SCHEMA}.{LOAD_LOG_TABLE}")

    def _replace(self, table: RawTable, symbol: str, day: dt.date, data: pa.Table, log_row: dict[str, Any]) -> None:
        target = ", ".join(quote_ident(c) for c in table.column_names)
        key = f"{table.qualified_name}/{symbol}/{day.isoformat()}"
        copy_sql = f"COPY {table.qualified_name} ({target}) FROM STDIN (FORMAT BINARY)"
        with self.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])
            cur.execute(
                f"DELETE FROM {table.qualified_name} WHERE symbol = %s AND trade_date = %s",
                [symbol, day],
            )
            with cur.copy(copy_sql) as copy:
                for chunk in _copy_binary_chunks(data, [symbol, day]):
                    copy.write(chunk)
            self._write_load_log(cur, log_row)

    def _write_load_log(self, cur: psycopg.Cursor, row: dict[str, Any]) -> None:
        query, _ = qmark_to_dollar(upsert_load_log_sql())
        raw = psycopg.RawCursor(cur.connection)
        raw.execute(query, load_log_params(row))

    def _read_partition(self, table: RawTable, symbol: str, day: dt.date, schema: pa.Schema) -> pa.Table:
        cols = sql.SQL(", ").join(sql.Identifier(c) for c in schema.names)
        order = sql.SQL(", ").join(sql.Identifier(c) for c in table.order_by)
        statement = sql.SQL(
            "COPY (SELECT {cols} FROM {schema}.{table} WHERE symbol = {symbol} AND "
            "trade_date = {day} ORDER BY {order}) TO STDOUT (FORMAT CSV)"
        ).format(
            cols=cols,
            schema=sql.Identifier(RAW_SCHEMA),
            table=sql.Identifier(table.name),
            symbol=sql.Literal(symbol),
            day=sql.Literal(day),
            order=order,
        )
        buffer = io.BytesIO()
        with self.connect() as conn, conn.cursor() as cur, cur.copy(statement) as copy:
            for block in copy:
                buffer.write(block)
        if buffer.tell() == 0:
            return schema.empty_table()
        buffer.seek(0)
        return pacsv.read_csv(
            buffer,
            read_options=pacsv.ReadOptions(column_names=schema.names, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=pacsv.ConvertOptions(
                column_types={f.name: f.type for f in schema},
                true_values=["t"],
                false_values=["f"],
                null_values=[""],
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )

    def _query_arrow(self, query: str, params: Sequence[Any] | None) -> pa.Table:
        with self.connect() as conn:
            cur = psycopg.RawCursor(conn)
            if params is not None:
                query, count = qmark_to_dollar(query)
                params = list(params)
                if count != len(params):
                    raise ValueError(f"query has {count} '?' placeholders but {len(params)} params were given")
            cur.execute(query, params)
            if cur.description is None:
                return pa.table({})
            return _rows_to_arrow(cur.description, cur.fetchall())


__all__ = ["PostgresWarehouse", "encode_copy_binary", "qmark_to_dollar"]

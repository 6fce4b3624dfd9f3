"""Validating and conforming data before it is written: partition keys, column sets, safe casts.

Pure functions on Arrow tables; nothing here touches a database.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from binance_assets.warehouse.errors import PartitionDataError
from binance_assets.warehouse.tables import (
    PARTITION_COLUMNS,
    PARTITION_SCHEMA,
    WRITABLE_SQL_TYPES,
    RawTable,
)

TableColumns = list[tuple[str, str]]  # (column name, information_schema data_type)
DayRef = dt.date | str


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


def arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas with the same conventions on every engine (decimals become float64)."""
    columns = [pc.cast(col, pa.float64()) if pa.types.is_decimal(col.type) else col for col in table.columns]
    table = pa.Table.from_arrays(columns, names=table.column_names)
    return table.to_pandas()

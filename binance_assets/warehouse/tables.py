"""Definitions of the raw warehouse tables (schema `raw`), shared by the DuckDB and PostgreSQL engines.

One raw table per dataset of the registry that the warehouse loads (`binance.datasets`, `raw=True`),
named by the dataset's id and laid out by its Arrow schema: nothing about a dataset is restated here.
Each one is the two partition columns `symbol VARCHAR NOT NULL, trade_date DATE NOT NULL` followed by
the dataset's canonical columns (`binance_assets.binance.schema`) in the same order. Canonical columns
are NOT NULL except `is_best_match` (null for futures, which do not have the column): a NULL anywhere
else makes the load fail inside its transaction, so the previous copy of the partition stays.

`raw.load_log` holds one row per loaded VERSION of a partition (table_name, symbol, trade_date,
version): what was loaded (row count, first/last id and time) and from where (source url and the
sha256 of the archive bytes that were parsed), so that a later, silently replaced archive file can
be told apart from the one we loaded. A reload with a different sha256 adds version n+1 and stamps
`superseded_at` on version n; the current version is the one with `superseded_at IS NULL`. A reload
of the same sha256 refreshes the current row. Written in the same transaction as the partition.

Staged partitions (write-audit-publish) live in schema `raw_staging`, one table per load attempt,
named `<table>__<symbol>__<yyyymmdd>__<token>`; see `staging.py`.

Derived tables (features, predictions: `<schema>.<name>`, any schema but `raw`) have no registry
entry: their layout is the Arrow schema of their first write (`symbol`, `trade_date` first, NOT
NULL; every other column nullable), read back from `information_schema` afterwards.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from binance_assets.binance.datasets import Dataset, raw_dataset_for, raw_datasets
from binance_assets.binance.schema import ArchiveKind, Market

RAW_SCHEMA = "raw"
LOAD_LOG_TABLE = "load_log"

PARTITION_COLUMNS: tuple[str, str] = ("symbol", "trade_date")
PARTITION_SCHEMA = pa.schema(
    [
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("trade_date", pa.date32(), nullable=False),
    ]
)

# Canonical columns that may hold NULL; every other column is NOT NULL.
NULLABLE_COLUMNS: frozenset[str] = frozenset({"is_best_match"})


@dataclass(frozen=True)
class RawTable:
    """One raw table: its name inside schema `raw` (its dataset's id), the archive kind it stores and its layout.

    `arrow_schema` includes the partition columns (`symbol`, `trade_date`) first; the canonical
    columns (what `replace_partition` takes and `read_partition` returns) are `data_schema`.
    """

    name: str
    kind: ArchiveKind
    arrow_schema: pa.Schema
    id_column: str | None
    time_column: str
    dataset: Dataset

    @property
    def qualified_name(self) -> str:
        return f"{RAW_SCHEMA}.{self.name}"

    @property
    def data_schema(self) -> pa.Schema:
        """The canonical columns only (without the partition columns)."""
        return pa.schema([f for f in self.arrow_schema if f.name not in PARTITION_COLUMNS])

    @property
    def column_names(self) -> list[str]:
        return list(self.arrow_schema.names)

    @property
    def data_column_names(self) -> list[str]:
        return list(self.data_schema.names)

    @property
    def order_by(self) -> list[str]:
        """Columns a partition is read back ordered by: the id (if any), then the time."""
        return [c for c in (self.id_column, self.time_column) if c is not None]


def _raw_schema(canonical: pa.Schema) -> pa.Schema:
    fields = [pa.field(f.name, f.type, nullable=f.name in NULLABLE_COLUMNS) for f in canonical]
    return pa.schema(list(PARTITION_SCHEMA) + fields)


def raw_table_of(dataset: Dataset) -> RawTable:
    """The raw table a dataset of the registry is loaded into: `raw.<dataset id>`."""
    return RawTable(
        name=dataset.id,
        kind=dataset.kind,
        arrow_schema=_raw_schema(dataset.schema),
        id_column=dataset.id_column,
        time_column=dataset.time_column,
        dataset=dataset,
    )


RAW_TABLES: dict[str, RawTable] = {ds.id: raw_table_of(ds) for ds in raw_datasets()}
SPOT_TRADES = RAW_TABLES["spot_trades"]
SPOT_AGG_TRADES = RAW_TABLES["spot_agg_trades"]
SPOT_KLINES_1M = RAW_TABLES["spot_klines_1m"]
# The spot table of each kind (what `validate-archive` checks an archive of any market against).
RAW_TABLES_BY_KIND: dict[ArchiveKind, RawTable] = {
    t.kind: t for t in RAW_TABLES.values() if t.dataset.market is Market.SPOT
}


def raw_table_for_archive(market: Market, kind: ArchiveKind, interval: str | None = "1m") -> RawTable | None:
    """The raw table that loads archives of (market, kind, klines interval), or None if none does."""
    found = raw_dataset_for(market, kind, interval)
    return RAW_TABLES.get(found.id) if found is not None else None


# raw.load_log: one row per (table_name, symbol, trade_date, version); primary key on the four.
LOAD_LOG_SCHEMA = pa.schema(
    [
        pa.field("table_name", pa.string(), nullable=False),
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("trade_date", pa.date32(), nullable=False),
        pa.field("version", pa.int64(), nullable=False),
        pa.field("rows", pa.int64(), nullable=False),
        pa.field("first_id", pa.int64()),
        pa.field("last_id", pa.int64()),
        pa.field("first_time", pa.timestamp("us")),
        pa.field("last_time", pa.timestamp("us")),
        pa.field("source_url", pa.string()),
        pa.field("sha256", pa.string()),
        pa.field("loaded_at", pa.timestamp("us"), nullable=False),
        pa.field("superseded_at", pa.timestamp("us")),
    ]
)
LOAD_LOG_PARTITION: tuple[str, str, str] = ("table_name", "symbol", "trade_date")
LOAD_LOG_KEY: tuple[str, str, str, str] = (*LOAD_LOG_PARTITION, "version")
STAGING_SCHEMA = "raw_staging"

# raw.publish_log: one row ('warehouse') whose `version` grows by one with every published write (each
# partition replace, raw or derived, in its own transaction; each dbt build through `record_publish`).
# Readers (the serving API) key their caches on it: one cheap primary-key read tells them whether
# anything changed.
PUBLISH_LOG_TABLE = "publish_log"
PUBLISH_LOG_ROW = "warehouse"


def raw_table_for(kind: ArchiveKind | str) -> RawTable:
    """The spot raw table that stores archives of `kind` (an `ArchiveKind` or its value, e.g. "aggTrades")."""
    try:
        return RAW_TABLES_BY_KIND[ArchiveKind(kind)]
    except (ValueError, KeyError):
        raise KeyError(f"no raw table for archive kind {kind!r}") from None


def get_raw_table(table: str | ArchiveKind | RawTable) -> RawTable:
    """Resolve a table given by name (`spot_trades` or `raw.spot_trades`), by kind, or as itself."""
    if isinstance(table, RawTable):
        return table
    if isinstance(table, ArchiveKind):
        return RAW_TABLES_BY_KIND[table]
    name = table.removeprefix(f"{RAW_SCHEMA}.")
    try:
        return RAW_TABLES[name]
    except KeyError:
        known = ", ".join(sorted(RAW_TABLES))
        raise KeyError(f"unknown raw table {table!r} (known: {known})") from None


# --- SQL types -------------------------------------------------------------------------------------
# The same spelling works in DuckDB and PostgreSQL for every type used here.

_SQL_TYPES: dict[pa.DataType, str] = {
    pa.string(): "VARCHAR",
    pa.date32(): "DATE",
    pa.int64(): "BIGINT",
    pa.float64(): "DOUBLE PRECISION",
    pa.bool_(): "BOOLEAN",
    pa.timestamp("us"): "TIMESTAMP",  # without time zone, values are UTC
}

# `information_schema.columns.data_type` (lower case) of the types above, as DuckDB and PostgreSQL
# spell them: the columns the warehouse can write.
WRITABLE_SQL_TYPES: dict[str, pa.DataType] = {
    "varchar": pa.string(),
    "character varying": pa.string(),
    "text": pa.string(),
    "date": pa.date32(),
    "bigint": pa.int64(),
    "double": pa.float64(),
    "double precision": pa.float64(),
    "boolean": pa.bool_(),
    "timestamp": pa.timestamp("us"),
    "timestamp without time zone": pa.timestamp("us"),
}
# ... and a few more it can read (e.g. from dbt models); anything else is read as text.
READABLE_SQL_TYPES: dict[str, pa.DataType] = {
    **WRITABLE_SQL_TYPES,
    "integer": pa.int64(),
    "smallint": pa.int64(),
    "real": pa.float64(),
    "float": pa.float64(),
    "numeric": pa.float64(),
}


def sql_type(arrow_type: pa.DataType) -> str:
    try:
        return _SQL_TYPES[arrow_type]
    except KeyError:
        raise TypeError(f"no SQL type for arrow type {arrow_type}") from None


def read_type(data_type: str) -> pa.DataType:
    """The Arrow type a column of `information_schema` type `data_type` is read back as."""
    name = data_type.lower()
    return READABLE_SQL_TYPES.get(name) or (pa.float64() if name.startswith("decimal") else pa.string())


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_TABLE_NAME = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


def check_table_name(table: str) -> str:
    """A qualified `schema.table` name in lower-case letters, digits and underscores."""
    if not isinstance(table, str) or not _TABLE_NAME.match(table):
        raise ValueError(f"table must be a qualified name like 'schema.table' ([a-z0-9_]): {table!r}")
    return table


def quote_table(table: str) -> str:
    """`schema.table` quoted part by part (names like `ml.order` are reserved words)."""
    return ".".join(quote_ident(part) for part in table.split(".", 1))


def column_definitions(schema: pa.Schema) -> list[str]:
    return [f"{quote_ident(f.name)} {sql_type(f.type)}{'' if f.nullable else ' NOT NULL'}" for f in schema]


def create_table_sql(table: str, schema: pa.Schema) -> str:
    cols = ",\n    ".join(column_definitions(schema))
    return f"CREATE TABLE IF NOT EXISTS {quote_table(table)} (\n    {cols}\n)"


def create_load_log_sql() -> str:
    cols = ",\n    ".join(column_definitions(LOAD_LOG_SCHEMA))
    key = ", ".join(LOAD_LOG_KEY)
    return f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{LOAD_LOG_TABLE} (\n    {cols},\n    PRIMARY KEY ({key})\n)"


def create_publish_log_sql() -> str:
    return (
        f"CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{PUBLISH_LOG_TABLE} (\n    id VARCHAR PRIMARY KEY,\n"
        "    version BIGINT NOT NULL,\n    published_at TIMESTAMP NOT NULL,\n    last_publish VARCHAR\n)"
    )


def record_publish_sql() -> str:
    """Portable upsert that bumps the publish version; params: published_at, what was published."""
    table = f"{RAW_SCHEMA}.{PUBLISH_LOG_TABLE}"
    return (
        f"INSERT INTO {table} (id, version, published_at, last_publish) VALUES ('{PUBLISH_LOG_ROW}', 1, ?, ?) "
        f"ON CONFLICT (id) DO UPDATE SET version = {PUBLISH_LOG_TABLE}.version + 1, "
        "published_at = excluded.published_at, last_publish = excluded.last_publish"
    )


PUBLISH_VERSION_SQL = f"SELECT version FROM {RAW_SCHEMA}.{PUBLISH_LOG_TABLE} WHERE id = '{PUBLISH_LOG_ROW}'"
Filter = tuple[str, str, Any]  # (column, "=" | ">=" | "<=" | "in", value or list of values)


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

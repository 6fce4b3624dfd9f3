"""`raw.symbol_universe`: the recorded symbol universe, so that a backfill of 2019 uses 2019's symbols.

One row per symbol, replaced as a whole in one transaction by each refresh (the publish version is bumped in
the same transaction, so the API's caches see it):

    symbol VARCHAR PK | base_asset VARCHAR | quote_asset VARCHAR | status VARCHAR (Binance's: TRADING, BREAK...)
    first_day DATE | last_day DATE (BREAK only) | quote_volume DOUBLE (24 h, quote asset) | updated_at TIMESTAMP

Created by `Warehouse.ensure_schema` on both engines (DuckDB and PostgreSQL); declared here only.

The seam the pipeline calls (no Dagster here):

    refresh_universe(warehouse, source_from_settings(settings))  # daily: exchangeInfo -> table (cheap)
    universe = universe_for(settings, warehouse)                   # the table, filtered by the settings
    universe.symbols_on(day)                                       # the day's symbols, sorted
    symbols_for_day(settings, warehouse, day)                      # the same, [] before BINANCE_ASSETS_START_DATE

`universe_for` filters by the settings: `BINANCE_ASSETS_SYMBOLS` (the allow-list; `*` = every symbol),
`BINANCE_ASSETS_UNIVERSE_QUOTE_ASSETS`, `BINANCE_ASSETS_UNIVERSE_DENY`, `BINANCE_ASSETS_UNIVERSE_MIN_QUOTE_VOLUME`
(`binance.universe.SymbolUniverse.filtered`). While the table is empty (never refreshed, e.g. a fresh demo
warehouse) the universe is the allow-list itself, each symbol TRADING from `BINANCE_ASSETS_START_DATE`; with no
allow-list either, it is a `UniverseError` saying to refresh.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

import pyarrow as pa

from binance_assets.binance.errors import UniverseError
from binance_assets.binance.rest_shapes import split_symbol
from binance_assets.binance.universe import TRADING, Listing, SymbolUniverse
from binance_assets.binance.universe_source import UniverseSource, refresh_listings
from binance_assets.warehouse.base import Warehouse
from binance_assets.warehouse.errors import PartitionWriteError, WarehouseError, WarehouseLockTimeout
from binance_assets.warehouse.table_names import SYMBOL_UNIVERSE_TABLE
from binance_assets.warehouse.tables import column_definitions, quote_ident, quote_table

if TYPE_CHECKING:
    from binance_assets.settings import Settings

SYMBOL_UNIVERSE_SCHEMA = pa.schema(
    [
        pa.field("symbol", pa.string(), nullable=False),
        pa.field("base_asset", pa.string(), nullable=False),
        pa.field("quote_asset", pa.string(), nullable=False),
        pa.field("status", pa.string(), nullable=False),
        pa.field("first_day", pa.date32(), nullable=False),
        pa.field("last_day", pa.date32()),
        pa.field("quote_volume", pa.float64()),
        pa.field("updated_at", pa.timestamp("us"), nullable=False),
    ]
)
_COLUMNS = ", ".join(quote_ident(c) for c in SYMBOL_UNIVERSE_SCHEMA.names)
_ROWS_PER_INSERT = 500  # 4,000 parameters a statement: well under PostgreSQL's 65,535

__all__ = [
    "SYMBOL_UNIVERSE_SCHEMA",
    "SYMBOL_UNIVERSE_TABLE",
    "create_symbol_universe_sql",
    "read_universe",
    "refresh_universe",
    "symbols_for_day",
    "universe_for",
    "universe_updated_at",
    "write_universe",
]


def create_symbol_universe_sql() -> str:
    """The table's DDL (the same on DuckDB and PostgreSQL); run by each engine's `ensure_schema`."""
    cols = ",\n    ".join(column_definitions(SYMBOL_UNIVERSE_SCHEMA))
    table = quote_table(SYMBOL_UNIVERSE_TABLE)
    return f"CREATE TABLE IF NOT EXISTS {table} (\n    {cols},\n    PRIMARY KEY (symbol)\n)"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def write_universe(
    warehouse: Warehouse, listings: Iterable[Listing] | SymbolUniverse, *, updated_at: dt.datetime | None = None
) -> int:
    """Replace the table with `listings` in one transaction (all or nothing); returns the rows written.

    `updated_at` (naive UTC; default now) is stamped on every row: when this universe was recorded.
    """
    universe = listings if isinstance(listings, SymbolUniverse) else SymbolUniverse(listings)
    stamp = updated_at or _now()
    if stamp.tzinfo is not None:
        stamp = stamp.astimezone(dt.UTC).replace(tzinfo=None)
    rows = [
        [x.symbol, x.base_asset, x.quote_asset, x.status, x.first_day, x.last_day, x.quote_volume, stamp]
        for x in universe
    ]
    width = len(SYMBOL_UNIVERSE_SCHEMA)
    warehouse._ensure_schema_once()
    try:
        with warehouse._partition_transaction(f"{SYMBOL_UNIVERSE_TABLE}/replace") as con:
            warehouse._execute(con, f"DELETE FROM {quote_table(SYMBOL_UNIVERSE_TABLE)}", None)
            for i in range(0, len(rows), _ROWS_PER_INSERT):
                chunk = rows[i : i + _ROWS_PER_INSERT]
                values = ", ".join("(" + ", ".join("?" * width) + ")" for _ in chunk)
                params = [value for row in chunk for value in row]
                warehouse._execute(
                    con, f"INSERT INTO {quote_table(SYMBOL_UNIVERSE_TABLE)} ({_COLUMNS}) VALUES {values}", params
                )
            warehouse._record_publish(con, SYMBOL_UNIVERSE_TABLE)
    except WarehouseLockTimeout:
        raise
    except Exception as exc:
        raise PartitionWriteError(
            f"replacing {SYMBOL_UNIVERSE_TABLE} failed and was rolled back, the previous universe is unchanged: "
            f"{type(exc).__name__}: {exc}"
        ) from exc
    return len(rows)


def read_universe(warehouse: Warehouse) -> SymbolUniverse:
    """The recorded universe (every row, unfiltered); empty if never written."""
    warehouse._ensure_schema_once()
    table = warehouse._query_arrow(f"SELECT {_COLUMNS} FROM {quote_table(SYMBOL_UNIVERSE_TABLE)} ORDER BY symbol", None)
    try:
        return SymbolUniverse(
            Listing(r["symbol"], r["base_asset"], r["quote_asset"], r["status"], r["first_day"], r["last_day"],
                    r["quote_volume"])
            for r in table.to_pylist()
        )  # fmt: skip
    except UniverseError as exc:
        raise WarehouseError(f"{SYMBOL_UNIVERSE_TABLE} holds an invalid row: {exc}") from exc


def universe_updated_at(warehouse: Warehouse) -> dt.datetime | None:
    """When the recorded universe was written (naive UTC), None if never."""
    warehouse._ensure_schema_once()
    table = warehouse._query_arrow(f"SELECT max(updated_at) AS at FROM {quote_table(SYMBOL_UNIVERSE_TABLE)}", None)
    return table.column("at")[0].as_py()


def refresh_universe(warehouse: Warehouse, source: UniverseSource, today: dt.date | None = None) -> SymbolUniverse:
    """Read the source (candles only for symbols not known yet, see `refresh_listings`), record, return it."""
    today = today or _now().date()
    listings = refresh_listings(source, read_universe(warehouse), today)
    write_universe(warehouse, listings)
    return SymbolUniverse(listings)


def universe_for(settings: Settings, warehouse: Warehouse) -> SymbolUniverse:
    """The recorded universe filtered by the settings (see the module docstring for the empty table)."""
    recorded = read_universe(warehouse)
    if not len(recorded):
        if not settings.symbols:
            raise UniverseError(
                f"{SYMBOL_UNIVERSE_TABLE} is empty and BINANCE_ASSETS_SYMBOLS names no symbol: refresh the universe "
                "(binance_assets.warehouse.universe.refresh_universe) or set an allow-list"
            )
        recorded = SymbolUniverse(
            Listing(s, *split_symbol(s), TRADING, settings.start_date) for s in dict.fromkeys(settings.symbols)
        )
    return recorded.filtered(
        quote_assets=settings.universe_quote_assets,
        allow=settings.symbols,
        deny=settings.universe_deny,
        min_quote_volume=settings.universe_min_quote_volume,
    )


def symbols_for_day(settings: Settings, warehouse: Warehouse, day: dt.date) -> list[str]:
    """The symbols expected on `day`, sorted; none before `BINANCE_ASSETS_START_DATE` (the first day)."""
    if day < settings.start_date:
        return []
    return universe_for(settings, warehouse).symbols_on(day)

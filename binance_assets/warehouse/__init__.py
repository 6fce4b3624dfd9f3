"""DuckDB and PostgreSQL loaders for the raw Binance tables, with idempotent partition replace.

No Dagster imports here: the Dagster resource wrapping a `Warehouse` lives elsewhere.

    wh = make_warehouse("duckdb", duckdb_path=Path(".data/warehouse.duckdb"))
    wh.replace_partition("spot_trades", "BTCUSDT", date(2025, 1, 1), arrow_table,
                         LoadRecord(source_url=url, sha256=checksum))
    wh.read_partition("spot_trades", "BTCUSDT", "2025-01-01")      # pandas, ordered by id/time
    wh.query("SELECT count(*) AS n FROM raw.spot_trades WHERE symbol = ?", ["BTCUSDT"])

    # Derived tables (created on first write from the Arrow schema; same atomic partition replace):
    wh.replace_table_partition("features.minute_features", "BTCUSDT", "2025-01-01", features)
    wh.read_table("features.minute_features", symbols=["BTCUSDT"], start=date(2025, 1, 1))
    wh.table_exists("ml.predictions")
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from binance_assets.warehouse.base import (
    LoadRecord,
    PartitionDataError,
    PartitionRejected,
    PartitionWriteError,
    StagedPartition,
    TableNotFoundError,
    Warehouse,
    WarehouseError,
    WarehouseLockTimeout,
)
from binance_assets.warehouse.duckdb_warehouse import DuckDBWarehouse
from binance_assets.warehouse.errors import DatabaseMissing
from binance_assets.warehouse.postgres_warehouse import PostgresWarehouse
from binance_assets.warehouse.tables import (
    LOAD_LOG_SCHEMA,
    RAW_SCHEMA,
    RAW_TABLES,
    RAW_TABLES_BY_KIND,
    SPOT_AGG_TRADES,
    SPOT_KLINES_1M,
    SPOT_TRADES,
    RawTable,
    get_raw_table,
    raw_table_for,
    raw_table_for_archive,
    raw_table_of,
)

if TYPE_CHECKING:
    from binance_assets.settings import Settings

WAREHOUSE_KINDS = ("duckdb", "postgres")


def make_warehouse(kind: str, *, duckdb_path: Path | str | None = None, postgres_url: str | None = None) -> Warehouse:
    """A warehouse of `kind` ("duckdb" or "postgres").

    A missing `duckdb_path`/`postgres_url` is taken from `binance_assets.settings.get_settings()`.
    """
    kind = kind.strip().lower()
    if kind == "duckdb":
        if duckdb_path is None:
            from binance_assets.settings import get_settings

            duckdb_path = get_settings().resolved_duckdb_path
        return DuckDBWarehouse(Path(duckdb_path))
    if kind in ("postgres", "postgresql"):
        if postgres_url is None:
            from binance_assets.settings import get_settings, postgres_connection_url

            postgres_url = postgres_connection_url(get_settings())
        return PostgresWarehouse(postgres_url)
    raise ValueError(f"unknown warehouse kind {kind!r}: expected one of {', '.join(WAREHOUSE_KINDS)}")


def warehouse_from_settings(settings: Settings | None = None) -> Warehouse:
    """The warehouse of the current environment (DuckDB in `local`, PostgreSQL in `ci`/`prod`)."""
    from binance_assets.settings import get_settings, postgres_connection_url

    if settings is None:
        settings = get_settings()
    return make_warehouse(
        settings.warehouse_kind,
        duckdb_path=settings.resolved_duckdb_path,
        postgres_url=postgres_connection_url(settings),
    )


__all__ = [
    "LOAD_LOG_SCHEMA",
    "RAW_SCHEMA",
    "RAW_TABLES",
    "RAW_TABLES_BY_KIND",
    "SPOT_AGG_TRADES",
    "SPOT_KLINES_1M",
    "SPOT_TRADES",
    "WAREHOUSE_KINDS",
    "DatabaseMissing",
    "DuckDBWarehouse",
    "LoadRecord",
    "PartitionDataError",
    "PartitionRejected",
    "PartitionWriteError",
    "PostgresWarehouse",
    "RawTable",
    "StagedPartition",
    "TableNotFoundError",
    "Warehouse",
    "WarehouseError",
    "WarehouseLockTimeout",
    "get_raw_table",
    "make_warehouse",
    "raw_table_for",
    "raw_table_for_archive",
    "raw_table_of",
    "warehouse_from_settings",
]

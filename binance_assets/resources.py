"""Dagster resources and the one place that maps an environment to them (hooli's per-env dicts)."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.settings import Environment, Settings, get_settings
from binance_assets.warehouse import Warehouse, make_warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The analytical warehouse: a DuckDB file (embedded default) or PostgreSQL."""

    kind: str = "duckdb"
    duckdb_path: str = ""
    postgres_url: str = ""

    def get(self) -> Warehouse:
        warehouse = make_warehouse(
            self.kind,
            duckdb_path=Path(self.duckdb_path) if self.duckdb_path else None,
            postgres_url=self.postgres_url or None,
        )
        warehouse.ensure_schema()
        return warehouse


class ArchiveResource(dg.ConfigurableResource):
    """Where daily archives come from: data.binance.vision or a local mirror folder of the same layout."""

    base_url: str
    download_dir: str
    quarantine_dir: str

    def client(self) -> ArchiveClient:
        return ArchiveClient(
            base_url=self.base_url,
            download_dir=Path(self.download_dir),
            quarantine_dir=Path(self.quarantine_dir),
        )


def warehouse_resource(settings: Settings) -> WarehouseResource:
    if settings.env is Environment.LOCAL:
        return WarehouseResource(kind="duckdb", duckdb_path=str(settings.resolved_duckdb_path))
    return WarehouseResource(kind="postgres", postgres_url=settings.postgres_url)


def archive_resource(settings: Settings) -> ArchiveResource:
    return ArchiveResource(
        base_url=settings.resolved_archive_base_url,
        download_dir=str(settings.download_dir),
        quarantine_dir=str(settings.quarantine_dir),
    )


def resources_for(settings: Settings | None = None) -> dict[str, dg.ConfigurableResource]:
    settings = settings or get_settings()
    return {"warehouse": warehouse_resource(settings), "archive": archive_resource(settings)}

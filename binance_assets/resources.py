"""Dagster resources and the one place that maps an environment to them (hooli's per-env dicts)."""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg
from dagster_aws.s3 import S3Resource
from dagster_dbt import DbtCliResource

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.rest_resources import rest_resources
from binance_assets.settings import DBT_PROJECT_DIR, Environment, Settings, get_settings
from binance_assets.transform.dbt_vars import dbt_env
from binance_assets.warehouse import Warehouse, make_warehouse


class WarehouseResource(dg.ConfigurableResource):
    """The analytical warehouse: a DuckDB file (embedded default) or PostgreSQL."""

    kind: str = "duckdb"
    duckdb_path: str = ""
    postgres_url: str = ""
    dbt_target: str = "local"

    def get(self) -> Warehouse:
        warehouse = make_warehouse(
            self.kind,
            duckdb_path=Path(self.duckdb_path) if self.duckdb_path else None,
            postgres_url=self.postgres_url or None,
        )
        warehouse.ensure_schema()
        return warehouse

    def dbt_env(self) -> dict[str, str]:
        """The variables dbt_project/profiles.yml reads to reach this same warehouse."""
        return dbt_env(self.dbt_target, duckdb_path=self.duckdb_path or None, postgres_url=self.postgres_url or None)


class ArchiveResource(dg.ConfigurableResource):
    """Where daily archives come from: data.binance.vision or a local mirror folder of the same layout."""

    base_url: str
    download_dir: str
    quarantine_dir: str
    s3_endpoint_url: str | None = None

    def client(self) -> ArchiveClient:
        s3_client = None
        if self.base_url.lower().startswith("s3://"):
            s3_client = S3Resource(endpoint_url=self.s3_endpoint_url).get_client()
        return ArchiveClient(
            base_url=self.base_url,
            download_dir=Path(self.download_dir),
            quarantine_dir=Path(self.quarantine_dir),
            s3_client=s3_client,
        )


def warehouse_resource(settings: Settings) -> WarehouseResource:
    if settings.env is Environment.LOCAL:
        return WarehouseResource(kind="duckdb", duckdb_path=str(settings.resolved_duckdb_path), dbt_target="local")
    return WarehouseResource(kind="postgres", postgres_url=settings.postgres_url, dbt_target=settings.env.value)


def archive_resource(settings: Settings) -> ArchiveResource:
    return ArchiveResource(
        base_url=settings.resolved_archive_base_url,
        download_dir=str(settings.download_dir),
        quarantine_dir=str(settings.quarantine_dir),
        s3_endpoint_url=settings.s3_endpoint_url,
    )


def dbt_executable() -> str:
    """The dbt installed beside this Python (a venv that is not on PATH), else the one on PATH."""
    beside = Path(sys.executable).parent / "dbt"
    return str(beside) if beside.exists() else "dbt"


def resources_for(settings: Settings | None = None) -> dict[str, dg.ConfigurableResource]:
    settings = settings or get_settings()
    warehouse = warehouse_resource(settings)
    return {
        **rest_resources(settings),
        "warehouse": warehouse,
        "archive": archive_resource(settings),
        "dbt": DbtCliResource(
            project_dir=str(DBT_PROJECT_DIR),
            profiles_dir=str(DBT_PROJECT_DIR),
            target=warehouse.dbt_target,
            dbt_executable=dbt_executable(),
        ),
    }

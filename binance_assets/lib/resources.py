"""The Dagster resources every domain uses (warehouse, archive, alert webhook), built from the settings.

Secrets only by reference: the PostgreSQL password is the resource field `postgres_password`, set to
`dg.EnvVar("BINANCE_ASSETS_PG_PASSWORD")`, and the alert webhook URL is `AlertWebhook.url`, set to
`dg.EnvVar("BINANCE_ASSETS_ALERT_WEBHOOK_URL")`. Dagster shows that field as the variable's name and resolves
it only where the resource is used (a run's or sensor's process), so the password is in no resource
config the UI shows, nor in run config or tags. dbt's profile reads the same variable itself
(dbt_project/profiles.yml): it is not copied into the run's environment either.
"""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.lib.webhook import send_alert
from binance_assets.settings import (
    ALERT_WEBHOOK_ENV,
    PG_PASSWORD_ENV,
    Environment,
    Settings,
    with_password,
)
from binance_assets.warehouse import Warehouse, make_warehouse
from binance_assets.warehouse.dbt_profile import dbt_env


class WarehouseResource(dg.ConfigurableResource):
    """The analytical warehouse: a DuckDB file (embedded default) or PostgreSQL."""

    kind: str = "duckdb"
    duckdb_path: str = ""
    # Without a password (see `Settings.postgres_url`); the password comes as `dg.EnvVar(PG_PASSWORD_ENV)`.
    postgres_url: str = ""
    postgres_password: str | None = None
    dbt_target: str = "local"

    def open(self) -> Warehouse:
        """The warehouse, without creating its schema (readers such as sensors)."""
        return make_warehouse(
            self.kind,
            duckdb_path=Path(self.duckdb_path) if self.duckdb_path else None,
            postgres_url=with_password(self.postgres_url, self.postgres_password) if self.postgres_url else None,
        )

    def get(self) -> Warehouse:
        warehouse = self.open()
        warehouse.ensure_schema()
        return warehouse

    def dbt_env(self) -> dict[str, str]:
        """The variables dbt_project/profiles.yml reads to reach this same warehouse, but the password:
        dbt reads that one from PG_PASSWORD_ENV itself, so it is not copied anywhere."""
        return dbt_env(self.dbt_target, duckdb_path=self.duckdb_path or None, postgres_url=self.postgres_url or None)


class AlertWebhook(dg.ConfigurableResource):
    """Where alerts go: a Slack-compatible webhook URL (a secret: give it as `dg.EnvVar`), or none, in
    which case alerts are only logged. Sending never raises (binance_assets.lib.webhook)."""

    url: str | None = None

    def send(self, text: str, logger: object = None) -> bool:
        return send_alert(text, webhook_url=(self.url or "").strip() or None, logger=logger)


def alert_webhook_resource() -> AlertWebhook:
    """The webhook as a reference to its environment variable when that is set where the location loads."""
    return AlertWebhook(url=dg.EnvVar(ALERT_WEBHOOK_ENV)) if os.environ.get(ALERT_WEBHOOK_ENV) else AlertWebhook()


class ArchiveResource(dg.ConfigurableResource):
    """Where daily archives come from: data.binance.vision or a local mirror folder of the same layout."""

    base_url: str
    download_dir: str
    quarantine_dir: str
    s3_endpoint_url: str | None = None

    def client(self) -> ArchiveClient:
        s3_client = None
        if self.base_url.lower().startswith("s3://"):
            from dagster_aws.s3 import S3Resource  # imported when used: see `resources_for`

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
    return WarehouseResource(
        kind="postgres",
        postgres_url=settings.postgres_url,
        postgres_password=postgres_password_ref(settings),
        dbt_target=settings.env.value,
    )


def postgres_password_ref(settings: Settings) -> dg.EnvVar | None:
    """The password as a reference to its environment variable: always in `prod` (a missing variable is
    then a clear error where the warehouse is used), elsewhere when the variable is set."""
    if settings.env is Environment.PROD or os.environ.get(PG_PASSWORD_ENV):
        return dg.EnvVar(PG_PASSWORD_ENV)
    return None


def archive_resource(settings: Settings) -> ArchiveResource:
    return ArchiveResource(
        base_url=settings.resolved_archive_base_url,
        download_dir=str(settings.download_dir),
        quarantine_dir=str(settings.quarantine_dir),
        s3_endpoint_url=settings.s3_endpoint_url,
    )

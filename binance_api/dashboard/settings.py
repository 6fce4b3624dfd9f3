"""The dashboard's settings (`BINANCE_ASSETS_DASHBOARD_*`), beside the API's."""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

COOKIE_NAME = "bmp_dashboard"


class DashboardSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BINANCE_ASSETS_DASHBOARD_", extra="ignore")

    # Where Dagster records check outcomes: a SQLite index file (embedded default:
    # $DAGSTER_HOME/history/runs/index.db) or the PostgreSQL URL of Dagster's storage (a secret: by reference).
    dagster_storage: SecretStr | None = None
    dagster_ui_url: str = "http://127.0.0.1:3000"  # links from a heat-map cell to the asset in the Dagster UI
    max_market_days: int = Field(default=7, ge=1, le=62)  # widest range the market page loads at once
    cookie_secure: bool | None = None  # default: True in prod (HTTPS), False elsewhere

    def storage_target(self) -> str | None:
        """The SQLite path or PostgreSQL URL of Dagster's event storage, if any."""
        if self.dagster_storage is not None:
            return self.dagster_storage.get_secret_value()
        home = os.environ.get("DAGSTER_HOME")
        if home:
            path = Path(home) / "history" / "runs" / "index.db"
            return str(path)
        return None

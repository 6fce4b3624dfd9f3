"""The dashboard's settings (`BINANCE_ASSETS_DASHBOARD_*`), beside the API's."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

COOKIE_NAME = "bmp_dashboard"


class DashboardSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BINANCE_ASSETS_DASHBOARD_", extra="ignore")

    # Where Dagster records check outcomes is the API's setting `BINANCE_ASSETS_API_DAGSTER_STORAGE`
    # (`ApiConfig.dagster_storage`: $DAGSTER_HOME/history/runs/index.db by default, or a PostgreSQL URL).
    dagster_ui_url: str = "http://127.0.0.1:3000"  # links from a heat-map cell to the asset in the Dagster UI
    max_market_days: int = Field(default=7, ge=1, le=62)  # widest range the market page loads at once
    cookie_secure: bool | None = None  # default: True in prod (HTTPS), False elsewhere

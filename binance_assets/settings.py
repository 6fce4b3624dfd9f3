"""The one place that reads the environment: which deployment this is, paths, connection strings.

`BINANCE_ASSETS_ENV` picks the environment (`local`, the embedded default; `ci`; `prod`). Every other
setting has a `BINANCE_ASSETS_` environment variable of its own (see `Settings`).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


class Environment(StrEnum):
    LOCAL = "local"
    CI = "ci"
    PROD = "prod"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BINANCE_ASSETS_", extra="ignore")

    env: Environment = Environment.LOCAL
    data_dir: Path = PROJECT_ROOT / ".data"
    # Warehouse: a DuckDB file in `local`; PostgreSQL in `ci` and `prod`.
    duckdb_path: Path | None = None
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/binance"
    # Where archives come from: https://data.binance.vision or a local mirror folder.
    archive_base_url: str | None = None
    symbols: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["BTCUSDT", "ETHUSDT"])
    start_date: dt.date = dt.date(2025, 1, 1)
    # Simulator size for the demo; benchmarks pass their own.
    sim_trades_per_day: int = 20_000
    sim_seed: int = 7
    # Strength of the simulator's planted, learnable signal (0 = a pure random walk). The demo plants one
    # so that its model has something to learn and gets promoted; real data has what it has.
    sim_signal: float = 1.0
    # A raw day's archive is due this many hours after midnight UTC of the following day.
    raw_due_hours_after_midnight: float = 6.0
    # Features and models.
    label_horizon_minutes: int = 5
    # Model registry: a local folder (embedded default) or s3://bucket/prefix.
    model_registry_url: str | None = None
    s3_endpoint_url: str | None = None
    # Binance REST API (gap-fill, merchant C2C orders). Keys are never settings values: see
    # binance_assets/rest_resources.py (BINANCE_ASSETS_MERCHANT_<ACCOUNT>_API_KEY, ... read via dg.EnvVar).
    rest_base_url: str = "https://api.binance.com"
    rest_weight_share: float = 0.8
    rest_recv_window_ms: int = 5000
    merchant_accounts: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("merchant_accounts", mode="before")
    @classmethod
    def _split_accounts(cls, value: object) -> object:
        if isinstance(value, str):
            return [s.strip().lower() for s in value.split(",") if s.strip()]
        return value

    @field_validator("symbols", mode="before")
    @classmethod
    def _split_symbols(cls, value: object) -> object:
        if isinstance(value, str):
            return [s.strip().upper() for s in value.split(",") if s.strip()]
        return value

    @property
    def warehouse_kind(self) -> str:
        return "duckdb" if self.env is Environment.LOCAL else "postgres"

    @property
    def resolved_duckdb_path(self) -> Path:
        return self.duckdb_path or self.data_dir / "warehouse.duckdb"

    @property
    def mirror_dir(self) -> Path:
        return self.data_dir / "mirror"

    @property
    def resolved_archive_base_url(self) -> str:
        return self.archive_base_url or str(self.mirror_dir)

    @property
    def download_dir(self) -> Path:
        return self.data_dir / "downloads"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def resolved_model_registry_url(self) -> str:
        return self.model_registry_url or str(self.data_dir / "models")


@lru_cache
def get_settings() -> Settings:
    return Settings()

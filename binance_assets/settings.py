"""The one place that reads the environment: which deployment this is, paths, connection strings.

`BINANCE_ASSETS_ENV` picks the environment (`local`, the embedded default; `ci`; `prod`). Every other
setting has a `BINANCE_ASSETS_` environment variable of its own (see `Settings`).

Secrets are not settings: they stay in their own environment variables (`SECRET_ENV_VARS`) and reach
Dagster as `dg.EnvVar` references (binance_assets.resources), so their values are never part of the
definitions, of resource config the UI shows, or of run tags. The PostgreSQL URL names no password.
"""

from __future__ import annotations

import datetime as dt
import os
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import quote, urlsplit, urlunsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"

# Secrets: names of the environment variables that hold them (ECS `secrets` from Secrets Manager in prod).
PG_PASSWORD_ENV = "BINANCE_ASSETS_PG_PASSWORD"  # nosec B105 # the variable's name, not its value
ALERT_WEBHOOK_ENV = "BINANCE_ASSETS_ALERT_WEBHOOK_URL"
SECRET_ENV_VARS = (PG_PASSWORD_ENV, ALERT_WEBHOOK_ENV)


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
    # Without a password: that one is the secret BINANCE_ASSETS_PG_PASSWORD (PG_PASSWORD_ENV).
    postgres_url: str = "postgresql://postgres@127.0.0.1:5432/binance"
    # Where archives come from: https://data.binance.vision or a local mirror folder.
    archive_base_url: str | None = None
    # The allow-list of the symbol universe (comma-separated; `*` or empty: every symbol of the universe). The
    # universe itself is `raw.symbol_universe`, from exchangeInfo (binance_assets.warehouse.universe).
    symbols: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["BTCUSDT", "ETHUSDT"])
    start_date: dt.date = dt.date(2025, 1, 1)
    # The USD-M futures symbols loaded (comma-separated; empty: none): futures have their own symbol list, not the
    # spot universe's (`lib.partitions.universe_on(..., market)`).
    um_symbols: Annotated[list[str], NoDecode] = Field(default_factory=lambda: ["BTCUSDT"])
    # Universe filters, ANDed with the allow-list: quote assets (comma-separated, e.g. `USDT,USDC`; empty: any),
    # a deny-list (wins over the allow-list), a minimum 24 h quote volume (0: none; unknown volume fails it).
    universe_quote_assets: Annotated[list[str], NoDecode] = Field(default_factory=list)
    universe_deny: Annotated[list[str], NoDecode] = Field(default_factory=list)
    universe_min_quote_volume: float = Field(default=0.0, ge=0, allow_inf_nan=False)
    # Simulator size for the demo; benchmarks pass their own.
    sim_trades_per_day: int = 20_000
    sim_seed: int = 7
    # A simulated exchange (`simulate --universe N`): N symbols (0: only the allow-list's, as before), their
    # daily trades in all when every one trades, split by a power law of exponent `sim_universe_alpha`.
    sim_universe: int = Field(default=0, ge=0)
    sim_universe_trades_per_day: int = Field(default=2_000_000, ge=1)
    sim_universe_alpha: float = Field(default=1.5, gt=0, allow_inf_nan=False)
    # Strength of the simulator's planted, learnable signal (0 = a pure random walk). The demo plants one
    # so that its model has something to learn and gets promoted; real data has what it has.
    sim_signal: float = 1.0
    # A raw day's archive is due this many hours after midnight UTC of the following day.
    raw_due_hours_after_midnight: float = 6.0
    # The poller re-reads the `.CHECKSUM` of the loaded days of this many most recent days (replaced archives).
    recheck_days: int = Field(default=7, ge=0)
    # Features and models.
    label_horizon_minutes: int = 5
    # Model registry: a local folder (embedded default) or s3://bucket/prefix.
    model_registry_url: str | None = None
    s3_endpoint_url: str | None = None
    # Binance REST API (gap-fill, merchant C2C orders). Keys are never settings values: see
    # binance_assets/lib/rest_resources.py (BINANCE_ASSETS_MERCHANT_<ACCOUNT>_API_KEY, ... read via dg.EnvVar).
    rest_base_url: str = "https://api.binance.com"
    # USD-M futures' REST host (the gap-fill of the um_* tables); the simulator serves both at one URL.
    rest_um_base_url: str = "https://fapi.binance.com"
    rest_weight_share: float = 0.8
    rest_recv_window_ms: int = 5000
    merchant_accounts: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("merchant_accounts", mode="before")
    @classmethod
    def _split_accounts(cls, value: object) -> object:
        if isinstance(value, str):
            return [s.strip().lower() for s in value.split(",") if s.strip()]
        return value

    @field_validator("symbols", "universe_quote_assets", "universe_deny", "um_symbols", mode="before")
    @classmethod
    def _split_symbols(cls, value: object) -> object:
        if isinstance(value, str):
            value = [s.strip().upper() for s in value.split(",") if s.strip()]
        if isinstance(value, list) and value == ["*"]:
            return []  # every one
        return value

    @field_validator("postgres_url")
    @classmethod
    def _no_password_in_url(cls, value: str) -> str:
        if urlsplit(value).password is not None:
            raise ValueError(
                f"BINANCE_ASSETS_POSTGRES_URL must not contain a password (it would show in the Dagster UI): "
                f"put the URL without it and the password in {PG_PASSWORD_ENV}"
            )
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


def with_password(url: str, password: str | None) -> str:
    """`url` with `password` put in (in memory only, to connect); unchanged when there is none."""
    if not password:
        return url
    parts = urlsplit(url)
    user = quote(parts.username or "postgres", safe="")
    host = parts.hostname or "127.0.0.1"
    host = f"[{host}]" if ":" in host else host
    port = f":{parts.port}" if parts.port else ""
    netloc = f"{user}:{quote(password, safe='')}@{host}{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def postgres_connection_url(settings: Settings) -> str:
    """The PostgreSQL URL to connect with outside Dagster (CLI, API): the password from its env var."""
    return with_password(settings.postgres_url, os.environ.get(PG_PASSWORD_ENV) or None)


@lru_cache
def get_settings() -> Settings:
    return Settings()

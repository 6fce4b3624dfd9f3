"""The API's settings: `BINANCE_ASSETS_API_*` variables, beside the platform's `BINANCE_ASSETS_*` ones.

The platform's settings (`binance_assets.settings.Settings`: environment, warehouse, data folder) are
read as they are; this class adds only what the service needs. Secrets are read by reference from
the environment (or, in `local`, from a generated file under the data folder), never logged.
"""

from __future__ import annotations

import os
import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from binance_assets.settings import Environment, Settings, get_settings


class AuthMode(StrEnum):
    HS256 = "hs256"  # local: tokens minted by `binance-api token`
    COGNITO = "cognito"  # prod: RS256 tokens issued by AWS Cognito, verified against its JWKS


class ApiSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BINANCE_ASSETS_API_", extra="ignore")

    # --- auth -------------------------------------------------------------------------------------
    auth_mode: AuthMode | None = None  # default: cognito in prod, hs256 elsewhere
    jwt_secret: SecretStr | None = None  # HS256 key; default: generated once into <data_dir>/api/jwt_secret
    jwt_issuer: str = "binance-assets-local"
    jwt_audience: str = "binance-assets-api"
    cognito_region: str | None = None
    cognito_user_pool_id: str | None = None
    cognito_client_id: str | None = None  # the audience (id tokens: `aud`; access tokens: `client_id`)
    cognito_token_use: str = "access"
    jwks_url: str | None = None  # default derived from region + pool id
    cognito_issuer: str | None = None  # default derived from region + pool id
    jwks_cache_seconds: float = 300.0
    # A token with an unknown kid refetches the JWKS (key rotation), at most once per this many seconds.
    jwks_refresh_cooldown_seconds: float = 30.0
    # Whether /api/v3 (Binance's public paths) needs a token: open by default outside prod.
    market_data_public: bool | None = None

    # --- rate limits, cache -------------------------------------------------------------------------
    redis_url: str | None = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "bmp-api"
    weight_limit_1m: int = Field(default=6000, ge=1)
    cache_ttl_seconds: int = Field(default=300, ge=1)
    # Each worker keeps the most recent cached bodies in memory too (same keys: the warehouse version is part
    # of them, so a publish invalidates both levels); this caps that copy's size. 0 turns it off.
    cache_local_max_bytes: int = Field(default=32 * 1024 * 1024, ge=0)
    # DuckDB: each worker keeps blocks of the snapshot's 1m bars (a UTC day per symbol) and aggTrades (2048 ids),
    # printed, to answer uncached klines / aggTrades without a query (services/blocks.py); this caps their
    # size. 0 turns the block store off (every uncached request queries).
    block_store_max_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    # PostgreSQL: connections each worker keeps open for the per-request REPEATABLE READ transactions.
    pg_pool_min_size: int = Field(default=1, ge=0)
    pg_pool_max_size: int = Field(default=8, ge=1)

    # --- serving -----------------------------------------------------------------------------------
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    snapshot_dir: Path | None = None  # DuckDB: where serving snapshots go (default <data_dir>/api/snapshots)
    stale_after_hours: float = 36.0  # /health/ready: data older than this is "stale"
    # The Dagster instance's event log (asset check results): a SQLite index.db path or a PostgreSQL URL.
    # Default: <DAGSTER_HOME>/history/runs/index.db when DAGSTER_HOME is set.
    dagster_storage: str | None = None

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        if isinstance(value, str):
            return [s.strip() for s in value.split(",") if s.strip()]
        return value


class ApiConfig:
    """The API's settings with the platform's, and the defaults that depend on the environment."""

    def __init__(self, api: ApiSettings | None = None, core: Settings | None = None) -> None:
        self.api = api or ApiSettings()
        self.core = core or get_settings()

    @property
    def env(self) -> Environment:
        return self.core.env

    @property
    def auth_mode(self) -> AuthMode:
        if self.api.auth_mode is not None:
            return self.api.auth_mode
        return AuthMode.COGNITO if self.env is Environment.PROD else AuthMode.HS256

    @property
    def market_data_public(self) -> bool:
        if self.api.market_data_public is not None:
            return self.api.market_data_public
        return self.env is not Environment.PROD

    @property
    def api_dir(self) -> Path:
        return self.core.data_dir / "api"

    @property
    def snapshot_dir(self) -> Path:
        return self.api.snapshot_dir or self.api_dir / "snapshots"

    def hs256_secret(self) -> str:
        """The HS256 signing key: the setting, else a secret generated once (mode 0600) under the data folder."""
        if self.api.jwt_secret is not None:
            return self.api.jwt_secret.get_secret_value()
        if self.env is Environment.PROD:
            raise RuntimeError("BINANCE_ASSETS_API_JWT_SECRET is required for HS256 tokens in prod")
        path = self.api_dir / "jwt_secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(f".{secrets.token_hex(4)}.tmp")
            tmp.write_text(secrets.token_urlsafe(48))
            tmp.chmod(0o600)
            try:
                os.link(tmp, path)  # first writer wins; concurrent workers read the same secret
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return path.read_text().strip()

    @property
    def dagster_storage(self) -> str | None:
        if self.api.dagster_storage:
            return self.api.dagster_storage
        home = os.environ.get("DAGSTER_HOME")
        return str(Path(home) / "history" / "runs" / "index.db") if home else None

    @property
    def cognito_issuer(self) -> str | None:
        if self.api.cognito_issuer:
            return self.api.cognito_issuer
        if self.api.cognito_region and self.api.cognito_user_pool_id:
            return f"https://cognito-idp.{self.api.cognito_region}.amazonaws.com/{self.api.cognito_user_pool_id}"
        return None

    @property
    def jwks_url(self) -> str | None:
        if self.api.jwks_url:
            return self.api.jwks_url
        issuer = self.cognito_issuer
        return f"{issuer}/.well-known/jwks.json" if issuer else None


@lru_cache
def get_config() -> ApiConfig:
    return ApiConfig()


class DashboardSettings(BaseSettings):
    """The dashboard's settings (`BINANCE_ASSETS_DASHBOARD_*`), beside the API's."""

    model_config = SettingsConfigDict(env_prefix="BINANCE_ASSETS_DASHBOARD_", extra="ignore")

    # Where Dagster records check outcomes is the API's setting `BINANCE_ASSETS_API_DAGSTER_STORAGE`
    # (`ApiConfig.dagster_storage`: $DAGSTER_HOME/history/runs/index.db by default, or a PostgreSQL URL).
    dagster_ui_url: str = "http://127.0.0.1:3000"  # links from a heat-map cell to the asset in the Dagster UI
    max_market_days: int = Field(default=7, ge=1, le=62)  # widest range the market page loads at once
    cookie_secure: bool | None = None  # default: True in prod (HTTPS), False elsewhere

"""What the app holds for its requests: `Services`, built once per process by the app factory (binance_api.main).

Routes and pages reach it through the typed dependencies of binance_api.deps (`ServicesDep`, `ConfigDep`, ...);
`services_of` is the one place that reads it off the app.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from starlette.applications import Starlette

from binance_api.core.security import TokenVerifier
from binance_api.middleware.rate_limiting import WeightLimiter
from binance_api.services.blocks import BlockStore
from binance_api.services.cache import LocalLRU, ResponseCache
from binance_api.services.exchange_info import ExchangeInfoCache
from binance_api.settings import ApiConfig, DashboardSettings
from binance_assets.warehouse.snapshots import Reader

if TYPE_CHECKING:
    import redis


VIEWS_MAX_BYTES = 256 * 2**20


def _view_size(value) -> int:
    return int(getattr(value, "nbytes", 4096))


@dataclass
class Services:
    config: ApiConfig
    reader: Reader  # DuckDBSnapshotReader (local) or PostgresReader (ci, prod)
    verifier: TokenVerifier  # HS256Verifier (local) or CognitoVerifier (prod)
    engine: str  # the warehouse's kind: "duckdb" or "postgres"
    limiter: WeightLimiter  # the rate limiter's storage (readiness reports when it is degraded)
    cache: ResponseCache  # responses by the warehouse version they were read at
    redis: redis.Redis | None = None  # None when no Redis is configured
    blocks: BlockStore | None = None  # DuckDB only: 1m klines and aggTrades in memory, per worker
    dashboard: DashboardSettings = field(default_factory=DashboardSettings)
    # exchangeInfo's bodies and the symbols the data paths accept, per warehouse version (the latest ones read).
    exchange_info: ExchangeInfoCache = field(default_factory=ExchangeInfoCache)
    # What the dashboard read per warehouse version (health grids, freshness, day ranges), bounded in bytes.
    views: LocalLRU = field(default_factory=lambda: LocalLRU(VIEWS_MAX_BYTES, sizeof=_view_size))


def services_of(app: Starlette) -> Services:
    """The process's `Services` from `app.state` (set by the app factory)."""
    services = getattr(app.state, "services", None)
    if not isinstance(services, Services):
        raise RuntimeError("app.state.services is not set: build the app with binance_api.main.create_app")
    return services

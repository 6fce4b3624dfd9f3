"""The app factory: `uvicorn --factory binance_api.main:create_app` (2 workers: `make api`)."""

from __future__ import annotations

import sys
from contextlib import asynccontextmanager

from fastapi import FastAPI

from binance_api.core.security import build_verifier
from binance_api.dashboard.router import install as install_dashboard
from binance_api.middleware.cors import install_cors
from binance_api.middleware.logging import RequestLogMiddleware, configure_logging
from binance_api.middleware.metrics import install_metrics
from binance_api.middleware.rate_limiting import RateLimitMiddleware, WeightLimiter
from binance_api.routers import (
    analytics,
    errors,
    exchange_info,
    futures,
    health,
    market_data,
    predictions,
    trading_data,
)
from binance_api.services.blocks import BlockStore
from binance_api.services.cache import ResponseCache
from binance_api.services.data_service import make_reader
from binance_api.settings import ApiConfig
from binance_api.state import Services

DESCRIPTION = """
The platform's data for trading apps, notebooks and dashboards.

* `/api/v3/*`: Binance's public market-data paths with Binance's shapes, weights and errors: point ccxt or
  binance-sdk-spot at this server and they read the platform's history.
* `/api/v1/*`: what Binance does not serve: bars and daily statistics, data gaps, quality and freshness,
  predictions with their model versions and realised accuracy, the model registry. Bearer JWT required.
"""


def _redis_client(config: ApiConfig):
    if not config.api.redis_url:
        return None
    import redis

    return redis.Redis.from_url(config.api.redis_url, socket_connect_timeout=0.5, socket_timeout=0.5)


def _async_redis_factory(config: ApiConfig):
    if not config.api.redis_url:
        return None
    import redis.asyncio

    url = config.api.redis_url
    return lambda: redis.asyncio.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)


def _database_or_exit(reader) -> None:
    """PostgreSQL: refuse to start, in one line saying what to run, when the warehouse's database is missing
    and this role may not create it. The exit status is uvicorn's "failed to start" (its supervisor then stops
    instead of restarting the worker)."""
    problem = reader.ensure_database()
    if problem:
        from uvicorn.config import STARTUP_FAILURE

        print(f"error: {problem}", file=sys.stderr, flush=True)
        raise SystemExit(STARTUP_FAILURE)


def create_app(config: ApiConfig | None = None) -> FastAPI:
    config = config or ApiConfig()
    configure_logging()
    reader = make_reader(config)
    _database_or_exit(reader)
    verifier = build_verifier(config)
    redis_client = _redis_client(config)
    limiter = WeightLimiter(config.api.redis_url, config.api.redis_prefix, config.api.weight_limit_1m)
    engine = config.core.warehouse_kind
    services = Services(
        config=config, reader=reader, verifier=verifier, engine=engine, limiter=limiter,
        cache=ResponseCache(redis_client, config.api.redis_prefix, config.api.cache_ttl_seconds,
                            async_redis=_async_redis_factory(config),
                            local_max_bytes=config.api.cache_local_max_bytes),
        redis=redis_client,
        blocks=BlockStore(config.api.block_store_max_bytes)
        if engine == "duckdb" and config.api.block_store_max_bytes > 0 else None,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        await services.cache.aclose()
        reader.close()
        if redis_client is not None:
            redis_client.close()

    app = FastAPI(
        title="binance-merchant-platform API", version="1.0.0", description=DESCRIPTION, lifespan=lifespan
    )
    app.state.services = services
    errors.install(app)
    for module in (market_data, exchange_info, futures, trading_data, analytics, predictions, health):
        app.include_router(module.router)
    install_dashboard(app)  # /dashboard: pages, their data, static assets (binance_api/dashboard)
    # Outermost last: request log (with id) -> CORS -> rate limit -> metrics -> app.
    install_metrics(app)
    app.add_middleware(RateLimitMiddleware, limiter=limiter, verifier=verifier)
    install_cors(app, config.api.cors_origins)
    app.add_middleware(RequestLogMiddleware)
    return app

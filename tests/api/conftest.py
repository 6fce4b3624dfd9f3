"""Fixtures of the API tests: one small warehouse per session (2 symbols x 2 days from the simulator,
loaded and built the pipeline's way), a Redis key prefix per session, apps, tokens, live servers.

Every test module here is in xdist group "api" so the warehouse is built once per run.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
START = dt.date(2025, 1, 1)
DAYS = 2
PG_DAYS = [START + dt.timedelta(days=i) for i in range(DAYS)]


@pytest.fixture(scope="session")
def api_warehouse(tmp_path_factory):
    """Built once per test run, shared read-only by the xdist workers (pytest-xdist's recipe: the first
    worker builds under a file lock in the run's base folder, the others wait and reuse it). Needed
    because the xdist_group marks do not group here: xdist sets `item._nodeid`, which this pytest ignores."""
    from support.api_warehouse import shared_api_warehouse

    return shared_api_warehouse(tmp_path_factory, SYMBOLS, START, DAYS)


@pytest.fixture(scope="session")
def redis_prefix(redis_url) -> Iterator[str]:
    """A key prefix of this session only (other engineers' tests share the Redis); deleted at the end."""
    import redis

    prefix = f"bmp-test-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}-{secrets.token_hex(6)}"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)


@pytest.fixture(scope="session")
def make_config():
    """ApiConfig over a warehouse, with a fixed HS256 secret unless given (factory)."""

    def make(warehouse, data_dir: Path, **api):
        from binance_api.settings import ApiConfig, ApiSettings
        from binance_assets.settings import Environment, Settings

        core = Settings(env=Environment.LOCAL, duckdb_path=warehouse.path, data_dir=data_dir, symbols=SYMBOLS)
        api.setdefault("jwt_secret", "test-secret-" + "x" * 32)
        return ApiConfig(api=ApiSettings(**api), core=core)

    return make


@pytest.fixture(scope="session")
def api_config(api_warehouse, redis_url, redis_prefix, tmp_path_factory, make_config):
    return make_config(api_warehouse, tmp_path_factory.mktemp("api_data"), redis_url=redis_url,
                       redis_prefix=redis_prefix)


@pytest.fixture(scope="session")
def app(api_config):
    from binance_api.main import create_app

    return create_app(api_config)


@pytest.fixture(scope="session")
def client(app):
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="session")
def token(api_config):
    from binance_api.core.security import mint_token

    def make(scopes=("market_data", "predictions", "admin"), subject=None, ttl=dt.timedelta(hours=1)):
        return mint_token(api_config, subject or f"user-{secrets.token_hex(4)}", scopes, ttl)

    return make


@pytest.fixture(scope="session")
def auth(token):
    return {"Authorization": f"Bearer {token()}"}


@pytest.fixture(scope="session")
def live_url(app) -> Iterator[str]:
    """The app served by a real uvicorn on a free loopback port (for ccxt, binance-sdk-spot, schemathesis)."""
    from support.live_server import LiveServer

    with LiveServer(app) as server:
        yield server.url


@pytest.fixture(scope="module")
def pg_warehouse(api_warehouse, module_postgres_url, tmp_path_factory):
    """The API warehouse on PostgreSQL (a database per module): BTCUSDT's raw partitions loaded from the
    same archives, its marts/features/predictions copied."""
    import pyarrow as pa
    from support.api_warehouse import load_raw

    from binance_assets.warehouse import PostgresWarehouse

    wh = PostgresWarehouse(module_postgres_url)
    load_raw(wh, api_warehouse.path.parent / "mirror", tmp_path_factory.mktemp("pg_load"), ["BTCUSDT"], PG_DAYS,
             um_symbols=["BTCUSDT"])
    for table in ("marts.fct_bars_1m", "marts.fct_symbol_daily", "marts.fct_data_gaps", "features.minute_features",
                  "ml.predictions", "marts.fct_um_bars_1m"):
        for day in PG_DAYS:
            rows = api_warehouse.query(f"SELECT * FROM {table} WHERE symbol = 'BTCUSDT' AND trade_date = ?", [day])
            if len(rows):
                wh.replace_table_partition(table, "BTCUSDT", day, pa.Table.from_pandas(rows, preserve_index=False))
    return wh


@pytest.fixture(scope="module")
def pg_client(pg_warehouse, module_postgres_url, redis_url, redis_prefix, tmp_path_factory, request):
    """An app over `pg_warehouse`, with a Redis prefix of its module (the publish versions of two modules'
    databases may be equal: their cached responses must not mix)."""
    from fastapi.testclient import TestClient

    from binance_api.main import create_app
    from binance_api.settings import ApiConfig, ApiSettings
    from binance_assets.settings import Environment, Settings

    core = Settings(env=Environment.CI, postgres_url=module_postgres_url, data_dir=tmp_path_factory.mktemp("pg"))
    api = ApiSettings(jwt_secret="pg-secret-" + "z" * 32, redis_url=redis_url,
                      redis_prefix=f"{redis_prefix}:pg:{request.module.__name__}", weight_limit_1m=1_000_000)
    config = ApiConfig(api=api, core=core)
    app = create_app(config)
    with TestClient(app) as client:
        yield client, app


# --- a warehouse with a symbol universe: the shared one's data plus raw.symbol_universe -----------------------
@pytest.fixture(scope="module")
def universe_warehouse(api_warehouse, tmp_path_factory):
    """A copy of the shared warehouse (that one is read-only) with `sample_rows()` in raw.symbol_universe."""
    import shutil

    from support.universe import sample_rows, write_universe

    from binance_assets.warehouse import DuckDBWarehouse

    path = tmp_path_factory.mktemp("universe") / "warehouse.duckdb"
    shutil.copy(api_warehouse.path, path)
    wh = DuckDBWarehouse(path)
    write_universe(wh, sample_rows())
    return wh


@pytest.fixture(scope="module")
def universe_app(universe_warehouse, redis_url, redis_prefix, tmp_path_factory, make_config, request):
    from binance_api.main import create_app

    config = make_config(universe_warehouse, tmp_path_factory.mktemp("universe_data"), redis_url=redis_url,
                         redis_prefix=f"{redis_prefix}:universe:{request.module.__name__}", weight_limit_1m=1_000_000)
    return create_app(config)


@pytest.fixture(scope="module")
def universe_client(universe_app):
    from fastapi.testclient import TestClient

    with TestClient(universe_app) as c:
        yield c


@pytest.fixture(scope="module")
def universe_url(universe_app) -> Iterator[str]:
    from support.live_server import LiveServer

    with LiveServer(universe_app) as server:
        yield server.url

"""Fixtures shared by the whole suite: throw-away PostgreSQL databases and DuckDB paths.

PostgreSQL is the server at 127.0.0.1:5432 (user postgres, trust auth); override the admin
connection with `BINANCE_ASSETS_TEST_POSTGRES_ADMIN_URL`. Every database made here is called
`bmp_test_<xdist worker>_<random hex>` and is dropped at teardown, so pytest-xdist workers never
share one. If the server cannot be reached the tests that need it are skipped, unless `CI=true`,
where they fail. Tests that use these fixtures get the `postgres` marker (`-m "not postgres"`).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

pytest_plugins = ["support.untraced"]  # the `e2e` marker: scenarios run without coverage's tracer

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
POSTGRES_FIXTURES = frozenset({"postgres_url", "fresh_postgres_url", "module_postgres_url", "postgres_admin_url"})


def _admin_url() -> str:
    return os.environ.get("BINANCE_ASSETS_TEST_POSTGRES_ADMIN_URL", DEFAULT_ADMIN_URL)


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def _create_database(admin_url: str) -> str:
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"bmp_test_{worker}_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return name


def _drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """URL of the admin database (`postgres`); skips (fails under CI=true) if the server is down."""
    url = _admin_url()
    try:
        with psycopg.connect(url, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.OperationalError as exc:
        reason = f"PostgreSQL is not reachable at {url}: {str(exc).strip()}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the server must be running)", pytrace=False)
        pytest.skip(f"{reason} (start it, or set BINANCE_ASSETS_TEST_POSTGRES_ADMIN_URL)")
    return url


@contextmanager
def _temporary_database(admin_url: str) -> Iterator[str]:
    name = _create_database(admin_url)
    try:
        yield _with_database(admin_url, name)
    finally:
        _drop_database(admin_url, name)


@pytest.fixture(scope="session")
def postgres_url(postgres_admin_url) -> Iterator[str]:
    """A fresh, empty database for this test session (one per xdist worker), dropped at the end."""
    with _temporary_database(postgres_admin_url) as url:
        yield url


@pytest.fixture
def fresh_postgres_url(postgres_admin_url) -> Iterator[str]:
    """A fresh, empty database for one test, dropped after it."""
    with _temporary_database(postgres_admin_url) as url:
        yield url


@pytest.fixture
def duckdb_path(tmp_path) -> Path:
    """Path of a not-yet-existing DuckDB file in a folder that does not exist yet either."""
    return tmp_path / "warehouse" / "warehouse.duckdb"


# The longest modules (a minute or more of one worker each: Dagster runs with dbt, `dagster dev`, process
# starts) are handed out first: pytest-xdist gives each worker the next module or group in collection
# order, and one of these started last would run alone at the end on 2 cores.
LONGEST_FIRST = (
    "tests/test_benchmarks_smoke.py",  # live_refresh's smoke run is the longest single test
    "tests/automation/test_arrival_order.py",
    "tests/transform/test_dbt_marts.py",
    "tests/automation/test_interrupted_dev.py",
    "tests/deploy/test_image_commands.py",
    "tests/transform/test_incremental_equals_full_refresh.py",
    "tests/merchant/test_merchant_pipeline.py",
    "tests/ml_location/test_ml_assets.py",
)


def _longest_first(item) -> int:
    path = item.nodeid.split("::", 1)[0]
    return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(config, items) -> None:
    for item in items:
        if POSTGRES_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.postgres)
    items.sort(key=_longest_first)  # stable: the order inside each module is kept


# Real Binance samples: shared/fixtures beside the repository (CI puts a copy of shared/ there).
def _fixtures_root() -> Path:
    env = os.environ.get("BINANCE_FIXTURES_DIR")
    root = Path(env) if env else Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
    return root / "binance" if (root / "binance").is_dir() else root


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """shared/fixtures/binance (or $BINANCE_FIXTURES_DIR); fail in CI, skip elsewhere if absent."""
    root = _fixtures_root()
    if not (root / "spot").is_dir():
        reason = f"real Binance samples not found at {root} (set BINANCE_FIXTURES_DIR)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return root


@pytest.fixture(scope="module")
def module_postgres_url(postgres_admin_url) -> Iterator[str]:
    """A fresh database for one test module (e.g. one whose dbt views must not meet other tests' drops)."""
    with _temporary_database(postgres_admin_url) as url:
        yield url


# S3: moto in server mode on loopback (a real HTTP endpoint), shared by the registry and landing tests.
@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    from moto.server import ThreadedMotoServer
    from support.network import free_port

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()


@pytest.fixture
def s3_client(moto_endpoint, monkeypatch):
    """A boto3 S3 client for the moto server, with dummy credentials and no user AWS config leaking in."""
    import boto3

    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL",
                 "AWS_ENDPOINT_URL_S3", "AWS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "NO_PROXY": "127.0.0.1,localhost",
        "no_proxy": "127.0.0.1,localhost",
    }.items():
        monkeypatch.setenv(name, value)
    return boto3.client("s3", endpoint_url=moto_endpoint, region_name="us-east-1")


REDIS_URL = os.environ.get("BINANCE_ASSETS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The test Redis (the API's limits and cache); skips (fails under CI=true) if the server is down."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except redis.RedisError as exc:
        reason = f"Redis is not reachable at {REDIS_URL}: {exc}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{reason} (CI=true: the server must be running)", pytrace=False)
        pytest.skip(reason)
    return REDIS_URL


_BROWSER_MODULES: dict[str, bool] = {}


def _module_uses_browser(item) -> bool:
    """Whether a test of item's module holds the (module-scoped) Playwright browser, which keeps a loop running."""
    path = item.nodeid.split("::", 1)[0]
    if path not in _BROWSER_MODULES:
        _BROWSER_MODULES[path] = any("browser" in getattr(i, "fixturenames", ()) for i in item.session.items
                                     if i.nodeid.split("::", 1)[0] == path)
    return _BROWSER_MODULES[path]


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item) -> None:
    """A test that leaves an event loop running in the main thread (Playwright's sync API does while it is open)
    breaks every later `asyncio.run` on that worker (Dagster's `evaluate_automation_conditions`): name it here."""
    import asyncio

    if asyncio._get_running_loop() is not None and not _module_uses_browser(item):
        pytest.fail("an event loop is still running in this thread, left by an earlier test on this worker "
                    "(a session-scoped Playwright browser?): tests that call asyncio.run would fail", pytrace=False)


# The suite's simulated mirrors hold spot archives only: no USD-M futures symbol unless a test names some
# (`Settings(um_symbols=[...])`; the default, BTCUSDT, is tested in tests/test_settings_markets.py).
os.environ.setdefault("BINANCE_ASSETS_UM_SYMBOLS", "")

"""A fresh PostgreSQL server has no database `binance`: the warehouse, `binance-assets demo`/`check` and the API
create it when their role may, and otherwise refuse in one line that says what to run (and that line works).

Each test names a database that does not exist yet (dropped afterwards if it came to be); the role without
CREATEDB is made by the test."""

from __future__ import annotations

import os
import re
import secrets
import shlex
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

from binance_assets.settings import get_settings
from binance_assets.warehouse import DatabaseMissing, PostgresWarehouse

BIN = Path(sys.executable).parent
COMMAND = re.compile(r"run `(createdb [^`]+)`")


def _url(admin_url: str, database: str, role: str | None = None) -> str:
    parts = urlsplit(admin_url)
    netloc = parts.netloc if role is None else f"{role}@{parts.netloc.rsplit('@', 1)[-1]}"
    return urlunsplit(parts._replace(netloc=netloc, path=f"/{database}"))


def _exists(admin_url: str, database: str) -> bool:
    with psycopg.connect(admin_url) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database]).fetchone() is not None


@pytest.fixture
def no_createdb_role(postgres_admin_url):
    role = f"bmp_test_nocreatedb_{secrets.token_hex(4)}"
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE ROLE {} LOGIN NOCREATEDB").format(sql.Identifier(role)))
    yield role
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP ROLE IF EXISTS {}").format(sql.Identifier(role)))


@pytest.fixture
def missing_database(postgres_admin_url):
    """The name of a database that does not exist (dropped at the end if a test created it)."""
    name = f"bmp_test_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{secrets.token_hex(4)}"
    assert not _exists(postgres_admin_url, name)
    yield name
    with psycopg.connect(postgres_admin_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


@pytest.fixture
def pg_env(monkeypatch, tmp_path):
    """The CLI's settings for `ci` (PostgreSQL) at a given URL, in this process (CliRunner) and for subprocesses."""

    def use(url: str) -> dict[str, str]:
        env = {"BINANCE_ASSETS_ENV": "ci", "BINANCE_ASSETS_POSTGRES_URL": url,
               "BINANCE_ASSETS_DATA_DIR": str(tmp_path / "data"), "DAGSTER_HOME": str(tmp_path / "dagster"),
               "BINANCE_ASSETS_START_DATE": "2025-01-01"}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.delenv("BINANCE_ASSETS_PG_PASSWORD", raising=False)
        get_settings.cache_clear()
        return {**os.environ, **env}

    yield use
    get_settings.cache_clear()


def _one_line_refusal(text: str, database: str, role: str) -> str:
    """The refusal: exactly one line, naming the database and the role, with the command to run."""
    lines = [line for line in text.splitlines() if f'database "{database}" does not exist' in line]
    assert len(lines) == 1, text
    assert "Traceback" not in text and f'role "{role}" may not create it' in lines[0], text
    return lines[0]


def _run_printed_command(line: str, admin_url: str, database: str, role: str) -> None:
    """Run the createdb command the refusal printed, as printed (the admin role is `postgres` here)."""
    match = COMMAND.search(line)
    assert match, line
    argv = shlex.split(match.group(1))
    admin = urlsplit(admin_url)
    assert argv == ["createdb", "-h", admin.hostname, "-p", str(admin.port or 5432), "-U", "postgres", "-O", role,
                    database]
    subprocess.run(argv, check=True, capture_output=True, timeout=60)


def test_warehouse_creates_its_missing_database(postgres_admin_url, missing_database):
    warehouse = PostgresWarehouse(_url(postgres_admin_url, missing_database))
    warehouse.ensure_schema()  # the first thing every writer does
    assert _exists(postgres_admin_url, missing_database)
    assert warehouse.query("SELECT count(*) AS n FROM raw.load_log")["n"].tolist() == [0]
    assert warehouse.ensure_database() is False  # there now: nothing to do


def test_without_createdb_one_line_says_what_to_run_and_it_works(postgres_admin_url, no_createdb_role,
                                                                  missing_database):
    warehouse = PostgresWarehouse(_url(postgres_admin_url, missing_database, no_createdb_role))
    with pytest.raises(DatabaseMissing) as refused:
        warehouse.ensure_schema()
    line = _one_line_refusal(str(refused.value), missing_database, no_createdb_role)
    assert not _exists(postgres_admin_url, missing_database)
    _run_printed_command(line, postgres_admin_url, missing_database, no_createdb_role)
    warehouse.ensure_schema()  # the role owns the database it was told to create: it can build the warehouse
    assert warehouse.query("SELECT count(*) AS n FROM raw.load_log")["n"].tolist() == [0]


def test_demo_without_createdb_refuses_in_one_line(postgres_admin_url, no_createdb_role, missing_database, pg_env):
    env = pg_env(_url(postgres_admin_url, missing_database, no_createdb_role))
    proc = subprocess.run([str(BIN / "binance-assets"), "demo", "--days", "1"], env=env, capture_output=True,
                          text=True, timeout=180)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = _one_line_refusal(proc.stderr, missing_database, no_createdb_role)
    assert proc.stderr.strip() == line and line.startswith("error: ")
    assert "simulating" not in proc.stdout  # refused before any work
    assert not _exists(postgres_admin_url, missing_database)


def test_demo_creates_the_database_before_its_first_step(postgres_admin_url, missing_database, pg_env):
    from typer.testing import CliRunner

    from binance_assets.cli import app

    pg_env(_url(postgres_admin_url, missing_database))
    # A start before the first partition stops the demo at its first step, after the database is made.
    result = CliRunner().invoke(app, ["demo", "--days", "1", "--start", "2024-12-31"])
    assert isinstance(result.exception, ValueError) and "before the first partition" in str(result.exception)
    assert f"created the warehouse's database {_url(postgres_admin_url, missing_database)}" in result.output
    assert _exists(postgres_admin_url, missing_database)


def test_check_creates_the_database_and_proceeds(postgres_admin_url, missing_database, pg_env):
    from typer.testing import CliRunner

    from binance_assets.cli import app

    pg_env(_url(postgres_admin_url, missing_database))
    result = CliRunner().invoke(app, ["check", "--no-dbt", "--no-dagster"])
    assert result.exit_code == 1, result.output  # an empty warehouse: no partition to check is a failure
    assert "no loaded partition of the configured symbols in raw.load_log" in result.output, result.output
    assert "does not exist" not in result.output
    assert _exists(postgres_admin_url, missing_database)


def test_check_without_createdb_fails_with_the_line(postgres_admin_url, no_createdb_role, missing_database, pg_env):
    from typer.testing import CliRunner

    from binance_assets.cli import app

    pg_env(_url(postgres_admin_url, missing_database, no_createdb_role))
    result = CliRunner().invoke(app, ["check", "--no-dbt", "--no-dagster"])
    assert result.exit_code == 1, result.output
    failed = [line for line in result.output.splitlines() if line.startswith("FAIL")]
    assert len(failed) == 1 and "DatabaseMissing: " in failed[0], result.output
    assert _one_line_refusal("\n".join(failed), missing_database, no_createdb_role)
    assert not _exists(postgres_admin_url, missing_database)


def test_api_without_createdb_refuses_to_start_in_one_line(postgres_admin_url, no_createdb_role, missing_database,
                                                           pg_env, tmp_path):
    """`make api`'s command: uvicorn, its factory, 2 workers. Each worker refuses with the line; the supervisor
    stops instead of restarting them."""
    from support.network import free_port

    env = pg_env(_url(postgres_admin_url, missing_database, no_createdb_role))
    env["PROMETHEUS_MULTIPROC_DIR"] = str(tmp_path / "metrics")
    (tmp_path / "metrics").mkdir()
    argv = [str(BIN / "uvicorn"), "--factory", "binance_api.main:create_app", "--host", "127.0.0.1",
            "--port", str(free_port()), "--workers", "2", "--no-access-log"]
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert "Traceback" not in out + err, err
    refusals = [line for line in err.splitlines() if line.startswith("error: ")]
    assert refusals and len(set(refusals)) == 1, err  # one line, the same from each worker
    _one_line_refusal(refusals[0], missing_database, no_createdb_role)
    assert "failed to start, stopping the parent process" in err
    assert not _exists(postgres_admin_url, missing_database)


def test_make_api_preflight_refuses_in_one_line_and_a_non_zero_exit(postgres_admin_url, no_createdb_role,
                                                                   missing_database, pg_env):
    """`make api` runs `binance-api check-warehouse` before uvicorn, whose supervisor exits 0 even when its
    workers refused: the preflight makes `make api` fail with the same one line."""
    env = pg_env(_url(postgres_admin_url, missing_database, no_createdb_role))
    done = subprocess.run([str(BIN / "binance-api"), "check-warehouse"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("error: ")
    _one_line_refusal(line, missing_database, no_createdb_role)
    assert not _exists(postgres_admin_url, missing_database)
    # With a role that may create it, the preflight creates the database and passes.
    env = pg_env(_url(postgres_admin_url, missing_database))
    done = subprocess.run([str(BIN / "binance-api"), "check-warehouse"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert _exists(postgres_admin_url, missing_database)


def test_api_creates_the_database_and_reports_it_empty(postgres_admin_url, missing_database, tmp_path):
    from fastapi.testclient import TestClient

    from binance_api.main import create_app
    from binance_api.settings import ApiConfig, ApiSettings
    from binance_assets.settings import Environment, Settings

    core = Settings(env=Environment.CI, postgres_url=_url(postgres_admin_url, missing_database),
                    data_dir=tmp_path / "data")
    config = ApiConfig(api=ApiSettings(jwt_secret="test-secret-" + "x" * 32, redis_url=None), core=core)
    with TestClient(create_app(config)) as client:
        assert _exists(postgres_admin_url, missing_database)
        ready = client.get("/health/ready")
    # Made, but nothing published yet: the warehouse is the dependency that fails.
    assert ready.status_code == 503 and ready.json()["failed"] == ["warehouse"]

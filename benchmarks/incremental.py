"""Cost of one new day (raw + dbt, through the main Dagster job) with 1 and with 30 days of history.

    .venv/bin/python benchmarks/incremental.py [--trades-per-day 100000] [--history 30] [--engines duckdb,postgres]

For each engine and each history length, a fresh warehouse is filled with the history (raw loads and
one dbt build), then the next day is materialized through the `materialize_all` job as a sensor or
the UI would run it. The new day is run twice and the faster run is kept. Target: the 30-day run
costs at most 1.2x the 1-day run. Last line: `incremental: duckdb_ratio=<x> postgres_ratio=<y>`.
`--smoke`: 2,000 trades/day, 1 day of history, one run (checks the path on both engines, measures nothing).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import secrets
import sys
import tempfile
import time
import warnings
from pathlib import Path

import dagster as dg
import psycopg
from _smoke import parse_args

from binance_assets.binance.simulator import simulate_mirror
from binance_assets.definitions import MAIN_JOB, build_defs
from binance_assets.lib.partitions import day_key
from binance_assets.ops.history import load_raw_days, run_dbt
from binance_assets.settings import Environment, Settings
from binance_assets.transform.dbt_vars import dbt_build_args

SYMBOL = "BTCUSDT"
START = dt.date(2025, 1, 1)
ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DBT_STEP = "binance_dbt_models"
warnings.filterwarnings("ignore")


def settings_for(engine: str, work: Path, mirror: Path, postgres_url: str | None) -> Settings:
    common = dict(data_dir=work / "data", archive_base_url=str(mirror), symbols=[SYMBOL], start_date=START)
    if engine == "duckdb":
        return Settings(env=Environment.LOCAL, duckdb_path=work / "warehouse.duckdb", **common)
    return Settings(env=Environment.CI, postgres_url=postgres_url, **common)


def load_history(settings: Settings, days: int) -> None:
    """Raw loads for the history days, then one full dbt build: the state a running platform is in."""
    load_raw_days(settings, [START + dt.timedelta(days=offset) for offset in range(days)], [SYMBOL])
    run_dbt(settings, dbt_build_args({}))
    if settings.env is not Environment.LOCAL:
        # A running platform's tables were vacuumed and analysed long ago; don't time autovacuum's
        # first pass over the freshly bulk-loaded history.
        with psycopg.connect(settings.postgres_url, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


def time_new_day(settings: Settings, day: dt.date, repeat: int) -> tuple[float, float]:
    """Best wall time of the main job for `day`, and the dbt step's share of that run."""
    job = build_defs(settings).resolve_job_def(MAIN_JOB)
    best = (float("inf"), 0.0)
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    for _ in range(repeat):
        with dg.instance_for_test() as instance, contextlib.redirect_stdout(io.StringIO()):
            began = time.perf_counter()
            result = job.execute_in_process(
                partition_key=day_key(day), instance=instance, run_config=quiet
            )
            seconds = time.perf_counter() - began
        assert result.success
        dbt_seconds = next(
            e.event_specific_data.duration_ms / 1000
            for e in result.all_events
            if e.event_type_value == "STEP_SUCCESS" and e.step_key == DBT_STEP
        )
        best = min(best, (seconds, dbt_seconds))
    return best


def fresh_database(admin_url: str) -> str:
    name = f"bmp_bench_{secrets.token_hex(4)}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name])
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trades-per-day", type=int, default=100_000)
    parser.add_argument("--history", type=int, default=30)
    parser.add_argument("--engines", default="duckdb,postgres")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--postgres-url", default=ADMIN_URL, help="admin database of the server for the temp databases")
    args = parse_args(parser, trades_per_day=2_000, history=1, repeat=1)
    engines = args.engines.split(",")

    rows = []
    with tempfile.TemporaryDirectory(prefix="bench-incremental-") as tmp:
        mirror = Path(tmp) / "mirror"
        print(f"simulating {args.history + 1} days of {SYMBOL}, ~{args.trades_per_day:,} trades/day ...", flush=True)
        simulate_mirror(mirror, [SYMBOL], START, args.history + 1, trades_per_day=args.trades_per_day)
        for engine in engines:
            for history in dict.fromkeys((1, args.history)):  # once if --history 1 (--smoke)
                database = fresh_database(args.postgres_url) if engine == "postgres" else None
                url = args.postgres_url.rsplit("/", 1)[0] + f"/{database}" if database else None
                try:
                    settings = settings_for(engine, Path(tmp) / f"{engine}-{history}", mirror, url)
                    print(f"{engine}: loading {history} day(s) of history ...", flush=True)
                    load_history(settings, history)
                    seconds, dbt_seconds = time_new_day(settings, START + dt.timedelta(days=history), args.repeat)
                finally:
                    if database:
                        drop_database(args.postgres_url, database)
                rows.append((engine, history, seconds, dbt_seconds))

    print(f"\n{'engine':<10}{'history days':>13}{'new day s':>11}{'dbt s':>8}{'dbt share':>11}")
    for engine, history, seconds, dbt_seconds in rows:
        print(f"{engine:<10}{history:>13}{seconds:>11.2f}{dbt_seconds:>8.2f}{dbt_seconds / seconds:>11.0%}")
    ratios = {}
    for engine in engines:
        one = next(r[2] for r in rows if r[0] == engine and r[1] == 1)
        many = next(r[2] for r in rows if r[0] == engine and r[1] == args.history)
        ratios[engine] = many / one
        verdict = "met" if ratios[engine] <= 1.2 else "MISSED"
        print(f"{engine}: {args.history}-day / 1-day = {ratios[engine]:.2f} (target <= 1.2: {verdict})")
    print("incremental: " + " ".join(f"{e}_ratio={ratios.get(e, float('nan')):.2f}" for e in ("duckdb", "postgres")))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

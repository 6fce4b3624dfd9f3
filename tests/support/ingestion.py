"""Helpers shared by the Dagster-level tests: small simulated data, settings per engine, runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg

from binance_assets.ingestion.definitions import INGEST_JOB, build_ingestion_defs
from binance_assets.lib.partitions import DaySymbol
from binance_assets.resources import resources_for
from binance_assets.settings import Environment, Settings

SYMBOLS = ["BTCUSDT", "ETHUSDT"]
START = dt.date(2025, 1, 1)
DAYS = 2
SEED = 11
TRADES_PER_DAY = 3_000


def make_settings(tmp_path: Path, mirror: Path, *, postgres_url: str | None = None) -> Settings:
    common = dict(
        data_dir=tmp_path / "data",
        archive_base_url=str(mirror),
        symbols=SYMBOLS,
        start_date=START,
    )
    if postgres_url:
        return Settings(env=Environment.CI, postgres_url=postgres_url, **common)
    return Settings(env=Environment.LOCAL, duckdb_path=tmp_path / "warehouse.duckdb", **common)


def run_partition(settings: Settings, day: dt.date, symbol: str) -> dg.ExecuteInProcessResult:
    defs = dg.Definitions.merge(build_ingestion_defs(settings), dg.Definitions(resources=resources_for(settings)))
    job = defs.resolve_job_def(INGEST_JOB)
    with dg.instance_for_test() as instance:
        return job.execute_in_process(
            partition_key=DaySymbol(day, symbol).key(), instance=instance, raise_on_error=False
        )


def check_results(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    evaluations = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            evaluations[(evaluation.asset_key.path[-1], evaluation.check_name)] = evaluation
    return evaluations


def run_main_job(settings: Settings, day: dt.date, symbol: str) -> dg.ExecuteInProcessResult:
    """Everything for one partition, as the demo and the UI run it: raw assets, checks, dbt models."""
    import contextlib
    import io

    from binance_assets.definitions import MAIN_JOB, build_defs

    job = build_defs(settings).resolve_job_def(MAIN_JOB)
    with dg.instance_for_test() as instance, contextlib.redirect_stdout(io.StringIO()):
        return job.execute_in_process(
            partition_key=DaySymbol(day, symbol).key(), instance=instance, raise_on_error=False
        )

"""Helpers shared by the Dagster-level tests: small simulated data, settings per engine, runs."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import dagster as dg

from binance_assets.binance.urls import ArchiveSpec
from binance_assets.ingestion.definitions import INGEST_JOB, build_ingestion_defs
from binance_assets.lib.partitions import day_key, scope_tags
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
        return job.execute_in_process(**day_run(day, symbol), instance=instance, raise_on_error=False)


def day_run(day: dt.date, symbols: str | list[str] | None = None) -> dict:
    """`execute_in_process` / `materialize` arguments of a run of `day` scoped to `symbols` (None: every symbol
    of the day), as the landing sensor requests one."""
    if isinstance(symbols, str):
        symbols = [symbols]
    return {"partition_key": day_key(day), "tags": scope_tags(symbols)}


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
        return job.execute_in_process(**day_run(day, symbol), instance=instance, raise_on_error=False)


def warehouse_of(settings):
    return resources_for(settings)["warehouse"].get()


def materialized_metadata(result, table: str) -> dict:
    for mat in result.asset_materializations_for_node(f"raw__{table}"):
        return {k: v.value for k, v in mat.metadata.items()}
    raise AssertionError(f"raw/{table} was not materialized")


def rewrite_archive(mirror: Path, spec: ArchiveSpec, csv_text: str | None = None, raw: bytes | None = None) -> None:
    """Replace one archive of the mirror (and its CHECKSUM, so the checksum itself passes)."""
    zip_path = mirror / spec.relative_path
    if raw is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(spec.file_name.replace(".zip", ".csv"), csv_text)
        raw = buffer.getvalue()
    zip_path.write_bytes(raw)
    digest = hashlib.sha256(raw).hexdigest()
    (mirror / spec.checksum_relative_path).write_text(f"{digest}  {spec.file_name}")

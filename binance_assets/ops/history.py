"""Bulk work outside Dagster runs: load raw days and call dbt directly, for backfills, tests and benchmarks.

The same functions the assets use (`load_partition`, the dbt resource with the warehouse's profile
environment), without one Dagster run per partition around them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
import uuid
from collections.abc import Iterable
from pathlib import Path
from unittest import mock

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.binance.schema import Market
from binance_assets.ingestion.load import load_partition
from binance_assets.lib.partitions import universe_on
from binance_assets.resources import resources_for
from binance_assets.settings import Settings
from binance_assets.transform import parse_cache
from binance_assets.transform.dbt_vars import window_env
from binance_assets.warehouse import RAW_TABLES, PartitionRejected


def load_raw_days(settings: Settings, days: Iterable[dt.date], symbols: Iterable[str]) -> None:
    """Load every raw table of the given days and symbols, each partition replaced in one transaction (the futures
    tables: those of the symbols that are in the market's symbol list, `BINANCE_ASSETS_UM_SYMBOLS`)."""
    warehouse = resources_for(settings)["warehouse"].get()
    client = ArchiveClient(settings.resolved_archive_base_url, settings.download_dir, settings.quarantine_dir)
    symbols = list(symbols)
    for day in days:
        for symbol in symbols:
            for table in RAW_TABLES.values():
                market = table.dataset.market
                if market is not Market.SPOT and symbol not in universe_on(settings, warehouse, day, market):
                    continue
                load = load_partition(client, warehouse, table, day, symbol)
                if not load.published:
                    raise PartitionRejected(
                        f"raw.{table.name} {symbol} {day}: not published, blocking checks failed: {load.rejection}"
                    )


def run_dbt(settings: Settings, args: list[str], window: dict | None = None) -> None:
    """Run dbt on this deployment's warehouse (its output, dbt's log lines, is not printed).

    `window`: the partition window (`transform.dbt_vars.partition_window_vars`), passed as the dbt step
    passes it, in an environment variable, so the partial parse kept for this profile stays valid."""
    resources = resources_for(settings)
    dbt = resources["dbt"]
    profile_env = resources["warehouse"].dbt_env()
    # dbt's profile reads the warehouse from the environment: set for this call only, never leaked.
    env = {**profile_env, **(window_env(window) if window is not None else {})}
    project_target = Path(dbt.project_dir) / "target"
    with parse_cache.warm_target(project_target, profile_env, project_target / f"history-{uuid.uuid4().hex[:12]}") \
            as target, \
            mock.patch.dict(os.environ, env), contextlib.redirect_stdout(io.StringIO()):
        dbt.cli(args, manifest=None, target_path=target).wait()

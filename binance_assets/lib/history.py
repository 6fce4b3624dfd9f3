"""Bulk work outside Dagster runs: load raw days and call dbt directly, for backfills, tests and benchmarks.

The same functions the assets use (`load_partition`, the dbt resource with the warehouse's profile
environment), without one Dagster run per partition around them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import os
from collections.abc import Iterable
from unittest import mock

from binance_assets.binance.archive_client import ArchiveClient
from binance_assets.ingestion.load import load_partition
from binance_assets.resources import resources_for
from binance_assets.settings import Settings
from binance_assets.warehouse import RAW_TABLES, PartitionRejected


def load_raw_days(settings: Settings, days: Iterable[dt.date], symbols: Iterable[str]) -> None:
    """Load every raw table of the given days and symbols, each partition replaced in one transaction."""
    warehouse = resources_for(settings)["warehouse"].get()
    client = ArchiveClient(settings.resolved_archive_base_url, settings.download_dir, settings.quarantine_dir)
    symbols = list(symbols)
    for day in days:
        for symbol in symbols:
            for table in RAW_TABLES.values():
                load = load_partition(client, warehouse, table, day, symbol)
                if not load.published:
                    raise PartitionRejected(
                        f"raw.{table.name} {symbol} {day}: not published, blocking checks failed: {load.rejection}"
                    )


def run_dbt(settings: Settings, args: list[str]) -> None:
    """Run dbt on this deployment's warehouse (its output, dbt's log lines, is not printed)."""
    resources = resources_for(settings)
    # dbt's profile reads the warehouse from the environment: set for this call only, never leaked.
    with mock.patch.dict(os.environ, resources["warehouse"].dbt_env()), contextlib.redirect_stdout(io.StringIO()):
        resources["dbt"].cli(args, manifest=None).wait()

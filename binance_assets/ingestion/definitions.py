"""The ingestion domain's definitions: raw assets (their checks are declared on them)."""

from __future__ import annotations

import dagster as dg

from binance_assets.ingestion.assets import build_raw_assets
from binance_assets.ingestion.universe_asset import (
    CRON_UNIVERSE,
    SYMBOL_UNIVERSE_KEY,
    UNIVERSE_SCHEDULE,
    build_universe_asset,
)
from binance_assets.lib.defaults import schedule_status
from binance_assets.lib.keys import RAW_GROUP
from binance_assets.lib.partitions import daily_partitions
from binance_assets.settings import Settings

INGEST_JOB = "ingest_raw_archives"
UNIVERSE_JOB = "refresh_symbol_universe"


def build_ingestion_defs(settings: Settings, exclude: dg.AssetSelection | None = None) -> dg.Definitions:
    """`exclude`: checks on the raw assets defined elsewhere that a partition run must not run."""
    partitions = daily_partitions(settings)
    selection = dg.AssetSelection.groups(RAW_GROUP) - dg.AssetSelection.assets(SYMBOL_UNIVERSE_KEY)
    ingest_job = dg.define_asset_job(
        INGEST_JOB,
        selection=selection - exclude if exclude is not None else selection,
        description="Load one day of every raw archive table, every symbol of the day, and check it.",
    )
    universe_job = dg.define_asset_job(UNIVERSE_JOB, selection=dg.AssetSelection.assets(SYMBOL_UNIVERSE_KEY),
                                       description="Refresh the symbol universe from exchangeInfo.")
    return dg.Definitions(
        assets=[*build_raw_assets(partitions, settings), build_universe_asset(settings)],
        jobs=[ingest_job, universe_job],
        schedules=[
            dg.ScheduleDefinition(
                name=UNIVERSE_SCHEDULE, job=universe_job, cron_schedule=CRON_UNIVERSE, execution_timezone="UTC",
                default_status=schedule_status(UNIVERSE_SCHEDULE, settings.env),
                description="Refresh the symbol universe from exchangeInfo just after midnight UTC, before the "
                "day's archives land.",
            )
        ],
    )

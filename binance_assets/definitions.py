"""Code location `market_data`: merges the domains' definitions with the environment's resources."""

from __future__ import annotations

import dagster as dg

from binance_assets.automation.alerts import build_automation_alerting_defs
from binance_assets.automation.deadline_checks import DEADLINE_CHECK_NAME
from binance_assets.automation.freshness import apply_freshness_policies_to_defs
from binance_assets.automation.gapfill import build_gapfill_defs
from binance_assets.automation.schedules import build_backfill_schedule
from binance_assets.automation.sensors import build_landing_defs
from binance_assets.features.definitions import build_features_defs
from binance_assets.ingestion.definitions import build_ingestion_defs
from binance_assets.ingestion.universe_asset import SYMBOL_UNIVERSE_KEY
from binance_assets.lib.conditions import automation_sensor
from binance_assets.lib.defaults import check_defaults_cover, sensor_running
from binance_assets.lib.keys import raw_asset_key
from binance_assets.lib.partitions import daily_partitions
from binance_assets.lib.run_timing import PARTITION_RUN_EXECUTOR, automation_interval_seconds
from binance_assets.merchant.definitions import build_merchant_defs, merchant_selection
from binance_assets.resources import resources_for
from binance_assets.run_workers import warm_run_workers
from binance_assets.settings import Settings, get_settings
from binance_assets.transform.dbt_inprocess import DBT_RUN_MODULES
from binance_assets.transform.definitions import build_transform_defs
from binance_assets.warehouse import RAW_TABLES

MAIN_JOB = "materialize_all"
AUTOMATION_SENSOR = "market_data_automation"


def build_defs(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or get_settings()
    raw_keys = [raw_asset_key(table) for table in RAW_TABLES]
    alerting = build_automation_alerting_defs(settings, raw_keys, settings.raw_due_hours_after_midnight)
    # The day-deadline checks look at "the latest due day", not at a partition: keep them out of partition runs.
    deadline_checks = dg.AssetSelection.checks(*[dg.AssetCheckKey(k, DEADLINE_CHECK_NAME) for k in raw_keys])
    main_job = dg.define_asset_job(
        MAIN_JOB,
        selection=dg.AssetSelection.all() - deadline_checks - merchant_selection()
        - dg.AssetSelection.assets(SYMBOL_UNIVERSE_KEY),
        description="Everything for one day, every symbol of it: raw archives, their checks, and downstream.",
    )
    defs = dg.Definitions.merge(
        build_ingestion_defs(settings, exclude=deadline_checks),
        apply_freshness_policies_to_defs(build_transform_defs(settings)),
        apply_freshness_policies_to_defs(build_features_defs(settings)),
        alerting,
        build_landing_defs(settings),
        build_merchant_defs(settings),
        build_gapfill_defs(settings, daily_partitions(settings), exclude=deadline_checks),
        dg.Definitions(
            jobs=[main_job],
            schedules=[build_backfill_schedule(settings)],
            sensors=[
                automation_sensor(
                    AUTOMATION_SENSOR,
                    dg.AssetSelection.groups("staging", "intermediate", "marts", "features"),
                    running=sensor_running(AUTOMATION_SENSOR, settings.env),
                    minimum_interval_seconds=automation_interval_seconds(settings),
                )
            ],
            resources=resources_for(settings),
            executor=PARTITION_RUN_EXECUTOR,
        ),
    )
    return check_defaults_cover(defs, settings.env)


warm_run_workers(__name__, also=DBT_RUN_MODULES)  # a local code server's runs: forks of a warm process
SETTINGS = get_settings()  # what `defs` is built from (`binance-assets check` reuses `defs` only for equal ones)
defs = build_defs(SETTINGS)

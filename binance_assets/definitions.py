"""Code location `market_data`: merges the domains' definitions with the environment's resources."""

from __future__ import annotations

import dagster as dg

from binance_assets.ingestion.definitions import build_ingestion_defs
from binance_assets.resources import resources_for
from binance_assets.settings import Settings, get_settings
from binance_assets.transform.definitions import build_transform_defs

MAIN_JOB = "materialize_all"


def build_defs(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or get_settings()
    main_job = dg.define_asset_job(
        MAIN_JOB,
        selection=dg.AssetSelection.all(),
        description="Everything for one (day, symbol) partition: raw archives, their checks, and downstream.",
    )
    return dg.Definitions.merge(
        build_ingestion_defs(settings),
        build_transform_defs(settings),
        dg.Definitions(jobs=[main_job], resources=resources_for(settings)),
    )


defs = build_defs()

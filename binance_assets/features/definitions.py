"""The features domain: feature tables of the market_data location, which the ml location reads."""

import dagster as dg

from binance_assets.features.assets import build_minute_features_asset
from binance_assets.lib.partitions import daily_partitions
from binance_assets.settings import Settings


def build_features_defs(settings: Settings) -> dg.Definitions:
    partitions = daily_partitions(settings)
    # The blocking pandera check is part of the asset (check_specs): it audits before publishing.
    return dg.Definitions(assets=[build_minute_features_asset(partitions, settings)])

"""The transform domain's definitions: the dbt models of dbt_project/ as partitioned assets."""

import dagster as dg

from binance_assets.lib.partitions import daily_partitions
from binance_assets.settings import Settings
from binance_assets.transform.assets import build_dbt_assets


def build_transform_defs(settings: Settings) -> dg.Definitions:
    return dg.Definitions(assets=[build_dbt_assets(daily_partitions(settings), settings)])

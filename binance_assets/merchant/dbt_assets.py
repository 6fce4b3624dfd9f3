"""The merchant's dbt models (tag `merchant`) as daily-partitioned assets beside the market marts.

A run rebuilds the merchant marts of its days (all accounts), passing only `min_date`/`max_date`. The
marts read the market's `fct_bars_1m` for the spot price at order time; Dagster maps each day to that
day's (date, symbol) partitions. Freshness: orders arrive every few minutes, so the merchant marts
warn after 2 hours without a refresh and fail after 6.
"""

import datetime as dt

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from binance_assets.lib.keys import WAREHOUSE_POOL
from binance_assets.lib.resources import WarehouseResource
from binance_assets.transform.assets import MERCHANT_DBT_SELECTOR, run_dbt_window
from binance_assets.transform.project import dbt_project
from binance_assets.transform.translator import BinanceDbtTranslator

MERCHANT_DBT_KEYS = [
    dg.AssetKey(["staging", "stg_c2c__orders"]),
    dg.AssetKey(["staging", "stg_c2c__order_status_history"]),
    dg.AssetKey(["marts", "fct_c2c_orders"]),
    dg.AssetKey(["marts", "fct_merchant_daily"]),
]
MERCHANT_FRESHNESS = dg.FreshnessPolicy.time_window(
    fail_window=dt.timedelta(hours=6), warn_window=dt.timedelta(hours=2)
)


def merchant_window_vars(partition_keys: list[str]) -> dict:
    days = sorted(str(k).split("|")[0] for k in partition_keys)
    return {"min_date": days[0], "max_date": days[-1]} if days else {}


def build_merchant_dbt_assets(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        select=MERCHANT_DBT_SELECTOR,
        partitions_def=partitions_def,
        dagster_dbt_translator=BinanceDbtTranslator(),
        pool=WAREHOUSE_POOL,
        name="merchant_dbt_models",
    )
    def _merchant_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        window = merchant_window_vars(list(context.partition_keys))
        yield from run_dbt_window(context, dbt, warehouse, window)

    return _merchant_models.map_asset_specs(
        lambda spec: dg.apply_freshness_policy(spec, MERCHANT_FRESHNESS, overwrite_existing=True)
    )

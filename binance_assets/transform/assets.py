"""The dbt models as partitioned Dagster assets: each run rebuilds exactly its partition window."""

import os
from collections.abc import Iterator

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets

from binance_assets.ingestion.assets import WAREHOUSE_POOL
from binance_assets.ingestion.partitions import DaySymbol
from binance_assets.resources import WarehouseResource
from binance_assets.transform.dbt_vars import dbt_build_args, partition_window_vars, window_predicate
from binance_assets.transform.project import dbt_project
from binance_assets.transform.translator import BinanceDbtTranslator
from binance_assets.warehouse import Warehouse

MERCHANT_DBT_SELECTOR = "tag:merchant"


def build_dbt_assets(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        partitions_def=partitions_def,
        dagster_dbt_translator=BinanceDbtTranslator(),
        pool=WAREHOUSE_POOL,
        name="binance_dbt_models",
        exclude=MERCHANT_DBT_SELECTOR,  # the merchant's models are partitioned by day: merchant/dbt_assets.py
    )
    def _dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
        window = partition_window_vars(
            (part.day, part.symbol) for part in map(DaySymbol.from_key, context.partition_keys)
        )
        context.log.info(f"dbt partition window: {window}")
        os.environ.update(warehouse.dbt_env())
        wh = warehouse.get()
        with wh.exclusive():
            # dbt holds the DuckDB file while it runs: collect its events, count rows once it is done.
            events = list(dbt.cli(dbt_build_args(window), context=context).stream())
            wh.record_publish(f"dbt build {window}")  # readers (the serving API) see a new version
            yield from _with_row_counts(context, events, wh, window)

    return _dbt_models


def _with_row_counts(
    context: dg.AssetExecutionContext, events: list, warehouse: Warehouse, window: dict
) -> Iterator[object]:
    """Add `dagster/row_count` (rows inside the run's partition window) to every model's output."""
    where, params = window_predicate(window)
    for event in events:
        if isinstance(event, dg.Output):
            schema, table = context.asset_key_for_output(event.output_name).path[-2:]
            count = warehouse.query(f"select count(*) as n from {schema}.{table} where {where}", params)
            event = event.with_metadata({**event.metadata, "dagster/row_count": int(count["n"].iloc[0])})
        yield event

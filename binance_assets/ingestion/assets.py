"""The raw assets: one partitioned asset per raw warehouse table, built by one factory."""


import dagster as dg

from binance_assets.binance.errors import ArchiveNotYetAvailable, BinanceDataError
from binance_assets.ingestion.load import load_partition
from binance_assets.ingestion.partitions import DaySymbol
from binance_assets.resources import ArchiveResource, WarehouseResource
from binance_assets.warehouse import RAW_TABLES, RawTable

RAW_GROUP = "raw"
# Every step that writes the warehouse takes a slot of this pool. The local instance gives it one
# slot, because DuckDB allows one writing process at a time (the warehouse also holds a file lock).
WAREHOUSE_POOL = "warehouse"

_DESCRIPTIONS = {
    "spot_trades": "Every spot trade of a symbol on a UTC day, from data.binance.vision `trades` archives.",
    "spot_agg_trades": "Spot aggregated trades (fills of one taker order at one price), from `aggTrades` archives.",
    "spot_klines_1m": "Spot 1-minute klines as Binance publishes them, from `klines/<SYMBOL>/1m` archives.",
}


def raw_asset_key(table_name: str) -> dg.AssetKey:
    return dg.AssetKey([RAW_GROUP, table_name])


def build_raw_asset(raw_table: RawTable, partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.asset(
        key=raw_asset_key(raw_table.name),
        group_name=RAW_GROUP,
        partitions_def=partitions_def,
        pool=WAREHOUSE_POOL,
        output_required=False,
        description=_DESCRIPTIONS[raw_table.name],
        kinds={"python", "binance"},
        owners=["team:data-platform"],
        tags={"layer": "raw"},
        metadata={
            "dagster/table_name": f"raw.{raw_table.name}",
            "dagster/column_schema": dg.TableSchema(
                columns=[dg.TableColumn(f.name, str(f.type)) for f in raw_table.arrow_schema]
            ),
        },
    )
    def _raw_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource, archive: ArchiveResource):
        part = DaySymbol.from_key(context.partition_key)
        try:
            load = load_partition(archive.client(), warehouse.get(), raw_table, part.day, part.symbol)
        except ArchiveNotYetAvailable as exc:
            # Not a crash: the day is not published yet. Nothing is materialized; a later run picks it up.
            context.log.warning(f"{raw_table.name} {part.symbol} {part.day}: {exc}")
            return
        except BinanceDataError as exc:
            raise dg.Failure(
                description=f"{type(exc).__name__}: {exc}",
                metadata={"error_type": type(exc).__name__, "partition_left_unchanged": True},
                allow_retries=False,
            ) from exc
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": load.rows,
                "first_id": load.first_id,
                "last_id": load.last_id,
                "first_time": str(load.first_time),
                "last_time": str(load.last_time),
                "timestamp_unit": load.timestamp_unit,
                "source_url": dg.MetadataValue.url(load.source_url)
                if load.source_url.startswith("http")
                else load.source_url,
                "sha256": load.sha256,
            }
        )

    return _raw_asset


def build_raw_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [build_raw_asset(table, partitions_def) for table in RAW_TABLES.values()]

"""The raw assets: one partitioned asset per raw warehouse table, built by one factory.

A raw run is ONE step: the asset loads the archive by write-audit-publish (`load.py`) and yields
its checks' results itself. A file that fails a blocking check is never published: the step yields
the failed check results (visible in the UI with their failure counts) and then fails; the
published partition, its load_log and everything downstream stay as they were.
"""

import dagster as dg

from binance_assets.binance.errors import ArchiveNotYetAvailable, BinanceDataError
from binance_assets.ingestion.checks import check_result, raw_check_specs
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
    key = raw_asset_key(raw_table.name)

    # A multi_asset of one asset, only for `can_subset`: with it the asset's output and its check
    # outputs are optional, so a day that is not published yet yields nothing and is not a failure.
    @dg.multi_asset(
        name=f"{RAW_GROUP}__{raw_table.name}",
        specs=[
            dg.AssetSpec(
                key,
                group_name=RAW_GROUP,
                skippable=True,
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
        ],
        check_specs=raw_check_specs(raw_table, key),
        can_subset=True,
        partitions_def=partitions_def,
        pool=WAREHOUSE_POOL,
    )
    def _raw_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource, archive: ArchiveResource):
        if key not in context.selected_asset_keys:
            raise dg.Failure(
                description=(
                    f"the checks of raw.{raw_table.name} run on the staged rows of a load, inside the asset's own "
                    "step: materialize the partition to run them"
                ),
                allow_retries=False,
            )
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
        results = [check_result(key, outcome) for outcome in load.checks]
        if not load.published:
            yield from results
            raise dg.Failure(
                description=(
                    f"raw.{raw_table.name} {part.symbol} {part.day}: {load.source_url} was not published, its "
                    f"blocking checks failed ({load.rejection}). The published partition is unchanged; the file "
                    f"is kept in {load.quarantined_to}."
                ),
                metadata={
                    "failed_checks": [r.check_name for r in results if not r.passed],
                    "partition_left_unchanged": True,
                    "sha256": load.sha256,
                },
                allow_retries=False,
            )
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
                "load_log_version": load.version,
            },
            check_results=results,
        )

    return _raw_asset


def build_raw_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [build_raw_asset(table, partitions_def) for table in RAW_TABLES.values()]

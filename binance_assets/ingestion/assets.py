"""The raw assets: one partitioned asset per raw warehouse table, built by one factory.

A raw run is ONE step: the asset loads its source by write-audit-publish (`load.py`) and yields its
checks' results itself. The source is the day's archive, or with run config `source: rest` Binance's
REST API (the gap-fill, `gapfill_load.py`, launched by `rest_gapfill_sensor`): the same staging, the
same blocking checks, the same publish and the same check results, so automation treats a gap-filled
partition like any other. Rows that fail a blocking check are never published: the step yields the
failed check results (visible in the UI with their failure counts) and then fails; the published
partition, its load_log and everything downstream stay as they were.
"""

from typing import Literal

import dagster as dg
from pydantic import Field

from binance_assets.binance.errors import ArchiveNotYetAvailable, BinanceDataError
from binance_assets.binance.rest_tables import RestFetcher
from binance_assets.ingestion.checks import check_result, raw_check_specs
from binance_assets.ingestion.gapfill_load import gapfill_partition
from binance_assets.ingestion.load import load_partition
from binance_assets.ingestion.schemas import DESCRIPTIONS
from binance_assets.lib.keys import RAW_GROUP, WAREHOUSE_POOL, raw_asset_key
from binance_assets.lib.partitions import DaySymbol
from binance_assets.lib.resources import ArchiveResource, WarehouseResource
from binance_assets.lib.rest_resources import BinanceRestResource
from binance_assets.warehouse import RAW_TABLES, RawTable


def raw_op_name(table_name: str) -> str:
    """The step (op) of raw asset `table_name`: where its run config goes."""
    return f"{RAW_GROUP}__{table_name}"


class RawLoadConfig(dg.Config):
    source: Literal["archive", "rest"] = Field(
        default="archive",
        description="archive: the day's file from data.binance.vision (or the mirror); rest: fill the partition "
        "from Binance's REST API (what is missing of it), through the same checks.",
    )


def rest_run_config(table_names) -> dict:
    """Run config that makes the raw assets of `table_names` load from REST (the gap-fill)."""
    return {"ops": {raw_op_name(name): {"config": {"source": "rest"}} for name in table_names}}


def build_raw_asset(raw_table: RawTable, partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    key = raw_asset_key(raw_table.name)

    # A multi_asset of one asset, only for `can_subset`: with it the asset's output and its check
    # outputs are optional, so a day that is not published yet yields nothing and is not a failure.
    @dg.multi_asset(
        name=raw_op_name(raw_table.name),
        specs=[
            dg.AssetSpec(
                key,
                group_name=RAW_GROUP,
                skippable=True,
                description=DESCRIPTIONS[raw_table.name],
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
    def _raw_asset(
        context: dg.AssetExecutionContext,
        config: RawLoadConfig,
        warehouse: WarehouseResource,
        archive: ArchiveResource,
        binance_rest: BinanceRestResource,
    ):
        if key not in context.selected_asset_keys:
            raise dg.Failure(
                description=(
                    f"the checks of raw.{raw_table.name} run on the staged rows of a load, inside the asset's own "
                    "step: materialize the partition to run them"
                ),
                allow_retries=False,
            )
        part = DaySymbol.from_key(context.partition_key)
        if config.source == "rest":
            loaded = _from_rest(context, binance_rest, warehouse, raw_table, part)
        else:
            loaded = _from_archive(context, archive, warehouse, raw_table, part)
        if loaded is None:
            return
        audit, metadata, dropped = loaded
        results = [check_result(key, outcome) for outcome in audit.checks]
        if not audit.published:
            yield from results
            raise dg.Failure(
                description=(
                    f"raw.{raw_table.name} {part.symbol} {part.day}: {metadata['source_url']} was not published, its "
                    f"blocking checks failed ({audit.rejection}). The published partition is unchanged; "
                    f"{dropped}."
                ),
                metadata={
                    "failed_checks": [r.check_name for r in results if not r.passed],
                    "partition_left_unchanged": True,
                    **{k: v for k, v in metadata.items() if k in ("source", "sha256")},
                },
                allow_retries=False,
            )
        stats = audit.stats
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": stats.rows,
                "first_id": stats.first_id,
                "last_id": stats.last_id,
                "first_time": str(stats.first_time),
                "last_time": str(stats.last_time),
                **metadata,
                "source_url": _url_value(metadata["source_url"]),
                "load_log_version": audit.version,
            },
            check_results=results,
        )

    return _raw_asset


def _url_value(url: str):
    return dg.MetadataValue.url(url) if url.startswith("http") else url


def _from_archive(context, archive: ArchiveResource, warehouse: WarehouseResource, raw_table: RawTable, part):
    """The day's archive by write-audit-publish: (outcome, metadata, what became of refused rows), or None
    if the day is not published yet."""
    try:
        load = load_partition(archive.client(), warehouse.get(), raw_table, part.day, part.symbol)
    except ArchiveNotYetAvailable as exc:
        # Not a crash: the day is not published yet. Nothing is materialized; a later run picks it up.
        context.log.warning(f"{raw_table.name} {part.symbol} {part.day}: {exc}")
        return None
    except BinanceDataError as exc:
        raise dg.Failure(
            description=f"{type(exc).__name__}: {exc}",
            metadata={"error_type": type(exc).__name__, "partition_left_unchanged": True},
            allow_retries=False,
        ) from exc
    return load, {
        "source": "archive",
        "timestamp_unit": load.timestamp_unit,
        "source_url": load.source_url,
        "sha256": load.sha256,
    }, f"the file is kept in {load.quarantined_to}"


def _from_rest(context, rest: BinanceRestResource, warehouse: WarehouseResource, raw_table: RawTable, part):
    """The REST gap-fill by the same write-audit-publish; None if REST has nothing to add."""
    fill = gapfill_partition(RestFetcher(rest.client()), warehouse.get(), raw_table, part.day, part.symbol)
    context.log.info(f"{raw_table.name} {part.symbol} {part.day}: REST {fill.reason}, {fill.rows_fetched} rows fetched")
    if fill.audit is None:  # complete already, or REST has no rows either: nothing new to publish
        return None
    return fill.audit, {
        "source": "rest",
        "reason": fill.reason,
        "rows_fetched": fill.rows_fetched,
        "requests": fill.requests,
        "request_weight": fill.weight,
        "source_url": fill.source_url,
    }, "the REST rows were dropped"


def build_raw_assets(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetsDefinition]:
    return [build_raw_asset(table, partitions_def) for table in RAW_TABLES.values()]

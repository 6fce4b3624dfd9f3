"""The raw assets: one day-partitioned asset per raw warehouse table, built by one factory.

A raw run is ONE step per table: for each day of the run it loads every symbol of the day (the run's scope:
run config `symbols`, else the run tag `binance/symbols`, else the day's universe; `lib/partitions.py`), each
(day, symbol) file by write-audit-publish on its own (`load.py`), the files parsed and audited in parallel
threads and published one after the other (`day_load.py`), and yields the day's check results itself
(`day_results.py`). The source is the day's archive, or with run config `source: rest` Binance's REST API
(the gap-fill, `gapfill_load.py`, launched by `rest_gapfill_sensor`): the same staging, the same blocking
checks, the same publish and the same check results, so automation treats a gap-filled day like any other.
A refused file is never published: its symbol's partition, its load_log and everything downstream stay as
they were; the other symbols of the day are published, and the step fails naming the refused files.
"""

from typing import Literal

import dagster as dg
from pydantic import Field

from binance_assets.binance.errors import ArchiveNotYetAvailable, BinanceDataError
from binance_assets.binance.rest_tables import RestFetcher
from binance_assets.ingestion.checks import check_result, raw_check_specs
from binance_assets.ingestion.day_load import load_day
from binance_assets.ingestion.day_results import DayResult, SymbolLoad
from binance_assets.ingestion.gapfill_load import gapfill_partition
from binance_assets.ingestion.load import PartitionLoad
from binance_assets.ingestion.schemas import DESCRIPTIONS
from binance_assets.lib.keys import RAW_GROUP, WAREHOUSE_POOL, raw_asset_key
from binance_assets.lib.partitions import DAY_RANGE_BACKFILL, run_days, run_symbols
from binance_assets.lib.resources import ArchiveResource, WarehouseResource
from binance_assets.lib.rest_resources import BinanceRestResource
from binance_assets.settings import Settings
from binance_assets.warehouse import RAW_TABLES, RawTable


def raw_op_name(table_name: str) -> str:
    """The step (op) of raw asset `table_name`: where its run config goes."""
    return f"{RAW_GROUP}__{table_name}"


class RawLoadConfig(dg.Config):
    source: Literal["archive", "rest"] = Field(
        default="archive",
        description="archive: the day's files from data.binance.vision (or the mirror); rest: fill the day "
        "from Binance's REST API (what is missing of it), through the same checks.",
    )
    symbols: list[str] | None = Field(
        default=None,
        description="The symbols whose files this table loads; default the run's symbols (tag binance/symbols), "
        "else the day's universe.",
    )


def rest_run_config(table_names, symbols: dict[str, list[str]] | None = None) -> dict:
    """Run config that makes the raw assets of `table_names` load from REST (the gap-fill), each for the
    symbols `symbols[table]` names (default: the run's)."""
    ops = {}
    for name in table_names:
        config: dict = {"source": "rest"}
        if symbols and name in symbols:
            config["symbols"] = sorted(symbols[name])
        ops[raw_op_name(name)] = {"config": config}
    return {"ops": ops}


def symbols_run_config(symbols_by_table: dict[str, list[str]]) -> dict:
    """Run config naming the symbols each raw table loads (the landing sensor: the files that landed)."""
    return {"ops": {raw_op_name(t): {"config": {"symbols": sorted(s)}} for t, s in symbols_by_table.items()}}


def build_raw_asset(
    raw_table: RawTable, partitions_def: dg.PartitionsDefinition, settings: Settings
) -> dg.AssetsDefinition:
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
        backfill_policy=DAY_RANGE_BACKFILL,
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
        wh = warehouse.get()
        load_symbols = _rest_loader(context, binance_rest, wh, raw_table) if config.source == "rest" else \
            _archive_loader(context, archive, wh, raw_table)
        results = []
        for day in run_days(context):
            result = DayResult(raw_table.name, day)
            result.loads.extend(load_symbols(
                day, run_symbols(context, settings, wh, day, config.symbols, raw_table.dataset.market)
            ))
            results.append(result)
        yield from _day_events(context, key, raw_table, results)

    return _raw_asset


def _day_events(context, key: dg.AssetKey, raw_table: RawTable, results: list[DayResult]):
    """The run's events: one materialization (with the checks) when every day of the run published rows; the
    failed checks alone when nothing was published; then a failure naming every refused file."""
    if not any(r.loads for r in results):
        # No symbol of the table's market in the run's scope (e.g. BINANCE_ASSETS_UM_SYMBOLS empty): nothing is
        # missing, and what is downstream (the other markets' marts) must not be skipped for it. Nothing written.
        context.log.info(f"{raw_table.name}: no {raw_table.dataset.market.value} symbol in this run's scope")
        yield dg.MaterializeResult(metadata={"dagster/row_count": 0, "symbols_in_scope": 0})
        return
    failures = [r.failure_description() for r in results if r.failed]
    empty = [r for r in results if not r.published]
    for result in empty:
        if not result.failed:
            context.log.warning(f"{raw_table.name} {result.day}: nothing new to publish ({result.metadata()})")
    if len(results) == 1 or not empty:
        merged = results[0] if len(results) == 1 else _merge(raw_table.name, results)
        outcomes = merged.check_outcomes()
        checks = [check_result(key, outcome) for outcome in outcomes]
        if merged.published:
            yield dg.MaterializeResult(metadata=_metadata_values(merged.metadata()), check_results=checks)
        else:
            yield from checks
    if empty and len(results) > 1:
        failures.append(f"days with nothing published: {', '.join(str(r.day) for r in empty)} (the days with rows "
                        "were published; re-run the range once every day's files are there)")
    if failures:
        raise dg.Failure(
            description=" ".join(failures),
            metadata={"partition_left_unchanged": True,
                      "refused_symbols": sorted({f.symbol for r in results for f in r.failed})},
            allow_retries=False,
        )


def _merge(table: str, results: list[DayResult]) -> DayResult:
    """A range of days as one result (a backfill run): every symbol-day's load, labelled by day."""
    from dataclasses import replace

    merged = DayResult(table, results[0].day)
    for result in results:
        merged.loads += [replace(load, symbol=f"{load.symbol}@{result.day}") for load in result.loads]
    return merged


def _metadata_values(metadata: dict) -> dict:
    out = {}
    for k, v in metadata.items():
        if k == "source_url" and isinstance(v, str) and v.startswith("http"):
            v = dg.MetadataValue.url(v)
        elif isinstance(v, list | dict):
            v = dg.MetadataValue.json(v)
        out[k] = v
    return out


def _archive_loader(context, archive: ArchiveResource, warehouse, raw_table: RawTable):
    """The day's files of the symbols, loaded in parallel inside the step (`day_load.load_day`); one
    `SymbolLoad` per symbol, in the symbols' order."""
    client = archive.client()

    def load_symbols(day, symbols) -> list[SymbolLoad]:
        symbols = list(symbols)
        outcomes = dict(load_day(client, warehouse, raw_table, day, symbols))
        return [_symbol_load(context, raw_table, day, symbol, outcomes[symbol]) for symbol in symbols]

    return load_symbols


def _symbol_load(context, raw_table: RawTable, day, symbol: str, load: PartitionLoad | BinanceDataError) -> SymbolLoad:
    if isinstance(load, ArchiveNotYetAvailable):
        # Not a crash: the day is not published yet. Nothing is materialized; a later run picks it up.
        context.log.warning(f"{raw_table.name} {symbol} {day}: {load}")
        return SymbolLoad(symbol, "not_yet_published", detail=str(load))
    if isinstance(load, BinanceDataError):
        context.log.error(f"{raw_table.name} {symbol} {day}: {type(load).__name__}: {load}")
        return SymbolLoad(symbol, "error", detail=f"{type(load).__name__}: {load}")
    if not load.published:
        return SymbolLoad(symbol, "refused", load.checks, detail=f"blocking checks failed ({load.rejection}); "
                          f"the file is kept in {load.quarantined_to}")
    stats = load.stats
    return SymbolLoad(symbol, "published", load.checks, rows=stats.rows, metadata={
        "first_id": stats.first_id, "last_id": stats.last_id,
        "first_time": str(stats.first_time), "last_time": str(stats.last_time),
        "source": "archive", "timestamp_unit": load.timestamp_unit, "source_url": load.source_url,
        "sha256": load.sha256, "load_log_version": load.version,
    })


def _rest_loader(context, rest: BinanceRestResource, warehouse, raw_table: RawTable):
    fetcher = RestFetcher(rest.client(raw_table.dataset.market))  # the market's host (spot or fapi)

    def load_symbols(day, symbols) -> list[SymbolLoad]:
        return [load(day, symbol) for symbol in symbols]

    def load(day, symbol) -> SymbolLoad:
        fill = gapfill_partition(fetcher, warehouse, raw_table, day, symbol)
        context.log.info(f"{raw_table.name} {symbol} {day}: REST {fill.reason}, {fill.rows_fetched} rows fetched")
        if fill.audit is None:  # complete already, or REST has no rows either: nothing new to publish
            return SymbolLoad(symbol, "unchanged", detail=fill.reason)
        audit = fill.audit
        if not audit.published:
            return SymbolLoad(symbol, "refused", audit.checks,
                              detail=f"blocking checks failed ({audit.rejection}); the REST rows were dropped")
        stats = audit.stats
        return SymbolLoad(symbol, "published", audit.checks, rows=stats.rows, metadata={
            "first_id": stats.first_id, "last_id": stats.last_id,
            "first_time": str(stats.first_time), "last_time": str(stats.last_time),
            "source": "rest", "reason": fill.reason, "rows_fetched": fill.rows_fetched, "requests": fill.requests,
            "request_weight": fill.weight, "source_url": fill.source_url, "load_log_version": audit.version,
        })

    return load_symbols


def build_raw_assets(partitions_def: dg.PartitionsDefinition, settings: Settings) -> list[dg.AssetsDefinition]:
    return [build_raw_asset(table, partitions_def, settings) for table in RAW_TABLES.values()]

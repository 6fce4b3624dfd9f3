"""Dagster wiring of the REST gap-fill: a partitioned job, its sensor and the REST-vs-archive checks.

- `rest_gapfill` job (partitioned like the raw assets): fills the partition's raw tables over REST
  (`gapfill_load.gapfill_partition`) and records each filled table as a materialization of its raw
  asset (metadata `source: rest`), so downstream automation sees the new rows.
- `rest_gapfill_sensor` (every 10 minutes; RUNNING in ci/prod, STOPPED in local): for the last few
  days past their due hour, a partition without a load, or with trade-id holes, gets one run. Its run
  key holds the partition's row count, so a legitimate gap (an exchange outage REST cannot fill either)
  is tried once, not forever.
- `matches_rest_gapfill` check on every raw asset: once the archive replaced a REST-filled partition,
  the two must be identical (a mismatch is a failed check, severity ERROR).
"""

import datetime as dt

import dagster as dg
from pydantic import Field

from binance_assets.automation.defaults import sensor_status
from binance_assets.binance.rest_tables import RestFetcher
from binance_assets.ingestion.assets import WAREHOUSE_POOL, raw_asset_key
from binance_assets.ingestion.gapfill_load import MINUTES_PER_DAY, compare_rest_copy, gapfill_partition, load_source
from binance_assets.ingestion.partitions import DaySymbol
from binance_assets.resources import WarehouseResource
from binance_assets.rest_resources import PUBLIC_REST_KEY
from binance_assets.settings import Settings
from binance_assets.warehouse import RAW_TABLES, RawTable

GAPFILL_JOB = "rest_gapfill"
GAPFILL_SENSOR = "rest_gapfill_sensor"
GAPFILL_CHECK = "matches_rest_gapfill"
LOOKBACK_DAYS = 3
FILLED = frozenset({"missing", "id_gaps", "missing_minutes"})


class GapFillConfig(dg.Config):
    tables: list[str] = Field(default_factory=lambda: list(RAW_TABLES))


@dg.op(required_resource_keys={"warehouse", PUBLIC_REST_KEY}, pool=WAREHOUSE_POOL)
def fill_from_rest(context: dg.OpExecutionContext, config: GapFillConfig):
    part = DaySymbol.from_key(context.partition_key)
    client = getattr(context.resources, PUBLIC_REST_KEY).client()
    fetcher = RestFetcher(client)
    warehouse = context.resources.warehouse.get()
    for name in config.tables:
        fill = gapfill_partition(fetcher, warehouse, RAW_TABLES[name], part.day, part.symbol)
        context.log.info(f"{name} {part.symbol} {part.day}: {fill}")
        if fill.reason in FILLED:
            yield dg.AssetMaterialization(
                asset_key=raw_asset_key(name),
                partition=context.partition_key,
                metadata={
                    "source": "rest",
                    "reason": fill.reason,
                    "rows_fetched": fill.rows_fetched,
                    "dagster/row_count": fill.rows_after,
                    "requests": fill.requests,
                    "request_weight": fill.weight,
                },
            )
    yield dg.Output(None)


def build_gapfill_job(partitions_def: dg.PartitionsDefinition) -> dg.JobDefinition:
    @dg.job(name=GAPFILL_JOB, partitions_def=partitions_def, description="Fill a raw partition from Binance REST.")
    def _job():
        fill_from_rest()

    return _job


def build_rest_match_check(raw_table: RawTable, partitions_def: dg.PartitionsDefinition) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(raw_table.name),
        name=GAPFILL_CHECK,
        description="After REST filled this partition, the archive published later holds exactly the same rows.",
        partitions_def=partitions_def,
        pool=WAREHOUSE_POOL,
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        part = DaySymbol.from_key(context.partition_key)
        wh = warehouse.get()
        source = load_source(wh.load_log(raw_table.name, part.symbol, part.day))
        if source != "archive":
            return dg.AssetCheckResult(passed=True, metadata={"source": str(source), "compared": False})
        comparison = compare_rest_copy(wh, raw_table, part.day, part.symbol)
        if comparison is None:
            return dg.AssetCheckResult(passed=True, metadata={"source": source, "compared": False})
        return dg.AssetCheckResult(
            passed=comparison.matches,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "compared": True,
                "rest_rows": comparison.rest_rows,
                "archive_rows": comparison.archive_rows,
                "only_rest": comparison.only_rest,
                "only_archive": comparison.only_archive,
                "differing": comparison.differing,
                "examples": str(comparison.examples),
            },
        )

    return _check


def partitions_to_fill(warehouse, settings: Settings, now: dt.datetime) -> list[tuple[DaySymbol, list[str], str]]:
    """(partition, tables, run key) for days past their due hour whose tables are missing or have id holes."""
    out = []
    for back in range(1, LOOKBACK_DAYS + 1):
        day = now.date() - dt.timedelta(days=back)
        due = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), dt.UTC) + dt.timedelta(
            hours=settings.raw_due_hours_after_midnight
        )
        if now < due or day < settings.start_date:
            continue
        for symbol in settings.symbols:
            tables, state = [], []
            for table in RAW_TABLES.values():
                log = warehouse.load_log(table.name, symbol, day)
                if log is None:
                    tables.append(table.name)
                    state.append(f"{table.name}=none")
                elif (table.id_column and log["last_id"] - log["first_id"] + 1 != log["rows"]) or (
                    table.id_column is None and log["rows"] < MINUTES_PER_DAY  # Binance lists every minute
                ):
                    tables.append(table.name)
                    state.append(f"{table.name}={log['rows']}")
            if tables:
                out.append((DaySymbol(day, symbol), tables, f"gapfill:{day}:{symbol}:{','.join(state)}"))
    return out


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def build_gapfill_sensor(settings: Settings, job: dg.JobDefinition, clock=_utc_now) -> dg.SensorDefinition:
    @dg.sensor(
        name=GAPFILL_SENSOR,
        job=job,
        minimum_interval_seconds=600,
        default_status=sensor_status(GAPFILL_SENSOR, settings.env),
    )
    def _sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
        wanted = partitions_to_fill(warehouse.get(), settings, clock())
        if not wanted:
            return dg.SkipReason("every raw partition past its due hour is loaded without id holes")
        return [
            dg.RunRequest(
                run_key=key,
                partition_key=part.key(),
                run_config={"ops": {"fill_from_rest": {"config": {"tables": tables}}}},
                tags={"binance/source": "rest"},
            )
            for part, tables, key in wanted
        ]

    return _sensor


def build_gapfill_defs(settings: Settings, partitions_def: dg.PartitionsDefinition, clock=_utc_now) -> dg.Definitions:
    """`clock`: what the sensor takes for now (tests pass a fixed one)."""
    job = build_gapfill_job(partitions_def)
    return dg.Definitions(
        jobs=[job],
        sensors=[build_gapfill_sensor(settings, job, clock)],
        asset_checks=[build_rest_match_check(t, partitions_def) for t in RAW_TABLES.values()],
    )

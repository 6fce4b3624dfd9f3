"""Dagster wiring of the REST gap-fill: a job of the raw assets, its sensor and the REST-vs-archive checks.

- `rest_gapfill` job: the raw assets themselves, run with config `source: rest` (`assets.RawLoadConfig`).
  Their own step fills the partition over REST (`gapfill_load.gapfill_partition`) through the same
  write-audit-publish as an archive and reports the same check results (`pandera_schema`, `unique_ids`,
  `id_continuity`) with the materialization (metadata `source: rest`). So the blocking checks that every
  downstream automation condition waits for pass or fail for a gap-filled day as for an archived one, and
  automation builds what the run did not for a gap-filled day as for an archived one.
- `rest_gapfill_sensor` (every 10 minutes; RUNNING in ci/prod, STOPPED in local): for the last few
  days past their due hour, a partition without a load, or with trade-id holes, gets one run of the raw
  assets that need it and, as a landing run does, what is downstream of them in this location (dbt
  models, features; a failed blocking check stops them), with their partition checks, not the deadline
  checks. Predictions (the ml location) follow the new features through their automation. Its run key
  holds the partition's row count, so a legitimate gap (an exchange outage REST cannot fill either) is
  tried once, not forever.
- `matches_rest_gapfill` check on every raw asset: once the archive replaced a REST-filled partition,
  the two must be identical (a mismatch is a failed check, severity ERROR).
"""

import datetime as dt

import dagster as dg

from binance_assets.automation.selections import partition_run_checks
from binance_assets.automation.sensor_support import TAG_SOURCE, run_selection
from binance_assets.binance.schema import Market
from binance_assets.ingestion.assets import rest_run_config
from binance_assets.ingestion.gapfill_load import MINUTES_PER_DAY, compare_rest_copy, load_source, rest_copy_symbols
from binance_assets.lib.defaults import sensor_status
from binance_assets.lib.keys import WAREHOUSE_POOL, raw_asset_key
from binance_assets.lib.partitions import DaySymbol, day_key, parse_day_key, scope_tags, universe_on
from binance_assets.lib.resources import WarehouseResource
from binance_assets.lib.rest_resources import can_call
from binance_assets.settings import Settings
from binance_assets.warehouse import RAW_TABLES, RawTable

GAPFILL_JOB = "rest_gapfill"
GAPFILL_SENSOR = "rest_gapfill_sensor"
GAPFILL_CHECK = "matches_rest_gapfill"
LOOKBACK_DAYS = 3


def gapfillable_tables() -> list[RawTable]:
    """The raw tables REST can fill: those whose dataset declares a REST path (the registry's)."""
    return [t for t in RAW_TABLES.values() if t.dataset.rest_path is not None]


def build_gapfill_job(exclude: dg.AssetSelection | None = None):
    """The raw assets (and their checks, but `exclude`) as a job whose runs load from REST (also when launched
    from the UI); the sensor's runs name the tables to fill (`rest_run_config(tables)`)."""
    tables = gapfillable_tables()
    selection = dg.AssetSelection.assets(*(raw_asset_key(t.name) for t in tables))
    return dg.define_asset_job(
        GAPFILL_JOB,
        selection=selection - exclude if exclude is not None else selection,
        config=rest_run_config([t.name for t in tables]),
        description="Fill a raw partition from Binance REST (run config: source rest), checked like an archive.",
    )


def build_rest_match_check(
    raw_table: RawTable, partitions_def: dg.PartitionsDefinition, settings: Settings
) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=raw_asset_key(raw_table.name),
        name=GAPFILL_CHECK,
        description="After REST filled this partition, the archive published later holds exactly the same rows.",
        partitions_def=partitions_def,
        pool=WAREHOUSE_POOL,
    )
    def _check(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        day = parse_day_key(context.partition_key)
        wh = warehouse.get()
        compared: dict[str, dict] = {}
        # Only the symbols REST filled that day can differ from their archive (one query, not one per symbol).
        filled = rest_copy_symbols(wh, raw_table, day)
        for symbol in [s for s in universe_on(settings, wh, day, raw_table.dataset.market) if s in filled]:
            if load_source(wh.load_log(raw_table.name, symbol, day)) != "archive":
                continue
            comparison = compare_rest_copy(wh, raw_table, day, symbol)
            if comparison is not None:
                compared[symbol] = {
                    "matches": comparison.matches,
                    "rest_rows": comparison.rest_rows,
                    "archive_rows": comparison.archive_rows,
                    "only_rest": comparison.only_rest,
                    "only_archive": comparison.only_archive,
                    "differing": comparison.differing,
                    "examples": str(comparison.examples),
                }
        if not compared:
            return dg.AssetCheckResult(passed=True, metadata={"compared": False})
        mismatched = sorted(s for s, c in compared.items() if not c["matches"])
        first = compared[mismatched[0] if mismatched else next(iter(compared))]
        return dg.AssetCheckResult(
            passed=not mismatched,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata={
                "compared": True,
                "symbols_compared": len(compared),
                "mismatched_symbols": dg.MetadataValue.json(mismatched),
                **{k: v for k, v in first.items() if k != "matches"},
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
        for symbol, symbol_tables in _tables_by_symbol(settings, warehouse, day).items():
            tables, state = [], []
            for table in symbol_tables:
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


def _tables_by_symbol(settings: Settings, warehouse, day: dt.date) -> dict[str, list[RawTable]]:
    """symbol -> the gap-fillable tables that expect it on `day` (each table: its market's symbols), leaving out
    those whose REST path needs a market-data key while none is configured (USD-M trades)."""
    by_symbol: dict[str, list[RawTable]] = {}
    markets: dict[Market, list[str]] = {}
    for table in gapfillable_tables():
        if not can_call(table.dataset.rest_path):
            continue
        market = table.dataset.market
        if market not in markets:
            markets[market] = universe_on(settings, warehouse, day, market)
        for symbol in markets[market]:
            by_symbol.setdefault(symbol, []).append(table)
    return dict(sorted(by_symbol.items()))


def _digest(keys: list[str]) -> str:
    import hashlib

    return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:16]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def build_gapfill_sensor(settings: Settings, job, clock=_utc_now) -> dg.SensorDefinition:
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
        by_day: dict[dt.date, list[tuple[DaySymbol, list[str], str]]] = {}
        for part, tables, key in wanted:
            by_day.setdefault(part.day, []).append((part, tables, key))
        requests = []
        for day, items in sorted(by_day.items()):
            symbols_by_table: dict[str, list[str]] = {}
            for part, tables, _ in items:
                for table in tables:
                    symbols_by_table.setdefault(table, []).append(part.symbol)
            # Like a landing run: once filled, every raw table holds the day's symbols, so what is downstream of
            # the filled tables in this location (dbt models, features) is built in the same run, for them.
            assets = run_selection(context, [raw_asset_key(t) for t in symbols_by_table], complete=True)
            keys = [key for _, _, key in items]
            requests.append(
                dg.RunRequest(
                    run_key=keys[0] if len(keys) == 1 else f"gapfill:{day}:{_digest(keys)}",
                    partition_key=day_key(day),
                    asset_selection=assets,
                    asset_check_keys=partition_run_checks(context.repository_def, assets),
                    run_config=rest_run_config(list(symbols_by_table), symbols_by_table),
                    tags={**scope_tags(part.symbol for part, _, _ in items), TAG_SOURCE: "rest"},
                )
            )
        return requests

    return _sensor


def build_gapfill_defs(
    settings: Settings,
    partitions_def: dg.PartitionsDefinition,
    clock=_utc_now,
    exclude: dg.AssetSelection | None = None,
) -> dg.Definitions:
    """`clock`: what the sensor takes for now (tests pass a fixed one); `exclude`: checks on the raw assets
    a partition run must not run (the deadline checks). The raw assets come from the ingestion defs."""
    job = build_gapfill_job(exclude)
    return dg.Definitions(
        jobs=[job],
        sensors=[build_gapfill_sensor(settings, job, clock)],
        asset_checks=[build_rest_match_check(t, partitions_def, settings) for t in gapfillable_tables()],
    )

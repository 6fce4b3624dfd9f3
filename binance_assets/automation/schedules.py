"""A daily schedule that catches up on anything missed: raw partitions of recent days not in the warehouse.

Sensors react to what lands; this is the safety net for what did not (a sensor that was stopped, a run
that failed, a day published after the poller gave up). Each day with missing (table, symbol) pairs gets one
run of the raw tables it lacks, each loading only the symbols that lack it; automation takes it downstream.
"""

import datetime as dt

import dagster as dg

from binance_assets.automation.deadlines import latest_due_day, loaded_partitions
from binance_assets.automation.selections import partition_run_checks, schedule_repository
from binance_assets.binance.schema import Market
from binance_assets.ingestion.assets import symbols_run_config
from binance_assets.lib.defaults import schedule_status
from binance_assets.lib.keys import raw_asset_key
from binance_assets.lib.partitions import DaySymbol, day_key, scope_tags, universe_on
from binance_assets.lib.resources import WarehouseResource
from binance_assets.settings import Settings
from binance_assets.warehouse import RAW_TABLES

BACKFILL_SCHEDULE = "daily_missed_partitions"
LOOKBACK_DAYS = 7


def missing_partitions(
    loaded: set[tuple[str, str, dt.date]], tables: list[str], symbols: list[str], days: list[dt.date]
) -> dict[DaySymbol, list[str]]:
    """For every (day, symbol), the raw tables it lacks."""
    missing = {}
    for day in days:
        for symbol in symbols:
            lacking = [t for t in tables if (t, symbol, day) not in loaded]
            if lacking:
                missing[DaySymbol(day, symbol)] = lacking
    return missing


def build_backfill_schedule(settings: Settings, *, lookback_days: int = LOOKBACK_DAYS) -> dg.ScheduleDefinition:
    raw_keys = [raw_asset_key(table) for table in RAW_TABLES]

    @dg.schedule(
        name=BACKFILL_SCHEDULE,
        cron_schedule="0 8 * * *",  # after the archives' publication window and the raw deadline (06:00)
        execution_timezone="UTC",
        target=dg.AssetSelection.assets(*raw_keys),
        default_status=schedule_status(BACKFILL_SCHEDULE, settings.env),
        description=f"Request runs for raw partitions of the last {lookback_days} due days that are not loaded.",
    )
    def daily_missed_partitions(context: dg.ScheduleEvaluationContext, warehouse: WarehouseResource):
        last = latest_due_day(context.scheduled_execution_time, settings.raw_due_hours_after_midnight)
        first = max(last - dt.timedelta(days=lookback_days - 1), settings.start_date)
        days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
        loaded = set(loaded_partitions(warehouse.get(), first, last))
        missing: dict[DaySymbol, list[str]] = {}
        wh = warehouse.get()
        for day in days:  # each day's universe: a symbol is expected from its listing to its delisting
            for market, tables in _tables_by_market().items():  # each market's tables with its own symbols
                found = missing_partitions(loaded, tables, universe_on(settings, wh, day, market), [day])
                for part, names in found.items():
                    missing.setdefault(part, []).extend(names)
        if not missing:
            return dg.SkipReason(f"every raw partition from {first} to {last} is loaded")
        repository = schedule_repository(context)
        by_day: dict[dt.date, dict[str, list[str]]] = {}
        for part, tables in missing.items():
            for table in tables:
                by_day.setdefault(part.day, {}).setdefault(table, []).append(part.symbol)
        requests = []
        for day, symbols_by_table in sorted(by_day.items()):
            keys = [raw_asset_key(table) for table in RAW_TABLES if table in symbols_by_table]
            requests.append(dg.RunRequest(
                run_key=f"{BACKFILL_SCHEDULE}:{day}:{context.scheduled_execution_time:%Y-%m-%d}",
                partition_key=day_key(day),
                asset_selection=keys,
                # Not the deadline checks: they run in raw_deadline_sensor's runs only.
                asset_check_keys=partition_run_checks(repository, keys),
                run_config=symbols_run_config(symbols_by_table),
                tags={**scope_tags(s for symbols in symbols_by_table.values() for s in symbols),
                      "binance/reason": "missed partition"},
            ))
        return requests

    return daily_missed_partitions


def _tables_by_market() -> dict[Market, list[str]]:
    by_market: dict[Market, list[str]] = {}
    for table in RAW_TABLES.values():
        by_market.setdefault(table.dataset.market, []).append(table.name)
    return by_market

"""Market partitions: one per UTC day, every symbol of the day inside its runs.

Raw tables, marts, features and predictions are partitioned by day (`daily_partitions`): one run of a day
loads, builds and scores every symbol of the day's universe; a backfill runs ranges of days per run
(`DAY_RANGE_BACKFILL`). Per-symbol state stays first-class in the warehouse (`raw.load_log` per dataset,
day, symbol and version) and in the runs' metadata.

A run may name a subset of the day's symbols (a late or replaced file costs that file): the run tag
`binance/symbols` (`scope_tags`) scopes every step of the run (dbt vars, features, scoring), and the raw
assets' run config may name the symbols each table loads. Without either, a run covers the day's universe.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache

import dagster as dg
from dagster._core.errors import DagsterInvalidPropertyError

from binance_assets.binance.schema import Market
from binance_assets.settings import Settings
from binance_assets.warehouse import Warehouse
from binance_assets.warehouse.universe import symbols_for_day

SYMBOLS_TAG = "binance/symbols"
# A backfill of many days runs ranges of days per run (each run loads its days one after the other), not one
# run per day: 31 days x the universe per run keeps a run's memory bounded while a year is 12 runs.
MAX_DAYS_PER_RUN = 31
DAY_RANGE_BACKFILL = dg.BackfillPolicy.multi_run(max_partitions_per_run=MAX_DAYS_PER_RUN)


@lru_cache(maxsize=8)
def _daily(start: str) -> dg.DailyPartitionsDefinition:
    return dg.DailyPartitionsDefinition(start_date=start)


def daily_partitions(settings: Settings) -> dg.DailyPartitionsDefinition:
    """The one partitions definition of the market assets: UTC days from `settings.start_date`."""
    return _daily(settings.start_date.isoformat())


def day_key(day: dt.date) -> str:
    return day.isoformat()


def parse_day_key(key: str) -> dt.date:
    """A market partition key (`2025-01-01`) as a date; an old (day, symbol) key is refused by name."""
    text = str(key)
    if "|" in text:
        raise ValueError(
            f"{text!r} is a (day, symbol) partition key: market assets are partitioned by day now "
            "(name the symbols with the run tag binance/symbols)"
        )
    return dt.date.fromisoformat(text)


def run_days(context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext) -> list[dt.date]:
    """The days of a run: one partition, or the range of a backfill run, in order."""
    if isinstance(context, dg.AssetCheckExecutionContext):
        return [parse_day_key(context.partition_key)]
    return sorted(parse_day_key(key) for key in context.partition_keys)


def scope_tags(symbols: Iterable[str] | None) -> dict[str, str]:
    """The run tags naming the symbols a run covers (none: the day's universe)."""
    if symbols is None:
        return {}
    return {SYMBOLS_TAG: ",".join(sorted(set(symbols)))}


def tagged_symbols(tags: Mapping[str, str]) -> list[str] | None:
    """The symbols a run's tags name, or None when they name none (the run covers the universe)."""
    value = tags.get(SYMBOLS_TAG)
    if value is None:
        return None
    return sorted({s.strip().upper() for s in value.split(",") if s.strip()})


def run_tags(context) -> Mapping[str, str]:
    """The run's tags; none for a directly invoked asset (a unit test's `build_asset_context`)."""
    try:
        return context.run.tags
    except DagsterInvalidPropertyError:
        return {}


def universe_on(settings: Settings, warehouse: Warehouse, day: dt.date, market: Market = Market.SPOT) -> list[str]:
    """The symbols of `market` expected on `day` (sorted). Spot: the recorded universe (`raw.symbol_universe`,
    listings and delistings) filtered by the settings, or the allow-list while none is recorded
    (warehouse/universe.py). USD-M futures: `BINANCE_ASSETS_UM_SYMBOLS` from the first partition day on."""
    if market is Market.SPOT:
        return symbols_for_day(settings, warehouse, day)
    if market is Market.FUTURES_UM:
        return sorted(set(settings.um_symbols)) if day >= settings.start_date else []
    raise ValueError(f"no symbol list for market {market.value}")


def run_symbols(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext, settings: Settings, warehouse: Warehouse,
    day: dt.date, configured: Iterable[str] | None = None, market: Market = Market.SPOT,
) -> list[str]:
    """The symbols one step covers on `day`: those its config names, else those the run's tags name (within the
    market's symbols of the day), else the day's symbols of `market`."""
    if configured is not None:
        return sorted({s.upper() for s in configured})
    tagged = tagged_symbols(run_tags(context))
    if tagged is not None and market is not Market.SPOT:
        return sorted(set(tagged) & set(universe_on(settings, warehouse, day, market)))
    return tagged if tagged is not None else universe_on(settings, warehouse, day, market)


@dataclass(frozen=True, order=True)
class DaySymbol:
    """One symbol of one day: the unit of per-symbol state (load_log rows, deadlines, findings)."""

    day: dt.date
    symbol: str

    def label(self) -> str:
        return f"{self.day.isoformat()}|{self.symbol}"

"""Which symbols one step of a day run rebuilds: the run's named symbols, plus any symbol whose raw data
changed since this step last built the day.

A run tagged `binance/symbols` (a late or replaced file, a gap-fill) rebuilds only those symbols downstream,
so its cost follows the file, not the universe. Its materialization marks the whole day as built, so a
symbol whose raw rows changed since the step's previous build of the day (by a raw-only run whose downstream
had not caught up yet) is rebuilt too: a scoped run never hides another symbol's update. An untagged run,
or a day the step never built, covers every symbol.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import dagster as dg

from binance_assets.binance.schema import Market
from binance_assets.lib.partitions import day_key, run_tags, tagged_symbols
from binance_assets.warehouse import RAW_TABLES, Warehouse
from binance_assets.warehouse.load_log import LOAD_LOG


def last_built(instance: dg.DagsterInstance, keys: Iterable[dg.AssetKey], day: dt.date) -> dt.datetime | None:
    """The oldest of the latest materializations of `keys` for `day` (UTC), None if one never materialized."""
    oldest = None
    for key in keys:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day_key(day)]), limit=1
        ).records
        if not records:
            return None
        stamp = dt.datetime.fromtimestamp(records[0].timestamp, dt.UTC).replace(tzinfo=None)
        oldest = stamp if oldest is None or stamp < oldest else oldest
    return oldest


def changed_since(warehouse: Warehouse, first: dt.date, last: dt.date, since: dt.datetime) -> set[str]:
    """Symbols with a raw load of a day in [first, last] recorded after `since` (naive UTC, as load_log)."""
    rows = warehouse.query(
        f"SELECT DISTINCT symbol FROM {LOAD_LOG} WHERE trade_date >= ? AND trade_date <= ? AND loaded_at > ?",
        [first, last, since],
    )
    return set(rows["symbol"]) if len(rows) else set()


def step_symbols(
    context: dg.AssetExecutionContext, warehouse: Warehouse, day: dt.date, *, reads_previous_day: bool = False
) -> list[str] | None:
    """The symbols this step rebuilds on `day`, or None for every symbol (see the module docstring)."""
    tagged = tagged_symbols(run_tags(context))
    if tagged is None:
        return None
    since = last_built(context.instance, context.selected_asset_keys, day)
    if since is None:
        return None
    first = day - dt.timedelta(days=1) if reads_previous_day else day
    return sorted(set(tagged) | changed_since(warehouse, first, day, since))


# The raw tables a symbol's bars (and their reconciliation with the archive's klines) need, per market: the marts
# read trades and klines (dbt_project/models/marts/fct_bars_1m.sql, fct_um_bars_1m.sql); the aggTrades staging
# models stand alone.
BARS_INPUTS_BY_MARKET: dict[Market, tuple[str, str]] = {
    Market.SPOT: ("spot_trades", "spot_klines_1m"),
    Market.FUTURES_UM: ("um_trades", "um_klines_1m"),
}
BARS_INPUTS = tuple(t for inputs in BARS_INPUTS_BY_MARKET.values() for t in inputs)


def bars_inputs_of(tables: Iterable[str]) -> set[str]:
    """The bars' inputs of the markets raw `tables` belong to (a landed USD-M file needs USD-M trades and klines)."""
    markets = {RAW_TABLES[name].dataset.market for name in tables}
    return {t for market in markets for t in BARS_INPUTS_BY_MARKET.get(market, ())}


def complete_symbols(warehouse: Warehouse, day: dt.date) -> set[str]:
    """Symbols of `day` whose trades and klines are both loaded in some market, and half loaded in none
    (current `raw.load_log` rows): the ones dbt may build. A symbol whose klines have not landed yet is left out
    of the day's build, as a (day, symbol) partition with a missing upstream was: its bars would be built from
    trades alone and fail the reconciliation with the archive's klines."""
    marks = ", ".join("?" for _ in BARS_INPUTS)
    rows = warehouse.query(
        f"SELECT DISTINCT symbol, table_name FROM {LOAD_LOG} WHERE trade_date = ? AND superseded_at IS NULL "
        f"AND table_name IN ({marks})",
        [day, *BARS_INPUTS],
    )
    loaded: dict[str, set[str]] = {}
    for symbol, table in zip(rows["symbol"], rows["table_name"], strict=True) if len(rows) else []:
        loaded.setdefault(symbol, set()).add(table)
    return {symbol for symbol, tables in loaded.items() if bars_inputs_of(tables) <= tables}

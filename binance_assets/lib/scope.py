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

from binance_assets.lib.partitions import day_key, run_tags, tagged_symbols
from binance_assets.warehouse import Warehouse
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


# The raw tables a symbol's bars (and their reconciliation with the archive's klines) need: the marts read
# trades and klines (dbt_project/models/marts/fct_bars_1m.sql); the aggTrades staging model stands alone.
BARS_INPUTS = ("spot_trades", "spot_klines_1m")


def complete_symbols(warehouse: Warehouse, day: dt.date) -> set[str]:
    """Symbols of `day` whose trades and klines are both loaded (current `raw.load_log` rows): the ones dbt may
    build. A symbol whose klines have not landed yet is left out of the day's build, as a (day, symbol)
    partition with a missing upstream was: its bars would be built from trades alone and fail the
    reconciliation with the archive's klines."""
    marks = ", ".join("?" for _ in BARS_INPUTS)
    rows = warehouse.query(
        f"SELECT symbol FROM {LOAD_LOG} WHERE trade_date = ? AND superseded_at IS NULL AND table_name IN ({marks}) "
        "GROUP BY symbol HAVING count(DISTINCT table_name) = ?",
        [day, *BARS_INPUTS, len(BARS_INPUTS)],
    )
    return set(rows["symbol"]) if len(rows) else set()

"""Feature tables: per symbol and minute, point in time, one partition per UTC day (every symbol of it).

Day D reads the bars of D and, to warm up its trailing windows, of D-1. Both are declared: the bars
dependency maps feature day D to bars days D-1 and D, so a late or corrected D-1 refreshes D under
declarative automation. The first partition has no D-1 (the mapping allows the nonexistent upstream
partition) and is computed from its own day alone. A run covers the day's symbols that have bars, or only
those its run tag `binance/symbols` names (a late or replaced file rebuilds only its symbol).

Write-audit-publish: the day is computed, audited by the blocking pandera check, and only then replaces
each symbol's published rows (one transaction per symbol; see `checks.py`).
"""

import datetime as dt

import dagster as dg
import pandas as pd
import pyarrow as pa

from binance_assets.features.checks import audit_features, feature_check_specs
from binance_assets.features.compute import FEATURE_COLUMNS, LABEL_COLUMNS, compute_minute_features
from binance_assets.lib.conditions import partition_refresh
from binance_assets.lib.keys import WAREHOUSE_POOL
from binance_assets.lib.partitions import DAY_RANGE_BACKFILL, run_days, universe_on
from binance_assets.lib.resources import WarehouseResource
from binance_assets.lib.scope import step_symbols
from binance_assets.settings import Settings
from binance_assets.warehouse.table_names import BARS_1M_TABLE, FEATURES_TABLE

FEATURES_GROUP = "features"
MINUTE_FEATURES_KEY = dg.AssetKey(["features", "minute_features"])
BARS_KEY = dg.AssetKey(["marts", "fct_bars_1m"])

BARS_SQL = f"select * from {BARS_1M_TABLE} where trade_date = ? order by symbol, open_time"
ONE_DAY = dt.timedelta(days=1)

# Day D depends on bars of D-1 and D; D-1 of the first partition does not exist.
SAME_AND_PREVIOUS_DAY = dg.TimeWindowPartitionMapping(
    start_offset=-1, end_offset=0, allow_nonexistent_upstream_partitions=True
)


class FeaturePartitionRejected(dg.Failure):
    """The computed partition failed its blocking check; the published partition was left unchanged."""


def build_minute_features_asset(partitions_def: dg.PartitionsDefinition, settings: Settings) -> dg.AssetsDefinition:
    horizon = settings.label_horizon_minutes

    @dg.asset(
        key=MINUTE_FEATURES_KEY,
        deps=[dg.AssetDep(BARS_KEY, partition_mapping=SAME_AND_PREVIOUS_DAY)],
        group_name=FEATURES_GROUP,
        partitions_def=partitions_def,
        backfill_policy=DAY_RANGE_BACKFILL,
        pool=WAREHOUSE_POOL,
        automation_condition=partition_refresh(),
        check_specs=feature_check_specs(MINUTE_FEATURES_KEY, partitions_def),
        kinds={"python", "pandas"},
        owners=["team:ml"],
        tags={"layer": "features"},
        description=(
            "One row per symbol and minute: trailing returns, realised volatility, volume and trade-count "
            f"z-scores, taker-buy imbalance, VWAP distance, high/low spread; label: the {horizon}-minute "
            "forward log return and its sign. A feature at minute t uses only bars up to t. Day D reads the "
            "bars of D-1 to warm up its windows (a declared dependency). Audited before it is published."
        ),
        metadata={
            "dagster/table_name": FEATURES_TABLE,
            "features": FEATURE_COLUMNS,
            "labels": LABEL_COLUMNS,
            "label_horizon_minutes": horizon,
        },
    )
    def minute_features(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
        wh = warehouse.get()
        audits, metadata = [], {"dagster/row_count": 0, "symbols": 0}
        for day in run_days(context):
            scoped = step_symbols(context, wh, day, reads_previous_day=True)
            wanted = set(universe_on(settings, wh, day) if scoped is None else scoped)
            bars = _day_bars(wh, day, wanted)
            if bars.empty:
                raise dg.Failure(f"no bars in {BARS_1M_TABLE} for {day} ({len(wanted)} symbols): materialize the "
                                 "marts first")
            history = _day_bars(wh, day - ONE_DAY, wanted)  # warms up the trailing windows (all before t)
            history_of = dict(_by_symbol(history))  # split once: one pass over the day, not one per symbol
            frames = {
                symbol: compute_minute_features(group, horizon=horizon, history=history_of.get(symbol))
                for symbol, group in _by_symbol(bars)
            }
            frame = pd.concat(frames.values(), ignore_index=True)
            audit = audit_features(MINUTE_FEATURES_KEY, frame)  # audit the staged day...
            if not audit.passed:
                yield audit  # recorded (and shown in the UI) although nothing is published
                raise FeaturePartitionRejected(
                    f"features for {day} failed the blocking check {audit.check_name} "
                    f"({audit.metadata['failure_count'].value} failure cases, see the check's metadata); "
                    "the published rows were left unchanged",
                    metadata={"failure_count": audit.metadata["failure_count"]},
                )
            # ...and publish it only when it passed: the day's symbols in one transaction
            metadata["dagster/row_count"] += wh.replace_table_partitions(FEATURES_TABLE, day,
                                                                        _symbol_slices(frame, frames))
            audits.append(audit)
            metadata["symbols"] += len(frames)
            metadata["null_feature_share"] = float(frame[FEATURE_COLUMNS].isna().mean().mean())
            metadata["labelled_rows"] = int(frame["label_up"].notna().sum())
            metadata["warm_up_day"] = str(day - ONE_DAY) if len(history) else "none (no bars of the previous day)"
            without = sorted(wanted - set(frames))
            if without:
                metadata["symbols_without_bars"] = dg.MetadataValue.json(without[:200])
        # A passed audit goes out with the materialization it audited: Dagster's blocking-check conditions
        # (the ml location's predictions wait on them) judge a check by the materialization it targets.
        yield dg.MaterializeResult(check_results=audits[-1:], metadata=metadata)

    return minute_features


def _day_bars(wh, day: dt.date, symbols: set[str]) -> pd.DataFrame:
    bars = wh.query(BARS_SQL, [day])
    return bars[bars["symbol"].isin(symbols)] if len(bars) else bars


def _by_symbol(frame: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """(symbol, its rows from 0) for each symbol of `frame`, in symbol order."""
    if frame.empty:
        return []
    return [(str(symbol), rows.reset_index(drop=True)) for symbol, rows in frame.groupby("symbol", sort=True)]


def _symbol_slices(frame: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> list[tuple[str, pa.Table]]:
    """`frame` (the concatenation of `frames`, symbol by symbol) as one Arrow table, sliced without a copy into
    each symbol's rows."""
    table, start, slices = pa.Table.from_pandas(frame, preserve_index=False), 0, []
    for symbol, rows in frames.items():
        slices.append((symbol, table.slice(start, len(rows))))
        start += len(rows)
    return slices

"""Feature tables: per symbol and minute, point in time, one partition per (day, symbol).

Day D reads the bars of D and, to warm up its trailing windows, of D-1. Both are declared: the bars
dependency maps feature partition (D, symbol) to bars partitions (D-1, symbol) and (D, symbol), so a late
or corrected D-1 refreshes D under declarative automation. The first partition has no D-1 (the mapping
allows the nonexistent upstream partition) and is computed from its own day alone.

Write-audit-publish: the partition is computed, audited by the blocking pandera check, and only then
replaces the published partition in one transaction (see `checks.py`).
"""

import datetime as dt

import dagster as dg
import pyarrow as pa

from binance_assets.features.checks import audit_features, feature_check_specs
from binance_assets.features.compute import FEATURE_COLUMNS, LABEL_COLUMNS, compute_minute_features
from binance_assets.lib.conditions import partition_refresh
from binance_assets.lib.keys import WAREHOUSE_POOL
from binance_assets.lib.partitions import DATE_DIMENSION, SYMBOL_DIMENSION, DaySymbol
from binance_assets.lib.resources import WarehouseResource
from binance_assets.warehouse.table_names import BARS_1M_TABLE, FEATURES_TABLE

FEATURES_GROUP = "features"
MINUTE_FEATURES_KEY = dg.AssetKey(["features", "minute_features"])
BARS_KEY = dg.AssetKey(["marts", "fct_bars_1m"])

BARS_SQL = f"select * from {BARS_1M_TABLE} where symbol = ? and trade_date = ? order by open_time"
ONE_DAY = dt.timedelta(days=1)

# (D, symbol) depends on bars (D-1, symbol) and (D, symbol); D-1 of the first partition does not exist.
SAME_AND_PREVIOUS_DAY = dg.MultiPartitionMapping(
    {
        DATE_DIMENSION: dg.DimensionPartitionMapping(
            DATE_DIMENSION,
            dg.TimeWindowPartitionMapping(start_offset=-1, end_offset=0, allow_nonexistent_upstream_partitions=True),
        ),
        SYMBOL_DIMENSION: dg.DimensionPartitionMapping(SYMBOL_DIMENSION, dg.IdentityPartitionMapping()),
    }
)


class FeaturePartitionRejected(dg.Failure):
    """The computed partition failed its blocking check; the published partition was left unchanged."""


def build_minute_features_asset(partitions_def: dg.PartitionsDefinition, horizon: int) -> dg.AssetsDefinition:
    @dg.asset(
        key=MINUTE_FEATURES_KEY,
        deps=[dg.AssetDep(BARS_KEY, partition_mapping=SAME_AND_PREVIOUS_DAY)],
        group_name=FEATURES_GROUP,
        partitions_def=partitions_def,
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
        part = DaySymbol.from_key(context.partition_key)
        wh = warehouse.get()
        bars = wh.query(BARS_SQL, [part.symbol, part.day])
        if bars.empty:
            raise dg.Failure(f"no bars in {BARS_1M_TABLE} for {part.symbol} {part.day}: materialize the marts first")
        # The previous day's bars only warm up the trailing windows (still point in time: all before t).
        history = wh.query(BARS_SQL, [part.symbol, part.day - ONE_DAY])
        frame = compute_minute_features(bars, horizon=horizon, history=history if len(history) else None)
        audit = audit_features(MINUTE_FEATURES_KEY, frame)  # audit the staged frame...
        if not audit.passed:
            yield audit  # recorded (and shown in the UI) although nothing is published
            raise FeaturePartitionRejected(
                f"features for {part.symbol} {part.day} failed the blocking check {audit.check_name} "
                f"({audit.metadata['failure_count'].value} failure cases, see the check's metadata); "
                "the published partition was left unchanged",
                metadata={"failure_count": audit.metadata["failure_count"]},
            )
        rows = wh.replace_table_partition(  # ...and publish it only when it passed (one transaction)
            FEATURES_TABLE, part.symbol, part.day, pa.Table.from_pandas(frame, preserve_index=False)
        )
        # A passed audit goes out with the materialization it audited: Dagster's blocking-check conditions
        # (the ml location's predictions wait on them) judge a check by the materialization it targets.
        yield dg.MaterializeResult(
            check_results=[audit],
            metadata={
                "dagster/row_count": rows,
                "warm_up_day": str(part.day - ONE_DAY) if len(history) else "none (no bars of the previous day)",
                "null_feature_share": float(frame[FEATURE_COLUMNS].isna().mean().mean()),
                "labelled_rows": int(frame["label_up"].notna().sum()),
            }
        )

    return minute_features

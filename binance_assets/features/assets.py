"""Feature tables: per symbol and minute, point in time, one partition per (day, symbol)."""

import datetime as dt

import dagster as dg
import pyarrow as pa

from binance_assets.automation.conditions import partition_refresh
from binance_assets.features.compute import FEATURE_COLUMNS, LABEL_COLUMNS, compute_minute_features
from binance_assets.ingestion.assets import WAREHOUSE_POOL
from binance_assets.ingestion.partitions import DaySymbol
from binance_assets.resources import WarehouseResource

FEATURES_GROUP = "features"
MINUTE_FEATURES_KEY = dg.AssetKey(["features", "minute_features"])
MINUTE_FEATURES_TABLE = "features.minute_features"
BARS_KEY = dg.AssetKey(["marts", "fct_bars_1m"])

BARS_SQL = "select * from marts.fct_bars_1m where symbol = ? and trade_date = ? order by open_time"
ONE_DAY = dt.timedelta(days=1)


def build_minute_features_asset(partitions_def: dg.PartitionsDefinition, horizon: int) -> dg.AssetsDefinition:
    @dg.asset(
        key=MINUTE_FEATURES_KEY,
        deps=[BARS_KEY],
        group_name=FEATURES_GROUP,
        partitions_def=partitions_def,
        pool=WAREHOUSE_POOL,
        automation_condition=partition_refresh(),
        kinds={"python", "pandas"},
        owners=["team:ml"],
        tags={"layer": "features"},
        description=(
            "One row per symbol and minute: trailing returns, realised volatility, volume and trade-count "
            f"z-scores, taker-buy imbalance, VWAP distance, high/low spread; label: the {horizon}-minute "
            "forward log return and its sign. A feature at minute t uses only bars up to t."
        ),
        metadata={
            "dagster/table_name": MINUTE_FEATURES_TABLE,
            "features": FEATURE_COLUMNS,
            "labels": LABEL_COLUMNS,
            "label_horizon_minutes": horizon,
        },
    )
    def minute_features(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        part = DaySymbol.from_key(context.partition_key)
        wh = warehouse.get()
        bars = wh.query(BARS_SQL, [part.symbol, part.day])
        if bars.empty:
            raise dg.Failure(f"no bars in marts.fct_bars_1m for {part.symbol} {part.day}: materialize the marts first")
        # The previous day's bars only warm up the trailing windows (still point in time: all before t).
        history = wh.query(BARS_SQL, [part.symbol, part.day - ONE_DAY])
        frame = compute_minute_features(bars, horizon=horizon, history=history if len(history) else None)
        rows = wh.replace_table_partition(
            MINUTE_FEATURES_TABLE, part.symbol, part.day, pa.Table.from_pandas(frame, preserve_index=False)
        )
        return dg.MaterializeResult(
            metadata={
                "dagster/row_count": rows,
                "null_feature_share": float(frame[FEATURE_COLUMNS].isna().mean().mean()),
                "labelled_rows": int(frame["label_up"].notna().sum()),
            }
        )

    return minute_features

"""The pandera model of the feature table, run on every partition; blocking, so no model reads bad features."""

import dagster as dg

from binance_assets.features.assets import MINUTE_FEATURES_KEY, MINUTE_FEATURES_TABLE
from binance_assets.features.schema import validate_features
from binance_assets.ingestion.assets import WAREHOUSE_POOL
from binance_assets.ingestion.partitions import DaySymbol
from binance_assets.resources import WarehouseResource


def build_feature_checks(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetChecksDefinition]:
    @dg.asset_check(
        asset=MINUTE_FEATURES_KEY,
        name="pandera_schema",
        description="pandera model of features.minute_features: types, finite values, one row per minute.",
        blocking=True,
        partitions_def=partitions_def,
        pool=WAREHOUSE_POOL,
    )
    def feature_schema(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        part = DaySymbol.from_key(context.partition_key)
        frame = warehouse.get().read_table(
            MINUTE_FEATURES_TABLE, symbols=[part.symbol], start=part.day, end=part.day
        )
        passed, failures = validate_features(frame)
        metadata = {"rows": len(frame), "failure_count": len(failures)}
        if not passed:
            metadata["failure_cases"] = dg.MetadataValue.json(failures.head(20).astype(str).to_dict(orient="records"))
        return dg.AssetCheckResult(passed=passed, metadata=metadata)

    return [feature_schema]

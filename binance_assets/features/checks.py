"""The blocking pandera check of a feature partition, run write-audit-publish style.

The check runs inside the feature asset's own step, on the frame just computed and BEFORE it replaces
the published partition: a failing frame is never written (the asset step fails, the published copy
stays as it was), and the check result is recorded either way, so the UI shows it on the partition.
Everything that reads ``features.minute_features`` (predictions, model training) therefore reads only
partitions that passed this check.
"""

import dagster as dg
import pandas as pd

from binance_assets.features.schema import validate_features
from binance_assets.warehouse.table_names import FEATURES_TABLE

SCHEMA_CHECK = "pandera_schema"
FAILURE_EXAMPLES = 20


def feature_check_specs(asset_key: dg.AssetKey, partitions_def: dg.PartitionsDefinition) -> list[dg.AssetCheckSpec]:
    return [
        dg.AssetCheckSpec(
            SCHEMA_CHECK,
            asset=asset_key,
            blocking=True,
            partitions_def=partitions_def,
            description=(
                f"pandera model of {FEATURES_TABLE} (types, finite values, one row per minute), run on "
                "the computed partition before it is published: a failing partition is never written."
            ),
        )
    ]


def audit_features(asset_key: dg.AssetKey, frame: pd.DataFrame) -> dg.AssetCheckResult:
    """The pandera check of a computed (not yet published) feature partition."""
    passed, failures = validate_features(frame)
    metadata = {"rows": len(frame), "failure_count": len(failures), "audited": "before publishing"}
    if not passed:
        metadata["failure_cases"] = dg.MetadataValue.json(
            failures.head(FAILURE_EXAMPLES).astype(str).to_dict(orient="records")
        )
    return dg.AssetCheckResult(asset_key=asset_key, check_name=SCHEMA_CHECK, passed=passed, metadata=metadata)

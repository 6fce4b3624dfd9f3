"""Drift checks: the features a prediction partition was scored on, against the champion's training window."""

import dagster as dg
from pydantic import Field

from binance_assets.lib.keys import WAREHOUSE_POOL
from binance_assets.lib.partitions import DaySymbol
from binance_assets.lib.resources import WarehouseResource
from binance_assets.ml.assets import CLASSIFIER, PREDICTIONS_KEY
from binance_assets.ml.drift import drift_report
from binance_assets.ml.point_in_time import choose_scoring_model, drift_reference, training_end, training_start
from binance_assets.ml.resources import ModelRegistryResource
from binance_assets.warehouse.table_names import FEATURES_TABLE


class DriftThresholds(dg.Config):
    psi_warn: float = Field(default=0.1, description="PSI at or above this warns.")
    psi_error: float = Field(default=0.25, description="PSI at or above this is an error.")
    ks_pvalue_error: float = Field(
        default=0.0,
        description=(
            "A KS p-value below this (with PSI >= warn) errors; 0 leaves errors to the PSI. Minutes are "
            "autocorrelated, so on a day of them KS p-values are tiny for shifts that do not matter."
        ),
    )


def build_drift_checks(partitions_def: dg.PartitionsDefinition) -> list[dg.AssetChecksDefinition]:
    @dg.asset_check(
        asset=PREDICTIONS_KEY,
        name="feature_drift",
        description=(
            "Population stability index and a two-sample KS test per feature: this partition's features "
            "against the same symbol's rows in the training window of the classifier that scored it, without "
            "the scored day. Warns, or errors past the thresholds."
        ),
        partitions_def=partitions_def,
        pool=WAREHOUSE_POOL,
    )
    def feature_drift(
        context: dg.AssetCheckExecutionContext,
        config: DriftThresholds,
        warehouse: WarehouseResource,
        model_registry: ModelRegistryResource,
    ) -> dg.AssetCheckResult:
        part = DaySymbol.from_key(context.partition_key)
        wh = warehouse.get()
        lineage = model_registry.get().champion_lineage(CLASSIFIER)
        if not lineage:
            raise dg.Failure(f"model {CLASSIFIER} has no champion: nothing to compare the features with")
        card = choose_scoring_model(lineage, part.day).card  # the model that scored this partition
        start, end = training_start(card), training_end(card)
        window = wh.read_table(FEATURES_TABLE, symbols=[part.symbol], start=start, end=end)
        reference = drift_reference(window, part.symbol, part.day)  # same symbol, without the scored day
        current = wh.read_table(FEATURES_TABLE, symbols=[part.symbol], start=part.day, end=part.day)
        report = drift_report(
            reference, current, card.features,
            psi_warn=config.psi_warn, psi_error=config.psi_error, ks_pvalue_error=config.ks_pvalue_error,
        )
        per_feature = {
            f.feature: {"psi": round(f.psi, 4), "ks": round(f.ks_statistic, 4), "p": f.ks_pvalue,
                        "severity": f.severity}
            for f in report.features
        }
        return dg.AssetCheckResult(
            passed=report.severity == "ok",
            severity=dg.AssetCheckSeverity.ERROR if report.severity == "error" else dg.AssetCheckSeverity.WARN,
            metadata={
                "severity": report.severity,
                "reference_window": f"{start} .. {end} without {part.day}",
                "reference_symbol": part.symbol,
                "reference_rows": len(reference),
                "model_version": card.version,
                "max_psi": max((f.psi for f in report.features), default=0.0),
                "per_feature": dg.MetadataValue.json(per_feature),
            },
        )

    return [feature_drift]

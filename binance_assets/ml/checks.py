"""Drift checks: the features a prediction partition was scored on, against the champion's training window."""

import dagster as dg
from pydantic import Field

from binance_assets.lib.keys import WAREHOUSE_POOL
from binance_assets.lib.partitions import run_days
from binance_assets.lib.resources import WarehouseResource
from binance_assets.ml.assets import CLASSIFIER, PREDICTIONS_KEY
from binance_assets.ml.drift import drift_report
from binance_assets.ml.point_in_time import choose_scoring_model, drift_references, training_end, training_start
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
            "Population stability index and a two-sample KS test per feature, per symbol: the day's features of "
            "each symbol against the same symbol's rows in the training window of the classifier that scored "
            "the day, without the scored day. Warns, or errors past the thresholds; the worst symbol decides."
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
        (day,) = run_days(context)
        wh = warehouse.get()
        lineage = model_registry.get().champion_lineage(CLASSIFIER)
        if not lineage:
            raise dg.Failure(f"model {CLASSIFIER} has no champion: nothing to compare the features with")
        card = choose_scoring_model(lineage, day).card  # the model that scored this day
        start, end = training_start(card), training_end(card)
        current_day = wh.read_table(FEATURES_TABLE, start=day, end=day)
        symbols = sorted(current_day["symbol"].astype(str).unique())
        window = wh.read_table(FEATURES_TABLE, symbols=symbols, start=start, end=end)
        rank = {"ok": 0, "warn": 1, "error": 2}
        reports, reference_rows = {}, {}
        references = drift_references(window, day)  # each symbol's own rows, without the scored day
        current_of = dict(list(current_day.groupby(current_day["symbol"].astype(str), sort=False)))
        for symbol in symbols:
            reference = references.get(symbol, window.iloc[:0])
            reference_rows[symbol] = len(reference)
            current = current_of[symbol]
            reports[symbol] = drift_report(
                reference, current, card.features,
                psi_warn=config.psi_warn, psi_error=config.psi_error, ks_pvalue_error=config.ks_pvalue_error,
            )
        worst = max(reports, key=lambda s: (rank[reports[s].severity], _max_psi(reports[s])), default=None)
        severity = reports[worst].severity if worst else "ok"
        per_feature = {
            f.feature: {"psi": round(f.psi, 4), "ks": round(f.ks_statistic, 4), "p": f.ks_pvalue,
                        "severity": f.severity}
            for f in (reports[worst].features if worst else [])
        }
        return dg.AssetCheckResult(
            passed=severity == "ok",
            severity=dg.AssetCheckSeverity.ERROR if severity == "error" else dg.AssetCheckSeverity.WARN,
            metadata={
                "severity": severity,
                "reference_window": f"{start} .. {end} without {day}",
                "symbols": len(symbols),
                "symbols_by_severity": dg.MetadataValue.json(
                    {level: sorted(s for s, r in reports.items() if r.severity == level) for level in ("warn", "error")}
                ),
                "worst_symbol": worst or "none",
                "reference_symbol": worst or "none",
                "reference_rows": reference_rows.get(worst, 0),
                "model_version": card.version,
                "max_psi": _max_psi(reports[worst]) if worst else 0.0,
                "per_feature": dg.MetadataValue.json(per_feature),
            },
        )

    return [feature_drift]


def _max_psi(report) -> float:
    return max((f.psi for f in report.features), default=0.0)

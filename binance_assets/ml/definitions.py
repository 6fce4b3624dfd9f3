"""Code location `ml`: models trained on the feature tables of `market_data`, predictions, drift checks."""

import dagster as dg

from binance_assets.automation.check_alerts import build_freshness_alert_sensor
from binance_assets.automation.freshness import apply_freshness_policies_to_defs
from binance_assets.features.assets import MINUTE_FEATURES_KEY
from binance_assets.lib.conditions import automation_sensor
from binance_assets.lib.defaults import check_defaults_cover, sensor_running, sensor_status
from binance_assets.lib.partitions import daily_partitions
from binance_assets.lib.resources import alert_webhook_resource, warehouse_resource
from binance_assets.lib.run_timing import PARTITION_RUN_EXECUTOR, automation_interval_seconds
from binance_assets.ml.assets import MODEL_KEYS, PREDICTIONS_KEY, build_model_assets, build_predictions_asset
from binance_assets.ml.canary_assets import (
    CANARY_DECISIONS_KEY,
    SHADOW_PREDICTIONS_KEY,
    build_shadow_predictions_asset,
    canary_decisions,
)
from binance_assets.ml.checks import build_drift_checks
from binance_assets.ml.resources import model_registry_resource
from binance_assets.run_workers import warm_run_workers
from binance_assets.settings import Settings, get_settings

TRAIN_JOB = "train_models"
FRESHNESS_ALERT_SENSOR = "ml_freshness_alert"
AUTOMATION_SENSOR = "ml_automation"
PREDICT_JOB = "predict"
CANARY_JOB = "canary"


def build_ml_defs(settings: Settings | None = None) -> dg.Definitions:
    settings = settings or get_settings()
    partitions = daily_partitions(settings)
    defs = apply_freshness_policies_to_defs(dg.Definitions(
        assets=[
            # The feature table is materialized by market_data; declared here with its partitions so that
            # automation sees which feature partition updated (an undeclared dep would be unpartitioned).
            dg.AssetSpec(MINUTE_FEATURES_KEY, partitions_def=partitions, group_name="features",
                         description="Materialized by the market_data code location."),
            *build_model_assets(settings.label_horizon_minutes),
            build_predictions_asset(partitions),
            build_shadow_predictions_asset(partitions),
            canary_decisions,
        ],
        asset_checks=build_drift_checks(partitions),
        sensors=[
            build_freshness_alert_sensor(
                freshness_asset_keys=[PREDICTIONS_KEY],
                name=FRESHNESS_ALERT_SENSOR,
                default_status=sensor_status(FRESHNESS_ALERT_SENSOR, settings.env),
            ),
            automation_sensor(
                AUTOMATION_SENSOR,
                dg.AssetSelection.assets(PREDICTIONS_KEY, SHADOW_PREDICTIONS_KEY, CANARY_DECISIONS_KEY,
                                         *MODEL_KEYS.values()),
                running=sensor_running(AUTOMATION_SENSOR, settings.env),
                minimum_interval_seconds=automation_interval_seconds(settings),
            )
        ],
        jobs=[
            dg.define_asset_job(TRAIN_JOB, selection=dg.AssetSelection.assets(*MODEL_KEYS.values()),
                                description="Train both models on the latest window and gate them into the registry."),
            dg.define_asset_job(PREDICT_JOB,
                                selection=dg.AssetSelection.assets(PREDICTIONS_KEY, SHADOW_PREDICTIONS_KEY),
                                description="Score one (day, symbol) feature partition with the champion models "
                                            "(and any canary, in shadow)."),
            dg.define_asset_job(CANARY_JOB, selection=dg.AssetSelection.assets(CANARY_DECISIONS_KEY),
                                description="Judge the canaries and the champions on realised outcomes."),
        ],
        resources={
            "warehouse": warehouse_resource(settings),
            "model_registry": model_registry_resource(settings),
            "alert_webhook": alert_webhook_resource(),
        },
        executor=PARTITION_RUN_EXECUTOR,
    ))
    return check_defaults_cover(defs, settings.env)


warm_run_workers(__name__)  # a local code server's runs: forks of a warm process
SETTINGS = get_settings()  # what `defs` is built from (`binance-assets check` reuses `defs` only for equal ones)
defs = build_ml_defs(SETTINGS)

"""Canary assets: the challenger's shadow predictions and the daily canary/rollback decisions.

`ml/shadow_predictions` scores each new feature partition with every model's canary (the challenger in
shadow, see binance_assets.ml.canary) into ``ml.shadow_predictions`` — never ``ml.predictions``, so the
API, the dashboard and the accuracy figures only ever read the champions' rows. `models/canary_decisions`
(downstream of both prediction tables) promotes, keeps, rolls back or waits, records each decision in
the registry and in its materialization's metadata, and alerts on a rollback through `alert_webhook`.
"""

import datetime as dt

import dagster as dg
import pandas as pd
from pydantic import Field

from binance_assets.features.assets import MINUTE_FEATURES_KEY
from binance_assets.lib.keys import WAREHOUSE_POOL
from binance_assets.lib.resources import AlertWebhook, WarehouseResource
from binance_assets.ml.assets import (
    MODEL_KEYS,
    MODELS_GROUP,
    PREDICTIONS_KEY,
    feature_day,
    scoring_asset,
    scoring_scope,
    write_scored,
)
from binance_assets.ml.canary import CanaryPolicy, load_and_evaluate
from binance_assets.ml.point_in_time import training_end
from binance_assets.ml.resources import ModelRegistryResource
from binance_assets.ml.scoring import score
from binance_assets.warehouse.table_names import PREDICTIONS_TABLE, SHADOW_PREDICTIONS_TABLE

SHADOW_PREDICTIONS_KEY = dg.AssetKey(["ml", "shadow_predictions"])
CANARY_DECISIONS_KEY = dg.AssetKey(["models", "canary_decisions"])
CRON_CANARY = "0 7 * * *"  # once a day, after the day's predictions (archives land ~00:00-06:00 UTC)


class CanaryConfig(dg.Config):
    """How long a challenger shadows the champion, the lead it needs, and when a champion is rolled back."""

    canary_days: int = Field(default=3, ge=1, description="Days with outcomes a challenger shadows before a verdict.")
    rollback_days: int = Field(
        default=2, ge=1, description="Consecutive days under its baseline after which a champion is rolled back."
    )
    margin: float = Field(default=0.02, ge=0, description="Live lead over the champion needed to promote.")
    as_of: str | None = Field(default=None, description="Last day judged; default the latest predicted day.")

    def policy(self) -> CanaryPolicy:
        return CanaryPolicy(canary_days=self.canary_days, rollback_days=self.rollback_days, margin=self.margin)


def build_shadow_predictions_asset(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @scoring_asset(
        SHADOW_PREDICTIONS_KEY,
        SHADOW_PREDICTIONS_TABLE,
        partitions_def,
        "Each model's canary (a challenger in shadow) scored on the feature partition beside the champion; "
        f"never served. Rows as in {PREDICTIONS_TABLE}; in_sample when the canary's training window holds the day.",
    )
    def shadow_predictions(
        context: dg.AssetExecutionContext, warehouse: WarehouseResource, model_registry: ModelRegistryResource
    ) -> dg.MaterializeResult:
        registry = model_registry.get()
        canaries = {name: registry.history(name)["canary"] for name in MODEL_KEYS}
        canaries = {name: canary["version"] for name, canary in canaries.items() if canary}
        if not canaries:
            return dg.MaterializeResult(metadata={"dagster/row_count": 0, "canaries": "none"})
        wh = warehouse.get()
        rows = 0
        for day, symbols in scoring_scope(context, wh):
            features = feature_day(wh, day, symbols)
            scored = []
            for name, version in canaries.items():
                model, card = registry.load(name, version)
                frame = score(model, card, features)
                frame["in_sample"] = training_end(card) >= day
                scored.append(frame)
                context.log.info(f"{name}: canary {version} scored {len(frame)} rows of {day} in shadow")
            rows += write_scored(wh, SHADOW_PREDICTIONS_TABLE, day, scored)
        return dg.MaterializeResult(metadata={"dagster/row_count": rows, "canaries": dg.MetadataValue.json(canaries)})

    return shadow_predictions


@dg.asset(
    key=CANARY_DECISIONS_KEY,
    deps=[PREDICTIONS_KEY, SHADOW_PREDICTIONS_KEY, MINUTE_FEATURES_KEY],
    group_name=MODELS_GROUP,
    pool=WAREHOUSE_POOL,
    automation_condition=dg.AutomationCondition.on_cron(CRON_CANARY) & ~dg.AutomationCondition.in_progress(),
    kinds={"python"},
    owners=["team:ml"],
    description=(
        "Daily canary verdicts on realised outcomes: promote the challenger in shadow, keep shadowing, keep it a "
        "challenger, roll the champion back (with an alert) or wait for data; each recorded in the registry."
    ),
)
def canary_decisions(
    context: dg.AssetExecutionContext,
    config: CanaryConfig,
    warehouse: WarehouseResource,
    model_registry: ModelRegistryResource,
    alert_webhook: AlertWebhook,
) -> dg.MaterializeResult:
    wh, registry = warehouse.open(), model_registry.get()  # reads the tables; writes only to the registry
    if config.as_of:
        as_of = dt.date.fromisoformat(config.as_of)
    else:
        latest = wh.query(f"select max(trade_date) as d from {PREDICTIONS_TABLE}")["d"].iloc[0] \
            if wh.table_exists(PREDICTIONS_TABLE) else None
        if latest is None or pd.isna(latest):
            raise dg.Failure(f"{PREDICTIONS_TABLE} is empty: nothing to judge")
        as_of = pd.Timestamp(latest).date()
    decisions, alerts = load_and_evaluate(registry, wh, list(MODEL_KEYS), as_of, config.policy())
    for decision in decisions:
        context.log.info(f"{decision.model} {decision.subject} {decision.version}: {decision.action}: "
                         f"{decision.reason}")
    delivered = [alert_webhook.send(text, logger=context.log) for text in alerts]
    return dg.MaterializeResult(metadata={
        "as_of": as_of.isoformat(),
        **{f"{d.model}_{d.subject}": f"{d.action} {d.version}" for d in decisions},
        "decisions": dg.MetadataValue.json([d.to_dict() for d in decisions]),
        "alerts_sent": sum(delivered),
        "alerts": len(alerts),
    })

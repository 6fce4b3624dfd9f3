"""Declarative automation: when each downstream asset refreshes itself.

Built from Dagster's `eager()`, without its `in_latest_time_window()` part: partitions are whole UTC
days, and a day that lands late (a backfill, a replaced archive, simulated history) must flow
downstream as well as yesterday's. Composed so that
- a partition runs once its upstream partitions updated, and only after every blocking check on them
  passed (bad raw data never reaches the marts);
- nothing runs while it, or anything it depends on, is in progress (no double runs);
- predictions follow new feature partitions, not every retraining of a model: a new champion scores
  new days; re-scoring history is an explicit backfill.
"""

import dagster as dg

from binance_assets.lib.defaults import status_of
from binance_assets.lib.run_timing import AUTOMATION_EMITS_BACKFILLS

CRON_RETRAIN = "0 4 * * *"  # after the day's archives (published ~00:00-06:00 UTC) have flowed through


def partition_refresh(ignore: dg.AssetSelection | None = None) -> dg.AutomationCondition:
    """Refresh a partition when its upstream partitions updated and their blocking checks passed."""
    deps_updated = dg.AutomationCondition.any_deps_updated()
    if ignore is not None:
        deps_updated = deps_updated.ignore(ignore)
    return (
        (dg.AutomationCondition.newly_missing() | deps_updated).since_last_handled().with_label(
            "newly missing or upstream updated"
        )
        & ~dg.AutomationCondition.any_deps_missing()
        & ~dg.AutomationCondition.any_deps_in_progress()
        & ~dg.AutomationCondition.in_progress()
        & dg.AutomationCondition.all_deps_blocking_checks_passed()
    ).with_label("partition_refresh")


def retrain_on_cron(cron: str = CRON_RETRAIN) -> dg.AutomationCondition:
    """Models retrain once a day, after the cron tick, once the feature table has new data."""
    return dg.AutomationCondition.on_cron(cron) & ~dg.AutomationCondition.in_progress()


def automation_sensor(
    name: str, target: dg.AssetSelection, *, running: bool, minimum_interval_seconds: int = 30
) -> dg.AutomationConditionSensorDefinition:
    return dg.AutomationConditionSensorDefinition(
        name,
        target=target,
        default_status=status_of(running),
        minimum_interval_seconds=minimum_interval_seconds,
        emit_backfills=AUTOMATION_EMITS_BACKFILLS,
        description="Evaluates the automation conditions of this location's assets.",
    )

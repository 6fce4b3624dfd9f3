"""Alerting for a code location: the raw deadline checks and their sensor, and the two alert sensors.

- `raw_deadline_sensor` runs the `day_file_on_time` checks (binance_assets.automation.deadline_checks);
- `run_failure_alert` posts failed runs (binance_assets.automation.failure_alerts);
- `freshness_alert` posts failed checks and stale assets (binance_assets.automation.check_alerts);
all through the webhook in binance_assets.lib.webhook. Which of them run by default in which
environment is the table in binance_assets.lib.defaults.
"""

from collections.abc import Iterable, Sequence

import dagster as dg

from binance_assets.automation.check_alerts import FRESHNESS_ALERT_SENSOR_NAME, build_freshness_alert_sensor
from binance_assets.automation.deadline_checks import (
    DEADLINE_SENSOR_NAME,
    build_raw_deadline_checks,
    build_raw_deadline_sensor,
)
from binance_assets.automation.deadlines import DEFAULT_DUE_HOURS, DEFAULT_LOOKBACK_DAYS
from binance_assets.automation.failure_alerts import RUN_FAILURE_SENSOR_NAME, build_run_failure_alert_sensor
from binance_assets.binance.schema import Market
from binance_assets.lib.defaults import sensor_status
from binance_assets.lib.partitions import universe_on
from binance_assets.settings import Settings


def build_automation_alerting_defs(
    settings: Settings,
    raw_asset_keys: Iterable[dg.AssetKey | str | Sequence[str]],
    due_hours: float = DEFAULT_DUE_HOURS,
    *,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    freshness_asset_keys: Sequence[dg.AssetKey] | None = None,
    extra_alert_check_keys: Iterable[dg.AssetCheckKey] = (),
    running: bool | None = None,
) -> dg.Definitions:
    """The raw deadline checks, `raw_deadline_sensor`, `run_failure_alert` and `freshness_alert`.

    The checks need the `warehouse` resource and the sensors `alert_webhook` (the location's
    `resources_for(settings)` provides both;
    nothing here defines resources, so merging adds no conflict). Default statuses come from the table
    in binance_assets.lib.defaults for `settings.env`; `running` overrides the deadline and
    freshness sensors (tests).
    """
    checks = build_raw_deadline_checks(
        raw_asset_keys, lambda warehouse, day, market=Market.SPOT: universe_on(settings, warehouse, day, market),
        due_hours,
        lookback_days=lookback_days, start_date=settings.start_date,
    )

    def status(name: str) -> dg.DefaultSensorStatus:
        return sensor_status(name, settings.env, running)

    return dg.Definitions(
        asset_checks=[checks],
        sensors=[
            build_raw_deadline_sensor(checks, due_hours, default_status=status(DEADLINE_SENSOR_NAME)),
            build_run_failure_alert_sensor(default_status=sensor_status(RUN_FAILURE_SENSOR_NAME, settings.env)),
            build_freshness_alert_sensor(
                [*checks.check_keys, *extra_alert_check_keys],
                freshness_asset_keys=freshness_asset_keys,
                default_status=status(FRESHNESS_ALERT_SENSOR_NAME),
            ),
        ],
    )

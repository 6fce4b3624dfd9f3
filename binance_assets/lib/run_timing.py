"""How automated runs start and run: the few settings that decide how long a landed day takes to predictions.

- `PARTITION_RUN_EXECUTOR`: runs are one (day, symbol) partition whose writing steps queue on the one-slot
  `warehouse` pool anyway, so their steps run in the run's own process (Dagster's in-process executor)
  instead of a new Python process per step (seconds each on a busy 2-core machine). Pools still apply.
- `automation_interval_seconds`: each hop downstream (raw -> dbt -> features -> predictions) waits for the
  next automation evaluation; elsewhere they run every 30 s. `sensor_interval_seconds` is the landing
  sensor's (5 s elsewhere). Locally both are 1 s, so every pass of Dagster's daemons (the sensor and asset
  daemons loop every 5 s) evaluates them: an interval equal to the loop's skipped passes (a tick 4.99 s
  after the last one is "too early"), so a new file waited up to 10 s instead of 5.
- `AUTOMATION_EMITS_BACKFILLS`: an automation tick that requests several partitions of one asset (both
  symbols of a new day) submits their runs itself instead of a backfill, which waited for the backfill
  daemon's next pass (~10 s measured) before any run existed.
"""

from __future__ import annotations

import dagster as dg

from binance_assets.settings import Environment, Settings

PARTITION_RUN_EXECUTOR = dg.in_process_executor
AUTOMATION_INTERVAL_SECONDS = 30
LOCAL_SENSOR_INTERVAL_SECONDS = 1  # every pass of the daemon
AUTOMATION_EMITS_BACKFILLS = False


def sensor_interval_seconds(settings: Settings, elsewhere: int) -> int:
    """A sensor's minimum interval: `elsewhere`, or locally every pass of the daemon."""
    return LOCAL_SENSOR_INTERVAL_SECONDS if settings.env is Environment.LOCAL else elsewhere


def automation_interval_seconds(settings: Settings) -> int:
    return sensor_interval_seconds(settings, AUTOMATION_INTERVAL_SECONDS)

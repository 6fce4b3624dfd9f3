"""How automated runs start and run: the few settings that decide how long a landed day takes to predictions.

- `PARTITION_RUN_EXECUTOR`: runs are one (day, symbol) partition whose writing steps queue on the one-slot
  `warehouse` pool anyway, so their steps run in the run's own process (Dagster's in-process executor)
  instead of a new Python process per step (seconds each on a busy 2-core machine). Pools still apply.
- `automation_interval_seconds`: each hop downstream (raw -> dbt -> features -> predictions) waits for the
  next automation evaluation; locally they run every few seconds, elsewhere every 30 s.
"""

from __future__ import annotations

import dagster as dg

from binance_assets.settings import Environment, Settings

PARTITION_RUN_EXECUTOR = dg.in_process_executor
AUTOMATION_INTERVAL_SECONDS = 30
LOCAL_AUTOMATION_INTERVAL_SECONDS = 5


def automation_interval_seconds(settings: Settings) -> int:
    return LOCAL_AUTOMATION_INTERVAL_SECONDS if settings.env is Environment.LOCAL else AUTOMATION_INTERVAL_SECONDS

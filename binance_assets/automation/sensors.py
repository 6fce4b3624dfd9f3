"""Sensors that turn new Binance archives into runs of exactly the new raw partitions (`build_landing_defs`).

- `archive_landing_sensor` (`landing_sensor.py`; every 5 s, locally every pass of the daemon): for a
  mirror the archive resource reads from (a local folder, or an `s3://bucket/prefix` landing area), one
  run per (date, symbol) partition with newly landed archive files: those files' raw assets and, once
  the partition is complete, what is downstream of them in this location (`run_selection`). A file whose
  sha256 `raw.load_log` already holds for its partition is skipped (`landing_runs`): switched on over a
  loaded mirror, it requests nothing; a replaced archive (new checksum) loads again.
- `archive_poller` (`poller_sensor.py`; ticks every minute): for an http(s) base URL (data.binance.vision), per symbol,
  probes the day after the last one loaded (`raw.load_log`) and requests one run of the three raw
  assets for that partition once all three archives are published; backs off while they are not, on a
  schedule that meets the raw deadline (binance_assets.automation.poller). Every hour it also re-reads
  the `.CHECKSUM`s of the last `recheck_days` loaded days and requests a reload of a replaced archive.

Their default status in each environment is the table in binance_assets.lib.defaults. Each one
skips (with a reason) when the archive base URL is not of its kind. Their runs execute the raw assets'
partition checks, never the deadline checks (binance_assets.automation.selections). What both share
(names, run tags, run selections, the warehouse as a sensor reads it) is in `sensor_support.py`.
"""

from __future__ import annotations

import dagster as dg

from binance_assets.automation.landing_sensor import build_landing_sensor
from binance_assets.automation.poller_sensor import build_archive_poller
from binance_assets.settings import Settings


def build_landing_defs(settings: Settings, *, running: bool | None = None) -> dg.Definitions:
    """Both archive sensors. Merge into a location that has the raw assets and the `archive` and
    `warehouse` resources (binance_assets.definitions)."""
    return dg.Definitions(
        sensors=[
            build_landing_sensor(settings, running=running),
            build_archive_poller(settings, running=running),
        ]
    )

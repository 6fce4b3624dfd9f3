"""What runs by default in each environment: the one table for every sensor and schedule.

A sensor or schedule that is RUNNING by default starts when its code location loads (a user can still
stop it in the UI; Dagster then keeps the user's choice). The docs' table of environments
(docs reference page "Jobs, sensors and schedules") is generated from this table. Every sensor and schedule
of both code locations must have a row: `check_defaults_cover` fails a location load otherwise, so a new
sensor cannot slip in with an accidental default.

- `local` (embedded default: DuckDB, simulated history): what turns newly landed files into fresh marts,
  features and predictions runs; the deadline and freshness alerts and the catch-up schedule do not,
  because simulated history never has "yesterday" and they would fail or backfill for good. The poller
  is for an http(s) archive, which `local` does not read by default.
- `ci` and `prod`: everything runs, so a fresh deployment loads raw data, builds everything downstream
  and alerts when something is late or fails.
"""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg

from binance_assets.settings import Environment

LOCAL, CI, PROD = Environment.LOCAL, Environment.CI, Environment.PROD
EVERYWHERE = frozenset(Environment)

# name -> environments in which it is RUNNING by default (STOPPED in the others).
SENSORS_RUNNING_IN: Mapping[str, frozenset[Environment]] = {
    "archive_landing_sensor": EVERYWHERE,  # skips files already loaded (issue 9 item 4)
    "archive_poller": frozenset({CI, PROD}),
    "market_data_automation": EVERYWHERE,
    "ml_automation": EVERYWHERE,
    "raw_deadline_sensor": frozenset({CI, PROD}),
    "freshness_alert": frozenset({CI, PROD}),
    "ml_freshness_alert": frozenset({CI, PROD}),
    "run_failure_alert": EVERYWHERE,
    "rest_gapfill_sensor": frozenset({CI, PROD}),  # asks Binance's REST API for late or holey days (issue 12)
    "c2c_orders_sensor": EVERYWHERE,  # exists only with a merchant account configured (issue 12)
}
SCHEDULES_RUNNING_IN: Mapping[str, frozenset[Environment]] = {
    "daily_missed_partitions": frozenset({CI, PROD}),
    "daily_symbol_universe": EVERYWHERE,  # exchangeInfo -> raw.symbol_universe, just after midnight UTC (issue 21)
}


def _running(table: Mapping[str, frozenset[Environment]], kind: str, name: str, env: Environment) -> bool:
    try:
        return Environment(env) in table[name]
    except KeyError:
        raise KeyError(
            f"{kind} {name!r} has no row in binance_assets/lib/defaults.py: add one saying in which "
            f"environments it runs by default"
        ) from None


def sensor_running(name: str, env: Environment) -> bool:
    return _running(SENSORS_RUNNING_IN, "sensor", name, env)


def status_of(running: bool) -> dg.DefaultSensorStatus:
    return dg.DefaultSensorStatus.RUNNING if running else dg.DefaultSensorStatus.STOPPED


def sensor_status(name: str, env: Environment, running: bool | None = None) -> dg.DefaultSensorStatus:
    """The table's default status of sensor `name` in `env`, unless `running` overrides it (tests)."""
    return status_of(sensor_running(name, env) if running is None else running)


def schedule_status(name: str, env: Environment) -> dg.DefaultScheduleStatus:
    running = _running(SCHEDULES_RUNNING_IN, "schedule", name, env)
    return dg.DefaultScheduleStatus.RUNNING if running else dg.DefaultScheduleStatus.STOPPED


def check_defaults_cover(defs: dg.Definitions, env: Environment) -> dg.Definitions:
    """`defs`, after checking that each of its sensors and schedules has a row and the default status
    the table gives it in `env` (a builder that ignored the table is a load error, not a surprise)."""
    repo = defs.get_repository_def()
    wrong = []
    for sensor in repo.sensor_defs:
        if sensor.default_status is not sensor_status(sensor.name, env):
            wrong.append(f"sensor {sensor.name}: {sensor.default_status.value}")
    for schedule in repo.schedule_defs:
        if schedule.default_status is not schedule_status(schedule.name, env):
            wrong.append(f"schedule {schedule.name}: {schedule.default_status.value}")
    if wrong:
        raise ValueError(f"default statuses in {env.value} differ from binance_assets/lib/defaults.py: {wrong}")
    return defs

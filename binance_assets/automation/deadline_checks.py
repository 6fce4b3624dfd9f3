"""The `day_file_on_time` deadline check of the raw assets and `raw_deadline_sensor`, its only runner.

Why not Dagster's own factory: `build_time_partition_freshness_checks` (dagster 1.13.27,
`freshness_checks/time_partition.py`) does `check.inst(partitions_def, TimeWindowPartitionsDefinition)`
at run time, so on our `MultiPartitionsDefinition(date x symbol)` every evaluation raises a CheckError
(verified: the step fails). It also judges by Dagster materialization events, while the truth about
what is loaded is `raw.load_log` (a day can be loaded by the CLI or the demo outside Dagster, and an
archive that is not yet published ends a run without a materialization). So the check is our own, and
its sensor too: `build_sensor_for_freshness_checks` only suits the factory's checks (it relies on their
`dagster/fresh_until_timestamp` metadata). `raw_deadline_sensor` follows what that sensor does:
`@dg.sensor(asset_selection=AssetSelection.checks(...))` returning `RunRequest(asset_check_keys=...)`,
which in 1.13 launches a run of only those checks.

The check is not partitioned ("is the latest due data there?"), so it must never run inside a partition
run: only `raw_deadline_sensor`'s own runs evaluate it (binance_assets.automation.selections keeps it
out of the landing sensor's, the poller's and the catch-up schedule's runs).

The check and its sensor read the clock through `deadlines.utc_now()`, which tests monkeypatch.
"""

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import dagster as dg

from binance_assets.automation import deadlines
from binance_assets.automation.deadlines import (
    DEFAULT_DUE_HOURS,
    DEFAULT_LOOKBACK_DAYS,
    DeadlineResult,
    DeadlineStatus,
    check_due_hours,
    deadline_for,
    evaluate_raw_deadlines,
    latest_due_day,
)
from binance_assets.binance.publication import as_utc
from binance_assets.binance.schema import Market
from binance_assets.lib.keys import WAREHOUSE_POOL
from binance_assets.lib.resources import WarehouseResource
from binance_assets.warehouse import Warehouse, get_raw_table
from binance_assets.warehouse.load_log import LOAD_LOG

DEADLINE_CHECK_NAME = "day_file_on_time"
DEADLINE_SENSOR_NAME = "raw_deadline_sensor"
DEFAULT_RECHECK_INTERVAL = dt.timedelta(hours=1)
MAX_LISTED_PARTITIONS = 20


def _listed(keys: Sequence[str]) -> str:
    shown = ", ".join(keys[:MAX_LISTED_PARTITIONS])
    more = len(keys) - MAX_LISTED_PARTITIONS
    return f"{shown} and {more} more" if more > 0 else shown


def deadline_check_result(
    asset_key: dg.AssetKey,
    results: Sequence[DeadlineResult],
    *,
    now: dt.datetime,
    due_hours: float,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetCheckResult:
    """The `day_file_on_time` result of one raw asset from its `DeadlineResult`s.

    The description depends only on what is missing (not on the time), so an alert sensor can tell a
    new failure from the same one evaluated again.
    """
    now = as_utc(now)
    last_due = latest_due_day(now, due_hours)
    results = sorted(results, key=lambda r: (r.day, r.symbol))
    missing = [r for r in results if r.is_late]
    due_days = sorted({r.day for r in results if r.due})
    metadata: dict[str, Any] = {
        "missing_partitions": dg.MetadataValue.json([r.partition_key for r in missing]),
        "missing_count": len(missing),
        "loaded_late_partitions": dg.MetadataValue.json(
            [r.partition_key for r in results if r.status is DeadlineStatus.LOADED_LATE]
        ),
        "pending_partitions": dg.MetadataValue.json(
            [r.partition_key for r in results if r.status is DeadlineStatus.PENDING]
        ),
        "checked_days": dg.MetadataValue.json([d.isoformat() for d in due_days]),
        "latest_due_day": last_due.isoformat(),
        "latest_deadline": dg.MetadataValue.timestamp(deadline_for(last_due, due_hours)),
        "next_deadline": dg.MetadataValue.timestamp(deadline_for(last_due + dt.timedelta(days=1), due_hours)),
        "evaluated_at": dg.MetadataValue.timestamp(now),
        "due_hours_after_midnight_utc": float(due_hours),
        "lookback_days": lookback_days,
    }
    table = asset_key.to_user_string()
    if missing:
        metadata["overdue_seconds"] = max(r.overdue_seconds or 0.0 for r in missing)
        description = (
            f"{len(missing)} partition(s) of {table} past their deadline ({due_hours:g}h after midnight UTC "
            f"of the next day) are not in {LOAD_LOG}: {_listed([r.partition_key for r in missing])}"
        )
    elif due_days:
        description = f"Every partition of {table} due from {due_days[0]} to {due_days[-1]} is in {LOAD_LOG}."
    else:
        description = f"No partition of {table} is due yet."
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name=DEADLINE_CHECK_NAME,
        passed=not missing,
        severity=severity,
        description=description,
        metadata=metadata,
    )


def build_raw_deadline_checks(
    raw_asset_keys: Iterable[dg.AssetKey | str | Sequence[str]],
    symbols: Iterable[str] | Callable[[Warehouse, dt.date], list[str]],
    due_hours: float = DEFAULT_DUE_HOURS,
    *,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    start_date: dt.date | None = None,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetChecksDefinition:
    """One `day_file_on_time` check per raw asset (key `raw/<table>`), evaluated together by one op.

    Needs the `warehouse` resource. `start_date` is the first partition day: earlier days are never due.
    `symbols`: a fixed list, or `(warehouse, day) -> symbols` (the day's universe; for the tables of another
    market than spot it is called `(warehouse, day, market)`: that market's symbols).
    """
    keys = [dg.AssetKey.from_coercible(k) for k in raw_asset_keys]
    if not keys:
        raise ValueError("build_raw_deadline_checks needs at least one raw asset key")
    table_by_key = {key: get_raw_table(key.path[-1]).name for key in keys}
    market_by_key = {key: get_raw_table(key.path[-1]).dataset.market for key in keys}
    symbol_list = symbols if callable(symbols) else sorted(set(symbols))
    due_hours = check_due_hours(due_hours)
    specs = [
        dg.AssetCheckSpec(
            DEADLINE_CHECK_NAME,
            asset=key,
            description=(
                f"Each (day, symbol) partition of the last {lookback_days} due days is in {LOAD_LOG} by "
                f"{due_hours:g}h after midnight UTC of the next day."
            ),
        )
        for key in keys
    ]

    @dg.multi_asset_check(
        specs=specs,
        name=DEADLINE_CHECK_NAME,
        can_subset=True,
        pool=WAREHOUSE_POOL,
        description=f"Raw daily archives loaded by their deadline (reads {LOAD_LOG}).",
    )
    def day_file_on_time(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        now = deadlines.utc_now()
        selected = sorted({k.asset_key for k in context.selected_asset_check_keys}, key=lambda k: k.to_user_string())
        wh = warehouse.get()
        results = []
        for market in dict.fromkeys(market_by_key[k] for k in selected):  # each market with its own symbols
            if not callable(symbol_list):
                symbols_of = symbol_list
            elif market is Market.SPOT:
                symbols_of = lambda day: symbol_list(wh, day)  # noqa: E731
            else:
                symbols_of = lambda day, market=market: symbol_list(wh, day, market)  # noqa: E731
            results += evaluate_raw_deadlines(
                wh,
                [table_by_key[k] for k in selected if market_by_key[k] is market],
                symbols_of,
                now,
                due_hours,
                lookback_days,
                start_date=start_date,
            )
        for key in selected:
            yield deadline_check_result(
                key,
                [r for r in results if r.table == table_by_key[key]],
                now=now,
                due_hours=due_hours,
                lookback_days=lookback_days,
                severity=severity,
            )

    return day_file_on_time


def _is_in_progress(instance: dg.DagsterInstance, record: Any) -> bool:
    if record is None or record.status.value != "PLANNED":
        return False
    run = instance.get_run_record_by_id(record.run_id)
    return run is not None and not run.dagster_run.is_finished


def _evaluated_at(record: Any) -> float:
    """When a completed evaluation judged the deadlines: its `evaluated_at` (the check's clock), else
    when its execution record was made."""
    evaluation = record.event.asset_check_evaluation if record.event is not None else None
    value = (evaluation.metadata or {}).get("evaluated_at") if evaluation is not None else None
    return float(value.value) if value is not None else record.create_timestamp


def deadline_run_request(
    instance: dg.DagsterInstance,
    check_keys: Sequence[dg.AssetCheckKey],
    now: dt.datetime,
    due_hours: float,
    *,
    recheck_interval: dt.timedelta = DEFAULT_RECHECK_INTERVAL,
    run_key_prefix: str = DEADLINE_SENSOR_NAME,
) -> dg.RunRequest | dg.SkipReason:
    """Whether the deadline checks should run now, from their latest executions on `instance`.

    Run them when one has never completed, or its latest completed evaluation judged a time before the
    most recent deadline, or it failed more than `recheck_interval` ago (to see a late file arrive).
    Skip while an evaluation is in progress. The run key is the deadline plus a `recheck_interval`
    bucket, so the daemon launches at most one run per bucket even if a run dies without evaluating.
    """
    now = as_utc(now)
    deadline = deadline_for(latest_due_day(now, due_hours), due_hours)
    summaries = instance.event_log_storage.get_asset_check_summary_records(list(check_keys))
    recheck_seconds = recheck_interval.total_seconds()
    stale, failing = [], []
    for key in check_keys:
        summary = summaries.get(key)
        if summary is not None and _is_in_progress(instance, summary.last_check_execution_record):
            return dg.SkipReason(f"{key.to_user_string()} is being evaluated")
        done = summary.last_completed_check_execution_record if summary is not None else None
        if done is None or _evaluated_at(done) < deadline.timestamp():
            stale.append(key)
        elif done.status.value == "FAILED" and now.timestamp() - _evaluated_at(done) >= recheck_seconds:
            failing.append(key)
    if not (stale or failing):
        return dg.SkipReason(f"every deadline check is evaluated since the deadline {deadline.isoformat()}")
    bucket = int(now.timestamp() // max(recheck_seconds, 1.0))
    reason = "deadline passed" if stale else "recheck of a failed check"
    return dg.RunRequest(
        run_key=f"{run_key_prefix}:{deadline.isoformat()}:{bucket}",
        asset_check_keys=list(check_keys),
        tags={"binance_assets/deadline": deadline.isoformat(), "binance_assets/reason": reason},
    )


def build_raw_deadline_sensor(
    deadline_checks: dg.AssetChecksDefinition,
    due_hours: float = DEFAULT_DUE_HOURS,
    *,
    name: str = DEADLINE_SENSOR_NAME,
    minimum_interval_seconds: int = 300,
    recheck_interval: dt.timedelta = DEFAULT_RECHECK_INTERVAL,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
) -> dg.SensorDefinition:
    """Launches runs of only the deadline checks (see `deadline_run_request`) every few minutes."""
    check_keys = sorted(deadline_checks.check_keys, key=lambda k: k.to_user_string())

    @dg.sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        asset_selection=dg.AssetSelection.checks(deadline_checks),
        default_status=default_status,
        description=(
            f"Runs the raw `{DEADLINE_CHECK_NAME}` checks once each day's deadline ({due_hours:g}h after "
            "midnight UTC) has passed, and again hourly while one fails."
        ),
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.RunRequest | dg.SkipReason:
        return deadline_run_request(
            context.instance,
            check_keys,
            deadlines.utc_now(),
            due_hours,
            recheck_interval=recheck_interval,
            run_key_prefix=name,
        )

    return _sensor


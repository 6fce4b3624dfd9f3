"""Freshness: per-partition deadlines for the raw archives, freshness policies for what is downstream.

Raw deadlines
-------------
Binance publishes the archive files of UTC day D some hours after midnight of D+1. Day D of every raw
table and symbol is due `due_hours` after that midnight (setting `raw_due_hours_after_midnight`,
default 6). The asset check `day_file_on_time` (one check per raw asset, all evaluated by one op with
one read of `raw.load_log`) looks at the `lookback_days` most recent days whose deadline has passed
and fails for a raw asset when any (day, symbol) partition of them is not in `raw.load_log`; the
missing partition keys (`2025-01-04|BTCUSDT`) are in its metadata. The check is not partitioned: it
answers "is the latest due data there?". A day that is older than the look-back window no longer
fails it (filling old gaps is the backfill's business, not an alert's).

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

The check and its sensor read the clock through `utc_now()`, which tests monkeypatch.

Freshness policies
------------------
`freshness_policies()` maps asset groups to `dg.FreshnessPolicy.time_window(...)` (the 1.13 policy,
`AssetSpec.freshness_policy`, evaluated by the instance's freshness daemon, which is on by default):
every group downstream of the raw layer is refreshed once a day, after the daily archives land, so
warn when the latest materialization is a day old and fail after a grace period for a late archive
and the processing. `apply_freshness_policies` attaches them by group with `dg.map_asset_specs`.
A time-window policy looks at the latest materialization of *any* partition (a backfill of old days
counts as fresh): the raw deadline check is what tracks individual days.
"""

import datetime as dt
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import dagster as dg

from binance_assets.ingestion.assets import WAREHOUSE_POOL
from binance_assets.ingestion.partitions import DaySymbol
from binance_assets.resources import WarehouseResource
from binance_assets.warehouse import Warehouse, get_raw_table
from binance_assets.warehouse.tables import LOAD_LOG_TABLE, RAW_SCHEMA, quote_ident

DEADLINE_CHECK_NAME = "day_file_on_time"
DEADLINE_SENSOR_NAME = "raw_deadline_sensor"
DEFAULT_DUE_HOURS = 6.0
DEFAULT_LOOKBACK_DAYS = 3
DEFAULT_RECHECK_INTERVAL = dt.timedelta(hours=1)
MAX_LISTED_PARTITIONS = 20

# Groups of the assets downstream of raw (dbt marts, features, predictions).
MARTS_GROUP = "marts"
FEATURES_GROUP = "features"
PREDICTIONS_GROUP = "predictions"


def utc_now() -> dt.datetime:
    """The clock of the deadline check and its sensor: monkeypatch it in tests."""
    return dt.datetime.now(dt.UTC)


# --- deadlines (pure, except for one warehouse read) -----------------------------------------------


class DeadlineStatus(StrEnum):
    ON_TIME = "on_time"  # in raw.load_log, loaded at or before its deadline
    LOADED_LATE = "loaded_late"  # in raw.load_log, but loaded after its deadline
    MISSING = "missing"  # deadline passed, not in raw.load_log: late
    PENDING = "pending"  # not in raw.load_log, deadline not reached yet


@dataclass(frozen=True)
class DeadlineResult:
    """One (table, symbol, day) partition judged against its deadline at some `now`."""

    table: str
    symbol: str
    day: dt.date
    deadline: dt.datetime  # UTC, tz-aware
    due: bool  # the deadline is at or before `now`
    status: DeadlineStatus
    loaded_at: dt.datetime | None = None  # UTC, tz-aware
    rows: int | None = None
    overdue_seconds: float | None = None  # only for MISSING

    @property
    def partition_key(self) -> str:
        """The raw assets' partition key, e.g. `2025-01-04|BTCUSDT`."""
        return str(DaySymbol(self.day, self.symbol).key())

    @property
    def is_late(self) -> bool:
        return self.status is DeadlineStatus.MISSING


def as_utc(moment: dt.datetime) -> dt.datetime:
    """`moment` as a tz-aware UTC datetime (a naive one is taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _check_due_hours(due_hours: float) -> float:
    if due_hours < 0:
        raise ValueError(f"due_hours must be >= 0, got {due_hours}")
    return float(due_hours)


def deadline_for(day: dt.date, due_hours: float) -> dt.datetime:
    """When day `day`'s files are due: `due_hours` after midnight UTC of the next day."""
    midnight = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return midnight + dt.timedelta(hours=_check_due_hours(due_hours))


def latest_due_day(now: dt.datetime, due_hours: float) -> dt.date:
    """The most recent day whose deadline is at or before `now`."""
    shifted = as_utc(now) - dt.timedelta(hours=_check_due_hours(due_hours))
    return shifted.date() - dt.timedelta(days=1)


def days_to_check(
    now: dt.datetime, due_hours: float, lookback_days: int = DEFAULT_LOOKBACK_DAYS, start_date: dt.date | None = None
) -> tuple[list[dt.date], list[dt.date]]:
    """(due days, pending days), oldest first.

    Due days: the `lookback_days` most recent days whose deadline has passed. Pending days: later days
    that are over (their UTC midnight has passed) but not due yet. Days before `start_date` (the first
    partition) are left out.
    """
    if lookback_days < 1:
        raise ValueError(f"lookback_days must be >= 1, got {lookback_days}")
    now = as_utc(now)
    last_due = latest_due_day(now, due_hours)
    due = [last_due - dt.timedelta(days=i) for i in reversed(range(lookback_days))]
    pending = []
    day = last_due + dt.timedelta(days=1)
    while dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC) <= now:
        pending.append(day)
        day += dt.timedelta(days=1)
    if start_date is not None:
        due = [d for d in due if d >= start_date]
        pending = [d for d in pending if d >= start_date]
    return due, pending


def _py_datetime(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    if hasattr(value, "to_pydatetime"):  # pandas Timestamp
        if value != value:  # NaT
            return None
        value = value.to_pydatetime()
    return as_utc(value)


def loaded_partitions(
    warehouse: Warehouse, first: dt.date, last: dt.date
) -> dict[tuple[str, str, dt.date], tuple[dt.datetime | None, int | None]]:
    cols = ", ".join(quote_ident(c) for c in ("table_name", "symbol", "trade_date", "loaded_at", "rows"))
    frame = warehouse.query(
        f"SELECT {cols} FROM {RAW_SCHEMA}.{LOAD_LOG_TABLE} WHERE trade_date >= ? AND trade_date <= ?",
        [first, last],
    )
    loaded = {}
    for row in frame.to_dict(orient="records"):
        day = row["trade_date"]
        if isinstance(day, dt.datetime):
            day = day.date()
        rows = row["rows"]
        loaded[(row["table_name"], row["symbol"], day)] = (
            _py_datetime(row["loaded_at"]),
            None if rows is None else int(rows),
        )
    return loaded


def evaluate_raw_deadlines(
    warehouse: Warehouse,
    tables: Iterable[str],
    symbols: Iterable[str],
    now: dt.datetime,
    due_hours: float = DEFAULT_DUE_HOURS,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    *,
    start_date: dt.date | None = None,
) -> list[DeadlineResult]:
    """Judge every (table, symbol, day) of the due and pending days (`days_to_check`) at `now`.

    Pure except for one read of `raw.load_log`. A due partition that is not there is MISSING (late);
    one that is there is ON_TIME or LOADED_LATE (by its `loaded_at`); a partition whose deadline has
    not passed is PENDING until it is loaded. Results are ordered by table, symbol and day.
    """
    now = as_utc(now)
    table_names = sorted({get_raw_table(t).name for t in tables})
    symbol_list = sorted(set(symbols))
    due_days, pending_days = days_to_check(now, due_hours, lookback_days, start_date)
    days = due_days + pending_days
    if not (table_names and symbol_list and days):
        return []
    loaded = loaded_partitions(warehouse, min(days), max(days))
    results = []
    for table in table_names:
        for symbol in symbol_list:
            for day in days:
                deadline = deadline_for(day, due_hours)
                due = deadline <= now
                loaded_at, rows = loaded.get((table, symbol, day), (None, None))
                overdue = None
                if (table, symbol, day) in loaded:
                    late = loaded_at is not None and loaded_at > deadline
                    status = DeadlineStatus.LOADED_LATE if late else DeadlineStatus.ON_TIME
                elif due:
                    status = DeadlineStatus.MISSING
                    overdue = (now - deadline).total_seconds()
                else:
                    status = DeadlineStatus.PENDING
                results.append(DeadlineResult(table, symbol, day, deadline, due, status, loaded_at, rows, overdue))
    return results


# --- the Dagster check and its sensor ----------------------------------------------------------------


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
            f"of the next day) are not in raw.load_log: {_listed([r.partition_key for r in missing])}"
        )
    elif due_days:
        description = f"Every partition of {table} due from {due_days[0]} to {due_days[-1]} is in raw.load_log."
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
    symbols: Iterable[str],
    due_hours: float = DEFAULT_DUE_HOURS,
    *,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    start_date: dt.date | None = None,
    severity: dg.AssetCheckSeverity = dg.AssetCheckSeverity.ERROR,
) -> dg.AssetChecksDefinition:
    """One `day_file_on_time` check per raw asset (key `raw/<table>`), evaluated together by one op.

    Needs the `warehouse` resource. `start_date` is the first partition day: earlier days are never due.
    """
    keys = [dg.AssetKey.from_coercible(k) for k in raw_asset_keys]
    if not keys:
        raise ValueError("build_raw_deadline_checks needs at least one raw asset key")
    table_by_key = {key: get_raw_table(key.path[-1]).name for key in keys}
    symbol_list = sorted(set(symbols))
    due_hours = _check_due_hours(due_hours)
    specs = [
        dg.AssetCheckSpec(
            DEADLINE_CHECK_NAME,
            asset=key,
            description=(
                f"Each (day, symbol) partition of the last {lookback_days} due days is in raw.load_log by "
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
        description="Raw daily archives loaded by their deadline (reads raw.load_log).",
    )
    def day_file_on_time(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource):
        now = utc_now()
        selected = sorted({k.asset_key for k in context.selected_asset_check_keys}, key=lambda k: k.to_user_string())
        results = evaluate_raw_deadlines(
            warehouse.get(),
            [table_by_key[k] for k in selected],
            symbol_list,
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
            context.instance, check_keys, utc_now(), due_hours, recheck_interval=recheck_interval, run_key_prefix=name
        )

    return _sensor


# --- freshness policies ------------------------------------------------------------------------------


def freshness_policies() -> dict[str, dg.FreshnessPolicy]:
    """Time-window freshness policies by asset group.

    Every group downstream of raw is refreshed once a day: day D's archives are published between
    00:00 and ~06:00 UTC of D+1, then dbt builds the marts and features follow. So a materialization
    is expected every 24h: warn when the latest one is 24h old (today's run is later than yesterday's),
    fail at 26h (2h of grace for a late archive and the processing). Predictions score the features
    after the marts and features ran, one step later: warn at 25h, fail at 27h.
    """
    return {
        MARTS_GROUP: dg.FreshnessPolicy.time_window(
            fail_window=dt.timedelta(hours=26), warn_window=dt.timedelta(hours=24)
        ),
        FEATURES_GROUP: dg.FreshnessPolicy.time_window(
            fail_window=dt.timedelta(hours=26), warn_window=dt.timedelta(hours=24)
        ),
        PREDICTIONS_GROUP: dg.FreshnessPolicy.time_window(
            fail_window=dt.timedelta(hours=27), warn_window=dt.timedelta(hours=25)
        ),
    }


def _policy_mapper(policy_by_group: Mapping[str, dg.FreshnessPolicy], overwrite: bool):
    def _apply(spec: dg.AssetSpec) -> dg.AssetSpec:
        policy = policy_by_group.get(spec.group_name or "default")
        if policy is None:
            return spec
        return dg.apply_freshness_policy(spec, policy, overwrite_existing=overwrite)

    return _apply


AssetsT = TypeVar("AssetsT", dg.AssetsDefinition, dg.AssetSpec)


def apply_freshness_policies(
    assets_defs: Iterable[AssetsT],
    policy_by_group: Mapping[str, dg.FreshnessPolicy] | None = None,
    *,
    overwrite: bool = False,
) -> list[AssetsT]:
    """`assets_defs` with the policy of its group set on every asset spec (multi-assets such as
    `@dbt_assets` included, spec by spec). Assets of other groups are unchanged, and so are assets that
    already have a policy unless `overwrite`. `policy_by_group` defaults to `freshness_policies()`.
    """
    policies = freshness_policies() if policy_by_group is None else policy_by_group
    return list(dg.map_asset_specs(_policy_mapper(policies, overwrite), list(assets_defs)))


def apply_freshness_policies_to_defs(
    defs: dg.Definitions,
    policy_by_group: Mapping[str, dg.FreshnessPolicy] | None = None,
    *,
    overwrite: bool = False,
) -> dg.Definitions:
    """The same on every asset of a `Definitions` (via `Definitions.map_asset_specs`)."""
    policies = freshness_policies() if policy_by_group is None else policy_by_group
    with warnings.catch_warnings():
        # 1.13's Definitions.map_asset_specs goes through the @preview map_resolved_asset_specs (we pass
        # no selection, which is the stable part); keep its PreviewWarning out of code location loads.
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return defs.map_asset_specs(func=_policy_mapper(policies, overwrite))

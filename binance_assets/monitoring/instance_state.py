"""What the Dagster instance knows, read once per (cached) scrape: run counts by job and status, the
last materialization of every asset, the latest evaluation of every asset check, daemon heartbeats and
the freshness daemon's states. Plain values: `collector.py` turns them into metric families."""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import dagster as dg
from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

# The run statuses a run ends in: counted for the failure ratio.
TERMINAL_STATUSES = ("SUCCESS", "FAILURE", "CANCELED")


@dataclass(frozen=True)
class CheckState:
    asset_key: str
    check: str
    failed: bool
    severity: str  # ERROR or WARN, as the evaluation set it
    timestamp: float
    partition: str | None
    metadata: dict[str, Any] = field(default_factory=dict)  # numbers and strings of the evaluation's metadata


@dataclass(frozen=True)
class InstanceState:
    read_at: float
    runs: dict[tuple[str, str], int]  # (job, status) -> runs
    last_materialization: dict[str, float]  # asset key ("a/b") -> timestamp of the latest materialization
    checks: list[CheckState]
    heartbeats: dict[str, float]  # daemon type -> timestamp of its last heartbeat
    freshness_states: dict[str, str]  # asset key -> PASS/WARN/FAIL/UNKNOWN (the freshness daemon's)


def key_label(key: dg.AssetKey) -> str:
    return key.to_user_string()


def run_counts(instance: dg.DagsterInstance) -> dict[tuple[str, str], int]:
    """Runs per (job, status): one GROUP BY on SQL run storages, else a pass over the run records."""
    storage = instance.run_storage
    if hasattr(storage, "fetchall"):
        import sqlalchemy as db
        from dagster._core.storage.runs.schema import RunsTable

        query = db.select(RunsTable.c.pipeline_name, RunsTable.c.status, db.func.count().label("n")).group_by(
            RunsTable.c.pipeline_name, RunsTable.c.status
        )
        return {(row["pipeline_name"], row["status"]): int(row["n"]) for row in storage.fetchall(query)}
    counts: Counter = Counter()
    for record in instance.get_run_records():
        counts[(record.dagster_run.job_name, record.dagster_run.status.value)] += 1
    return dict(counts)


def check_keys(instance: dg.DagsterInstance) -> list[dg.AssetCheckKey]:
    """Every asset check that has an execution in the event log (planned or evaluated)."""
    import sqlalchemy as db
    from dagster._core.storage.event_log.schema import AssetCheckExecutionsTable

    storage = instance.event_log_storage
    table = AssetCheckExecutionsTable
    query = db.select(table.c.asset_key, table.c.check_name).distinct()
    with storage.index_connection() as conn:
        rows = conn.execute(query).fetchall()
    return sorted(
        {dg.AssetCheckKey(dg.AssetKey.from_db_string(asset_key), name) for asset_key, name in rows},
        key=lambda k: (k.asset_key.to_user_string(), k.name),
    )


def _plain(metadata) -> dict[str, Any]:
    out = {}
    for name, value in (metadata or {}).items():
        raw = getattr(value, "value", value)
        if isinstance(raw, (int, float, str)) and not isinstance(raw, bool):
            out[name] = raw
    return out


def check_states(instance: dg.DagsterInstance, keys: list[dg.AssetCheckKey]) -> list[CheckState]:
    """The latest completed evaluation of each check (any partition): failed or passed, and its severity."""
    summaries = instance.event_log_storage.get_asset_check_summary_records(keys)
    states = []
    for key in keys:
        record = summaries[key].last_completed_check_execution_record if key in summaries else None
        evaluation = record.evaluation if record else None
        if record is None or evaluation is None:
            continue
        states.append(CheckState(
            asset_key=key_label(key.asset_key),
            check=key.name,
            failed=record.status == AssetCheckExecutionRecordStatus.FAILED,
            severity=evaluation.severity.value,
            timestamp=record.event.timestamp if record.event else record.create_timestamp,
            partition=record.partition,
            metadata=_plain(evaluation.metadata),
        ))
    return states


def last_materializations(instance: dg.DagsterInstance) -> dict[str, float]:
    out = {}
    for record in instance.get_asset_records():
        entry = record.asset_entry
        if entry.last_materialization_record is not None:
            out[key_label(entry.asset_key)] = entry.last_materialization_record.timestamp
    return out


def freshness_states(instance: dg.DagsterInstance, asset_keys: list[str]) -> dict[str, str]:
    keys = [dg.AssetKey.from_user_string(k) for k in asset_keys]
    try:
        records = instance.get_freshness_state_records(keys)
    except NotImplementedError:  # storages without the freshness table
        return {}
    return {key_label(k): r.freshness_state.value for k, r in records.items()}


def read_instance(instance: dg.DagsterInstance) -> InstanceState:
    materialized = last_materializations(instance)
    return InstanceState(
        read_at=time.time(),
        runs=run_counts(instance),
        last_materialization=materialized,
        checks=check_states(instance, check_keys(instance)),
        heartbeats={t: hb.timestamp for t, hb in instance.get_daemon_heartbeats().items()},
        freshness_states=freshness_states(instance, sorted(materialized)),
    )

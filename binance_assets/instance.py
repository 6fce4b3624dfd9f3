"""The local Dagster home (a DAGSTER_HOME folder with the local instance config) and its run launcher.

`LocalRunLauncher` is Dagster's `DefaultRunLauncher` (runs start as processes of the code servers) plus
the health check that run monitoring needs: Dagster's own launcher has none, so a run whose process died
(e.g. `dagster dev` killed during a run) stayed STARTED for good, holding its `warehouse` pool slot and
the run queue. With it, the daemon's run monitoring (`deploy/dagster/local.yaml`) fails such a run within
`poll_interval_seconds`, frees its slots, and `run_retries` re-runs it once.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import dagster as dg
import psutil
from dagster._core.events import DagsterEventType
from dagster._core.launcher import DefaultRunLauncher
from dagster._core.launcher.base import CheckRunHealthResult, WorkerStatus
from dagster._core.storage.dagster_run import DagsterRun

from binance_assets.settings import PROJECT_ROOT

LOCAL_INSTANCE_CONFIG = PROJECT_ROOT / "deploy" / "dagster" / "local.yaml"
# A process created this long after its run's "Started process" event is a later process with the same pid.
PID_REUSE_SLACK_SECONDS = 2.0


def ensure_local_dagster_home(default: Path = PROJECT_ROOT / ".dagster_home") -> Path:
    """Use $DAGSTER_HOME if set, else `.dagster_home/`; give it the local instance config if it has none."""
    home = Path(os.environ.setdefault("DAGSTER_HOME", str(default)))
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        shutil.copyfile(LOCAL_INSTANCE_CONFIG, config)
    return home


def local_instance() -> dg.DagsterInstance:
    ensure_local_dagster_home()
    return dg.DagsterInstance.get()


def run_worker_process(instance: dg.DagsterInstance, run_id: str) -> tuple[int, float] | None:
    """(pid, reported at) of the run's latest worker process, or None if none was reported (in-process runs).

    The code server reports "Started process for run (pid: N)" and the executor "parent process (pid: N)":
    run-level engine events (no step) with a `pid`; step subprocesses' events carry their step key.
    """
    records = instance.get_records_for_run(run_id, of_type=DagsterEventType.ENGINE_EVENT, ascending=False).records
    for record in records:
        event = record.event_log_entry.dagster_event
        if event is None or event.step_key is not None or event.engine_event_data is None:
            continue
        pid = event.engine_event_data.metadata.get("pid")
        if pid is not None:
            return int(pid.value), record.event_log_entry.timestamp
    return None


def process_alive(pid: int, started_by: float) -> bool:
    """Whether process `pid` runs and is the one that existed at `started_by` (not a reused pid, not a zombie)."""
    try:
        process = psutil.Process(pid)
        return (
            process.status() != psutil.STATUS_ZOMBIE
            and process.create_time() <= started_by + PID_REUSE_SLACK_SECONDS
        )
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return False


class LocalRunLauncher(DefaultRunLauncher):
    """`DefaultRunLauncher` whose run workers can be health-checked by run monitoring (same host only)."""

    @property
    def supports_check_run_worker_health(self) -> bool:
        return True

    def check_run_worker_health(self, run: DagsterRun) -> CheckRunHealthResult:
        worker = run_worker_process(self._instance, run.run_id)
        if worker is None:  # launched in process (the demo, tests) or not reported yet: nothing to look at
            return CheckRunHealthResult(WorkerStatus.RUNNING, "no run worker process reported")
        pid, started_by = worker
        if process_alive(pid, started_by):
            return CheckRunHealthResult(WorkerStatus.RUNNING, f"run worker process {pid} is running")
        return CheckRunHealthResult(WorkerStatus.FAILED, f"run worker process {pid} is gone (killed or crashed)")

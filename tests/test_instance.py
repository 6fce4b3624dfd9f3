"""The local instance's run launcher tells run monitoring whether a run's worker process still exists."""

from __future__ import annotations

import subprocess
import sys
import time

import dagster as dg
from dagster._core.events import EngineEventData
from dagster._core.launcher.base import WorkerStatus

from binance_assets.instance import LOCAL_INSTANCE_CONFIG, LocalRunLauncher, process_alive, run_worker_process


def make_run(instance: dg.DagsterInstance) -> dg.DagsterRun:
    @dg.op
    def noop() -> None: ...

    @dg.job
    def tiny():
        noop()

    return instance.create_run_for_job(tiny)


def test_local_instance_config_monitors_runs_with_the_health_checking_launcher(tmp_path) -> None:
    (tmp_path / "dagster.yaml").write_text(LOCAL_INSTANCE_CONFIG.read_text())
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        assert isinstance(instance.run_launcher, LocalRunLauncher)
        assert instance.run_launcher.supports_check_run_worker_health
        assert instance.run_monitoring_enabled and instance.run_retries_enabled
        assert instance.run_monitoring_settings["poll_interval_seconds"] <= 10
        assert instance.run_monitoring_settings["free_slots_after_run_end_seconds"] > 0


def test_health_follows_the_reported_worker_process() -> None:
    launcher = LocalRunLauncher()
    with dg.instance_for_test() as instance:
        launcher.register_instance(instance)
        run = make_run(instance)
        # Launched in process (no worker reported): nothing to judge, never failed for it.
        assert launcher.check_run_worker_health(run).status is WorkerStatus.RUNNING

        worker = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
        try:
            instance.report_engine_event(
                f"Started process for run (pid: {worker.pid}).", run, EngineEventData.in_process(worker.pid)
            )
            assert run_worker_process(instance, run.run_id)[0] == worker.pid
            assert launcher.check_run_worker_health(run).status is WorkerStatus.RUNNING
        finally:
            worker.kill()
            worker.wait()
        result = launcher.check_run_worker_health(run)
        assert result.status is WorkerStatus.FAILED and str(worker.pid) in result.msg


def test_a_reused_pid_is_not_the_run_worker() -> None:
    """A process created well after the run reported its worker has that pid by reuse: the worker is gone."""
    later = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        assert not process_alive(later.pid, time.time() - 10)  # the worker was reported 10 s before it existed
        assert process_alive(later.pid, time.time())
    finally:
        later.kill()
        later.wait()
    assert not process_alive(later.pid, time.time())

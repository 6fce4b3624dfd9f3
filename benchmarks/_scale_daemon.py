"""The automation ticks of benchmarks/scale.py, as `dagster-daemon` runs them.

The daemon's asset daemon (`create_daemon_of_type("ASSET", instance)`, the object `dagster-daemon run` builds)
runs one iteration over the workspace of workspace.yaml (its code servers started the way the daemon starts
them): every automation condition sensor that is running is ticked, one after the other (the instance may
say `use_threads`; here the sensors are timed apart). A tick is the daemon's whole tick: reading the cursor,
evaluating the conditions, writing the evaluations, and submitting the runs requested to the run queue
(no run is launched: no run coordinator daemon is running). Each sensor's seconds are its tick record's
(start to end, as the UI's tick history shows them), split at the daemon's log line "Tick produced ..."
into evaluating the conditions and the rest (writing evaluations, submitting runs).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import dagster as dg
from _measure import Stopwatch, peak_rss_mb, write_result
from _scale_history import raw_keys, record_days


def automation_sensors(request_context) -> list:
    """The workspace's sensors that the asset daemon ticks; fails on a code location that did not load."""
    sensors = []
    for name, entry in request_context.get_code_location_entries().items():
        if entry.code_location is None:
            raise RuntimeError(f"code location {name} did not load: {entry.load_error}")
        for repo in entry.code_location.get_repositories().values():
            sensors += [s for s in repo.get_sensors() if s.sensor_type.is_handled_by_asset_daemon]
    if not sensors:
        raise RuntimeError("no automation condition sensor in the workspace")
    return sensors


class LogMarks(logging.Handler):
    """The daemon's log lines, with their times."""

    def __init__(self) -> None:
        super().__init__()
        self.lines: list[tuple[float, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.created, record.getMessage()))

    def produced(self, sensor: str, after: float) -> float | None:
        return next((t for t, msg in self.lines if t >= after and msg.startswith("Tick produced")
                     and f" for {sensor} in " in msg), None)


def tick_once(daemon, context, instance, sensors, marks: LogMarks) -> dict[str, Any]:
    """One iteration of the asset daemon over the workspace; each sensor's tick record, split as the module says."""
    time.sleep(1.1)  # the sensors' minimum interval (1 s locally) since the previous tick
    with Stopwatch() as watch:
        daemon._run_iteration_impl(context, threadpool_executor=None, amp_tick_futures={}, debug_crash_flags={})
    per_sensor = {}
    for sensor in sensors:
        ticks = instance.get_ticks(sensor.get_remote_origin_id(), sensor.selector_id, limit=1)
        if not ticks or ticks[0].timestamp < time.time() - watch.seconds - 5:
            raise RuntimeError(f"sensor {sensor.name} was not ticked (is it running?)")
        tick = ticks[0]
        if tick.status.value == "FAILURE":
            raise RuntimeError(f"tick of {sensor.name} failed: {tick.error}")
        produced = marks.produced(sensor.name, after=tick.timestamp)
        per_sensor[sensor.name] = {
            "seconds": tick.end_timestamp - tick.timestamp if tick.end_timestamp else watch.seconds,
            "evaluation_s": produced - tick.timestamp if produced else None,
            "status": tick.status.value,
            "runs": len(tick.tick_data.run_ids or tick.tick_data.run_requests or []),
        }
    return {"seconds": watch.seconds, "sensors": per_sensor, "peak_rss_mb": peak_rss_mb()}


def worker_ticks(spec: dict[str, Any], result: str) -> None:
    """Tick 1 over the month of history, then the newest day lands, then tick 2: one daemon process, as
    `dagster-daemon` keeps one running (its code servers are started once, like the daemon's)."""
    from dagster._core.workspace.context import WorkspaceProcessContext
    from dagster._core.workspace.load_target import WorkspaceFileTarget
    from dagster._daemon.asset_daemon import AssetDaemon
    from dagster._daemon.controller import create_daemon_of_type

    instance = dg.DagsterInstance.get()  # $DAGSTER_HOME
    target = WorkspaceFileTarget(paths=[str(Path(spec["workspace"]))])
    with WorkspaceProcessContext(instance, target) as context:
        sensors = automation_sensors(context.create_request_context())
        daemon = create_daemon_of_type(AssetDaemon.daemon_type(), instance)
        marks = LogMarks()
        daemon._logger.addHandler(marks)
        daemon._logger.setLevel(logging.INFO)  # as `dagster-daemon run` logs
        ticks = [tick_once(daemon, context, instance, sensors, marks)]
        graph = context.create_request_context().asset_graph
        # The newest day arrives: its raw partitions and their blocking checks, before the next tick.
        landed = record_days(instance, graph, raw_keys(graph), 1, checks=True)
        ticks.append(tick_once(daemon, context, instance, sensors, marks))
    write_result(result, rows=landed, seconds=sum(t["seconds"] for t in ticks), ticks=ticks)

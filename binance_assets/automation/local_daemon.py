"""What dagster-daemon does, in process: tick a sensor or the automation conditions, then run what they ask.

For tests, benchmarks and the demo, where a real daemon's polling intervals would only add waiting.
The runs go through the same job definitions and the same instance as the daemon's would.
"""

from __future__ import annotations

import contextlib
import io
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import dagster as dg

QUIET = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}


@dataclass
class LocalDaemon:
    """One per code location: its definitions, the shared instance, and the automation cursor."""

    defs: dg.Definitions
    instance: dg.DagsterInstance
    automation_cursor: object | None = None
    runs: list[dg.ExecuteInProcessResult] = field(default_factory=list)

    def _job(self) -> dg.JobDefinition:
        return self.defs.resolve_implicit_global_asset_job_def()

    def execute(
        self, asset_keys: Iterable[dg.AssetKey], partition_key: str | None, tags=None, run_config=None
    ) -> dg.ExecuteInProcessResult:
        with contextlib.redirect_stdout(io.StringIO()):  # dbt prints its log lines
            result = self._job().execute_in_process(
                instance=self.instance,
                partition_key=partition_key,
                asset_selection=list(asset_keys),
                tags=tags,
                run_config={**(run_config or {}), **QUIET},
                raise_on_error=False,
            )
        self.runs.append(result)
        return result

    def tick_sensor(self, name: str, cursor: str | None) -> tuple[list[dg.RunRequest], str | None]:
        """Evaluate a sensor once; return its run requests (not yet run) and its new cursor."""
        sensor = self.defs.resolve_sensor_def(name)
        with dg.build_sensor_context(
            instance=self.instance, cursor=cursor, definitions=self.defs, sensor_name=name,
            resources=self.defs.resources,
        ) as context:
            result = sensor.evaluate_tick(context)
        return list(result.run_requests or []), result.cursor

    def run_requests(self, requests: Iterable[dg.RunRequest]) -> list[dg.ExecuteInProcessResult]:
        return [
            self.execute(r.asset_selection or [], r.partition_key, tags=r.tags, run_config=r.run_config)
            for r in requests
        ]

    def tick_automation(self) -> list[dg.ExecuteInProcessResult]:
        """Evaluate every automation condition once and run what it requested, one run per partition."""
        evaluation = dg.evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, cursor=self.automation_cursor
        )
        self.automation_cursor = evaluation.cursor
        by_partition: dict[str | None, list[dg.AssetKey]] = defaultdict(list)
        for key in self.defs.resolve_asset_graph().get_all_asset_keys():
            for partition in evaluation.get_requested_partitions(key):
                by_partition[partition].append(key)
        return [self.execute(keys, partition) for partition, keys in sorted(by_partition.items(), key=str)]

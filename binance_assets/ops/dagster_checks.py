"""The code locations' standalone asset checks (`@asset_check` / `@multi_asset_check`: they read the
warehouse and can run without their asset), executed in-process for the latest partitions.

The implicit asset job, subset to the checks of one partitions definition, is executed with
`execute_in_process` on an ephemeral instance: the same check functions, resources and configuration
as in the deployment, no asset is materialized and nothing is written to the deployment's Dagster
storage. Unpartitioned checks (the raw `day_file_on_time` deadlines) run once; checks partitioned by day
run once for each latest day (every symbol of it). Checks of another partitioning (the merchant's day x
account) are not run here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import nullcontext

import dagster as dg

from binance_assets.lib.partitions import DaySymbol, day_key
from binance_assets.ops.findings import ERROR, WARN, Finding

# The console logger would print every failed step's traceback: the findings say what failed.
QUIET = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


def _standalone_checks(defs: dg.Definitions, skip: set[str]) -> dict[object, list[dg.AssetCheckKey]]:
    """Check keys by partitions definition (None: unpartitioned), without the skipped ones."""
    groups: dict[object, list[dg.AssetCheckKey]] = {}
    for checks_def in defs.asset_checks or []:
        for key in checks_def.check_keys:
            if key.name in skip or f"{key.asset_key.to_user_string()}:{key.name}" in skip:
                continue
            groups.setdefault(checks_def.partitions_def, []).append(key)
    return groups


def _step_errors(result: dg.ExecuteInProcessResult) -> str:
    errors = [e.step_failure_data.error.message.strip() for e in result.all_events
              if e.is_step_failure and e.step_failure_data.error is not None]
    return "; ".join(errors)[:400] or "the check step failed"


def _partition_tags(partitions_def: dg.PartitionsDefinition, partition: str) -> dict[str, str]:
    """The run tags of a partition run (`dagster/partition` and one per dimension), as a sensor's run has."""
    return {"dagster/partition": partition}


def _run(defs: dg.Definitions, keys: Sequence[dg.AssetCheckKey], partitions_def: dg.PartitionsDefinition | None,
         partition: str | None, instance: dg.DagsterInstance) -> list[Finding]:
    # The implicit asset job of the checked assets, subset to these checks only: what a sensor's
    # RunRequest(asset_check_keys=..., partition_key=...) launches. Its location mixes partitions
    # definitions, so the implicit job has none and refuses `partition_key`: the partition goes in the
    # run's tags, where a partitioned run keeps it and the check's context reads it.
    implicit = defs.resolve_implicit_job_def_def_for_assets([k.asset_key for k in keys])
    if implicit is None:
        raise RuntimeError(f"no implicit asset job holds {[k.to_user_string() for k in keys]}")
    job = implicit.get_subset(asset_selection=set(), asset_check_selection=set(keys))
    tags = _partition_tags(partitions_def, partition) if partitions_def is not None and partition else None
    result = job.execute_in_process(instance=instance, tags=tags, raise_on_error=False, run_config=QUIET)
    label = partition or ""
    evaluations = {(e.asset_key, e.check_name): e for e in result.get_asset_check_evaluations()}
    findings = []
    for key in keys:
        evaluation = evaluations.get((key.asset_key, key.name))
        asset = key.asset_key.to_user_string()
        if evaluation is None:
            findings.append(Finding("dagster", asset, key.name, label, False, ERROR,
                                    f"not evaluated: {_step_errors(result)}"))
            continue
        severity = WARN if evaluation.severity == dg.AssetCheckSeverity.WARN else ERROR
        summary = evaluation.description or ("passed" if evaluation.passed else "failed")
        findings.append(Finding("dagster", asset, key.name, label, evaluation.passed, severity, summary))
    return findings


def dagster_check_findings(
    locations: Iterable[dg.Definitions], parts: Sequence[DaySymbol], *, skip: Iterable[str] = (),
    instance: dg.DagsterInstance | None = None,
) -> list[Finding]:
    """Findings of every standalone check of `locations` (skip: check names or `asset/key:check`)."""
    findings: list[Finding] = []
    with dg.DagsterInstance.ephemeral() if instance is None else nullcontext(instance) as run_instance:
        for defs in locations:
            for partitions_def, keys in _standalone_checks(defs, set(skip)).items():
                if partitions_def is None:
                    findings += _run(defs, keys, None, None, run_instance)
                elif isinstance(partitions_def, dg.TimeWindowPartitionsDefinition):
                    for day in sorted({part.day for part in parts}):
                        findings += _run(defs, keys, partitions_def, day_key(day), run_instance)
    return findings


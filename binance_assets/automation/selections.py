"""Which asset checks a partition run executes: every check of its assets except the deadline checks.

A run request that names only assets gets every check of those assets, `day_file_on_time` included
(dagster 1.13 resolves `RunRequest.asset_check_keys=None` to all checks of the selected assets, from the
whole asset graph, even for a job that excludes them). The deadline check is not about a partition ("is
the latest due day loaded?"), so only `raw_deadline_sensor`'s own runs evaluate it: the landing sensor,
the poller and the catch-up schedule pass `asset_check_keys=partition_run_checks(...)`.
"""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from binance_assets.automation.deadline_checks import DEADLINE_CHECK_NAME

NOT_IN_PARTITION_RUNS = frozenset({DEADLINE_CHECK_NAME})


def partition_run_checks(
    repository: dg.RepositoryDefinition | None, asset_keys: Iterable[dg.AssetKey]
) -> list[dg.AssetCheckKey] | None:
    """The checks of `asset_keys` a partition run executes, sorted; None without a repository (a sensor
    evaluated on its own in a unit test, where there is no graph to select from)."""
    if repository is None:
        return None
    keys = set(asset_keys)
    return sorted(
        (
            check
            for check in repository.asset_graph.asset_check_keys
            if check.asset_key in keys and check.name not in NOT_IN_PARTITION_RUNS
        ),
        key=lambda check: check.to_user_string(),
    )


def schedule_repository(context: dg.ScheduleEvaluationContext) -> dg.RepositoryDefinition | None:
    try:
        return context.repository_def
    except dg.DagsterInvariantViolationError:
        return None

"""`freshness_alert`: failed deadline/freshness checks and assets failing their freshness policy.

1.13 has no sensor decorator for check evaluations (`asset_sensor` and `multi_asset_sensor` watch
materializations), and a failed non-blocking check does not fail its run, so the run failure sensor
never hears of it. `build_freshness_alert_sensor` is therefore a plain `@dg.sensor` that polls, with a
JSON cursor,
* the check execution records of the given check keys
  (`instance.event_log_storage.get_asset_check_execution_history`: indexed per check, no run-shard
  scan, unlike the deprecated `get_event_records`), and
* the freshness states that the freshness daemon records for assets with a `FreshnessPolicy`
  (`instance.get_freshness_state_records`, the latest FRESHNESS_STATE_CHANGE per asset).
It alerts once per failure episode: when a check starts failing, when what fails changes (its
description, e.g. the list of missing partitions), and when it passes again (`notify_recovery`); when
an asset's freshness state becomes FAIL (and back to PASS). The cursor moves on even when a webhook
post fails: the alert is then in the sensor's log, and the next change alerts again.
"""

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

import dagster as dg

from binance_assets.lib.resources import AlertWebhook

FRESHNESS_ALERT_SENSOR_NAME = "freshness_alert"
HISTORY_LIMIT = 100


def _signature(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _metadata_value(metadata: Any, key: str) -> Any:
    value = (metadata or {}).get(key)
    return getattr(value, "value", value)


def format_check_failure(key: dg.AssetCheckKey, evaluation: Any, run_id: str) -> str:
    severity = getattr(getattr(evaluation, "severity", None), "value", "ERROR")
    icon = ":warning:" if severity == "WARN" else ":rotating_light:"
    lines = [f"{icon} Check failed ({severity}): `{key.asset_key.to_user_string()}` / `{key.name}`"]
    if evaluation.description:
        lines.append(evaluation.description)
    missing = _metadata_value(evaluation.metadata, "missing_partitions")
    if missing:
        lines.append(f"missing partitions: {', '.join(map(str, missing[:50]))}")
    lines.append(f"run id: `{run_id}`")
    return "\n".join(lines)


def _check_alerts(
    instance: dg.DagsterInstance, key: dg.AssetCheckKey, state: dict | None, notify_recovery: bool
) -> tuple[list[str], dict]:
    """New alerts for one check since `state` ({"id", "failing", "sig"}) and the state after them."""
    records = list(reversed(instance.event_log_storage.get_asset_check_execution_history(key, limit=HISTORY_LIMIT)))
    if state is None:
        # First sight of this check: judge only its latest completed evaluation, not its history.
        completed = [r for r in records if r.status.value != "PLANNED"]
        state = {"id": completed[-1].id - 1 if completed else 0, "failing": False, "sig": None}
        records = completed[-1:]
    state = dict(state)
    alerts = []
    for record in records:
        if record.id <= state["id"]:
            continue
        if record.status.value == "PLANNED":
            run = instance.get_run_record_by_id(record.run_id)
            if run is not None and not run.dagster_run.is_finished:
                break  # still evaluating: its row is updated in place later, come back to it
            state["id"] = record.id  # its run ended without an evaluation: the run failure sensor tells
            continue
        evaluation = record.event.asset_check_evaluation if record.event is not None else None
        state["id"] = record.id
        if evaluation is None:
            continue
        if record.status.value == "FAILED":
            sig = _signature(f"{evaluation.description}|{_metadata_value(evaluation.metadata, 'missing_partitions')}")
            if not state["failing"] or sig != state["sig"]:
                alerts.append(format_check_failure(key, evaluation, record.run_id))
            state["failing"], state["sig"] = True, sig
        else:
            if state["failing"] and notify_recovery:
                alerts.append(
                    f":white_check_mark: Check passes again: `{key.asset_key.to_user_string()}` / `{key.name}`"
                    + (f"\n{evaluation.description}" if evaluation.description else "")
                )
            state["failing"], state["sig"] = False, None
    return alerts, state


def _freshness_keys(context: dg.SensorEvaluationContext, explicit: Sequence[dg.AssetKey] | None) -> list[dg.AssetKey]:
    if explicit is not None:
        return list(explicit)
    repo = context.repository_def
    if repo is None:
        return []
    return [node.key for node in repo.asset_graph.asset_nodes if node.freshness_policy_or_from_metadata is not None]


def _freshness_alerts(
    instance: dg.DagsterInstance,
    keys: Sequence[dg.AssetKey],
    cursor: dict[str, dict],
    alert_states: frozenset[str],
    notify_recovery: bool,
) -> list[str]:
    """Alerts for freshness state changes since `cursor` ({asset: {"ts", "state"}}), updated in place."""
    if not keys:
        return []
    alerts = []
    records = instance.get_freshness_state_records(list(keys))
    for key in sorted(records, key=lambda k: k.to_user_string()):
        record = records[key]
        name = key.to_user_string()
        state, ts = record.freshness_state.value, record.updated_at.timestamp()
        previous = cursor.get(name)
        if previous is not None and ts <= previous["ts"]:
            continue
        since = record.updated_at.isoformat(timespec="seconds")
        if state in alert_states:
            alerts.append(f":hourglass: Asset `{name}` is {state} on its freshness policy (since {since})")
        elif previous is not None and previous["state"] in alert_states and state == "PASS" and notify_recovery:
            alerts.append(f":white_check_mark: Asset `{name}` is fresh again (since {since})")
        cursor[name] = {"ts": ts, "state": state}
    return alerts


def build_freshness_alert_sensor(
    check_keys: Iterable[dg.AssetCheckKey] = (),
    *,
    freshness_asset_keys: Sequence[dg.AssetKey] | None = None,
    name: str = FRESHNESS_ALERT_SENSOR_NAME,
    minimum_interval_seconds: int = 60,
    alert_states: Iterable[str] = ("FAIL",),
    notify_recovery: bool = True,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.STOPPED,
) -> dg.SensorDefinition:
    """A sensor that alerts on failed evaluations of `check_keys` and on stale assets.

    `freshness_asset_keys`: the assets whose freshness state to watch; None means every asset of this
    sensor's code location that has a `FreshnessPolicy` (the instance stores states of all locations,
    so keys of another location may be listed explicitly). `alert_states` are FreshnessState values
    ("FAIL", "WARN").
    """
    watched_checks = sorted(set(check_keys), key=lambda k: k.to_user_string())
    states = frozenset(s.upper() for s in alert_states)

    @dg.sensor(
        name=name,
        minimum_interval_seconds=minimum_interval_seconds,
        default_status=default_status,
        description=(
            "Posts failed deadline/freshness checks and assets failing their freshness policy to the "
            "`alert_webhook` resource's URL (logged when it has none)."
        ),
    )
    def _freshness_alert(context: dg.SensorEvaluationContext, alert_webhook: AlertWebhook) -> dg.SkipReason:
        cursor = json.loads(context.cursor) if context.cursor else {}
        check_state = dict(cursor.get("checks", {}))
        freshness_state = dict(cursor.get("freshness", {}))
        alerts = []
        for key in watched_checks:
            new, check_state[key.to_user_string()] = _check_alerts(
                context.instance, key, check_state.get(key.to_user_string()), notify_recovery
            )
            alerts += new
        keys = _freshness_keys(context, freshness_asset_keys)
        alerts += _freshness_alerts(context.instance, keys, freshness_state, states, notify_recovery)
        for text in alerts:
            alert_webhook.send(text, logger=context.log)
        context.update_cursor(json.dumps({"checks": check_state, "freshness": freshness_state}, sort_keys=True))
        return dg.SkipReason(f"{len(alerts)} alert(s) sent" if alerts else "nothing to alert")

    return _freshness_alert

"""Alerts to a Slack-compatible webhook: failed runs, failed deadline checks, assets that went stale.

The webhook URL is read from the environment (`BINANCE_ASSETS_ALERT_WEBHOOK_URL`) when a sensor is
evaluated, so it is never part of the definitions. Without a URL an alert is logged (warning) instead.
`send_alert` never raises: an alert must not crash the sensor that sends it.

Which Dagster 1.13 APIs (verified in the dagster 1.13.27 source):
- Failed runs: `@dg.run_failure_sensor(name=..., monitor_all_code_locations=True,
  default_status=RUNNING)`; the sensor gets a `RunFailureSensorContext` (`dagster_run`,
  `failure_event`, `get_step_failure_events()`). Put it in ONE code location only: with
  `monitor_all_code_locations` it sees the failures of every location, so two copies alert twice.
- Failed checks and stale assets: 1.13 has no sensor decorator for check evaluations (`asset_sensor`
  and `multi_asset_sensor` watch materializations), and a failed non-blocking check does not fail its
  run, so the run failure sensor never hears of it. `build_freshness_alert_sensor` is therefore a plain
  `@dg.sensor` that polls, with a JSON cursor,
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
import logging
import os
from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit

import dagster as dg
import requests
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from binance_assets.automation.freshness import (
    DEFAULT_DUE_HOURS,
    DEFAULT_LOOKBACK_DAYS,
    build_raw_deadline_checks,
    build_raw_deadline_sensor,
)
from binance_assets.settings import Environment, Settings

DEFAULT_WEBHOOK_ENV_VAR = "BINANCE_ASSETS_ALERT_WEBHOOK_URL"
RUN_FAILURE_SENSOR_NAME = "run_failure_alert"
FRESHNESS_ALERT_SENSOR_NAME = "freshness_alert"
MAX_BLOCK_TEXT = 3000  # Slack's limit for a section block's text
MAX_ERROR_CHARS = 1500
HISTORY_LIMIT = 100

_LOG = logging.getLogger(__name__)


# --- sending ---------------------------------------------------------------------------------------


class _Retryable(Exception):
    """A response worth another try (HTTP 429 or 5xx)."""


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _redact(url: str) -> str:
    """Scheme and host only: a webhook URL's path is its secret."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else "<webhook>"


def _scrub(message: str, url: str) -> str:
    """`message` without the webhook's path (requests puts the URL in its connection errors)."""
    parts = urlsplit(url)
    secret = parts.path + (f"?{parts.query}" if parts.query else "")
    message = message.replace(url, _redact(url))
    return message.replace(secret, "/…") if secret not in ("", "/") else message


def alert_payload(text: str) -> dict[str, Any]:
    """A minimal Slack-compatible message: `text` (fallback and non-Slack receivers) and one mrkdwn block."""
    return {
        "text": text,
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": _truncate(text, MAX_BLOCK_TEXT)}}],
    }


def webhook_url_from_env(env_var: str = DEFAULT_WEBHOOK_ENV_VAR) -> str | None:
    return os.environ.get(env_var, "").strip() or None


def send_alert(
    text: str,
    *,
    webhook_url: str | None,
    session: requests.Session | None = None,
    logger: Any = None,
    timeout: float = 5.0,
    attempts: int = 3,
    backoff_seconds: float = 0.5,
) -> bool:
    """POST `text` to a Slack-compatible webhook; True when it was accepted (HTTP 2xx).

    No URL: the alert is logged as a warning, False. Connection errors, timeouts, HTTP 429 and 5xx are
    retried (`attempts` in all, exponential backoff from `backoff_seconds`); what still fails is logged
    as an error, False. Never raises. `logger` is a `logging.Logger` or a Dagster `context.log`.
    """
    log = logger or _LOG
    try:
        if not webhook_url:
            log.warning(f"alert not sent (no webhook URL configured): {text}")
            return False
        return _post(text, webhook_url, session, log, timeout, attempts, backoff_seconds)
    except Exception as exc:  # an alert must never crash its sensor
        try:
            where = _redact(webhook_url) if webhook_url else "<webhook>"
            reason = _scrub(str(exc), webhook_url) if webhook_url else str(exc)
            log.error(f"alert to {where} failed: {type(exc).__name__}: {reason}. Alert: {text}")
        except Exception:
            _LOG.exception("alert failed and could not be logged")
        return False


def _post(
    text: str, url: str, session: requests.Session | None, log: Any, timeout: float, attempts: int, backoff: float
) -> bool:
    http = session or requests.Session()
    try:
        retrying = Retrying(
            stop=stop_after_attempt(max(1, attempts)),
            wait=wait_exponential(multiplier=backoff, max=max(backoff * 8, backoff)),
            retry=retry_if_exception_type((requests.ConnectionError, requests.Timeout, _Retryable)),
            reraise=True,
        )
        for attempt in retrying:
            with attempt:
                response = http.post(url, json=alert_payload(text), timeout=timeout)
                status = response.status_code
                if status == 429 or status >= 500:
                    raise _Retryable(f"HTTP {status}: {response.text[:200]}")
                if status >= 400:
                    log.error(f"alert rejected by {_redact(url)}: HTTP {status}: {response.text[:200]}. Alert: {text}")
                    return False
                return True
        return False  # pragma: no cover - the loop returns or raises
    finally:
        if session is None:
            http.close()


# --- run failures ----------------------------------------------------------------------------------


_WRAPPER_ERRORS = {"DagsterExecutionStepExecutionError", "DagsterUserCodeExecutionError"}


def _error_text(error: Any) -> str:
    """`Class: message` of a SerializableErrorInfo and its causes, without Dagster's wrapper errors,
    module paths or stack traces."""
    parts: list[str] = []
    depth = 0
    while error is not None and depth < 5:
        cls_name = getattr(error, "cls_name", None) or ""
        message = (getattr(error, "message", "") or "").strip()
        if cls_name and ": " in message and message.split(": ", 1)[0].endswith(cls_name):
            message = f"{cls_name}: {message.split(': ', 1)[1]}"  # dagster._core...Failure: x -> Failure: x
        cause = getattr(error, "cause", None)
        if message and not (cls_name in _WRAPPER_ERRORS and cause is not None) and message not in parts:
            parts.append(message)
        error = cause
        depth += 1
    return " <- ".join(parts)


def format_run_failure(context: dg.RunFailureSensorContext, *, max_error_chars: int = MAX_ERROR_CHARS) -> str:
    """Job, code location, run id, partition, failed steps and their errors (or the run's failure)."""
    run = context.dagster_run
    origin = run.remote_job_origin
    location = origin.location_name if origin is not None else None
    lines = [f":red_circle: Dagster run failed: job `{run.job_name}`" + (f" ({location})" if location else "")]
    lines.append(f"run id: `{run.run_id}`")
    partition = run.tags.get("dagster/partition")
    if partition:
        lines.append(f"partition: `{partition}`")
    step_failures = context.get_step_failure_events()
    if step_failures:
        lines.append("failed steps: " + ", ".join(f"`{e.step_key}`" for e in step_failures))
        for event in step_failures:
            error = event.step_failure_data.error if event.step_failure_data else None
            message = _error_text(error) or event.message or ""
            lines.append(f"error in `{event.step_key}`: {_truncate(message, max_error_chars)}")
    failure = context.failure_event
    if failure is not None and failure.message:
        lines.append(f"run failure: {_truncate(failure.message, max_error_chars)}")
    return "\n".join(lines)


def build_run_failure_alert_sensor(
    webhook_env_var: str = DEFAULT_WEBHOOK_ENV_VAR,
    *,
    name: str = RUN_FAILURE_SENSOR_NAME,
    monitor_all_code_locations: bool = True,
    default_status: dg.DefaultSensorStatus = dg.DefaultSensorStatus.RUNNING,
) -> dg.SensorDefinition:
    """A run failure sensor that posts every failed run (of all code locations) to the webhook."""

    @dg.run_failure_sensor(
        name=name,
        monitor_all_code_locations=monitor_all_code_locations,
        default_status=default_status,
        description=f"Posts failed runs to the webhook in ${webhook_env_var} (logged when it is unset).",
    )
    def _run_failure_alert(context: dg.RunFailureSensorContext) -> None:
        send_alert(format_run_failure(context), webhook_url=webhook_url_from_env(webhook_env_var), logger=context.log)

    return _run_failure_alert


# --- failed checks and stale assets ------------------------------------------------------------------


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
    webhook_env_var: str = DEFAULT_WEBHOOK_ENV_VAR,
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
            f"Posts failed deadline/freshness checks and assets failing their freshness policy to the webhook "
            f"in ${webhook_env_var} (logged when it is unset)."
        ),
    )
    def _freshness_alert(context: dg.SensorEvaluationContext) -> dg.SkipReason:
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
        url = webhook_url_from_env(webhook_env_var)
        for text in alerts:
            send_alert(text, webhook_url=url, logger=context.log)
        context.update_cursor(json.dumps({"checks": check_state, "freshness": freshness_state}, sort_keys=True))
        return dg.SkipReason(f"{len(alerts)} alert(s) sent" if alerts else "nothing to alert")

    return _freshness_alert


# --- everything, to merge into a code location ---------------------------------------------------------


def build_automation_alerting_defs(
    settings: Settings,
    raw_asset_keys: Iterable[dg.AssetKey | str | Sequence[str]],
    due_hours: float = DEFAULT_DUE_HOURS,
    *,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    webhook_env_var: str = DEFAULT_WEBHOOK_ENV_VAR,
    freshness_asset_keys: Sequence[dg.AssetKey] | None = None,
    extra_alert_check_keys: Iterable[dg.AssetCheckKey] = (),
    running: bool | None = None,
) -> dg.Definitions:
    """The raw deadline checks, `raw_deadline_sensor`, `run_failure_alert` and `freshness_alert`.

    The checks need the `warehouse` resource (the location's `resources_for(settings)` provides it;
    nothing here defines resources, so merging adds no conflict). `run_failure_alert` is RUNNING by
    default everywhere; the deadline and freshness sensors are RUNNING by default outside `local`
    (`running` overrides), because the embedded default serves simulated history where the latest
    days are never loaded and the deadline check would fail for good.
    """
    checks = build_raw_deadline_checks(
        raw_asset_keys, settings.symbols, due_hours, lookback_days=lookback_days, start_date=settings.start_date
    )
    is_running = settings.env is not Environment.LOCAL if running is None else running
    status = dg.DefaultSensorStatus.RUNNING if is_running else dg.DefaultSensorStatus.STOPPED
    return dg.Definitions(
        asset_checks=[checks],
        sensors=[
            build_raw_deadline_sensor(checks, due_hours, default_status=status),
            build_run_failure_alert_sensor(webhook_env_var),
            build_freshness_alert_sensor(
                [*checks.check_keys, *extra_alert_check_keys],
                freshness_asset_keys=freshness_asset_keys,
                webhook_env_var=webhook_env_var,
                default_status=status,
            ),
        ],
    )
